/**
 * Hardening of the emulators against hostile or broken requests: bounded bodies and gzip
 * inflation, deep JSON, the real services' size limits and errors, and an error boundary that
 * answers and keeps serving (all three emulators share one process, so one crash would take all).
 */
import { strict as assert } from "node:assert";
import * as zlib from "node:zlib";
import { BigQuery } from "@google-cloud/bigquery";
import { PubSub } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import * as grpc from "@grpc/grpc-js";
import { PassThroughClient } from "google-auth-library";
import { startEmulators, type RunningEmulators } from "../../../setup/emulators";
import { isolateFromGoogleCredentials, makeTempDir, postJson, rawRequest, within } from "./helpers";

const PROJECT = "beamline-test";
const TEN_MIB = 10 * 1024 * 1024;

describe("emulators: request limits and crash resistance", function () {
  this.timeout(60_000);
  let restoreEnv: () => void;
  let emulators: RunningEmulators;
  let bq: string;
  let gcs: string;

  /** Every service still answers: the process survived whatever came before. */
  const assertAllServing = async (): Promise<void> => {
    assert.equal((await rawRequest(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`)).status, 200);
    assert.equal((await rawRequest(`${gcs}/storage/v1/b?project=${PROJECT}`)).status, 200);
    const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    try {
      await pubsub.getTopics();
    } finally {
      await pubsub.close();
    }
  };

  before(async () => {
    restoreEnv = isolateFromGoogleCredentials();
    emulators = await startEmulators({ dataDir: makeTempDir("beamline-limits-") });
    bq = emulators.bigqueryEndpoint!;
    gcs = emulators.storageEndpoint!;
  });

  after(async () => {
    await emulators?.stop();
    restoreEnv();
  });

  it("refuses JSON nested 10,000 deep with a 400, keeps serving, and still saves its state", async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    const bqReply = await postJson(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, `{"datasetReference":{"datasetId":"deep"},"description":${deep}}`);
    assert.equal(bqReply.status, 400);
    assert.match(bqReply.body, /nesting deeper than 500 levels/);
    const gcsReply = await postJson(`${gcs}/storage/v1/b?project=${PROJECT}`, `{"name":"deep-bucket","labels":${deep}}`);
    assert.equal(gcsReply.status, 400);
    // JSON within the limit is fine, and the snapshot timer (which used to overflow the stack) runs after it.
    const ok = await postJson(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, `{"datasetReference":{"datasetId":"nested_ok"},"description":"x","labels":{"k":"v"},"access":${"[".repeat(400)}${"]".repeat(400)}}`);
    assert.equal(ok.status, 200, ok.body);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await assertAllServing();
  });

  it("caps JSON bodies at 10 MiB with the front end's error, before reading them (declared) or while reading (chunked)", async () => {
    const big = Buffer.alloc(TEN_MIB + 1, 0x20);
    const declared = await rawRequest(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, { method: "POST", body: big, headers: { "content-type": "application/json" } }).catch((e: Error) => e);
    // The server answers at once and closes; the client may see the answer or, still writing, a closed connection.
    if (!(declared instanceof Error)) {
      assert.equal(declared.status, 400);
      assert.match(declared.body, /Request payload size exceeds the limit: 10485760 bytes\./);
    }
    const chunked = await rawRequest(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, { method: "POST", body: big, headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }).catch((e: Error) => e);
    if (!(chunked instanceof Error)) assert.equal(chunked.status, 400);
    await assertAllServing();
  });

  it("inflates a gzip body only up to the cap (a 20 MiB bomb in ~20 KiB), and refuses a non-gzip body sent as gzip", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(2 * TEN_MIB, 0x20), { level: 9 });
    assert.ok(bomb.length < 64 * 1024);
    const before = process.memoryUsage().rss;
    const reply = await rawRequest(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, { method: "POST", body: bomb, headers: { "content-type": "application/json", "content-encoding": "gzip" } });
    assert.equal(reply.status, 400);
    assert.match(reply.body, /Request payload size exceeds the limit/);
    assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, "the bomb was not inflated in full");
    const notGzip = await postJson(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, "");
    assert.equal(notGzip.status, 400);
    const plain = await rawRequest(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, { method: "POST", body: '{"datasetReference":{"datasetId":"g"}}', headers: { "content-type": "application/json", "content-encoding": "gzip" } });
    assert.equal(plain.status, 400);
    assert.match(plain.body, /not valid gzip/);
    // A real gzip body still works.
    const zipped = await rawRequest(`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, { method: "POST", body: zlib.gzipSync('{"datasetReference":{"datasetId":"gzipped"}}'), headers: { "content-type": "application/json", "content-encoding": "gzip" } });
    assert.equal(zipped.status, 200, zipped.body);
  });

  it("answers 400 (not 500) for rows: [null], sourceObjects: [null] and wrongly typed fields", async () => {
    const storage = new Storage({ projectId: PROJECT, apiEndpoint: gcs });
    await storage.createBucket("typed");
    await storage.bucket("typed").file("x").save("x", { resumable: false });
    const bigquery = new BigQuery({ projectId: PROJECT, apiEndpoint: bq, authClient: new PassThroughClient() });
    await bigquery.createDataset("typed");
    await bigquery.dataset("typed").createTable("t", { schema: "a:STRING" });
    const cases: [string, string, unknown][] = [
      [`${bq}/bigquery/v2/projects/${PROJECT}/datasets/typed/tables/t/insertAll`, "POST", { rows: [null] }],
      [`${bq}/bigquery/v2/projects/${PROJECT}/datasets/typed/tables/t/insertAll`, "POST", { rows: "x" }],
      [`${bq}/bigquery/v2/projects/${PROJECT}/datasets`, "POST", { datasetReference: "d" }],
      [`${bq}/bigquery/v2/projects/${PROJECT}/datasets/typed/tables`, "POST", { tableReference: { tableId: "u" }, schema: { fields: [{ name: "a", type: 5 }] } }],
      [`${bq}/bigquery/v2/projects/${PROJECT}/queries`, "POST", { query: "SELECT @p", queryParameters: [null] }],
      [`${bq}/bigquery/v2/projects/${PROJECT}/jobs`, "POST", { configuration: { query: { query: 7 } } }],
      [`${gcs}/storage/v1/b/typed/o/y/compose`, "POST", { sourceObjects: [null] }],
      [`${gcs}/storage/v1/b/typed/o/y/compose`, "POST", { sourceObjects: [{ name: 3 }] }],
      [`${gcs}/storage/v1/b/typed/o/x`, "PATCH", { metadata: { k: { deep: 1 } } }],
      [`${gcs}/storage/v1/b?project=${PROJECT}`, "POST", { name: ["b"] }],
    ];
    for (const [url, method, body] of cases) {
      const reply = await postJson(url, body, method);
      assert.equal(reply.status, 400, `${method} ${url} ${JSON.stringify(body)} → ${reply.status} ${reply.body}`);
    }
  });

  it("fuzzed request bodies never get a 500 and never stop the emulators", async () => {
    const storage = new Storage({ projectId: PROJECT, apiEndpoint: gcs });
    await storage.createBucket("fuzz");
    const [file] = await storage.bucket("fuzz").file("x").save("hello", { resumable: false }).then(() => storage.bucket("fuzz").file("x").getMetadata());
    const bigquery = new BigQuery({ projectId: PROJECT, apiEndpoint: bq, authClient: new PassThroughClient() });
    await bigquery.createDataset("fuzz");
    await bigquery.dataset("fuzz").createTable("t", { schema: "a:STRING,n:INTEGER" });
    const p = `${bq}/bigquery/v2/projects/${PROJECT}`;
    const templates: [string, string, Record<string, unknown>][] = [
      ["POST", `${p}/datasets`, { datasetReference: { datasetId: "fz", projectId: PROJECT }, location: "US", labels: { a: "b" } }],
      ["POST", `${p}/datasets/fuzz/tables`, { tableReference: { tableId: "fz" }, schema: { fields: [{ name: "a", type: "RECORD", mode: "NULLABLE", fields: [{ name: "b", type: "INT64" }] }] } }],
      ["PATCH", `${p}/datasets/fuzz/tables/t`, { schema: { fields: [{ name: "a", type: "STRING" }, { name: "n", type: "INTEGER" }] }, description: "d" }],
      ["POST", `${p}/datasets/fuzz/tables/t/insertAll`, { rows: [{ insertId: "i", json: { a: "x", n: 1 } }], skipInvalidRows: true, ignoreUnknownValues: false }],
      ["POST", `${p}/queries`, { query: "SELECT @n AS n", parameterMode: "NAMED", queryParameters: [{ name: "n", parameterType: { type: "INT64" }, parameterValue: { value: "1" } }], timeoutMs: 2000, maxResults: 5, formatOptions: { useInt64Timestamp: true }, defaultDataset: { datasetId: "fuzz" } }],
      ["POST", `${p}/jobs`, { jobReference: { jobId: "fz", location: "US" }, configuration: { query: { query: "SELECT a FROM fuzz.t", useLegacySql: false, destinationTable: { projectId: PROJECT, datasetId: "fuzz", tableId: "dst" }, writeDisposition: "WRITE_TRUNCATE" }, jobTimeoutMs: "5000" } }],
      ["POST", `${gcs}/storage/v1/b?project=${PROJECT}`, { name: "fz-bucket", location: "US", storageClass: "STANDARD", labels: { a: "b" } }],
      ["PATCH", `${gcs}/storage/v1/b/fuzz`, { labels: { a: "b", c: null }, storageClass: "NEARLINE" }],
      ["PATCH", `${gcs}/storage/v1/b/fuzz/o/x`, { contentType: "text/plain", cacheControl: "no-cache", metadata: { k: "v" } }],
      ["POST", `${gcs}/storage/v1/b/fuzz/o/y/compose`, { sourceObjects: [{ name: "x", generation: String(file.generation) }], destination: { contentType: "text/plain", metadata: { k: "v" } } }],
      ["POST", `${gcs}/storage/v1/b/fuzz/o/x/rewriteTo/b/fuzz/o/z`, { contentType: "text/plain", metadata: { k: "v" } }],
      ["POST", `${gcs}/upload/storage/v1/b/fuzz/o?uploadType=resumable&name=r`, { name: "r", contentType: "text/plain", metadata: { k: "v" } }],
    ];
    const replacements: unknown[] = [null, 0, 1e308, "x", true, [], {}, [null]];
    let sent = 0;
    for (const [method, url, template] of templates) {
      for (const path of paths(template)) {
        for (const value of replacements) {
          const reply = await postJson(url, replaceAt(template, path, value), method);
          sent++;
          assert.ok(reply.status < 500, `${method} ${url} with ${path.join(".")} = ${JSON.stringify(value)} → ${reply.status} ${reply.body}`);
        }
      }
      for (const garbage of ["{", "[1,2]", "null", '"x"', "\u0000\u00ff", Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString("latin1")]) {
        const reply = await postJson(url, garbage, method);
        sent++;
        assert.ok(reply.status >= 400 && reply.status < 500, `${method} ${url} with ${JSON.stringify(garbage)} → ${reply.status} ${reply.body}`);
      }
    }
    assert.ok(sent > 400, `sent ${sent} mutated requests`);
    await assertAllServing();
  });

  it("Pub/Sub accepts messages up to 10 MB and refuses larger ones at once with the service's INVALID_ARGUMENT", async () => {
    const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    try {
      const [topic] = await pubsub.createTopic("sizes");
      const [sub] = await topic.createSubscription("sizes-sub");
      const id = await topic.publishMessage({ data: Buffer.alloc(5_000_000, 1) });
      assert.match(id, /^\d+$/);
      await topic.publishMessage({ data: Buffer.alloc(10_000_000, 2) });
      const started = Date.now();
      const err = await within("the oversized publish to fail", 20_000, topic.publishMessage({ data: Buffer.alloc(11_000_000, 3) }).then(() => undefined, (e: Error & { code?: number }) => e));
      assert.ok(err, "an 11 MB message is refused");
      assert.equal(err.code, 3, "INVALID_ARGUMENT, which the client does not retry");
      assert.match(err.message, /Request payload size exceeds the limit: 10485760 bytes\./);
      assert.ok(Date.now() - started < 10_000);
      // Both accepted messages are delivered whole (each response stays under what the client accepts).
      const received: number[] = [];
      await within(
        "both large messages",
        20_000,
        new Promise<void>((resolve, reject) => {
          sub.on("message", (m: { data: Buffer; ack(): void }) => {
            received.push(m.data.length);
            m.ack();
            if (received.length === 2) resolve();
          });
          sub.on("error", reject);
        }),
      );
      await sub.close();
      assert.deepEqual(received.sort((a, b) => a - b), [5_000_000, 10_000_000]);
    } finally {
      await pubsub.close();
    }
  });
});

describe("emulators: malformed gRPC requests to Pub/Sub", function () {
  this.timeout(20_000);

  it("answers undecodable Publish and Acknowledge bytes with an error status and keeps serving", async () => {
    const emulators = await startEmulators({ services: ["pubsub"] });
    const client = new grpc.Client(emulators.pubsubHost!, grpc.credentials.createInsecure());
    const call = (method: string, bytes: Buffer): Promise<grpc.ServiceError | undefined> =>
      new Promise((resolve) => {
        client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => resolve(err ?? undefined));
      });
    try {
      for (const bytes of [Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0x0a, 0x7f, 0x01]), Buffer.from([0x12, 0x05, 0x0a, 0xff])]) {
        for (const method of ["/google.pubsub.v1.Publisher/Publish", "/google.pubsub.v1.Subscriber/Acknowledge"]) {
          const err = await call(method, bytes);
          assert.ok(err !== undefined && err.code !== grpc.status.OK, `${method} with ${bytes.toString("hex")} fails`);
        }
      }
      const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
      try {
        await pubsub.createTopic("still-serving");
      } finally {
        await pubsub.close();
      }
    } finally {
      client.close();
      await emulators.stop();
    }
  });
});

/** Paths to every value in a JSON template (objects and arrays included). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const key = Array.isArray(value) ? Number(k) : k;
      out.push([...prefix, key], ...paths(v, [...prefix, key]));
    }
  }
  return out;
}

function replaceAt(template: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(template) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = replacement;
  return copy;
}
