/**
 * A Reshuffle in a run that takes checkpoints holds its elements until a checkpoint holds them
 * (runners/streaming/stable_reshuffle.ts). In virtual time (every source a TestStream) that must
 * not change what the run computes: what waits at a Reshuffle goes on before the script does, so
 * processing-time triggers after it see the elements at the processing time they would without
 * checkpoints, and "a run with checkpoints gives the results of one without" holds.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AfterProcessingTime, AfterWatermark, Count, FixedWindows, kv, KV, Reshuffle, Window } from "../../lib";
import type { PipelineOptions } from "../../lib/model/options";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, type Observed, paneOf } from "./collect";

describe("Streaming checkpoints: a Reshuffle in virtual time", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-reshuffle-ckpt-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a run with checkpoints (or in-memory snapshots) fires the panes of one without: processing-time triggers after a Reshuffle", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("a", 1), timestamp: 1 }, { value: kv("a", 2), timestamp: 2 })
      .advanceProcessingTime(1000)
      .addElements({ value: kv("a", 3), timestamp: 3 })
      .advanceProcessingTime(1000)
      .addElements({ value: kv("a", 4), timestamp: 4 })
      .advanceWatermarkToInfinity();
    const run = async (options: Partial<PipelineOptions>): Promise<string[]> => {
      const out: Observed<KV<string, number>>[] = [];
      const result = await runDirect((p) => {
        const counted = p
          .apply("Events", script)
          .apply("Reshuffle", Reshuffle.viaRandomKey<KV<string, number>>())
          .apply(Window.into(new FixedWindows(100), { trigger: AfterWatermark({ early: AfterProcessingTime(500) }), accumulationMode: "ACCUMULATING" }))
          .apply("Count", Count.perKey<string, number>());
        collect(counted, out);
      }, options);
      assert.equal(await result.waitUntilFinish(), "DONE");
      return out.map((o) => `${o.value.key}=${o.value.value} ${o.window} ${paneOf(o.pane)}`);
    };
    const without = await run({});
    assert.deepEqual(without, ["a=2 0:100 EARLY#0/-1 first", "a=3 0:100 EARLY#1/-1", "a=4 0:100 ON_TIME#2/0 last"]);
    assert.deepEqual(await run({ checkpointDir: dir }), without, "with --checkpoint_dir (every 5 s)");
    assert.deepEqual(await run({ directBundleRetries: 1 }), without, "with in-memory snapshots");
  });
});
