import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Message } from "@google-cloud/pubsub";
import "../../runners/direct";
import { pubsubClient } from "../../lib/io/gcp/clients";
import { isStreamingResult, type StreamingPipelineResult } from "../../lib";
import { mnistPubSub } from "../../pipelines/mnist_pubsub";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { readLabels, writeMnistCsv } from "../../setup/mnist/mnist_data";
import { produce } from "../../setup/mnist/producer";
import { bestDigit, consume, type Consumer, type Prediction } from "../../setup/mnist/consumer";
import { waitFor, within } from "../setup/emulators/helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";

const topic = (t: string) => `projects/${TEST_PROJECT}/topics/${t}`;

describe("pipelines/mnist_pubsub against the Pub/Sub emulator", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let dir: string;
  let run: StreamingPipelineResult | undefined;
  const consumers: Consumer[] = [];

  before(async () => {
    env = await startEmulatorEnv(["pubsub"]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-pubsub-"));
    const pubsub = pubsubClient(TEST_PROJECT);
    for (const t of ["images", "predictions", "dead"]) await pubsub.createTopic(t);
    await pubsub.topic("images").createSubscription("images-sub");
    await pubsub.topic("predictions").createSubscription("predictions-sub");
    await pubsub.topic("dead").createSubscription("dead-sub");
  });

  after(async () => {
    if (run !== undefined && (run.state === "RUNNING" || run.state === "DRAINING")) await run.cancel().catch(() => undefined);
    for (const c of consumers) await c.stop().catch(() => undefined);
    await env?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("turns published images into predictions and every kind of bad message into a dead letter with its reason, without stopping", async () => {
    const N = 20;
    const files = await writeMnistCsv(dir, N);
    const labels = await readLabels(files.labels);
    const predictions: Prediction[] = [];
    const dead: Message[] = [];
    consumers.push(consume({ subscription: "predictions-sub", project: TEST_PROJECT, onPrediction: (p) => predictions.push(p) }));
    const deadSub = pubsubClient(TEST_PROJECT).subscription("dead-sub");
    deadSub.on("message", (m: Message) => {
      dead.push(m);
      m.ack();
    });
    consumers.push({ stop: () => deadSub.close() });

    const result = await mnistPubSub.run(
      { input: `projects/${TEST_PROJECT}/subscriptions/images-sub`, output: topic("predictions"), dead_letter: topic("dead"), model: DEFAULT_MODEL, tfjs_backend: "auto", max_batch_size: 256, inference_threads: "0" },
      { streaming: true },
    );
    assert.ok(isStreamingResult(result));
    run = result;
    assert.equal(result.state, "RUNNING");

    const sentLines: string[] = [];
    assert.equal(await produce({ topic: "images", csv: files.csv, project: TEST_PROJECT, rate: 1000, onSent: (id) => sentLines.push(`Image with key ${id} is sent`) }), N);
    assert.deepEqual(sentLines.sort(), Array.from({ length: N }, (_, i) => `Image with key ${i} is sent`).sort());
    const zeros = Array.from({ length: 784 }, () => "0");
    const bad: [string, string][] = [
      ["not json at all", "the message is not JSON: "],
      ["[1, 2, 3]", "the message is not a JSON object with ID and Image (got an array)"],
      [JSON.stringify({ ID: 100 }), "the message has no Image"],
      [JSON.stringify({ Image: zeros.join(",") }), "the message has no ID"],
      [JSON.stringify({ ID: 101, Image: "0.1,0.2,0.3" }), "Image has 3 values; a 28x28 image has 784"],
      [JSON.stringify({ ID: 102, Image: zeros.map((z, i) => (i === 5 ? "1.5" : z)).join(",") }), "Image value 5 is 1.5, outside 0..1 (pixels are normalised grey levels)"],
      [JSON.stringify({ ID: 103, Image: zeros.map((z, i) => (i === 9 ? "dark" : z)).join(",") }), 'Image value 9 is "dark", not a number'],
    ];
    const images = pubsubClient(TEST_PROJECT).topic("images");
    for (const [data] of bad) await images.publishMessage({ data: Buffer.from(data) });

    await waitFor(`${N} predictions`, () => predictions.length >= N, 30_000);
    await waitFor(`${bad.length} dead letters`, () => dead.length >= bad.length, 10_000);
    // Still running: later images are predicted too.
    assert.equal(result.state, "RUNNING");
    await images.publishMessage({ data: Buffer.from(JSON.stringify({ ID: 7000, Image: zeros.join(",") })) });
    await waitFor("a prediction after the bad messages", () => predictions.some((p) => p.ID === 7000), 10_000);

    assert.equal(await within("drain", 20_000, result.drain()), "DRAINED");
    const byId = new Map(predictions.map((p) => [p.ID, p]));
    assert.equal(predictions.length, N + 1, "one prediction per good message, no duplicates");
    let right = 0;
    for (let id = 0; id < N; id++) {
      const p = byId.get(id)!;
      assert.ok(p !== undefined, `a prediction for ${id}`);
      const sum = Array.from({ length: 10 }, (_, k) => p[`P${k}`]!).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) <= 1e-4, `probabilities of ${id} sum to 1`);
      if (bestDigit(p).digit === labels.get(id)) right++;
    }
    assert.ok(right >= N - 1, `digits recognised: ${right}/${N}`);

    assert.equal(dead.length, bad.length, "one dead letter per bad message");
    for (const [data, reason] of bad) {
      const m = dead.find((d) => d.data.toString() === data || (JSON.parse(d.data.toString().startsWith("{") ? d.data.toString() : "{}") as { ID?: number }).ID === (data.startsWith("{") ? (JSON.parse(data) as { ID?: number }).ID ?? -1 : -2));
      assert.ok(m !== undefined, `a dead letter for ${data.slice(0, 40)}`);
      assert.ok(m.attributes["reason"]!.startsWith(reason), `reason of ${data.slice(0, 40)}: ${m.attributes["reason"]}`);
      assert.match(m.attributes["failed_step"]!, /^mnist_pubsub\/(toDict|Prediction\/ParseImage)$/);
    }
    const counted = result.metrics.counters().filter((c) => c.namespace === "mnist_pubsub" && c.name === "dead_letters").reduce((a, c) => a + c.value, 0);
    assert.equal(counted, bad.length, "dead letters are counted");
  });
});
