import { strict as assert } from "node:assert";
import { PubSub, type Message } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import { Pipeline, TestStream, Window, FixedWindows } from "../../lib";
import { isStreamingResult, type StreamingPipelineResult } from "../../runners/streaming";
import { parallelBlocker } from "../../runners/streaming/parallel";
import { waitFor } from "../setup/emulators/helpers";
import { pullAllText, startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";
import { divergentMap, keyedCount, parallelMap } from "./parallel_programs";
import { useRunCleanup } from "./run_cleanup";

const sub = (s: string) => `projects/${TEST_PROJECT}/subscriptions/${s}`;
const topic = (t: string) => `projects/${TEST_PROJECT}/topics/${t}`;

describe("streaming: parallel instances (--direct_num_workers 2)", function () {
  this.timeout(60_000);

  describe("which pipelines run in parallel", () => {
    it("element-wise pipelines reading subscriptions do; the others say why not", () => {
      assert.equal(parallelBlocker(parallelMap.create({ input: sub("in"), output: topic("out"), fail_on: -1, id_attribute: "" }, { directNumWorkers: 2 })), undefined);
      assert.match(parallelBlocker(parallelMap.create({ input: topic("in"), output: topic("out"), fail_on: -1, id_attribute: "" }, { directNumWorkers: 2 }))!, /reads a Pub\/Sub topic/);
      assert.match(parallelBlocker(parallelMap.create({ input: sub("in"), output: topic("out"), fail_on: -1, id_attribute: "id" }, { directNumWorkers: 2 }))!, /deduplicates on an id attribute/);
      assert.equal(parallelBlocker(keyedCount.create({ input: sub("in") }, { directNumWorkers: 2 })), undefined, "keyed steps run behind the keyed exchange");
      assert.match(parallelBlocker(parallelMap.create({ input: sub("in"), output: topic("out"), fail_on: -1, id_attribute: "" }, { directNumWorkers: 2, checkpointDir: "/tmp/x" }))!, /--checkpoint_dir/);
      assert.match(parallelBlocker(parallelMap.create({ input: sub("in"), output: topic("out"), fail_on: -1, id_attribute: "" }, { directNumWorkers: 2, directBundleRetries: 2 }))!, /--direct_bundle_retries/);
      const scripted = Pipeline.create({ directNumWorkers: 2 });
      scripted.apply(TestStream.create<number>().addElements({ value: 1, timestamp: 0 }).advanceWatermarkToInfinity()).apply(Window.into(new FixedWindows(10)));
      assert.match(parallelBlocker(scripted)!, /definePipeline/);
    });
  });

  describe("through the Pub/Sub emulator", () => {
    let env: EmulatorEnv;
    let pubsub: PubSub;
    const { running, subscribers } = useRunCleanup();

    before(async () => {
      env = await startEmulatorEnv(["pubsub"]);
      pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    });
    after(async () => {
      await pubsub?.close();
      await env?.stop();
    });

    const setUp = async (name: string) => {
      await pubsub.createTopic(`${name}-in`);
      await pubsub.createTopic(`${name}-out`);
      await pubsub.topic(`${name}-in`).createSubscription(`${name}-in-sub`, { ackDeadlineSeconds: 10 });
      await pubsub.topic(`${name}-out`).createSubscription(`${name}-out-sub`);
      const got: { ID: number; double: number; thread: number }[] = [];
      const s = pubsub.subscription(`${name}-out-sub`);
      s.on("message", (m: Message) => {
        got.push(JSON.parse(m.data.toString()) as { ID: number; double: number; thread: number });
        m.ack();
      });
      subscribers.push(s);
      const input = pubsub.topic(`${name}-in`);
      const publish = (ids: readonly number[]) => Promise.all(ids.map((ID) => input.publishMessage({ data: Buffer.from(JSON.stringify({ ID })) })));
      return { got, publish };
    };

    const start = async (flags: { input: string; output: string; fail_on: number; id_attribute: string }): Promise<StreamingPipelineResult> => {
      const r = await parallelMap.run(flags, { directNumWorkers: 2 });
      assert.ok(isStreamingResult(r));
      running.push(r);
      return r;
    };

    it("Pub/Sub → map → Pub/Sub: every message exactly once, on both worker threads; metrics and counts add up; drain acknowledges everything", async () => {
      const { got, publish } = await setUp("pm");
      const result = await start({ input: sub("pm-in-sub"), output: topic("pm-out"), fail_on: -1, id_attribute: "" });
      // Waves until both instances have taken some (each wave goes to whichever instance pulls first).
      let sent = 0;
      for (let wave = 0; wave < 60 && (new Set(got.map((g) => g.thread)).size < 2 || sent < 1000); wave++) {
        await publish(Array.from({ length: 50 }, (_, i) => sent + i));
        sent += 50;
        await waitFor(`${sent} results`, () => got.length >= sent, 30_000);
      }
      // The run's watermark is the lowest of the instances': it follows the readers' pulls once every instance reads on.
      const caughtUp = Date.now();
      await waitFor("the output watermark to pass the last results", () => result.progress().outputWatermark >= caughtUp, 30_000);
      const readWatermark = [...result.watermarks().values()];
      assert.ok(readWatermark.length > 0 && readWatermark.every((w) => w >= caughtUp), "every PCollection's watermark moved on");
      assert.equal(await result.drain(), "DRAINED");
      const ids = got.map((g) => g.ID).sort((a, b) => a - b);
      assert.deepEqual(ids, Array.from({ length: sent }, (_, i) => i), "each input once");
      assert.ok(got.every((g) => g.double === g.ID * 2));
      const threads = new Set(got.map((g) => g.thread));
      assert.equal(threads.size, 2, `the map ran on two worker threads (saw ${[...threads].join(", ")})`);
      assert.ok(!threads.has(0), "not on the main thread");
      assert.equal(result.metrics.counterTotal("parallel", "seen"), sent, "the instances' metrics are summed");
      const progress = result.progress();
      assert.equal(progress.elementsRead, sent);
      assert.equal(progress.elementsWritten, sent);
      // Nothing is left unacknowledged on the input.
      assert.deepEqual(await pullAllText(sub("pm-in-sub")), []);
    });

    it("cancel stops every instance; a pipeline the parallel mode cannot run runs in one thread and says why", async () => {
      const { got, publish } = await setUp("pc");
      const result = await start({ input: sub("pc-in-sub"), output: topic("pc-out"), fail_on: -1, id_attribute: "" });
      await publish(Array.from({ length: 20 }, (_, i) => i));
      await waitFor("20 results", () => got.length >= 20, 30_000);
      await result.cancel();
      assert.equal(result.state, "CANCELLED");

      await pubsub.topic("pc-in").createSubscription("pc-keyed-sub");
      const notes: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => (notes.push(String(chunk)), write(chunk, ...rest))) as typeof process.stderr.write;
      let keyed: StreamingPipelineResult;
      try {
        const r = await keyedCount.run({ input: sub("pc-keyed-sub") }, { directNumWorkers: 2, directBundleRetries: 1 });
        assert.ok(isStreamingResult(r));
        keyed = r;
        running.push(keyed);
      } finally {
        process.stderr.write = write;
      }
      assert.ok(notes.some((n) => /runs this pipeline in one thread \(--direct_num_workers 2 not used\): --direct_bundle_retries/.test(n)), notes.join(""));
      await keyed.cancel();
    });

    it("an instance whose rebuilt graph differs fails the run, naming the first transform that differs", async () => {
      await setUp("pd");
      const result = await divergentMap.run({ input: sub("pd-in-sub"), output: topic("pd-out") }, { directNumWorkers: 2 });
      assert.ok(isStreamingResult(result));
      running.push(result);
      await assert.rejects(result.waitUntilFinish(), (e: Error) => {
        assert.match(e.message, /Building the pipeline twice gave different graphs/);
        assert.match(e.message, /OnlyInWorkers/);
        return true;
      });
      assert.equal(result.state, "FAILED");
    });

    it("an element failing in one instance fails the run with the step's name and cancels the other", async () => {
      const { publish } = await setUp("pf");
      const result = await start({ input: sub("pf-in-sub"), output: topic("pf-out"), fail_on: 7, id_attribute: "" });
      await publish(Array.from({ length: 20 }, (_, i) => i));
      await assert.rejects(result.waitUntilFinish(), (e: Error & { transformPath?: string }) => {
        assert.match(e.message, /cannot double 7/);
        assert.equal(e.transformPath, "Double");
        return true;
      });
      assert.equal(result.state, "FAILED");
    });
  });
});
