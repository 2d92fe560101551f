/**
 * Continuous matching on Cloud Storage (gs://, against the emulator): objects present at the start
 * come at the first firing, objects uploaded later once each, an overwritten object again with
 * matchUpdatedFiles (its `updated` time moves on), and ReadFromText.watchForNewFiles reads the
 * lines of new objects. The runs are unbounded; the test waits for what it uploaded to be found
 * (polling the observed output), then drains.
 */
import { strict as assert } from "node:assert";
import { Storage, type Bucket } from "@google-cloud/storage";
import "../../../runners/direct";
import { FileIO, ReadFromText, type FileMetadata } from "../../../lib";
import { isStreamingResult } from "../../../runners/streaming";
import { runDirect } from "../../helpers";
import { waitFor } from "../../setup/emulators/helpers";
import { collect, type Observed } from "../../streaming/collect";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "./emulator_env";

describe("io/gcp: FileIO.matchContinuously and watchForNewFiles on gs:// (emulator)", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let bucket: Bucket;

  before(async () => {
    env = await startEmulatorEnv(["storage"]);
    const storage = new Storage({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.storageEndpoint });
    await storage.createBucket("watched");
    bucket = storage.bucket("watched");
  });
  after(async () => {
    await env?.stop();
  });

  it("new objects once each, an overwritten object again with matchUpdatedFiles, once without", async () => {
    await bucket.file("in/a.txt").save("a\n");
    await bucket.file("in/skip.csv").save("x\n");
    const interval = 50;
    const start = Math.floor(Date.now() / interval) * interval;
    const updated: Observed<FileMetadata>[] = [];
    const plain: Observed<FileMetadata>[] = [];
    const result = await runDirect(
      (p) => {
        collect(p.apply("Updated", FileIO.matchContinuously("gs://watched/in/*.txt", { intervalMillis: interval, start, matchUpdatedFiles: true })), updated, "CollectUpdated");
        collect(p.apply("Plain", FileIO.match("gs://watched/in/*.txt").continuously({ intervalMillis: interval, start })), plain, "CollectPlain");
      },
      {},
      { checkEveryElement: false },
    );
    assert.ok(isStreamingResult(result));
    const paths = (out: readonly Observed<FileMetadata>[]): string[] => out.map((o) => o.value.path).sort();
    await waitFor("a.txt", () => updated.length === 1 && plain.length === 1, 20_000);
    assert.equal(updated[0]!.timestamp, start, "present at the start: the first firing");
    await bucket.file("in/b.txt").save("b\n");
    await waitFor("b.txt", () => paths(updated).includes("gs://watched/in/b.txt"), 20_000);
    await bucket.file("in/a.txt").save("a, rewritten\n");
    await waitFor("a.txt again", () => paths(updated).filter((p) => p.endsWith("a.txt")).length === 2, 20_000);
    await bucket.file("in/c.txt").save("c\n");
    await waitFor("c.txt in both", () => paths(plain).includes("gs://watched/in/c.txt") && paths(updated).includes("gs://watched/in/c.txt"), 20_000);
    assert.equal(await result.drain(), "DRAINED");
    assert.deepEqual(paths(updated), ["gs://watched/in/a.txt", "gs://watched/in/a.txt", "gs://watched/in/b.txt", "gs://watched/in/c.txt"]);
    assert.deepEqual(paths(plain), ["gs://watched/in/a.txt", "gs://watched/in/b.txt", "gs://watched/in/c.txt"]);
    const again = updated.filter((o) => o.value.path.endsWith("a.txt")).sort((x, y) => x.timestamp - y.timestamp)[1]!;
    assert.equal(again.value.sizeBytes, "a, rewritten\n".length);
  });

  it("ReadFromText.watchForNewFiles reads the lines of each new object once", async () => {
    await bucket.file("logs/1.log").save("one\n");
    const out: Observed<string>[] = [];
    const result = await runDirect((p) => collect(p.apply(ReadFromText.from("gs://watched/logs/*.log").watchForNewFiles({ intervalMillis: 50 })), out), {}, { checkEveryElement: false });
    assert.ok(isStreamingResult(result));
    await waitFor("1.log", () => out.length === 1, 20_000);
    await bucket.file("logs/2.log").save("two\nthree\n");
    await waitFor("2.log", () => out.length === 3, 20_000);
    assert.equal(await result.drain(), "DRAINED");
    assert.deepEqual(out.map((o) => o.value).sort(), ["one", "three", "two"]);
  });
});
