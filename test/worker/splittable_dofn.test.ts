/**
 * A user splittable DoFn (ParDo.splittable) on the Fn API harness, driven as Prism drives it
 * (test/portable/fuser.ts expands the splittable ParDo as Prism's handlepardo.go does): the
 * translation sends one splittable ParDo with its restriction coder and Beam's SDF requirement;
 * pair-with-restriction and split-and-size give each word's halves with their sizes; each process
 * bundle outputs what it claimed and hands the rest back as a residual (with the watermark
 * estimate), which the "runner" sends again until none is left.
 */
import { strict as assert } from "node:assert";
import { inGlobalWindow, type KV, type WindowedValue } from "../../lib/model/window";
import { OffsetRange } from "../../lib/model/offset_range";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { plan, type Stage } from "../portable/fuser";
import { BundleFinalizing, bundleFinalizingProgram, Gated, gatedProgram, PairStringWithIndexToLength, SDF_EXPECTED, sdfProgram } from "../portable/sdf_programs";
import { startProgramHarness } from "./program_harness";
import { FnApiServer } from "./fn_server";
import { coder, decodeAll, encodeAll } from "./wire";

type Sized = KV<KV<string, KV<OffsetRange, number>>, number>;

describe("Fn API harness: a user's splittable DoFn (as Prism runs it)", function () {
  this.timeout(30_000);
  let server: FnApiServer;
  let harness: FnHarness | undefined;

  beforeEach(async () => {
    server = await FnApiServer.start();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await server.stop();
  });

  it("is sent as a splittable ParDo; pairs, splits and sizes; processes with self-checkpoints until every index is output once", async () => {
    const lifecycleBefore = PairStringWithIndexToLength.lifecycle.length;
    const p = sdfProgram.create({ output: "" });
    const { proto } = translatePipeline(p, dockerEnvironment(), { splittableReads: true });
    assert.ok(proto.requirements.includes(URNS.requirementSplittable), "the pipeline declares Beam's SDF requirement");
    const sdf = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "PairWithIndex/ProcessSplittable")!;
    const payload = runnerApi.ParDoPayload.fromBinary(sdf.spec!.payload);
    const rc = proto.components!.coders[payload.restrictionCoderId]!;
    assert.equal(rc.spec!.urn, "beam:coder:kv:v1", "restriction and watermark estimator state, as Beam sends them");
    const [restriction, watermarkState] = rc.componentCoderIds.map((id) => proto.components!.coders[id]!);
    assert.equal(restriction!.spec!.urn, "beam:coder:length_prefix:v1", "the OffsetRange coder goes length-prefixed: runners need not parse it");
    assert.equal(proto.components!.coders[restriction!.componentCoderIds[0]!]!.spec!.urn, "beamline:coder:offset_range:v1");
    assert.equal(watermarkState!.spec!.urn, "beam:coder:double:v1");
    // Dataflow's translation (no splittable reads: it reads Pub/Sub natively) sends a user's SDF the same way.
    const dataflow = translatePipeline(p, dockerEnvironment(), { nativePubSubWrite: true }).proto;
    const sent = Object.values(dataflow.components!.transforms).find((t) => t.uniqueName === "PairWithIndex/ProcessSplittable");
    assert.notEqual(runnerApi.ParDoPayload.fromBinary(sent!.spec!.payload).restrictionCoderId, "");
    assert.ok(dataflow.requirements.includes(URNS.requirementSplittable));
    assert.ok(!Object.values(dataflow.components!.transforms).some((t) => t.uniqueName.startsWith("PairWithIndex/Pair")), "the DirectRunner's expansion is not sent");

    const planned = plan(proto, server.url);
    harness = startProgramHarness(p, server.url, "run-user-sdf", "sdf-worker");
    const stageOf = (urn: string): Stage => planned.stages.find((st) => st.transforms.some((t) => planned.components.transforms[t]!.spec?.urn === urn))!;
    const pair = stageOf(URNS.sdfPairWithRestriction);
    const process = stageOf(URNS.sdfProcessSized);
    assert.notEqual(pair, process, "the process phase starts its own stage");
    const reg = await server.instruct({ oneofKind: "register", register: { processBundleDescriptor: [pair.descriptor!, process.descriptor!] } });
    assert.equal(reg.error, "");

    // Create's impulse → the words → pair with restriction → split in halves and size.
    const impulse = encodeAll(coder(planned.components, planned.wireCoder(pair.input)), [inGlobalWindow(new Uint8Array(0))]);
    const [sizedPc, pairSink] = [...pair.outputs][0]!;
    const paired = await server.processBundle(pair.id, new Map([[pair.sourceId, [impulse]]]), [pairSink]);
    const sizedCoder = coder(planned.components, planned.wireCoder(sizedPc));
    const sized = decodeAll(sizedCoder, paired.outputs.get(pairSink)) as WindowedValue<Sized>[];
    assert.deepEqual(
      sized.map((wv) => `${wv.value.key.key} ${wv.value.key.value.key} size ${wv.value.value} @${wv.timestamp}`).sort(),
      ["a [0, 0) size 0 @1000", "a [0, 1) size 1 @1000", "bb [0, 1) size 1 @2000", "bb [1, 2) size 1 @2000", "ccccccc [0, 3) size 3 @3000", "ccccccc [3, 7) size 4 @3000"],
    );

    // Process: each bundle's residuals go back to the process phase until none is left.
    const [outPc, sink] = [...process.outputs][0]!;
    const outCoder = coder(planned.components, planned.wireCoder(outPc));
    const out: string[] = [];
    let pending: Uint8Array[] = [paired.outputs.get(pairSink)!];
    let bundles = 0;
    while (pending.length > 0) {
      assert.ok(++bundles < 20, "the residuals run out");
      const run = await server.processBundle(process.id, new Map([[process.sourceId, pending]]), [sink]);
      out.push(...(decodeAll(outCoder, run.outputs.get(sink)) as WindowedValue<string>[]).map((wv) => wv.value));
      pending = run.response.residualRoots.map((root) => {
        const app = root.application!;
        const residual = decodeAll(sizedCoder, app.element) as WindowedValue<Sized>[];
        // The watermark estimate starts at the element's timestamp and is sent with the residual.
        const w = app.outputWatermarks[Object.keys(app.outputWatermarks)[0]!]!;
        assert.equal(Number(w.seconds) * 1000 + w.nanos / 1e6, residual[0]!.timestamp);
        return app.element;
      });
    }
    assert.ok(bundles > 2, `checkpoints made the work take several bundles (${bundles})`);
    assert.deepEqual(out.sort(), SDF_EXPECTED);

    // Each instance of the fn is set up once and torn down once, however many phases use it (Beam's DoFn lifecycle).
    await harness.stop();
    harness = undefined;
    const calls = PairStringWithIndexToLength.lifecycle.slice(lifecycleBefore);
    assert.ok(calls.length > 0);
    const perInstance = new Map<string, string[]>();
    for (const c of calls) {
      const [instance, call] = c.split(" ");
      perInstance.set(instance!, [...(perInstance.get(instance!) ?? []), call!]);
    }
    for (const [instance, seq] of perInstance) assert.deepEqual(seq, ["setup", "teardown"], `instance ${instance}`);
  });

  it("bundle finalization: the ParDo requests it, a bundle whose fn registered a callback requires it, and the runner's FinalizeBundleRequest runs it", async () => {
    const key = `worker-finalizing-${Date.now()}`;
    const p = bundleFinalizingProgram.create({ key, output: "" });
    const { proto } = translatePipeline(p, dockerEnvironment(), { splittableReads: true });
    assert.ok(proto.requirements.includes(URNS.requirementFinalization));
    const sdf = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "Finalizing/ProcessSplittable")!;
    assert.equal(runnerApi.ParDoPayload.fromBinary(sdf.spec!.payload).requestsFinalization, true);
    const planned = plan(proto, server.url);
    harness = startProgramHarness(p, server.url, "run-user-sdf-finalizing", "sdf-worker");
    const stageOf = (urn: string): Stage => planned.stages.find((st) => st.transforms.some((t) => planned.components.transforms[t]!.spec?.urn === urn))!;
    const pair = stageOf(URNS.sdfPairWithRestriction);
    const process = stageOf(URNS.sdfProcessSized);
    assert.equal((await server.instruct({ oneofKind: "register", register: { processBundleDescriptor: [pair.descriptor!, process.descriptor!] } })).error, "");
    const impulse = encodeAll(coder(planned.components, planned.wireCoder(pair.input)), [inGlobalWindow(new Uint8Array(0))]);
    const [, pairSink] = [...pair.outputs][0]!;
    const paired = await server.processBundle(pair.id, new Map([[pair.sourceId, [impulse]]]), [pairSink]);
    assert.equal(paired.response.requiresFinalization, false);

    const [outPc, sink] = [...process.outputs][0]!;
    const first = await server.processBundle(process.id, new Map([[process.sourceId, [paired.outputs.get(pairSink)!]]]), [sink]);
    assert.equal(first.response.requiresFinalization, true);
    assert.equal(first.response.residualRoots.length, 1);
    assert.ok(!BundleFinalizing.finalized.has(key), "not before the runner finalizes the bundle");
    // The residual runs again before the runner finalized: the fn is still waiting, and checkpoints again.
    const again = await server.processBundle(process.id, new Map([[process.sourceId, [first.response.residualRoots[0]!.application!.element]]]), [sink]);
    assert.equal(again.response.residualRoots.length, 1);
    assert.equal((await server.instruct({ oneofKind: "finalizeBundle", finalizeBundle: { instructionId: first.instructionId } })).error, "");
    assert.ok(BundleFinalizing.finalized.has(key), "the callback ran on FinalizeBundleRequest");
    const last = await server.processBundle(process.id, new Map([[process.sourceId, [again.response.residualRoots[0]!.application!.element]]]), [sink]);
    assert.equal(last.response.residualRoots.length, 0, "finalized: the fn outputs and stops");
    assert.deepEqual((decodeAll(coder(planned.components, planned.wireCoder(outPc)), last.outputs.get(sink)) as WindowedValue<string>[]).map((wv) => wv.value), ["foo"]);
  });

  it("a runner's split request inside the element being processed splits its restriction: this bundle keeps the primary, the runner gets the residual", async () => {
    const p = gatedProgram.create({});
    const { proto } = translatePipeline(p, dockerEnvironment(), { splittableReads: true });
    const planned = plan(proto, server.url);
    harness = startProgramHarness(p, server.url, "run-user-sdf-gated", "sdf-worker");
    const stageOf = (urn: string): Stage => planned.stages.find((st) => st.transforms.some((t) => planned.components.transforms[t]!.spec?.urn === urn))!;
    const pair = stageOf(URNS.sdfPairWithRestriction);
    const process = stageOf(URNS.sdfProcessSized);
    assert.equal((await server.instruct({ oneofKind: "register", register: { processBundleDescriptor: [pair.descriptor!, process.descriptor!] } })).error, "");
    const impulse = encodeAll(coder(planned.components, planned.wireCoder(pair.input)), [inGlobalWindow(new Uint8Array(0))]);
    const [sizedPc, pairSink] = [...pair.outputs][0]!;
    const paired = await server.processBundle(pair.id, new Map([[pair.sourceId, [impulse]]]), [pairSink]);
    const sizedCoder = coder(planned.components, planned.wireCoder(sizedPc));
    const [outPc, sink] = [...process.outputs][0]!;
    const outCoder = coder(planned.components, planned.wireCoder(outPc));

    let release = (): void => undefined;
    const reached = new Promise<void>((resolve) => (Gated.gate = { reached: resolve, wait: new Promise<void>((r) => (release = r)) }));
    const outputs: Uint8Array[] = [];
    const running = await server.startBundle(process.id, [sink], (_, data) => void outputs.push(data));
    await running.send(process.sourceId, paired.outputs.get(pairSink)!, true);
    await reached; // offset 0 claimed and output; the fn waits
    const split = await running.split({ [process.sourceId]: { fractionOfRemainder: 0.5, allowedSplitPoints: [], estimatedInputElements: 1n } });
    release();
    const done = await running.result;

    assert.deepEqual(split.channelSplits.map((c) => [Number(c.lastPrimaryElement), Number(c.firstResidualElement)]), [[-1, 1]], "the element itself is split, not the channel");
    assert.equal(split.primaryRoots.length, 1);
    assert.equal(split.residualRoots.length, 1);
    const restrictionOf = (bytes: Uint8Array): string => String((decodeAll(sizedCoder, bytes)[0] as WindowedValue<Sized>).value.key.value.key);
    assert.equal(restrictionOf(split.primaryRoots[0]!.element), "[0, 50)", "half of what was left (offset 0 in progress) stays");
    assert.equal(restrictionOf(split.residualRoots[0]!.application!.element), "[50, 100)");
    assert.equal(split.residualRoots[0]!.application!.transformId, Object.entries(planned.components.transforms).find(([, t]) => t.spec?.urn === URNS.sdfProcessSized)![0]);
    assert.equal(done.residualRoots.length, 0, "the primary ran to its end");
    const values = outputs.flatMap((b) => (decodeAll(outCoder, b) as WindowedValue<number>[]).map((wv) => wv.value));
    assert.deepEqual(values, Array.from({ length: 50 }, (_, i) => i), "the bundle output the primary's offsets only");

    // The runner runs the residual: the rest of the offsets.
    const rest = await server.processBundle(process.id, new Map([[process.sourceId, [split.residualRoots[0]!.application!.element]]]), [sink]);
    assert.deepEqual((decodeAll(outCoder, rest.outputs.get(sink)) as WindowedValue<number>[]).map((wv) => wv.value), Array.from({ length: 50 }, (_, i) => 50 + i));
  });
});
