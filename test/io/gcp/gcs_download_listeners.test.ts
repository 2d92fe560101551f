/**
 * Reading gs:// objects emits no MaxListenersExceededWarning: the storage client (shared, see
 * lib/io/gcp/clients.ts) stacks 11 listeners on each download's response body by design
 * (googleapis/google-cloud-node#9185); GcsFileSystem.openRead raises the limit on that stream only.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import { GcsFileSystem } from "../../../lib/io/filesystems/gcs";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "./emulator_env";

describe("io/gcp: gs:// downloads and Node's listener-leak warning", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  const gcs = new GcsFileSystem();
  const data = randomBytes(2 * 1024 * 1024);

  before(async () => {
    env = await startEmulatorEnv(["storage"]);
    const storage = new Storage({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.storageEndpoint });
    await storage.createBucket("listeners");
    await storage.bucket("listeners").file("big.bin").save(data, { resumable: false });
  });
  after(async () => {
    await env?.stop();
  });

  it("whole and ranged reads of a 2 MB object: the right bytes, and no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      const read = async (start?: number, end?: number): Promise<Buffer> => {
        const chunks: Buffer[] = [];
        for await (const c of await gcs.openRead("gs://listeners/big.bin", { start, end })) chunks.push(Buffer.from(c as Buffer));
        return Buffer.concat(chunks);
      };
      assert.ok((await read()).equals(data));
      assert.ok((await read(1_000, 1_500_000)).equals(data.subarray(1_000, 1_500_000)));
      const halves = await Promise.all([read(0, 1 << 20), read(1 << 20)]);
      assert.ok(Buffer.concat(halves).equals(data));
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", onWarning);
    }
    assert.deepEqual(warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message), []);
  });
});
