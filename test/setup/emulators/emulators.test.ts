import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { PubSub, v1 } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import * as grpc from "@grpc/grpc-js";
import { PassThroughClient } from "google-auth-library";
import { startEmulators, type RunningEmulators } from "../../../setup/emulators";
import { isolateFromGoogleCredentials, setEnv, within } from "./helpers";

const PROJECT = "beamline-test";

describe("emulators: startEmulators and the command line", function () {
  this.timeout(20_000);
  let restoreEnv: () => void;

  before(() => {
    restoreEnv = isolateFromGoogleCredentials();
  });

  after(() => restoreEnv());

  it("starts all three on free ports and exports env vars in the form each client expects", async () => {
    const emulators: RunningEmulators = await startEmulators({ pubsubPort: 0, bigqueryPort: 0, storagePort: 0 });
    const restore = setEnv(emulators.env);
    try {
      assert.match(emulators.env.PUBSUB_EMULATOR_HOST, /^127\.0\.0\.1:\d+$/);
      assert.match(emulators.env.BIGQUERY_EMULATOR_HOST, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(emulators.env.STORAGE_EMULATOR_HOST, /^http:\/\/127\.0\.0\.1:\d+$/);
      // Clients built with nothing but the env vars (and no credentials) reach the emulators.
      const pubsub = new PubSub({ projectId: PROJECT, authClient: new PassThroughClient() });
      await pubsub.createTopic("env-topic");
      assert.equal((await pubsub.topic("env-topic").exists())[0], true);
      await pubsub.close();
      const bigquery = new BigQuery({ projectId: PROJECT, authClient: new PassThroughClient() });
      await bigquery.createDataset("env_ds");
      assert.equal((await bigquery.dataset("env_ds").exists())[0], true);
      const storage = new Storage({ projectId: PROJECT });
      await storage.createBucket("env-bucket");
      assert.equal((await storage.bucket("env-bucket").exists())[0], true);
    } finally {
      restore();
      await emulators.stop();
    }
  });

  it("answers a StreamingPull keepalive ping ({}) with an empty response", async () => {
    const emulators = await startEmulators({ services: ["pubsub"] });
    const [host, port] = (emulators.pubsubHost as string).split(":");
    const admin = new PubSub({ projectId: PROJECT, apiEndpoint: emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    const subscriber = new v1.SubscriberClient({ servicePath: host, port: Number(port), sslCreds: grpc.credentials.createInsecure(), authClient: new PassThroughClient() });
    try {
      const [topic] = await admin.createTopic("ping");
      const [sub] = await topic.createSubscription("ping-sub");
      const stream = subscriber.streamingPull();
      const firstResponse = new Promise<{ receivedMessages: unknown[] }>((resolve, reject) => {
        stream.once("data", resolve);
        stream.once("error", reject);
      });
      stream.write({ subscription: sub.name, streamAckDeadlineSeconds: 10 });
      stream.write({});
      const response = await within("the keepalive reply", 3000, firstResponse);
      assert.deepEqual(response.receivedMessages, []);
      stream.on("error", () => undefined); // cancellation below surfaces as CANCELLED
      stream.cancel();
    } finally {
      await subscriber.close();
      await admin.close();
      await emulators.stop();
    }
  });

  it("runs from the command line, prints the exports and stops cleanly on SIGTERM", async () => {
    const main = path.join(__dirname, "..", "..", "..", "setup", "emulators", "main.js");
    const child = spawn(process.execPath, [main, "--pubsub_port", "0", "--bigquery_port", "0", "--storage_port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      let stdout = "";
      const exports = await within(
        "the export lines",
        8000,
        new Promise<Record<string, string>>((resolve) => {
          child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            const vars = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
            if (Object.keys(vars).length === 3) resolve(vars);
          });
        }),
      );
      assert.deepEqual(Object.keys(exports).sort(), ["BIGQUERY_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST"]);
      const storage = new Storage({ projectId: PROJECT, apiEndpoint: exports.STORAGE_EMULATOR_HOST });
      await storage.createBucket("cli-bucket");
      const [buckets] = await storage.getBuckets();
      assert.deepEqual(
        buckets.map((b) => b.name),
        ["cli-bucket"],
      );
      child.kill("SIGTERM");
      assert.equal(await within("the emulator process to exit", 5000, exited), 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
