/**
 * The splittable Pub/Sub read on the Fn API harness, driven as Prism drives it (test/portable/
 * fuser.ts expands the SDF ParDo as Prism's handlepardo.go does), against the Pub/Sub emulator:
 * restrictions, self-checkpoint residuals with watermarks, and acknowledgement in bundle finalization.
 */
import { strict as assert } from "node:assert";
import { PubSubReader } from "../../lib/io/pubsub";
import { inGlobalWindow, type KV, type WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";
import { plan, type Plan, type Stage } from "../portable/fuser";
import { pubsubReadProgram } from "../portable/pubsub_programs";
import { startProgramHarness } from "./program_harness";
import { FnApiServer } from "./fn_server";
import { waitFor } from "../setup/emulators/helpers";
import { coder, decodeAll, encodeAll } from "./wire";

type Sized = KV<KV<Uint8Array, string>, number>;

describe("Fn API harness: the splittable Pub/Sub read (as Prism runs it)", function () {
  this.timeout(30_000);
  const emulator = usePubSubEmulator();
  let server: FnApiServer;
  let harness: FnHarness | undefined;
  const subscription = `projects/${TEST_PROJECT}/subscriptions/sdf-in-sub`;

  before(async () => {
    await emulator.pubsub.createTopic("sdf-in");
    await emulator.pubsub.topic("sdf-in").createSubscription("sdf-in-sub", { ackDeadlineSeconds: 10 });
  });
  beforeEach(async () => {
    server = await FnApiServer.start();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await server.stop();
  });

  /** The planned stages: pair + split (input: the impulse), and process → Upper (input: the sized restrictions). */
  const setUp = async (input = subscription): Promise<{ planned: Plan; pair: Stage; process: Stage; processId: string }> => {
    const p = pubsubReadProgram.create({ input, timestampAttribute: "ts" });
    const { proto } = translatePipeline(p, dockerEnvironment(), { splittableReads: true });
    const planned = plan(proto, server.url);
    harness = startProgramHarness(p, server.url, "run-sdf", "sdf-worker");
    const stageOf = (urn: string): [Stage, string] => {
      const s = planned.stages.find((st) => st.transforms.some((t) => planned.components.transforms[t]!.spec?.urn === urn))!;
      return [s, s.transforms.find((t) => planned.components.transforms[t]!.spec?.urn === urn)!];
    };
    const [pair] = stageOf(URNS.sdfPairWithRestriction);
    const [process, processId] = stageOf(URNS.sdfProcessSized);
    assert.notEqual(pair, process, "the process phase starts its own stage");
    const reg = await server.instruct({ oneofKind: "register", register: { processBundleDescriptor: [pair.descriptor!, process.descriptor!] } });
    assert.equal(reg.error, "");
    return { planned, pair, process, processId };
  };

  const publish = async (messages: { data: string; ts: number }[]): Promise<void> => {
    const topic = emulator.pubsub.topic("sdf-in");
    await Promise.all(messages.map((m) => topic.publishMessage({ data: Buffer.from(m.data), attributes: { ts: String(m.ts) } })));
  };

  /** What a fresh reader finds on the input subscription (acknowledging it, so tests do not see each other's leftovers). */
  const leftOnInput = async (): Promise<string[]> => {
    const reader = await PubSubReader.open({ subscription });
    try {
      const batch = await reader.pull(100, 1000);
      await reader.commit(batch.map((m) => m.ackId));
      return batch.map((m) => Buffer.from(m.value).toString()).sort();
    } finally {
      await reader.close();
    }
  };

  it("pairs the impulse with the subscription, outputs messages at their timestamps, checkpoints with a watermark, and acknowledges on finalization", async () => {
    const { planned, pair, process, processId } = await setUp();
    const faults = emulator.env.emulators.pubsub!.faults;
    // Pair with restriction + split and size: one restriction, the subscription, of size 1.
    const impulse = encodeAll(coder(planned.components, planned.wireCoder(pair.input)), [inGlobalWindow(new Uint8Array(0))]);
    const [sizedPc, pairSink] = [...pair.outputs][0]!;
    const paired = await server.processBundle(pair.id, new Map([[pair.sourceId, [impulse]]]), [pairSink]);
    const sizedCoder = coder(planned.components, planned.wireCoder(sizedPc));
    const sized = decodeAll(sizedCoder, paired.outputs.get(pairSink)) as WindowedValue<Sized>[];
    assert.equal(sized.length, 1);
    assert.equal(sized[0]!.value.key.value, subscription);
    assert.equal(sized[0]!.value.value, 1);
    assert.equal(paired.response.residualRoots.length, 0);
    assert.equal(paired.response.requiresFinalization, false);

    // Process: the published messages come out (upper-cased downstream) at their timestamp attribute.
    await publish([
      { data: "a", ts: 1_000 },
      { data: "b", ts: 2_000 },
      { data: "c", ts: 3_000 },
    ]);
    const acksBefore = faults.calls("Acknowledge");
    const [outPc, sink] = [...process.outputs][0]!;
    const started = Date.now();
    const run = await server.processBundle(process.id, new Map([[process.sourceId, [paired.outputs.get(pairSink)!]]]), [sink]);
    const out = decodeAll(coder(planned.components, planned.wireCoder(outPc)), run.outputs.get(sink)) as WindowedValue<string>[];
    assert.deepEqual(out.map((wv) => [wv.value, wv.timestamp]).sort(), [["A", 1_000], ["B", 2_000], ["C", 3_000]]);

    // Self-checkpoint: the same element and restriction back to the process phase, with the watermark.
    assert.equal(run.response.residualRoots.length, 1);
    const app = run.response.residualRoots[0]!.application!;
    assert.equal(app.transformId, processId);
    assert.equal(app.inputId, Object.keys(planned.components.transforms[processId]!.inputs)[0]);
    const residual = decodeAll(sizedCoder, app.element) as WindowedValue<Sized>[];
    assert.deepEqual(residual, sized, "the residual is the input element, restriction and window");
    const watermark = app.outputWatermarks["main"];
    assert.ok(watermark !== undefined, "the residual carries the read's watermark");
    const wm = Number(watermark.seconds) * 1000 + watermark.nanos / 1e6;
    assert.ok(wm > 3_000 && wm >= started - 1000 && wm <= Date.now(), `watermark ${wm}: past what was read, at most the clock`);
    assert.equal(run.response.requiresFinalization, true);

    // Nothing acknowledged until the runner finalizes the bundle; then the messages are gone for good.
    assert.equal(faults.calls("Acknowledge"), acksBefore, "no ack before finalization");
    const fin = await server.instruct({ oneofKind: "finalizeBundle", finalizeBundle: { instructionId: run.instructionId } });
    assert.equal(fin.error, "");
    assert.ok(faults.calls("Acknowledge") > acksBefore, "acknowledged on finalization");
    await harness!.stop();
    harness = undefined;
    assert.deepEqual(await leftOnInput(), [], "acknowledged messages are not redelivered");
  });

  it("an idle subscription: a residual asking for a short delay, watermark at the clock; messages of a bundle never finalized come back", async () => {
    const { planned, process } = await setUp();
    const [, sink] = [...process.outputs][0]!;
    // The sized restriction, as the pair + split stage gives it (the first test checks that stage).
    const kv = (key: unknown, value: unknown) => ({ key, value });
    const input = encodeAll(coder(planned.components, planned.wireCoder(process.input)), [inGlobalWindow(kv(kv(new Uint8Array(0), subscription), 1))]);
    const before = Date.now();
    const idle = await server.processBundle(process.id, new Map([[process.sourceId, [input]]]), [sink]);
    assert.equal(idle.outputs.get(sink)!.length, 0);
    const root = idle.response.residualRoots[0]!;
    assert.ok(Number(root.requestedTimeDelay!.seconds) * 1000 + root.requestedTimeDelay!.nanos / 1e6 > 0, "an idle read asks to be resumed later");
    const w = root.application!.outputWatermarks["main"]!;
    assert.ok(Number(w.seconds) * 1000 >= before - 1000, "an idle read's watermark follows the clock");
    assert.equal(idle.response.requiresFinalization, false);

    await publish([{ data: "lost", ts: 5_000 }]);
    const run = await server.processBundle(process.id, new Map([[process.sourceId, [input]]]), [sink]);
    assert.equal(run.response.requiresFinalization, true);
    // The runner never finalizes it (say the bundle's commit failed): when the worker stops, it hands the message back.
    await harness!.stop();
    harness = undefined;
    assert.deepEqual(await leftOnInput(), ["lost"]);
  });
  it("reading a topic: one subscription for the run (named after run and step), kept when the worker stops, expiring a day after its last use", async () => {
    const { planned, pair, process } = await setUp(`projects/${TEST_PROJECT}/topics/sdf-in`);
    const impulse = encodeAll(coder(planned.components, planned.wireCoder(pair.input)), [inGlobalWindow(new Uint8Array(0))]);
    const [, pairSink] = [...pair.outputs][0]!;
    const paired = await server.processBundle(pair.id, new Map([[pair.sourceId, [impulse]]]), [pairSink]);
    const [, sink] = [...process.outputs][0]!;
    await server.processBundle(process.id, new Map([[process.sourceId, [paired.outputs.get(pairSink)!]]]), [sink]);
    const [subs] = await emulator.pubsub.topic("sdf-in").getSubscriptions();
    const created = subs.map((x) => x.name).filter((n) => /\/subscriptions\/beamline-[0-9a-f]{20}$/.test(n));
    assert.equal(created.length, 1, `the run's subscription: ${subs.map((x) => x.name).join(", ")}`);
    const [meta] = await emulator.pubsub.subscription(created[0]!).getMetadata();
    assert.equal(Number(meta.expirationPolicy?.ttl?.seconds), 24 * 3600, "a subscription left behind expires a day after its last use");
    // Another worker of the job (or this one's next processor) may still read it: a worker stopping keeps it.
    await harness!.stop();
    harness = undefined;
    const [exists] = await emulator.pubsub.subscription(created[0]!).exists();
    assert.ok(exists, "the subscription outlives the worker");
    await emulator.pubsub.subscription(created[0]!).delete();
  });
  it("stopping the harness: a running bundle ends first (its checkpoint answered), and no new bundle starts", async () => {
    const { planned, process } = await setUp();
    const pullsAtStart = emulator.env.emulators.pubsub!.faults.calls("Pull");
    const [, sink] = [...process.outputs][0]!;
    const kv = (key: unknown, value: unknown) => ({ key, value });
    const input = encodeAll(coder(planned.components, planned.wireCoder(process.input)), [inGlobalWindow(kv(kv(new Uint8Array(0), subscription), 1))]);
    // An idle read polls for about a second before it checkpoints.
    const running = await server.startBundle(process.id, [sink], () => undefined);
    await running.send(process.sourceId, input, true);
    await waitFor("the bundle to start pulling", () => emulator.env.emulators.pubsub!.faults.calls("Pull") > pullsAtStart, 10_000);
    const stopped = harness!.stop();
    await assert.rejects(server.processBundle(process.id, new Map([[process.sourceId, [input]]]), [sink]), /is stopping; bundle .* was not started/);
    const done = await running.result;
    assert.equal(done.residualRoots.length, 1, "the running bundle finished and checkpointed");
    await stopped;
    harness = undefined;
  });
});
