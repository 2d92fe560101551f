/**
 * Streaming Pub/Sub on real Beam runners over LOOPBACK (Prism, Beam Python's job service), against
 * our Pub/Sub emulator: the read runs as a splittable DoFn in our worker (self-checkpointing each
 * bundle, acknowledging in bundle finalization). Each runner's test is skipped unless its
 * launcher's variable is set (real_runners.test.ts).
 */
import { strict as assert } from "node:assert";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { PubSubReader } from "../../lib/io/pubsub";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";
import { pubsubUpperProgram, pubsubWindowedCountProgram } from "./pubsub_programs";
import { mnistPubSub } from "../../pipelines/mnist_pubsub";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { readLabels, writeMnistCsv } from "../../setup/mnist/mnist_data";
import { produce } from "../../setup/mnist/producer";
import { bestDigit, consume, type Prediction } from "../../setup/mnist/consumer";
import { startRunner, stopRunner } from "./real_runner_launch";
import { waitFor } from "../setup/emulators/helpers";

const N = 300;

interface RealRunner {
  readonly name: string;
  readonly envVar: string;
  readonly ready: RegExp;
  /** Why the runner cannot aggregate an unbounded read by event-time windows, if it cannot. */
  readonly noWatermarkedAggregation?: string;
}

const RUNNERS: readonly RealRunner[] = [
  { name: "Prism", envVar: "BEAMLINE_PRISM", ready: /PRISM_READY (\S+)/ },
  {
    name: "Beam Python's job service",
    envVar: "BEAMLINE_BEAM_PYTHON_JOB_SERVER",
    ready: /BEAMPY_JOB_SERVER_READY (\S+)/,
    // Beam 2.66's FnApiRunner schedules a stage's output buffers for the next stage at
    // MAX_TIMESTAMP (fn_runner.py _execute_bundle: watermark_pending_inputs), i.e. once the input
    // is complete, which an unbounded read never is: nothing after the GroupByKey runs.
    noWatermarkedAggregation: "its FnApiRunner runs the stage after a grouping only once the grouping's input is complete",
  },
];

for (const runner of RUNNERS) describe(`On a real Beam runner: ${runner.name} (LOOPBACK), streaming Pub/Sub`, function () {
  this.timeout(120_000);
  const launcher = process.env[runner.envVar];
  let child: ChildProcess | undefined;
  let endpoint = "";
  const runnerLog: string[] = [];

  before(async function () {
    if (launcher === undefined || launcher === "" || !fs.existsSync(launcher)) {
      console.log(`      (skipped: set ${runner.envVar} to the runner's launcher to run these)`);
      this.skip();
    }
    ({ child, endpoint } = await startRunner(launcher!, runner.ready, runnerLog));
  });
  const emulator = usePubSubEmulator();
  after(async () => {
    if (child !== undefined) await stopRunner(child);
  });

  /** Pulls (and acknowledges) what `subscription` has, until a pull of `quietMs` brings nothing. */
  const drain = async (subscription: string, quietMs: number): Promise<string[]> => {
    const reader = await PubSubReader.open({ subscription });
    const got: string[] = [];
    try {
      for (;;) {
        const batch = await reader.pull(1000, quietMs);
        if (batch.length === 0) return got;
        got.push(...batch.map((m) => Buffer.from(m.value).toString()));
        await reader.commit(batch.map((m) => m.ackId));
      }
    } finally {
      await reader.close();
    }
  };

  it(`read → map → WriteToPubSub delivers all ${N} messages transformed, acknowledges them, and its worker stops on cancel`, async () => {
    const { pubsub, env } = emulator;
    const faults = env.emulators.pubsub!.faults;
    await pubsub.createTopic("rr-in");
    await pubsub.createTopic("rr-out");
    await pubsub.topic("rr-in").createSubscription("rr-in-sub", { ackDeadlineSeconds: 10 });
    await pubsub.topic("rr-out").createSubscription("rr-out-sub");
    const sub = (s: string) => `projects/${TEST_PROJECT}/subscriptions/${s}`;
    const p = pubsubUpperProgram.create(
      { input: sub("rr-in-sub"), output: `projects/${TEST_PROJECT}/topics/rr-out` },
      { runner: "PortableRunner", jobName: "pubsub-upper", streaming: true, extra: { job_endpoint: endpoint, environment_type: "LOOPBACK" } },
    );
    const lines: string[] = [];
    const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
    const diagnostics = () => `\n--- job messages ---\n${lines.join("\n")}\n--- runner log (tail) ---\n${runnerLog.join("").slice(-3000)}`;
    const sent = Array.from({ length: N }, (_, i) => `message-${i}`);
    try {
      const publishedAt = Date.now();
      const topic = pubsub.topic("rr-in");
      await Promise.all(sent.map((m) => topic.publishMessage({ data: Buffer.from(m) })));

      // Collect the outputs until all N distinct ones arrived (or the time runs out).
      const got: string[] = [];
      let firstAt: number | undefined;
      const outReader = await PubSubReader.open({ subscription: sub("rr-out-sub") });
      try {
        const deadline = Date.now() + 90_000;
        while (new Set(got).size < N && Date.now() < deadline) {
          const batch = await outReader.pull(1000, 2000);
          if (batch.length > 0) firstAt ??= Date.now();
          // Not acknowledged (held until close), so the only Acknowledge requests are the job's.
          got.push(...batch.map((m) => Buffer.from(m.value).toString()));
        }
      } finally {
        await outReader.close();
      }
      const distinct = new Set(got);
      console.log(`      (${distinct.size}/${N} delivered, ${got.length - distinct.size} duplicates, first output ${firstAt !== undefined ? firstAt - publishedAt : "-"} ms after publishing)`);
      assert.deepEqual([...distinct].sort(), sent.map((m) => m.toUpperCase()).sort(), `outputs${diagnostics()}`);
      // Acknowledged in bundle finalization, which follows the bundle's commit in the runner.
      await waitFor("the read's acknowledgements", () => faults.calls("Acknowledge") > 0, 30_000).catch(() => undefined);
      assert.ok(faults.calls("Acknowledge") > 0, "the read acknowledged messages");
    } finally {
      await result.cancel();
    }
    await assert.rejects(result.waitUntilFinish(), /ended CANCELLED/);
    assert.equal(result.state, "CANCELLED");
    // The worker is gone: while we read the input subscription, nobody else pulls it. What the job
    // read was acknowledged once its bundle was finalized; only messages of a bundle not yet
    // finalized when the job was cancelled come back (the stopped worker nacked them): at-least-once.
    const pullsBefore = faults.calls("Pull");
    const left = await drain(sub("rr-in-sub"), 1500);
    assert.equal(faults.calls("Pull") - pullsBefore, left.length === 0 ? 1 : 2, `no Pull but ours: the worker stopped (${left.length} left)`);
    console.log(`      (${left.length} message(s) of a bundle not finalized before the cancel redelivered)`);
    assert.ok(left.length < N / 2 && left.every((m) => sent.includes(m)), `redelivered after cancel: ${left.length}`);
  });
  it("mnist_pubsub predicts every published image (DEFAULT_MODEL) until cancelled", async () => {
    const { pubsub } = emulator;
    const M = 20;
    for (const t of ["mnist-images", "mnist-predictions"]) await pubsub.createTopic(t);
    await pubsub.topic("mnist-images").createSubscription("mnist-images-sub");
    await pubsub.topic("mnist-predictions").createSubscription("mnist-predictions-sub");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-rr-mnist-"));
    const predictions: Prediction[] = [];
    const consumer = consume({ subscription: "mnist-predictions-sub", project: TEST_PROJECT, onPrediction: (p) => predictions.push(p) });
    const lines: string[] = [];
    const p = mnistPubSub.create(
      {
        input: `projects/${TEST_PROJECT}/subscriptions/mnist-images-sub`,
        output: `projects/${TEST_PROJECT}/topics/mnist-predictions`,
        dead_letter: undefined,
        model: DEFAULT_MODEL,
        tfjs_backend: "auto",
        max_batch_size: 256,
        inference_threads: "0",
      },
      { runner: "PortableRunner", jobName: "mnist-pubsub", streaming: true, extra: { job_endpoint: endpoint, environment_type: "LOOPBACK" } },
    );
    const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
    try {
      const files = await writeMnistCsv(dir, M);
      const labels = await readLabels(files.labels);
      assert.equal(await produce({ topic: "mnist-images", csv: files.csv, project: TEST_PROJECT, rate: 1000, onSent: () => undefined }), M);
      await waitFor(`${M} predictions`, () => new Set(predictions.map((x) => x.ID)).size >= M || result.state !== "RUNNING", 60_000).catch(() => undefined);
      const ids = new Set(predictions.map((x) => x.ID));
      console.log(`      (${ids.size}/${M} predicted, ${predictions.length - ids.size} duplicates)`);
      assert.equal(ids.size, M, `predictions\n--- job messages ---\n${lines.join("\n")}\n--- runner log (tail) ---\n${runnerLog.join("").slice(-3000)}`);
      const right = [...ids].filter((id) => bestDigit(predictions.find((x) => x.ID === id)!).digit === labels.get(Number(id))).length;
      assert.ok(right >= M - 1, `digits recognised: ${right}/${M}`);
    } finally {
      await result.cancel();
      await consumer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(result.waitUntilFinish(), /ended CANCELLED/);
  });
  it("read → 1 s fixed windows → Count → WriteToPubSub: the read's watermark closes the windows, every message counted once", async function () {
    if (runner.noWatermarkedAggregation !== undefined) {
      console.log(`      (skipped: ${runner.noWatermarkedAggregation})`);
      this.skip();
    }
    const { pubsub } = emulator;
    await pubsub.createTopic("win-in");
    await pubsub.createTopic("win-out");
    await pubsub.topic("win-in").createSubscription("win-in-sub", { ackDeadlineSeconds: 10 });
    await pubsub.topic("win-out").createSubscription("win-out-sub");
    const p = pubsubWindowedCountProgram.create(
      { input: `projects/${TEST_PROJECT}/subscriptions/win-in-sub`, output: `projects/${TEST_PROJECT}/topics/win-out` },
      { runner: "PortableRunner", jobName: "pubsub-windowed-count", streaming: true, extra: { job_endpoint: endpoint, environment_type: "LOOPBACK" } },
    );
    const lines: string[] = [];
    const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
    const W = 200;
    const counts: number[] = [];
    try {
      const topic = pubsub.topic("win-in");
      await Promise.all(Array.from({ length: W }, (_, i) => topic.publishMessage({ data: Buffer.from(`m${i}`) })));
      const reader = await PubSubReader.open({ subscription: `projects/${TEST_PROJECT}/subscriptions/win-out-sub` });
      try {
        const deadline = Date.now() + 60_000;
        while (counts.reduce((a, b) => a + b, 0) < W && Date.now() < deadline) {
          const batch = await reader.pull(100, 2000);
          counts.push(...batch.map((m) => Number(Buffer.from(m.value).toString())));
          await reader.commit(batch.map((m) => m.ackId));
        }
      } finally {
        await reader.close();
      }
      console.log(`      (${counts.length} window(s) fired, counts ${counts.join("+")})`);
      assert.equal(counts.reduce((a, b) => a + b, 0), W, `every message counted once\n--- job messages ---\n${lines.join("\n")}\n--- runner log (tail) ---\n${runnerLog.join("").slice(-3000)}`);
    } finally {
      await result.cancel();
    }
    await assert.rejects(result.waitUntilFinish(), /ended CANCELLED/);
  });
});
