/**
 * Beam Python's ptransform_test.py (PTransformTest), core_test.py (FlattenTest) and create_test.py cases that the
 * Java-named conformance tests do not already run: a multi-output ParDo applied twice, flattening a
 * flattened collection and a list of collections, Partition then Flatten then GroupByKey, windowed
 * flattens, the unsafe-trigger check and its --allow_unsafe_triggers, and start_bundle once per
 * bundle. Each runs on the DirectRunner with one worker and with --direct_num_workers 2.
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  Create,
  FixedWindows,
  Flatten,
  GlobalWindows,
  GroupByKey,
  Partition,
  ParDo,
  Pipeline,
  PipelineConstructionError,
  TestStream,
  Window,
  kv,
  DoFn,
  type KV,
  type ProcessContext,
} from "../../lib";
import { runDirect } from "../helpers";
import { labelledOutputs } from "./beam_helpers";

const json = (values: readonly unknown[]): string[] => values.map((v) => JSON.stringify(v)).sort();
const sortedGroup = (g: KV<string, number[]>): KV<string, number[]> => kv(g.key, [...g.value].sort((a, b) => a - b));

/** Python's MyDoFn of test_do_fn_with_start: outputs "started" for the first element after start_bundle. */
class StartedFn extends DoFn<number, string> {
  private state = "init";
  startBundle(): void {
    this.state = "started";
  }
  process(_x: number, ctx: ProcessContext<string>): void {
    if (this.state === "started") ctx.output("started");
    this.state = "process";
  }
}

for (const workers of [1, 2] as const) {
  const options = { directNumWorkers: workers };
  describe(`Beam Python ptransform_test.py / core_test.py, --direct_num_workers ${workers}`, () => {
    it("create_test.py test_create_transform: nothing, one null, ten numbers", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          out("Empty", p.apply("Empty", Create.from<number>([])));
          out("One", p.apply("One", Create.of(null)));
          out("Ten", p.apply("Ten", Create.from(Array.from({ length: 10 }, (_, i) => i))));
        },
        undefined,
        options,
      );
      assert.deepEqual(r, { Empty: [], One: ["null"], Ten: json([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) });
    });

    it("test_do_with_multiple_outputs_maintains_unique_name: one multi-output ParDo shape applied twice", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const pcoll = p.apply("Start", Create.of(1, 2, 3));
          const r1 = pcoll.apply("A", ParDo.into<number, { m: number }>().of((x: number, ctx) => ctx.outputTo("m", x + 1)).withOutputs("m"));
          const r2 = pcoll.apply("B", ParDo.into<number, { m: number }>().of((x: number, ctx) => ctx.outputTo("m", x + 2)).withOutputs("m"));
          out("R1", r1.m);
          out("R2", r2.m);
        },
        undefined,
        options,
      );
      assert.deepEqual(r, { R1: json([2, 3, 4]), R2: json([3, 4, 5]) });
    });

    it("test_flatten_a_flattened_pcollection, test_flatten_pcollections_in_iterable, test_flatten_no_windows, test_flatten_identical_windows", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const one = p.apply("Start1", Create.of(0, 1, 2, 3));
          const two = p.apply("Start2", Create.of(4, 5, 6, 7));
          const three = p.apply("Start3", Create.of(8, 9));
          const twelve = one.apply("Flatten", Flatten.with(two));
          out("Twice", twelve.apply("FlattenAgain", Flatten.with(three)));
          const list = [one, two];
          out("List", p.apply("FlattenList", Flatten.pCollections(...list)));
          const fixed = (label: string, values: number[]) => p.apply(`C${label}`, Create.from(values)).apply(`W${label}`, Window.into(new FixedWindows(100_000)));
          out("Windowed", fixed("1", [1, 2, 3, 4, 5]).apply("FlattenWindowed", Flatten.with(fixed("2", [6, 7, 8]), fixed("3", [9, 10]))));
        },
        undefined,
        options,
      );
      assert.deepEqual(r, {
        Twice: json([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        List: json([0, 1, 2, 3, 4, 5, 6, 7]),
        Windowed: json([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
      });
    });

    it("test_partition_followed_by_flatten_and_groupbykey", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const created = p.apply("A", Create.of(kv("aa", 1), kv("bb", 2), kv("aa", 2)));
          // Python partitions the (key, value) tuple by len(x) % n: a pair has length 2.
          const parts = created.apply("B", Partition.of(3, (_x: KV<string, number>, n) => 2 % n));
          const flattened = p.apply("C", Flatten.pCollections(...parts));
          out("Grouped", flattened.apply("D", GroupByKey.create<string, number>()).map("Sort", sortedGroup));
        },
        undefined,
        options,
      );
      assert.deepEqual(r.Grouped, json([kv("aa", [1, 2]), kv("bb", [2])]));
    });

    it("test_group_by_key_allow_unsafe_triggers: with the option, a finishing trigger in the global window groups", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const grouped = p
            .apply(Create.of(kv(1, 1), kv(1, 2), kv(1, 3), kv(1, 4)))
            .apply(Window.into(new GlobalWindows(), { trigger: AfterCount(4), accumulationMode: "ACCUMULATING" }))
            .apply(GroupByKey.create<number, number>())
            .map("Sort", (g: KV<number, number[]>) => kv(g.key, [...g.value].sort((a, b) => a - b)));
          out("Grouped", grouped);
        },
        undefined,
        { ...options, allowUnsafeTriggers: true },
      );
      assert.deepEqual(r.Grouped, json([kv(1, [1, 2, 3, 4])]));
    });

    it("test_do_fn_with_start: start_bundle runs before each bundle's first element", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          out("Started", p.apply("Start", Create.of(1, 2, 3)).apply("Do", ParDo.of(new StartedFn())));
        },
        undefined,
        options,
      );
      // Python's one "started" assumes one bundle; here one per bundle, and only that word.
      assert.ok(r.Started!.length >= 1 && r.Started!.length <= 3, String(r.Started));
      assert.deepEqual([...new Set(r.Started)], ['"started"']);
    });
  });
}

describe("Beam Python ptransform_test.py / core_test.py: construction checks", () => {
  it("test_group_by_key_unsafe_trigger: a trigger that finishes in the global window is refused, naming the option", async () => {
    await assert.rejects(
      () =>
        runDirect((p) =>
          p
            .apply(Create.of(kv(null, null)))
            .apply(Window.into(new GlobalWindows(), { trigger: AfterCount(5), accumulationMode: "ACCUMULATING" }))
            .apply(GroupByKey.create()),
        ),
      (e: Error) => e instanceof PipelineConstructionError && /allow_unsafe_triggers/.test(e.message),
    );
  });

  it("core_test.py test_partition_boundedness: Partition's outputs are bounded as its input is", () => {
    const p = Pipeline.create();
    const bounded = p.apply("Source", Create.of(1, 2, 3, 4, 5)).apply("Bounded", Partition.of(3, (v: number, n) => v % n));
    assert.deepEqual(bounded.map((pc) => pc.isBounded), [true, true, true]);
    const stream = p.apply("Stream", TestStream.create<number>().addElements({ value: 1, timestamp: 0 }).advanceWatermarkToInfinity());
    const unbounded = stream.apply("Unbounded", Partition.of(3, (v: number, n) => v % n));
    assert.equal(stream.isBounded, false);
    assert.deepEqual(unbounded.map((pc) => pc.isBounded), [false, false, false]);
  });

  it("test_flatten_mismatched_windows: Beam Python only logs; Beamline, as Beam Java, refuses incompatible window fns", async () => {
    await assert.rejects(
      () =>
        runDirect((p) => {
          const w25 = p.apply("C1", Create.of(1, 2, 3, 4, 5)).apply("W1", Window.into(new FixedWindows(25_000)));
          const w100 = p.apply("C2", Create.of(6, 7, 8)).apply("W2", Window.into(new FixedWindows(100_000)));
          w25.apply("Flatten", Flatten.with(w100));
        }),
      (e: Error) => e instanceof PipelineConstructionError && /Flatten inputs must have the same windowing/.test(e.message),
    );
  });
});
