/**
 * Cloud Storage IO under injected faults: a pipeline writing gs:// output and one reading it back
 * complete with the right content while the emulator fails uploads, copies, deletes, listings and
 * reads with 503s and dropped connections; the retries are counted.
 */
import { strict as assert } from "node:assert";
import "../../runners/direct";
import { Create } from "../../lib";
import { gcpRetryCounts, setGcpRetrySettings, type GcpRetrySettings } from "../../lib/io/gcp";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import { runDirect } from "../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "./gcp/emulator_env";
import { Storage } from "@google-cloud/storage";

describe("io/gcp: Cloud Storage IO retries injected faults", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let previous: GcpRetrySettings;

  before(async () => {
    // Short backoff (waits of 1 s, Cloud Storage's shortest, not 1, 2, 4...): the test is about retrying, not waiting.
    previous = setGcpRetrySettings({ maxRetryDelaySeconds: 1, retryDelayMultiplier: 1 });
    env = await startEmulatorEnv(["storage"]);
    await new Storage({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.storageEndpoint }).createBucket("faults");
  });

  after(async () => {
    await env?.stop();
    setGcpRetrySettings(previous);
  });

  it("writes and reads back gs:// text while uploads (503, dropped connection), copies (429), listings and reads fail", async () => {
    const faults = env.emulators.storage!.faults;
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}`);
    const retriesBefore = gcpRetryCounts().storage;
    faults
      .failNext("storage.objects.insert", 1)
      .resetNext("storage.objects.insert", 1)
      .failNext("storage.objects.rewrite", 1, { status: 429 });
    const written = await runDirect((p) => {
      p.apply(Create.of(...lines)).apply(WriteToText.to("gs://faults/out/lines", { numShards: 2, suffix: ".txt" }));
    });
    assert.equal(await written.waitUntilFinish(), "DONE");
    assert.deepEqual(faults.pending(), [], "every injected fault was hit");
    const writeRetries = written.metrics.counterTotal("beamline", "gcsRetries");
    assert.ok(writeRetries >= 3, `the write's retries are in its metrics (${writeRetries})`);

    faults.failNext("storage.objects.get", 1).failNext("storage.objects.list", 1, { status: 500 });
    const read: string[] = [];
    const readBack = await runDirect((p) => {
      p.apply(ReadFromText.from("gs://faults/out/lines*.txt")).map("Collect", (line: string) => {
        read.push(line);
        return line;
      });
    });
    assert.equal(await readBack.waitUntilFinish(), "DONE");
    assert.deepEqual(faults.pending(), []);
    assert.deepEqual(read.sort(), [...lines].sort(), "every line, once");
    assert.ok(gcpRetryCounts().storage - retriesBefore >= 5, `retries counted in the process (${gcpRetryCounts().storage - retriesBefore})`);
  });

  it("setGcpRetrySettings validates its settings (and types them) and returns the previous ones", () => {
    const before = setGcpRetrySettings({ maxRetries: 2 });
    try {
      assert.equal(setGcpRetrySettings({ maxRetries: 3 }).maxRetries, 2);
      assert.throws(() => setGcpRetrySettings({ maxRetryDelaySeconds: 0.5 }), /at least 1/);
      assert.throws(() => setGcpRetrySettings({ maxRetries: -1 }), /non-negative integer/);
      // @ts-expect-error not a setting
      setGcpRetrySettings({ retries: 3 });
      const counts: Readonly<Record<"storage" | "bigquery" | "pubsub", number>> = gcpRetryCounts();
      assert.ok(counts.storage >= 0);
    } finally {
      setGcpRetrySettings(before);
    }
  });
});
