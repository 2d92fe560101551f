/**
 * Beam Python's fn_runner_test.py (FnApiRunnerTest; portable_runner_test.py runs the same cases on
 * the portable runner): Create, Map chains, a large input, tagged outputs, GroupByKey, Reshuffle,
 * Flatten (of different element types, of one PCollection three times), CombinePerKey(Mean) in
 * fixed, sliding and session windows, a custom merging WindowFn, a composite returning one of its
 * inputs, large elements, a grouping of many values and a grouping of nothing. Each case runs on
 * the DirectRunner in batch, in streaming and with --direct_num_workers 2, and through the Fn API
 * harness (fn_runner_helpers.ts) where the test runner there can run it. Python's timestamps are
 * seconds; here they are milliseconds.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  AsList,
  Combine,
  Combiners,
  Create,
  FixedWindows,
  Flatten,
  GroupByKey,
  IntervalWindow,
  kv,
  ParDo,
  PTransform,
  ReadFromText,
  Reshuffle,
  Sessions,
  SlidingWindows,
  Window,
  type BoundedWindow,
  type KV,
  type MergingWindowFn,
  type PCollection,
  type WindowMerge,
} from "../../lib";
import type { Observed } from "../streaming/collect";
import { DIRECT_ONLY, EVERYWHERE, jsonSorted, outputsOn, type Where } from "./fn_runner_helpers";

const sortedGroup = <K>(g: KV<K, number[]>): KV<K, number[]> => kv(g.key, [...g.value].sort((a, b) => a - b));
const timestampedAt = (values: readonly number[]) => Create.timestamped(values.map((t) => ({ value: kv("k", t), timestamp: t })));

/** Python's CustomMergingWindowFn: [t, t + 1000 s); the windows that start on an even instant merge into one. */
class CustomMergingWindowFn implements MergingWindowFn {
  readonly urn = "beamline:test:even_start_merging:v1";
  readonly config = {};
  readonly windowCoderUrn = "beam:coder:interval_window:v1";
  readonly isMerging = true as const;
  assignWindows(t: number): readonly BoundedWindow[] {
    return [new IntervalWindow(t, t + 1_000_000)];
  }
  sideInputWindow(): BoundedWindow {
    throw new Error("CustomMergingWindowFn: not a side input window function");
  }
  mergeWindows(windows: readonly IntervalWindow[]): WindowMerge[] {
    const evens = windows.filter((w) => (w.start / 1000) % 2 === 0);
    if (evens.length === 0) return [];
    return [{ merged: new IntervalWindow(Math.min(...evens.map((w) => w.start)), Math.max(...evens.map((w) => w.end))), from: evens }];
  }
}

/** Python's First: a composite with no subtransform, whose output is its first input. */
class First<T> extends PTransform<readonly PCollection<T>[], PCollection<T>> {
  expand(inputs: readonly PCollection<T>[]): PCollection<T> {
    return inputs[0]!;
  }
}

function cases(where: Where): void {
  const run = (build: Parameters<typeof outputsOn>[1], format?: (o: Observed<unknown>) => string) => outputsOn(where, build, format);
  const on = (places: readonly Where[]) => (places.includes(where) ? it : () => undefined);

  on(EVERYWHERE)("test_create, test_pardo, test_pardo_large_input: Create, Map chains, 5000 numbers", async () => {
    const r = await run((p, out) => {
      out("Create", p.apply("CreateAB", Create.of("a", "b")));
      out("Pardo", p.apply("CreateABC", Create.of("a", "bc")).map("Twice", (e: string) => e + e).map("X", (e: string) => e + "x"));
      const big = Array.from({ length: 5000 }, (_, i) => i);
      out("Large", p.apply("Big", Create.from(big)).map("Times2", (e: number) => e * 2).map("Plus3", (e: number) => e + 3));
    });
    assert.deepEqual(r.Create, jsonSorted(["a", "b"]));
    assert.deepEqual(r.Pardo, jsonSorted(["aax", "bcbcx"]));
    assert.deepEqual(r.Large, jsonSorted(Array.from({ length: 5000 }, (_, i) => i * 2 + 3)));
  });

  on(EVERYWHERE)("test_pardo_side_outputs, test_pardo_side_and_main_outputs: tagged outputs, with and without the main one", async () => {
    const r = await run((p, out) => {
      const xy = p
        .apply("Create", Create.of("x", "y", "xy"))
        .apply("Tee", ParDo.into<never, { x: string; y: string }>().of((e: string, ctx) => {
          for (const tag of ["x", "y"] as const) if (e.includes(tag)) ctx.outputTo(tag, e);
        }).withOutputs("x", "y"));
      out("x", xy.x);
      out("y", xy.y);
      const named = p
        .apply("Ints", Create.of(1, 2, 3))
        .apply("named", ParDo.into<number, { even: number; odd: number }>().of((e: number, ctx) => {
          ctx.output(e);
          ctx.outputTo(e % 2 ? "odd" : "even", e);
        }).withOutputs("even", "odd"));
      out("all", named.main);
      out("even", named.even);
      out("odd", named.odd);
    });
    assert.deepEqual(r, { x: jsonSorted(["x", "xy"]), y: jsonSorted(["y", "xy"]), all: jsonSorted([1, 2, 3]), even: ["2"], odd: ["1", "3"] });
  });

  on(EVERYWHERE)("test_group_by_key, test_group_by_key_with_empty_pcoll_elements, test_gbk_many_values", async () => {
    const r = await run((p, out) => {
      out("Grouped", p.apply("Create", Create.of(kv("a", 1), kv("a", 2), kv("b", 3))).apply("GBK", GroupByKey.create<string, number>()).map("Sort", sortedGroup));
      out("Empty", p.apply("One", Create.of(kv("test_key", "test_value"))).apply("Nothing", ParDo.of(() => undefined)).apply("GBKEmpty", GroupByKey.create<string, string>()));
      // FnApiBasedStateBackedCoderTest: 200 values of 300 characters under one key (Beam runners page such a group).
      out(
        "Many",
        p
          .apply("None", Create.of(null))
          .flatMap("Values", () => Array.from({ length: 200 }, () => kv(1, "x".repeat(300))))
          .apply("GBKMany", GroupByKey.create<number, string>())
          .map("Sum", (g: KV<number, string[]>) => [...g.value].reduce((s, v) => s + v.length, 0)),
      );
    });
    assert.deepEqual(r, { Grouped: jsonSorted([kv("a", [1, 2]), kv("b", [3])]), Empty: [], Many: ["60000"] });
  });

  on(EVERYWHERE)("test_reshuffle, test_reshuffle_after_custom_window: contents, timestamps and windows kept", async () => {
    const r = await run(
      (p, out) => {
        out("Plain", p.apply("Create", Create.of(1, 2, 3)).apply("Reshuffle", Reshuffle.viaRandomKey()));
        out(
          "Windowed",
          p
            .apply("Timestamped", Create.timestamped([12, 2, 1].map((t) => ({ value: t, timestamp: t * 1000 }))))
            .apply("Window", Window.into(new FixedWindows(2000)))
            .apply("ReshuffleWindowed", Reshuffle.viaRandomKey()),
        );
      },
      (o) => `${JSON.stringify(o.value)}@${o.timestamp} ${o.window}`,
    );
    assert.deepEqual(r.Plain!.map((s) => s.split("@")[0]), ["1", "2", "3"]);
    assert.deepEqual(r.Windowed, ["12@12000 12000:14000", "1@1000 0:2000", "2@2000 2000:4000"]);
  });

  on(EVERYWHERE)("test_flatten (with transcoding), test_flatten_same_pcollections, test_no_subtransform_composite", async () => {
    const r = await run((p, out) => {
      const a = p.apply("a", Create.of("a"));
      const bc = p.apply("bc", Create.of("b", "c"));
      // Python's transcoding case: a third input of another element type (and coder).
      const d = p.apply("d", Create.of("d".charCodeAt(0)));
      out("Flatten", p.apply("Flatten", Flatten.pCollections<string | number>(a, bc, d)));
      const pc = p.apply("AB", Create.of("a", "b"));
      out("Same", p.apply("FlattenSame", Flatten.pCollections(pc, pc, pc)));
      out("First", p.applyTransform("First", new First<string>(), [a, bc]));
    });
    assert.deepEqual(r, { Flatten: jsonSorted(["a", "b", "c", 100]), Same: jsonSorted(["a", "a", "a", "b", "b", "b"]), First: ['"a"'] });
  });

  on(EVERYWHERE)("test_combine_per_key, test_windowed_combine_per_key: Mean per key, in fixed, sliding and session windows", async () => {
    const r = await run(
      (p, out) => {
        out("Mean", p.apply("Create", Create.of(kv("a", 1), kv("a", 2), kv("b", 3))).apply("MeanPerKey", Combine.perKey(Combiners.mean())));
        const input = p.apply("Input", Create.timestamped([12, 2, 1].map((t) => ({ value: kv("k", t), timestamp: t * 1000 }))));
        out("Fixed", input.apply("WindowFixed", Window.into(new FixedWindows(10_000))).apply("MeanFixed", Combine.perKey(Combiners.mean())));
        out("Sliding", input.apply("WindowSliding", Window.into(new SlidingWindows(20_000, 10_000))).apply("MeanSliding", Combine.perKey(Combiners.mean())));
        if (where !== "harness") out("Sessions", input.apply("WindowSessions", Window.into(new Sessions(5000))).apply("MeanSessions", Combine.perKey(Combiners.mean())));
      },
      (o) => JSON.stringify(o.value),
    );
    assert.deepEqual(r.Mean, jsonSorted([kv("a", 1.5), kv("b", 3)]));
    assert.deepEqual(r.Fixed, jsonSorted([kv("k", 1.5), kv("k", 12)]));
    assert.deepEqual(r.Sliding, jsonSorted([kv("k", 1.5), kv("k", 5), kv("k", 12)]));
    if (where !== "harness") assert.deepEqual(r.Sessions, jsonSorted([kv("k", 1.5), kv("k", 12)]));
  });

  // The test runner's GroupByKey (mini_runner.ts) does not merge windows: session cases run on the DirectRunner (and Prism).
  on(DIRECT_ONLY)("test_windowing, test_custom_merging_window: Sessions(10 s), and a user's merging WindowFn", async () => {
    const r = await run((p, out) => {
      const input = p.apply("Create", timestampedAt([1, 2, 100, 101, 102].map((t) => t * 1000)));
      out("Sessions", input.apply("Sessions", Window.into(new Sessions(10_000))).apply("GBK", GroupByKey.create<string, number>()).map("Sort", sortedGroup));
      out("Custom", input.apply("Custom", Window.into(new CustomMergingWindowFn())).apply("GBKCustom", GroupByKey.create<string, number>()).map("SortCustom", sortedGroup));
    });
    const seconds = (groups: number[][]) => jsonSorted(groups.map((g) => kv("k", g.map((t) => t * 1000))));
    assert.deepEqual(r.Sessions, seconds([[1, 2], [100, 101, 102]]));
    assert.deepEqual(r.Custom, seconds([[1], [101], [2, 100, 102]]));
  });

  on(EVERYWHERE)("test_large_elements: 10 MB values through an AsList side input and a GroupByKey", async function () {
    this.timeout(120_000);
    // Python's data_plane._DEFAULT_SIZE_FLUSH_THRESHOLD: larger than one data-plane chunk.
    const size = 10 << 20;
    const r = await run((p, out) => {
      const big = p.apply("Create", Create.of("a", "a", "b")).map("Big", (x: string) => kv(x, x.repeat(size)));
      const keys = big.map("Keys", (e: KV<string, string>) => e.key);
      out("side", big.apply("Count", ParDo.into<KV<string, number>>().of((e: KV<string, string>, ctx) => ctx.output(kv(e.key, ctx.sideInputs.keys.filter((k) => k === e.key).length)), { sideInputs: { keys: AsList(keys) } })));
      out("gbk", big.apply("GBK", GroupByKey.create<string, string>()).map("Key", (g: KV<string, string[]>) => `${g.key}:${g.value.length}:${g.value.every((v) => v.length === size)}`));
    });
    assert.deepEqual(r, { side: jsonSorted([kv("a", 2), kv("a", 2), kv("b", 1)]), gbk: jsonSorted(["a:2:true", "b:1:true"]) });
  });

  on(EVERYWHERE)("test_read: ReadFromText of a small file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-fn-runner-read-"));
    try {
      const file = path.join(dir, "in.txt");
      fs.writeFileSync(file, "a\nb\nc");
      const r = await run((p, out) => out("Lines", p.apply("Read", ReadFromText.from(file))));
      assert.deepEqual(r.Lines, jsonSorted(["a", "b", "c"]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const where of EVERYWHERE) {
  describe(`Beam Python fn_runner_test.py (FnApiRunnerTest) core cases: ${where}`, function () {
    this.timeout(60_000);
    cases(where);
  });
}
