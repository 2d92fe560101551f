/**
 * `--data_dir` persistence: object bytes as files, per-table and per-subscription files written
 * atomically (appends for new rows), restarts on the same port, resumable uploads across a
 * restart, torn files, failed saves, and migration of the old one-file snapshots.
 */
import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { PubSub, type Message } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import { PassThroughClient } from "google-auth-library";
import { startEmulators, type RunningEmulators } from "../../../setup/emulators";
import { isolateFromGoogleCredentials, makeTempDir, rawRequest, waitFor, within } from "./helpers";

const PROJECT = "beamline-test";
const md5 = (b: Buffer): string => createHash("md5").update(b).digest("base64");

function filesUnder(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

describe("emulators: --data_dir persistence", function () {
  this.timeout(60_000);
  let restoreEnv: () => void;
  let running: RunningEmulators | undefined;

  before(() => {
    restoreEnv = isolateFromGoogleCredentials();
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  after(() => restoreEnv());

  it("keeps object bytes as files (not in the catalog) and both of two large objects across a restart", async () => {
    const dir = makeTempDir("beamline-persist-gcs-");
    running = await startEmulators({ services: ["storage"], dataDir: dir });
    const storage = new Storage({ projectId: PROJECT, apiEndpoint: running.storageEndpoint });
    await storage.createBucket("big");
    const one = randomBytes(3 * 1024 * 1024);
    const two = randomBytes(3 * 1024 * 1024 + 7);
    await storage.bucket("big").file("one.bin").save(one);
    await storage.bucket("big").file("two.bin").save(two);
    await storage.bucket("big").file("small.txt").save("small", { resumable: false });
    await running.restart("storage");
    const blobs = filesUnder(path.join(dir, "storage", "blobs"));
    assert.equal(blobs.length, 3, `one file per object: ${blobs.join(", ")}`);
    assert.ok(fs.statSync(path.join(dir, "storage", "catalog.ndjson")).size < 16 * 1024, "the catalog holds metadata only");
    for (const [name, data] of [["one.bin", one], ["two.bin", two]] as const) {
      const [downloaded] = await storage.bucket("big").file(name).download();
      assert.equal(md5(downloaded), md5(data), `${name} survived the restart`);
    }
    // Replacing and deleting objects removes their old bytes once the catalog no longer names them.
    await storage.bucket("big").file("one.bin").save("replaced", { resumable: false });
    await storage.bucket("big").file("two.bin").delete();
    await running.restart("storage");
    assert.equal(filesUnder(path.join(dir, "storage", "blobs")).length, 2);
    assert.equal((await storage.bucket("big").file("one.bin").download())[0].toString(), "replaced");
    assert.equal((await storage.bucket("big").file("two.bin").exists())[0], false);
  });

  it("resumes a resumable upload after a restart of the emulator", async () => {
    running = await startEmulators({ services: ["storage"], dataDir: makeTempDir("beamline-persist-resume-") });
    const base = running.storageEndpoint!;
    await new Storage({ projectId: PROJECT, apiEndpoint: base }).createBucket("upl");
    const data = randomBytes(600 * 1024);
    const start = await rawRequest(`${base}/upload/storage/v1/b/upl/o?uploadType=resumable&name=resumed.bin`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    const location = start.headers.location as string;
    const first = await rawRequest(location, { method: "PUT", body: data.subarray(0, 256 * 1024), headers: { "content-range": `bytes 0-${256 * 1024 - 1}/*` } });
    assert.equal(first.status, 308);
    await running.restart("storage");
    const status = await rawRequest(location, { method: "PUT", headers: { "content-range": "bytes */*", "content-length": "0" } });
    assert.equal(status.status, 308);
    assert.equal(status.headers.range, `bytes=0-${256 * 1024 - 1}`);
    const last = await rawRequest(location, { method: "PUT", body: data.subarray(256 * 1024), headers: { "content-range": `bytes ${256 * 1024}-${data.length - 1}/${data.length}` } });
    assert.equal(last.status, 200, last.body);
    const object = JSON.parse(last.body) as { size: string; md5Hash: string };
    assert.equal(object.size, String(data.length));
    assert.equal(object.md5Hash, md5(data));
  });

  it("appends new rows to a table's file, rewrites it on WRITE_TRUNCATE, and survives a torn last line", async () => {
    const dir = makeTempDir("beamline-persist-bq-");
    running = await startEmulators({ services: ["bigquery"], dataDir: dir });
    const bigquery = new BigQuery({ projectId: PROJECT, apiEndpoint: running.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bigquery.createDataset("d");
    const [table] = await bigquery.dataset("d").createTable("t", { schema: "n:INTEGER" });
    await table.insert([{ n: 1 }, { n: 2 }]);
    await running.restart("bigquery");
    const rowsDir = path.join(dir, "bigquery", "rows");
    const [file] = filesUnder(rowsDir);
    const inode = fs.statSync(path.join(rowsDir, file)).ino;
    await table.insert([{ n: 3 }]);
    await running.restart("bigquery");
    assert.equal(fs.statSync(path.join(rowsDir, file)).ino, inode, "new rows were appended, not the file rewritten");
    assert.equal(fs.readFileSync(path.join(rowsDir, file), "utf8").trim().split("\n").length, 3);
    const count = async (): Promise<number> => (await table.getRows())[0].length;
    assert.equal(await count(), 3);
    // A crash mid-append leaves half a line: it is skipped, and the next save rewrites the file whole.
    await running.stop();
    fs.appendFileSync(path.join(rowsDir, file), '{"n":"4');
    running = await startEmulators({ services: ["bigquery"], dataDir: dir, bigqueryPort: Number(new URL(running.bigqueryEndpoint!).port) });
    assert.equal(await count(), 3);
    await table.insert([{ n: 5 }]);
    await running.restart("bigquery");
    assert.equal(await count(), 4);
    assert.deepEqual(fs.readFileSync(path.join(rowsDir, file), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { n: string }).map((r) => r.n), ["1", "2", "3", "5"]);
    // WRITE_TRUNCATE replaces the rows: the file is rewritten with only the new ones.
    const [job] = await bigquery.createQueryJob({ query: "SELECT n FROM d.t WHERE n > 2", destination: table, writeDisposition: "WRITE_TRUNCATE" });
    await job.promise();
    await running.restart("bigquery");
    assert.equal(await count(), 2);
    // A deleted table's file goes.
    await table.delete();
    await running.restart("bigquery");
    assert.deepEqual(filesUnder(rowsDir), []);
  });

  it("keeps unacked Pub/Sub messages across a restart; clients reconnect and receive them", async () => {
    running = await startEmulators({ services: ["pubsub"], dataDir: makeTempDir("beamline-persist-ps-") });
    const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: running.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    try {
      const [topic] = await pubsub.createTopic("kept");
      const [sub] = await topic.createSubscription("kept-sub");
      for (const text of ["a", "b", "c"]) await topic.publishMessage({ data: Buffer.from(text) });
      await running.restart("pubsub");
      const got = new Set<string>();
      sub.on("message", (m: Message) => {
        got.add(m.data.toString());
        m.ack();
      });
      await waitFor("the three messages after the restart", () => got.size === 3, 15_000);
      await sub.close();
    } finally {
      await pubsub.close();
    }
  });

  it("reports a failed save without crashing and saves once it can again", async () => {
    const dir = makeTempDir("beamline-persist-fail-");
    running = await startEmulators({ services: ["storage"], dataDir: dir });
    const storage = new Storage({ projectId: PROJECT, apiEndpoint: running.storageEndpoint });
    // A directory where the save's temporary file goes: every save fails until it is removed.
    const blocker = path.join(dir, "storage", `catalog.ndjson.tmp-${process.pid}`);
    fs.mkdirSync(blocker);
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      await storage.createBucket("saved-later");
      await waitFor("the failed save to be reported", () => written.some((w) => /could not save its state/.test(w)), 5000);
      assert.equal((await storage.bucket("saved-later").exists())[0], true, "still serving");
      fs.rmdirSync(blocker);
      await waitFor("the retried save", () => fs.existsSync(path.join(dir, "storage", "catalog.ndjson")), 5000);
    } finally {
      process.stderr.write = write;
    }
    await running.restart("storage");
    assert.equal((await storage.bucket("saved-later").exists())[0], true);
  });

  it("migrates the one-file snapshots of earlier versions", async () => {
    const dir = makeTempDir("beamline-persist-legacy-");
    const now = new Date().toISOString();
    fs.writeFileSync(
      path.join(dir, "storage.json"),
      JSON.stringify({
        buckets: [{ name: "old", location: "US", storageClass: "STANDARD", labels: {}, timeCreated: now, updated: now, metageneration: 1 }],
        objects: [{ bucket: "old", name: "o.txt", data: Buffer.from("legacy bytes").toString("base64"), generation: "1700000000000000", metageneration: 1, contentType: "text/plain", storageClass: "STANDARD", crc32c: "x", md5Hash: md5(Buffer.from("legacy bytes")), timeCreated: now, updated: now }],
      }),
    );
    fs.writeFileSync(
      path.join(dir, "bigquery.json"),
      JSON.stringify({ datasets: [{ projectId: PROJECT, datasetId: "old", location: "US", creationTime: 1, lastModifiedTime: 1, extra: {}, tables: [{ ref: { projectId: PROJECT, datasetId: "old", tableId: "t" }, schema: [{ name: "n", type: "INTEGER", mode: "NULLABLE" }], rows: [{ n: "7" }], creationTime: 1, lastModifiedTime: 1, extra: {} }] }] }),
    );
    fs.writeFileSync(
      path.join(dir, "pubsub.json"),
      JSON.stringify({
        nextMessageId: 5,
        topics: [{ name: `projects/${PROJECT}/topics/old`, labels: {} }],
        subscriptions: [{ config: { name: `projects/${PROJECT}/subscriptions/old-sub`, topic: `projects/${PROJECT}/topics/old`, ackDeadlineSeconds: 10, labels: {} }, messages: [{ seq: 1, attempts: 0, data: Buffer.from("kept").toString("base64"), attributes: {}, messageId: "4", publishTime: null, orderingKey: "" }] }],
      }),
    );
    running = await startEmulators({ dataDir: dir });
    const storage = new Storage({ projectId: PROJECT, apiEndpoint: running.storageEndpoint });
    assert.equal((await storage.bucket("old").file("o.txt").download())[0].toString(), "legacy bytes");
    const bigquery = new BigQuery({ projectId: PROJECT, apiEndpoint: running.bigqueryEndpoint, authClient: new PassThroughClient() });
    assert.deepEqual((await bigquery.dataset("old").table("t").getRows())[0], [{ n: 7 }]);
    const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: running.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    try {
      const sub = pubsub.subscription("old-sub");
      const message = await within(
        "the migrated message",
        10_000,
        new Promise<Message>((resolve) => {
          sub.on("message", (m: Message) => {
            m.ack();
            resolve(m);
          });
        }),
      );
      await sub.close();
      assert.equal(message.data.toString(), "kept");
    } finally {
      await pubsub.close();
    }
    assert.deepEqual(filesUnder(dir).filter((f) => f.endsWith(".json") || f.endsWith(".migrated")), ["bigquery.json.migrated", "pubsub.json.migrated", "storage.json.migrated"]);
  });
});
