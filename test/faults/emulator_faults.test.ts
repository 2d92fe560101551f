/**
 * Fault suite: the Google Cloud IO through emulator restarts and injected 503s, UNAVAILABLEs and
 * timeouts (REST: the 408 and 504 the services answer when a request times out on their side;
 * Pub/Sub: DEADLINE_EXCEEDED, and a pull held past the client's deadline). Each job completes with every record exactly once, and the retries are counted
 * (the run's `beamline/gcsRetries`, `bigqueryRetries`, `pubsubRetries` and `gcpRetryCounts()`).
 *
 * Restarts happen at a fixed element (a step awaits the restart), never after a sleep; the
 * emulators keep their state in a data dir, as a real service keeps it across its restarts.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { BigQuery } from "@google-cloud/bigquery";
import { Storage } from "@google-cloud/storage";
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import "../../runners/direct";
import { DoFn, ParDo, type ProcessContext } from "../../lib";
import { WriteToBigQuery } from "../../lib/io/bigquery";
import { gcpRetryCounts, setGcpRetrySettings, type GcpRetrySettings } from "../../lib/io/gcp";
import { storageClient } from "../../lib/io/gcp/clients";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";
import type { StreamingPipelineResult } from "../../runners/streaming";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import type { EmulatedService } from "../../setup/emulators";
import { makeTempDir, waitFor, within } from "../setup/emulators/helpers";
import { pullAllText, startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";
import { runDirect } from "../helpers";

const FILES = 4;
const LINES = 500;

/** Restarts the given emulators when element `at` passes (once), then passes every element on. */
class RestartAt extends DoFn<string, string> {
  constructor(
    private readonly at: string,
    private readonly restart: () => Promise<void>,
  ) {
    super();
  }
  async process(line: string, ctx: ProcessContext<string>): Promise<void> {
    if (line === this.at) await this.restart();
    ctx.output(line);
  }
}

/** Restarts, counting how often (a redelivered element must not restart again). */
function restarter(emulators: EmulatorEnv["emulators"], services: readonly EmulatedService[]): { restarts: number; restart(): Promise<void> } {
  const r = {
    restarts: 0,
    async restart(): Promise<void> {
      if (r.restarts++ > 0) return;
      for (const service of services) await emulators.restart(service);
    },
  };
  return r;
}

describe("faults: Cloud Storage and BigQuery through emulator restarts, 503s and timeouts", function () {
  this.timeout(120_000);
  let env: EmulatorEnv;
  let dataDir: string;
  let previous: GcpRetrySettings;
  let bq: BigQuery;

  before(async () => {
    // Waits of 1 s (Storage's shortest), not 1, 2, 4...: the test is about retrying, not waiting.
    previous = setGcpRetrySettings({ maxRetryDelaySeconds: 1, retryDelayMultiplier: 1 });
    dataDir = makeTempDir("beamline-emulator-faults-");
    env = await startEmulatorEnv(["storage", "bigquery"], { dataDir });
    const storage = new Storage({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.storageEndpoint });
    const [bucket] = await storage.createBucket("faults-in");
    for (let f = 0; f < FILES; f++) {
      const lines = Array.from({ length: LINES }, (_, i) => String(f * LINES + i));
      await bucket.file(`numbers/part-${f}.txt`).save(lines.join("\n") + "\n");
    }
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("faults");
  });

  after(async () => {
    await env?.stop();
    setGcpRetrySettings(previous);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("reads gs:// text and streams rows into BigQuery: every row once, the retries counted", async () => {
    const storageFaults = env.emulators.storage!.faults;
    const bigqueryFaults = env.emulators.bigquery!.faults;
    const before = gcpRetryCounts();
    storageFaults
      .failNext("storage.objects.list", 1) // 503
      .failNext("storage.objects.get", 2) // 503s
      .failNext("storage.objects.get", 1, { status: 408 }) // Request Timeout
      .delayNext("storage.objects.get", 1, 1500); // slow: waited for
    bigqueryFaults
      .failNext("bigquery.tabledata.insertAll", 2) // 503s
      .failNext("bigquery.tabledata.insertAll", 1, { status: 504 }) // Gateway Timeout
      .resetNext("bigquery.tabledata.insertAll", 1); // the connection dropped: the repeated batch is de-duplicated by its insertIds
    const restart = restarter(env.emulators, ["storage", "bigquery"]);
    const result = await runDirect((p) => {
      p.apply("Read", ReadFromText.from("gs://faults-in/numbers/*.txt"))
        .apply("RestartEmulators", ParDo.of(new RestartAt(String(LINES + 7), () => restart.restart())))
        .map("ToRow", (line: string) => ({ N: Number(line) }))
        .apply("Write", WriteToBigQuery.to(`${TEST_PROJECT}:faults.numbers`, { schema: "N:INTEGER", method: "STREAMING_INSERTS", batchSize: 100 }));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(restart.restarts, 1, "both emulators were restarted mid-job");
    assert.deepEqual(storageFaults.pending(), [], "every storage fault was hit");
    assert.deepEqual(bigqueryFaults.pending(), [], "every BigQuery fault was hit");
    const [rows] = await bq.dataset("faults").table("numbers").getRows();
    const ns = (rows as { N: number }[]).map((r) => Number(r.N)).sort((a, b) => a - b);
    assert.equal(ns.length, FILES * LINES, "no row lost or repeated");
    assert.deepEqual(ns, Array.from({ length: FILES * LINES }, (_, i) => i));
    const after = gcpRetryCounts();
    const gcs = result.metrics.counterTotal("beamline", "gcsRetries");
    const bigquery = result.metrics.counterTotal("beamline", "bigqueryRetries");
    console.log(`      retries: gcs ${gcs} (process ${after.storage - before.storage}), bigquery ${bigquery} (process ${after.bigquery - before.bigquery})`);
    assert.ok(gcs >= 3, `the storage retries are in the run's metrics (${gcs})`);
    assert.ok(after.storage - before.storage >= 4, "with the listing's, made while the read expanded its patterns");
    assert.ok(bigquery >= 3, `the BigQuery retries are in the run's metrics (${bigquery})`);
  });
});

describe("faults: Cloud Storage and BigQuery requests accepted and never answered", function () {
  this.timeout(120_000);
  let env: EmulatorEnv;
  let previous: GcpRetrySettings;
  let bq: BigQuery;
  let storage: Storage;

  before(async () => {
    // Requests unanswered for 500 ms are given up and retried (60 s by default); waits of 1 s between attempts.
    previous = setGcpRetrySettings({ maxRetryDelaySeconds: 1, retryDelayMultiplier: 1, requestTimeoutMs: 500 });
    env = await startEmulatorEnv(["storage", "bigquery"]);
    storage = new Storage({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.storageEndpoint });
    const [bucket] = await storage.createBucket("held-in");
    await storage.createBucket("held-out");
    for (let f = 0; f < 2; f++) await bucket.file(`numbers/part-${f}.txt`).save(Array.from({ length: LINES }, (_, i) => String(f * LINES + i)).join("\n") + "\n");
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("held");
  });

  after(async () => {
    await env?.stop();
    setGcpRetrySettings(previous);
  });

  it("gives up on held listings, reads, uploads, streaming inserts and a load job's upload, retries them, and completes with every row once", async () => {
    const storageFaults = env.emulators.storage!.faults;
    const bigqueryFaults = env.emulators.bigquery!.faults;
    const before = gcpRetryCounts();
    storageFaults
      .holdNext("storage.objects.list", 1)
      .holdNext("storage.objects.get", 2)
      .holdNext("storage.objects.insert", 1); // a text shard's upload
    bigqueryFaults
      .holdNext("bigquery.tabledata.insertAll", 2) // de-duplicated by insertIds if the held batch was stored
      .holdNext("bigquery.jobs.insert", 1); // the load job's upload
    const N = 2 * LINES;
    const started = Date.now();
    const result = await runDirect((p) => {
      const rows = p.apply("Read", ReadFromText.from("gs://held-in/numbers/*.txt")).map("ToRow", (line: string) => ({ N: Number(line) }));
      rows.apply("Stream", WriteToBigQuery.to(`${TEST_PROJECT}:held.streamed`, { schema: "N:INTEGER", method: "STREAMING_INSERTS", batchSize: 250 }));
      rows.apply("Load", WriteToBigQuery.to(`${TEST_PROJECT}:held.loaded`, { schema: "N:INTEGER", method: "FILE_LOADS" }));
      rows.map("Text", (row: { N: number }) => String(row.N)).apply("WriteText", WriteToText.to("gs://held-out/numbers", { numShards: 1, suffix: ".txt" }));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    const seconds = (Date.now() - started) / 1000;
    assert.deepEqual(storageFaults.pending(), [], "every held storage request was made");
    assert.deepEqual(bigqueryFaults.pending(), [], "every held BigQuery request was made");
    const expected = Array.from({ length: N }, (_, i) => i);
    for (const table of ["streamed", "loaded"]) {
      const [rows] = await bq.dataset("held").table(table).getRows();
      assert.deepEqual((rows as { N: number }[]).map((r) => Number(r.N)).sort((a, b) => a - b), expected, `${table}: every row once`);
    }
    const [files] = await storage.bucket("held-out").getFiles({ prefix: "numbers" });
    assert.equal(files.length, 1);
    const [text] = await files[0].download();
    assert.deepEqual(text.toString().trim().split("\n").map(Number).sort((a, b) => a - b), expected, "the text output has every number once");
    const gcs = result.metrics.counterTotal("beamline", "gcsRetries");
    const bigquery = result.metrics.counterTotal("beamline", "bigqueryRetries");
    const after = gcpRetryCounts();
    console.log(`      ${seconds.toFixed(1)} s; retries: gcs ${gcs} (process ${after.storage - before.storage}), bigquery ${bigquery} (process ${after.bigquery - before.bigquery})`);
    // At least: on a loaded machine a request that was not held may also go 500 ms without a byte.
    assert.ok(after.storage - before.storage >= 4, "each held storage request counted as a retry (in the process)");
    assert.ok(after.bigquery - before.bigquery >= 3, "each held BigQuery request counted as a retry (in the process)");
    assert.ok(gcs >= 3, `the held reads and upload count in the run's metrics (${gcs}; the listing is made while the read expands its pattern)`);
    assert.ok(bigquery >= 3, `the held BigQuery requests count in the run's metrics (${bigquery})`);
  });
  it("gives up on a resumable upload's held requests (its start and its data) and retries them", async () => {
    const faults = env.emulators.storage!.faults;
    const before = gcpRetryCounts().storage;
    faults.holdNext("storage.objects.insert", 2);
    const data = Buffer.alloc(1 << 20, "x");
    const file = storageClient().bucket("held-out").file("resumable.bin");
    await new Promise<void>((resolve, reject) => file.createWriteStream({ resumable: true }).on("error", reject).on("finish", resolve).end(data));
    assert.deepEqual(faults.pending(), []);
    const [metadata] = await file.getMetadata();
    assert.equal(Number(metadata.size), data.length);
    assert.equal(metadata.md5Hash, createHash("md5").update(data).digest("base64"), "the object is whole");
    assert.ok(gcpRetryCounts().storage - before >= 2, "both held requests counted as retries");
  });
});

describe("faults: a streaming Pub/Sub job through an emulator restart, UNAVAILABLE and deadlines", function () {
  this.timeout(180_000);
  let env: EmulatorEnv;
  let dataDir: string;
  let pubsub: PubSub;
  let previous: GcpRetrySettings;

  before(async () => {
    // Waits of at most 1 s between attempts: Publish's own backoff (0.1 s × 4ⁿ) after the restart's
    // failed attempts and the injected ones waited up to ~30 s, which proves nothing more.
    previous = setGcpRetrySettings({ pubsubBackoff: { maxRetryDelayMillis: 1000, retryDelayMultiplier: 2 } });
    dataDir = makeTempDir("beamline-pubsub-faults-");
    env = await startEmulatorEnv(["pubsub"], { dataDir });
    pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
  });

  after(async () => {
    await pubsub?.close();
    await env?.stop();
    setGcpRetrySettings(previous);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("reads, transforms and publishes every message; the retries counted", async () => {
    const N = 200;
    const [input] = await pubsub.createTopic("restart-in");
    await input.createSubscription("restart-in-sub");
    const [output] = await pubsub.createTopic("restart-out");
    await output.createSubscription("restart-out-sub");
    await Promise.all(Array.from({ length: N }, (_, i) => input.publishMessage({ data: Buffer.from(`m${i}`), attributes: { id: `m${i}` } })));
    const faults = env.emulators.pubsub!.faults;
    const before = gcpRetryCounts().pubsub;
    faults
      .failNext("Pull", 2) // UNAVAILABLE
      .delayNext("Pull", 1, 10_500) // past the source's 10 s pull deadline: DEADLINE_EXCEEDED on the client
      .failNext("Publish", 1)
      .failNext("Publish", 1, { code: 4 }) // DEADLINE_EXCEEDED
      .failNext("Acknowledge", 1)
      .failNext("ModifyAckDeadline", 1);
    const restart = restarter(env.emulators, ["pubsub"]);
    const result = await runDirect((p) => {
      p.apply("Read", ReadFromPubSub.from({ subscription: "restart-in-sub", idAttribute: "id" }))
        .map("Text", (data: Uint8Array) => Buffer.from(data).toString())
        .apply("RestartEmulator", ParDo.of(new RestartAt("m50", () => restart.restart())))
        .map("Upper", (text: string) => ({ data: Buffer.from(text.toUpperCase()), attributes: { id: text } }))
        .apply("Write", WriteToPubSub.to("restart-out", { withAttributes: true }));
    });
    const streaming = result as StreamingPipelineResult;
    try {
      // ~13 s alone (a pull held 10.5 s, the restart, the clients' backoff).
      await waitFor(`${N} results published`, () => streaming.progress().elementsWritten >= N, 100_000).catch((e: Error) => {
        const p = streaming.progress();
        throw new Error(`${e.message}: run ${streaming.state}, ${p.elementsRead} read, ${p.elementsWritten} written, faults not yet hit: ${JSON.stringify(faults.pending())}`);
      });
      await waitFor("every injected fault to be hit", () => faults.pending().length === 0, 20_000);
      assert.equal(await within("drain", 20_000, streaming.drain()), "DRAINED");
    } finally {
      if (streaming.state === "RUNNING" || streaming.state === "DRAINING") await streaming.cancel().catch(() => undefined);
    }
    assert.equal(restart.restarts >= 1, true);
    const got = await pullAllText("restart-out-sub", "id");
    assert.deepEqual(got.sort(), Array.from({ length: N }, (_, i) => `M${i}`).sort(), "every message once (read by its id, as Beam's Pub/Sub source de-duplicates)");
    const retried = gcpRetryCounts().pubsub - before;
    const inRun = result.metrics.counterTotal("beamline", "pubsubRetries");
    console.log(`      retries: pubsub ${inRun} in the run's metrics (process ${retried}); restarts ${restart.restarts}`);
    assert.ok(retried >= 4, `the failed attempts counted as retries (${retried})`);
    // Acknowledgements in flight when the emulator restarted are lost (their ack ids die with it), so
    // those messages come back, as Pub/Sub redelivers after any lost ack: at-least-once delivery. They
    // were all processed: their results are in the output above.
    const redelivered = await pullAllText("restart-in-sub");
    for (const text of redelivered) assert.ok(got.includes(text.toUpperCase()), `${text}, left behind, was processed`);
    console.log(`      ${redelivered.length} messages whose acknowledgement the restart lost were redelivered (all already processed)`);
  });
});
