/**
 * Fault injection in the emulators: the next N requests of a method fail (503 / a gRPC status),
 * stall, go unanswered, or lose their connection; every request is counted; the admin endpoint and the CLI's
 * --fault flag drive the same rules from outside the process; restarts keep the port.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import { startEmulators, type RunningEmulators } from "../../../setup/emulators";
import { isolateFromGoogleCredentials, postJson, rawRequest, within } from "./helpers";

const PROJECT = "beamline-test";

describe("emulators: fault injection", function () {
  this.timeout(30_000);
  let restoreEnv: () => void;
  let emulators: RunningEmulators;

  before(async () => {
    restoreEnv = isolateFromGoogleCredentials();
    emulators = await startEmulators({ adminPort: 0 });
  });

  afterEach(() => {
    for (const service of [emulators.pubsub, emulators.bigquery, emulators.storage]) {
      service?.faults.clear();
      service?.faults.resetStats();
    }
  });

  after(async () => {
    await emulators?.stop();
    restoreEnv();
  });

  it("fails the next N requests of a REST method with 503 (or the given status), then serves them; counts calls", async () => {
    const gcs = emulators.storageEndpoint!;
    emulators.storage!.faults.failNext("storage.buckets.insert", 2).failNext("storage.buckets.list", 1, { status: 429 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await postJson(`${gcs}/storage/v1/b?project=${PROJECT}`, { name: "faulty" })).status);
    assert.deepEqual(statuses, [503, 503, 200]);
    const limited = await rawRequest(`${gcs}/storage/v1/b?project=${PROJECT}`);
    assert.equal(limited.status, 429);
    assert.match(limited.body, /rateLimitExceeded/);
    assert.equal((await rawRequest(`${gcs}/storage/v1/b?project=${PROJECT}`)).status, 200);
    assert.equal(emulators.storage!.faults.calls("storage.buckets.insert"), 3);
    assert.equal(emulators.storage!.faults.injected("storage.buckets.*"), 3);
    assert.deepEqual(emulators.storage!.faults.pending(), []);
  });

  it("the official BigQuery client retries injected 500s with backoff and succeeds", async () => {
    // Backoff capped at 0.2 s (the default starts at 1 s) to keep the test short.
    const bigquery = new BigQuery({ projectId: PROJECT, apiEndpoint: emulators.bigqueryEndpoint, authClient: new PassThroughClient(), retryOptions: { maxRetryDelay: 0.2 } });
    await bigquery.createDataset("faults");
    const [table] = await bigquery.dataset("faults").createTable("t", { schema: "n:INTEGER" });
    emulators.bigquery!.faults.failNext("bigquery.tabledata.insertAll", 2, { status: 500 });
    await table.insert([{ n: 1 }, { n: 2 }]);
    assert.equal(emulators.bigquery!.faults.calls("bigquery.tabledata.insertAll"), 3, "two failed attempts, then one that landed");
    const [rows] = await table.getRows();
    assert.equal(rows.length, 2, "the retried rows landed once");
  });

  it("delays a request past a deadline and drops connections", async () => {
    const gcs = emulators.storageEndpoint!;
    emulators.storage!.faults.delayNext("storage.buckets.get", 1, 400).resetNext("storage.buckets.get", 1);
    await postJson(`${gcs}/storage/v1/b?project=${PROJECT}`, { name: "slow" });
    const started = Date.now();
    assert.equal((await rawRequest(`${gcs}/storage/v1/b/slow`)).status, 200);
    assert.ok(Date.now() - started >= 350, "the first request was held");
    await assert.rejects(rawRequest(`${gcs}/storage/v1/b/slow`), /socket hang up|ECONNRESET/);
    assert.equal((await rawRequest(`${gcs}/storage/v1/b/slow`)).status, 200);
  });

  it("holds a request unanswered until the client gives up (REST: closes the connection; gRPC: its deadline passes)", async () => {
    const gcs = emulators.storageEndpoint!;
    await postJson(`${gcs}/storage/v1/b?project=${PROJECT}`, { name: "held" });
    emulators.storage!.faults.holdNext("storage.buckets.get");
    const started = Date.now();
    const outcome = await new Promise<string>((resolve) => {
      const req = http.request(`${gcs}/storage/v1/b/held`, (res) => resolve(`answered ${res.statusCode}`));
      req.setTimeout(300, () => req.destroy(new Error("gave up")));
      req.on("error", (e) => resolve(e.message));
      req.end();
    });
    assert.equal(outcome, "gave up", "no answer came");
    assert.ok(Date.now() - started >= 280);
    assert.equal((await rawRequest(`${gcs}/storage/v1/b/held`)).status, 200, "the next request is served");
    assert.equal(emulators.storage!.faults.injected("storage.buckets.get"), 1);

    const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    try {
      const [topic] = await pubsub.createTopic("held");
      emulators.pubsub!.faults.holdNext("GetTopic");
      await assert.rejects(topic.getMetadata({ timeout: 300 }), (e: Error & { code?: number }) => e.code === 4, "DEADLINE_EXCEEDED, as nothing answered");
      const [metadata] = await topic.getMetadata();
      assert.equal(metadata.name, `projects/${PROJECT}/topics/held`);
    } finally {
      await pubsub.close();
    }
  });

  it("fails gRPC calls with UNAVAILABLE (retried by the Pub/Sub client) or a chosen code (not retried)", async () => {
    const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    try {
      const [topic] = await pubsub.createTopic("faulty");
      emulators.pubsub!.faults.failNext("Publish", 3);
      assert.match(await topic.publishMessage({ data: Buffer.from("x") }), /^\d+$/);
      assert.equal(emulators.pubsub!.faults.calls("Publish"), 4);
      emulators.pubsub!.faults.failNext("GetTopic", 1, { code: 7, message: "no access (injected)" });
      await assert.rejects(topic.getMetadata(), (e: Error & { code?: number }) => e.code === 7 && /no access \(injected\)/.test(e.message));
      assert.equal(emulators.pubsub!.faults.calls("GetTopic"), 1, "PERMISSION_DENIED is not retried");
    } finally {
      await pubsub.close();
    }
  });

  it("takes rules, reports counts and restarts a service through the admin endpoint", async () => {
    const admin = emulators.adminEndpoint!;
    const gcs = emulators.storageEndpoint!;
    const added = await postJson(`${admin}/faults`, { service: "storage", method: "storage.buckets.list", count: 2, status: 503 });
    assert.equal(added.status, 200, added.body);
    assert.equal((await postJson(`${admin}/faults`, { service: "pubsub", method: "Publish", code: "DEADLINE_EXCEEDED" })).status, 200);
    assert.equal((await postJson(`${admin}/faults`, { service: "nope", method: "x" })).status, 404);
    assert.equal((await postJson(`${admin}/faults`, { service: "storage", method: "x", code: "NOT_A_CODE" })).status, 400);
    assert.equal((await rawRequest(`${gcs}/storage/v1/b?project=${PROJECT}`)).status, 503);
    const report = JSON.parse((await rawRequest(`${admin}/faults`)).body) as Record<string, { pending: { method: string; remaining: number }[]; stats: { method: string; calls: number; injected: number }[] }>;
    assert.deepEqual(report.storage.pending.map((p) => [p.method, p.remaining]), [["storage.buckets.list", 1]]);
    assert.deepEqual(report.storage.stats.find((s) => s.method === "storage.buckets.list"), { method: "storage.buckets.list", calls: 1, injected: 1 });
    assert.deepEqual(report.pubsub.pending.map((p) => p.method), ["Publish"]);
    assert.equal((await rawRequest(`${admin}/faults`, { method: "DELETE" })).status, 200);
    assert.equal((await rawRequest(`${gcs}/storage/v1/b?project=${PROJECT}`)).status, 200, "rules dropped");
    const restarted = await postJson(`${admin}/restart`, { service: "storage" });
    assert.deepEqual(JSON.parse(restarted.body), { restarted: ["storage"] });
    assert.equal((await rawRequest(`${gcs}/storage/v1/b?project=${PROJECT}`)).status, 200, "same port after the restart");
  });

  it("takes --fault rules and --admin_port on the command line", async () => {
    const main = path.join(__dirname, "..", "..", "..", "setup", "emulators", "main.js");
    const child = spawn(process.execPath, [main, "--services", "storage", "--storage_port", "0", "--admin_port", "0", "--fault", "storage:storage.buckets.list:1:503", "--fault", "storage:storage.buckets.get:1:reset"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      let stdout = "";
      const vars = await within(
        "the export lines",
        8000,
        new Promise<Record<string, string>>((resolve) => {
          child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            const found = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
            if (Object.keys(found).length === 2) resolve(found);
          });
        }),
      );
      assert.match(vars.BEAMLINE_EMULATORS_ADMIN, /^http:\/\/127\.0\.0\.1:\d+$/);
      const gcs = vars.STORAGE_EMULATOR_HOST;
      assert.equal((await rawRequest(`${gcs}/b?project=${PROJECT}`)).status, 503);
      assert.equal((await rawRequest(`${gcs}/b?project=${PROJECT}`)).status, 200);
      const report = JSON.parse((await rawRequest(`${vars.BEAMLINE_EMULATORS_ADMIN}/faults`)).body) as Record<string, { pending: { method: string }[] }>;
      assert.deepEqual(report.storage.pending.map((p) => p.method), ["storage.buckets.get"]);
      child.kill("SIGTERM");
      assert.equal(await within("the emulator process to exit", 5000, exited), 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
