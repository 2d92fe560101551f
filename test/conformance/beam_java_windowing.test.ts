/**
 * Beam Java's WindowingTest (a count per element in fixed, sliding and session windows with the
 * EARLIEST timestamp combiner, windows kept through a Flatten, empty input) and WindowTest's
 * testMergingCustomWindowsWithoutCustomWindowTypes (a user's merging WindowFn of interval
 * windows), with Beam's inputs and expected outputs, in batch (Create) and streaming
 * (TestStream), on one worker and on two; WindowingTest.testTextIoInput reads its input from a
 * text file.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Count, FixedWindows, ReadFromText, Flatten, GroupByKey, IntervalWindow, kv, KV, ParDo, Sessions, SlidingWindows, Window, type MergingWindowFn, type WindowFn, type WindowMerge } from "../../lib";
import type { PCollection } from "../../lib/model/pcollection";
import type { BoundedWindow } from "../../lib/model/window";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

/** Beam's WindowedCount: Window.into(fn) with the EARLIEST combiner, Count.perElement, "value:count:timestamp:window". */
function windowedCount(input: PCollection<string>, fn: WindowFn): PCollection<string> {
  return input
    .apply("Window", Window.into(fn, { timestampCombiner: "EARLIEST" }))
    .apply("Count", Count.perElement<string>())
    .apply(
      "FormatCounts",
      ParDo.into<string>().of((e: KV<string, number>, ctx) => {
        const w = ctx.window as IntervalWindow;
        ctx.output(`${e.key}:${e.value}:${ctx.timestamp}:[${w.start}..${w.end})`);
      }),
    );
}

const at = (value: string, timestamp: number) => ({ value, timestamp });

/**
 * Beam's WindowOddEvenMergingBuckets: each element in [t, t + 30s); windows starting on an even
 * second merge into one, those on an odd second into another.
 */
class OddEvenMergingBuckets implements MergingWindowFn {
  readonly urn = "beamline:test:odd_even_merging_buckets:v1";
  readonly config = {};
  readonly windowCoderUrn = "beam:coder:interval_window:v1";
  readonly isMerging = true as const;
  assignWindows(timestamp: number): readonly BoundedWindow[] {
    return [new IntervalWindow(timestamp, timestamp + 30_000)];
  }
  sideInputWindow(): BoundedWindow {
    throw new Error("OddEvenMergingBuckets: side inputs not supported");
  }
  mergeWindows(windows: readonly IntervalWindow[]): WindowMerge[] {
    const merges: WindowMerge[] = [];
    for (const parity of [0, 1]) {
      const from = windows.filter((w) => Math.floor(w.start / 1000) % 2 === parity);
      if (from.length > 1) merges.push({ merged: new IntervalWindow(Math.min(...from.map((w) => w.start)), Math.max(...from.map((w) => w.end))), from });
    }
    return merges;
  }
}

const runs: { mode: Mode; workers: number }[] = [
  { mode: "batch", workers: 1 },
  { mode: "batch", workers: 2 },
  { mode: "streaming", workers: 1 },
];

for (const { mode, workers } of runs) {
  describe(`Beam Java WindowingTest, WindowTest (merging): ${mode}, ${workers} worker(s)`, () => {
    const run = (build: Parameters<typeof labelledOutputs>[0]) => labelledOutputs(build, (o) => String(o.value), { directNumWorkers: workers });

    it("fixed windows partition the elements (testPartitioningWindowing)", async () => {
      const out = await run((p, collectAs) =>
        collectAs("out", windowedCount(timestamped(p, "Create", mode, [at("a", 1), at("b", 2), at("b", 3), at("c", 11), at("d", 11)]), new FixedWindows(10))),
      );
      assert.deepEqual(out.out, ["a:1:1:[0..10)", "b:2:2:[0..10)", "c:1:11:[10..20)", "d:1:11:[10..20)"]);
    });

    it("sliding windows overlap; the EARLIEST combiner stamps each count (testNonPartitioningWindowing)", async () => {
      const out = await run((p, collectAs) => collectAs("out", windowedCount(timestamped(p, "Create", mode, [at("a", 1), at("a", 7), at("b", 8)]), new SlidingWindows(10, 5))));
      assert.deepEqual(out.out, ["a:1:1:[-5..5)", "a:1:7:[5..15)", "a:2:1:[0..10)", "b:1:8:[0..10)", "b:1:8:[5..15)"]);
    });

    it("sessions merge (testMergingWindowing)", async () => {
      const out = await run((p, collectAs) => collectAs("out", windowedCount(timestamped(p, "Create", mode, [at("a", 1), at("a", 5), at("a", 20)]), new Sessions(10))));
      assert.deepEqual(out.out, ["a:1:20:[20..30)", "a:2:1:[1..15)"]);
    });

    it("windows assigned after a Flatten of two inputs (testWindowPreservation)", async () => {
      const out = await run((p, collectAs) => {
        const input1 = timestamped(p, "Create12", mode, [at("a", 1), at("b", 2)]);
        const input2 = timestamped(p, "Create34", mode, [at("a", 3), at("b", 4)]);
        collectAs("out", windowedCount(p.apply("Flatten", Flatten.pCollections(input1, input2)), new FixedWindows(5)));
      });
      assert.deepEqual(out.out, ["a:2:1:[0..5)", "b:2:2:[0..5)"]);
    });

    it("empty input gives no counts (testEmptyInput)", async () => {
      const out = await run((p, collectAs) => collectAs("out", windowedCount(timestamped<string>(p, "Create", mode, []), new FixedWindows(10))));
      assert.deepEqual(out.out ?? [], []);
    });

    it("a user's merging window fn of interval windows (testMergingCustomWindowsWithoutCustomWindowTypes)", async () => {
      const out = await run((p, collectAs) => {
        const input = timestamped(
          p,
          "Create",
          mode,
          [1, 2, 3, 4, 5].map((i) => ({ value: kv("a", i), timestamp: i * 1000 })),
        );
        const grouped = input.apply("Window", Window.into(new OddEvenMergingBuckets())).apply("GroupByKey", GroupByKey.create<string, number>());
        collectAs("out", grouped.map("Format", (e) => `[${[...e.value].sort((a, b) => a - b).join(", ")}]`));
      });
      assert.deepEqual(out.out, ["[1, 3, 5]", "[2, 4]"]);
    });
  });
}

describe("Beam Java WindowingTest.testTextIoInput: batch", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-windowing-"));
    fs.writeFileSync(path.join(dir, "file.txt"), "a 1\nb 2\nb 3\nc 11\nd 11\n");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const workers of [1, 2]) {
    it(`words stamped from the lines of a file, counted in fixed windows (${workers} worker(s))`, async () => {
      const out = await labelledOutputs(
        (p, collectAs) => {
          // Beam's ExtractWordsWithTimestampsFn: "word millis" lines, the word at that timestamp.
          const words = p.apply("ReadLines", ReadFromText.from(path.join(dir, "file.txt"))).apply(
            "ExtractWordsWithTimestamps",
            ParDo.into<string>().of((line: string, ctx) => {
              const parts = line.split(/[^a-zA-Z0-9']+/).filter((w) => w !== "");
              if (parts.length === 2) ctx.outputWithTimestamp(parts[0]!, Number(parts[1]));
            }),
          );
          collectAs("out", windowedCount(words, new FixedWindows(10)));
        },
        (o) => String(o.value),
        { directNumWorkers: workers },
      );
      assert.deepEqual(out.out, ["a:1:1:[0..10)", "b:2:2:[0..10)", "c:1:11:[10..20)", "d:1:11:[10..20)"]);
    });
  }
});
