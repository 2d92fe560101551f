/**
 * The MNIST producer (the original producerMnistPubSup.py): publishes each row of mnist.csv as a
 * JSON message `{"ID": <int>, "Image": "<784 comma-separated values>"}` to the images topic, one
 * every 0.1 s by default, printing `Image with key <ID> is sent`.
 *
 *     node dist/setup/mnist/producer.js [--topic projects/P/topics/mnist_image] [--csv out/mnist/mnist.csv]
 *         [--rate 10] [--limit N] [--project P]
 *
 * Works against Google Cloud (Application Default Credentials) or the Pub/Sub emulator
 * (PUBSUB_EMULATOR_HOST). Stops after the last row, or on Ctrl-C.
 */
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pubsubClient, resetGcpClients } from "../../lib/io/gcp/clients";
import { DEFAULT_DATA_DIR, readCsvRows } from "./mnist_data";
import { ensureCsv, TOPICS } from "./setup_gcp";
import { flagValue } from "./cli";

export interface ProducerOptions {
  readonly topic: string;
  readonly csv: string;
  /** Messages per second (default 10). */
  readonly rate?: number;
  /** Stop after this many messages. */
  readonly limit?: number;
  readonly project?: string;
  /** Called after each publish completes (default: prints `Image with key <ID> is sent`). */
  readonly onSent?: (id: number, sentAt: number) => void;
  /** Called just before each message is published. */
  readonly onPublish?: (id: number, at: number) => void;
  readonly signal?: AbortSignal;
}

/** Publishes the CSV's rows at the given rate; resolves with the number of messages sent. */
export async function produce(o: ProducerOptions): Promise<number> {
  const rate = o.rate ?? 10;
  if (!(rate > 0)) throw new Error(`--rate must be a positive number of messages per second, got ${rate}`);
  const topic = pubsubClient(o.project).topic(o.topic, { batching: { maxMessages: 100, maxMilliseconds: 5 } });
  const onSent = o.onSent ?? ((id: number) => process.stdout.write(`Image with key ${id} is sent\n`));
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  try {
    for await (const row of readCsvRows(o.csv)) {
      if (o.signal?.aborted || (o.limit !== undefined && sent >= o.limit)) break;
      // Message i leaves at start + i / rate: the rate holds on average even when timers are late.
      const due = started + (sent * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const id = Number(row["ID"]);
      const data = Buffer.from(JSON.stringify({ ID: id, Image: row["Image"] }), "utf8");
      o.onPublish?.(id, Date.now());
      const p = topic.publishMessage({ data }).then(() => {
        onSent(id, Date.now());
        inFlight.delete(p);
      });
      inFlight.add(p);
      sent++;
      if (inFlight.size >= 5000) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await topic.flush().catch(() => undefined);
  }
  return sent;
}


if (require.main === module) {
  const argv = process.argv.slice(2);
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  const limit = flagValue(argv, "limit");
  const project = flagValue(argv, "project");
  (async () => {
    const csv = await ensureCsv(path.resolve(flagValue(argv, "csv") ?? path.join(DEFAULT_DATA_DIR, "mnist.csv")));
    const n = await produce({
      topic: flagValue(argv, "topic") ?? TOPICS.images,
      csv,
      rate: Number(flagValue(argv, "rate") ?? 10),
      signal: controller.signal,
      ...(limit !== undefined ? { limit: Number(limit) } : {}),
      ...(project !== undefined ? { project } : {}),
    });
    process.stderr.write(`producer: sent ${n} images\n`);
  })()
    .catch((e: Error) => {
      process.stderr.write(`producer FAILED: ${e.message}\n`);
      process.exitCode = 1;
    })
    .finally(() => void resetGcpClients());
}
