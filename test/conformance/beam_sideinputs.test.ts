/**
 * Side inputs against Beam's own tests as the oracle: the cases of Beam Python's
 * sideinputs_test.py and Beam Java's ViewTest.java that Beamline's API can express, with Beam's
 * expected outputs. Each windowed case runs twice: in batch (Create.timestamped) and in streaming
 * (the same elements from a TestStream), since the streaming driver materializes side inputs on
 * its own path (SideInputStore, SideInputGate).
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  AfterWatermark,
  AsIterable,
  AsList,
  AsMap,
  AsMultimap,
  AsSingleton,
  Combine,
  Combiners,
  Create,
  FixedWindows,
  Flatten,
  GlobalWindows,
  kv,
  KV,
  MIN_TIMESTAMP,
  ParDo,
  PCollection,
  PipelineBuilder,
  PTransform,
  Sessions,
  SideInput,
  SlidingWindows,
  TestStream,
  Window,
} from "../../lib";
import type { PBegin } from "../../lib/model/pcollection";
import type { Pipeline } from "../../lib/model/pipeline";
import type { WindowFn } from "../../lib/model/windowing";
import { runDirect } from "../helpers";
import { collect, Observed } from "../streaming/collect";
import { timestamped, type Mode } from "./beam_helpers";


/** Runs `build` (which fills `out`) and returns the run's final state and error. */
async function run(build: PipelineBuilder): Promise<{ state: string; error?: Error }> {
  const result = await runDirect(build);
  // A failed run rejects waitUntilFinish; its state and error say why.
  await result.waitUntilFinish().catch(() => undefined);
  return { state: result.state, error: result.error };
}

/**
 * Beam Python's run_windowed_side_inputs: the numbers, each at its own timestamp (in seconds
 * here: ms would put Python's sliding windows at odd offsets), windowed by `mainFn` as the main
 * input and by `sideFn` (default `mainFn`) as the side input; each main element is paired with
 * the view built by `view`. Rows "x:view", sorted.
 */
async function windowedSideInputs<V>(
  mode: Mode,
  elements: readonly number[],
  mainFn: WindowFn,
  sideFn: WindowFn | undefined,
  view: (side: PCollection<number>) => SideInput<V>,
  show: (v: V) => string,
): Promise<string[]> {
  const out: Observed<string>[] = [];
  const { state, error } = await run((p) => {
    const pcoll = timestamped(
      p,
      "Elements",
      mode,
      elements.map((x) => ({ value: x, timestamp: x * 1000 })),
    );
    const main = pcoll.apply("WindowMain", Window.into(mainFn));
    const side = pcoll.apply("WindowSide", Window.into(sideFn ?? mainFn));
    const s = view(side);
    collect(main.apply("Pair", ParDo.into<string>().of((x, ctx) => ctx.output(`${x}:${show(ctx.sideInputs.s)}`), { sideInputs: { s } })), out);
  });
  assert.equal(state, "DONE", error?.message);
  return out.map((o) => o.value).sort();
}

const sortedList = (xs: readonly number[]): string => `[${[...xs].sort((a, b) => a - b).join(",")}]`;
const asList = (side: PCollection<number>): SideInput<readonly number[]> => AsList(side);
const dict = (m: ReadonlyMap<string, string>): string => `{${[...m].sort().map(([k, v]) => `${k}=${v}`).join(",")}}`;

for (const mode of ["batch", "streaming"] as const) {
  describe(`Beam side inputs (sideinputs_test.py, ViewTest.java): ${mode}`, () => {
    it("global main, global side (test_global_global_windows)", async () => {
      const rows = await windowedSideInputs(mode, [1, 2, 3], new GlobalWindows(), undefined, asList, sortedList);
      assert.deepEqual(rows, ["1:[1,2,3]", "2:[1,2,3]", "3:[1,2,3]"]);
    });

    it("the same fixed windows (test_same_fixed_windows)", async () => {
      const rows = await windowedSideInputs(mode, [1, 2, 11], new FixedWindows(10_000), undefined, asList, sortedList);
      assert.deepEqual(rows, ["1:[1,2]", "2:[1,2]", "11:[11]"].sort());
    });

    it("different fixed windows: the main window's end mapped into the side's (test_different_fixed_windows)", async () => {
      const rows = await windowedSideInputs(mode, [1, 2, 11, 21, 31], new FixedWindows(10_000), new FixedWindows(20_000), asList, sortedList);
      assert.deepEqual(rows, ["1:[1,2,11]", "2:[1,2,11]", "11:[1,2,11]", "21:[21,31]", "31:[21,31]"].sort());
    });

    it("fixed main, global side (test_fixed_global_window)", async () => {
      const rows = await windowedSideInputs(mode, [1, 2, 11], new FixedWindows(10_000), new GlobalWindows(), asList, sortedList);
      assert.deepEqual(rows, ["1:[1,2,11]", "2:[1,2,11]", "11:[1,2,11]"].sort());
    });

    it("sliding windows: each of an element's windows reads its own side window (test_sliding_windows)", async () => {
      const rows = await windowedSideInputs(mode, [1, 2, 4], new SlidingWindows(6_000, 2_000), undefined, asList, sortedList);
      assert.deepEqual(rows, ["1:[1,2,4]", "1:[1,2]", "1:[1]", "2:[1,2,4]", "2:[1,2]", "2:[2,4]", "4:[1,2,4]", "4:[2,4]", "4:[4]"].sort());
    });

    it("windowed iterable (test_windowed_iter)", async () => {
      const rows = await windowedSideInputs(mode, [1, 2, 11], new FixedWindows(10_000), undefined, (side) => AsIterable(side), sortedList);
      assert.deepEqual(rows, ["1:[1,2]", "2:[1,2]", "11:[11]"].sort());
    });

    it("windowed singleton of a sum without defaults, default 0 (test_windowed_singleton)", async () => {
      const rows = await windowedSideInputs(
        mode,
        [1, 2, 11],
        new FixedWindows(10_000),
        undefined,
        (side) => AsSingleton(side.apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true })), { default: 0 }),
        String,
      );
      assert.deepEqual(rows, ["1:3", "2:3", "11:11"].sort());
    });

    it("windowed dict (test_windowed_dict)", async () => {
      const rows = await windowedSideInputs(
        mode,
        [1, 2, 11],
        new FixedWindows(10_000),
        undefined,
        (side) => AsMap(side.map("ToKV", (x: number) => kv(`k${x}`, `v${x}`))),
        dict,
      );
      assert.deepEqual(rows, ["1:{k1=v1,k2=v2}", "2:{k1=v1,k2=v2}", "11:{k11=v11}"].sort());
    });

    // ViewTest.testWindowedSideInputFixedToFixed / FixedToGlobal / FixedToFixedWithDefault: a
    // combined side input in other windows than the main input's, read as a singleton.
    async function letters(side: (p: Pipeline) => SideInput<number>): Promise<string[]> {
      const out: Observed<string>[] = [];
      const { state, error } = await run((p) => {
        const s = side(p);
        const main = timestamped(p, "Main", mode, [
          { value: "A", timestamp: 4 },
          { value: "B", timestamp: 15 },
          { value: "C", timestamp: 7 },
        ]).apply("WindowMain", Window.into(new FixedWindows(10)));
        collect(main.apply("Out", ParDo.into<string>().of((x, ctx) => ctx.output(`${x}${ctx.sideInputs.s}`), { sideInputs: { s } })), out);
      });
      assert.equal(state, "DONE", error?.message);
      return out.map((o) => o.value).sort();
    }

    it("fixed side to fixed main: the sum per window (testWindowedSideInputFixedToFixed)", async () => {
      const rows = await letters((p) =>
        AsSingleton(
          timestamped(p, "Side", mode, [
            { value: 1, timestamp: 1 },
            { value: 2, timestamp: 11 },
            { value: 3, timestamp: 13 },
          ])
            .apply("WindowSide", Window.into(new FixedWindows(10)))
            .apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true })),
        ),
      );
      assert.deepEqual(rows, ["A1", "B5", "C1"]);
    });

    it("global side to fixed main: one sum for every window (testWindowedSideInputFixedToGlobal)", async () => {
      const rows = await letters((p) =>
        AsSingleton(
          timestamped(p, "Side", mode, [
            { value: 1, timestamp: 1 },
            { value: 2, timestamp: 11 },
            { value: 3, timestamp: 13 },
          ])
            // A trigger firing at the end: a streaming (unbounded) side input in the global window needs one before its grouping.
            .apply("WindowSide", Window.into(new GlobalWindows(), { trigger: AfterWatermark() }))
            .apply("Sum", Combine.globally(Combiners.sum())),
        ),
      );
      assert.deepEqual(rows, ["A6", "B6", "C6"]);
    });

    it("fixed side with a default for its empty windows (testWindowedSideInputFixedToFixedWithDefault)", async () => {
      const rows = await letters((p) =>
        AsSingleton(
          timestamped(p, "Side", mode, [
            { value: 2, timestamp: 11 },
            { value: 3, timestamp: 13 },
          ])
            .apply("WindowSide", Window.into(new FixedWindows(10)))
            .apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true })),
          { default: 0 },
        ),
      );
      assert.deepEqual(rows, ["A0", "B5", "C0"]);
    });

    it("a windowed sum as a singleton with a default, read from the windows with and without data, one at the minimum timestamp (CombineTest.testWindowedCombineGloballyAsSingletonView)", async () => {
      const out: Observed<number>[] = [];
      const { state, error } = await run((p) => {
        const s = AsSingleton(
          timestamped(p, "Side", mode, [
            { value: 1, timestamp: 100 },
            { value: 3, timestamp: 100 },
          ])
            .apply("WindowSide", Window.into(new FixedWindows(100)))
            .apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true })),
          { default: 0 },
        );
        const main = timestamped(p, "Main", mode, [
          { value: "non-empty", timestamp: 100 },
          { value: "empty", timestamp: MIN_TIMESTAMP },
        ]).apply("WindowMain", Window.into(new FixedWindows(100)));
        collect(main.apply("Out", ParDo.into<number>().of((_x, ctx) => ctx.output(ctx.sideInputs.s), { sideInputs: { s } })), out);
      });
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(out.map((o) => `${o.window} ${o.value}`).sort(), [`${Math.floor(MIN_TIMESTAMP / 100) * 100}:${Math.floor(MIN_TIMESTAMP / 100) * 100 + 100} 0`, "100:200 4"].sort());
    });

    it("windowed map and multimap (testWindowedMapSideInput, testWindowedMultimapSideInput)", async () => {
      const out: Observed<string>[] = [];
      const { state, error } = await run((p) => {
        const map = AsMap(
          timestamped(p, "MapSide", mode, [
            { value: kv("a", 1), timestamp: 1 },
            { value: kv("b", 2), timestamp: 4 },
            { value: kv("b", 3), timestamp: 18 },
          ]).apply("WindowMap", Window.into(new FixedWindows(10))),
        );
        const multi = AsMultimap(
          timestamped(p, "MultiSide", mode, [
            { value: kv("a", 1), timestamp: 1 },
            { value: kv("a", 2), timestamp: 7 },
            { value: kv("b", 3), timestamp: 14 },
          ]).apply("WindowMulti", Window.into(new FixedWindows(10))),
        );
        const main = timestamped(p, "Main", mode, [
          { value: "apple", timestamp: 5 },
          { value: "banana", timestamp: 4 },
          { value: "blackberry", timestamp: 16 },
        ]).apply("WindowMain", Window.into(new FixedWindows(10)));
        collect(
          main.apply(
            "Out",
            ParDo.into<string>().of(
              (x, ctx) => {
                const k = x.substring(0, 1);
                ctx.output(`map ${x}=${ctx.sideInputs.map.get(k)}`);
                for (const v of ctx.sideInputs.multi.get(k) ?? []) ctx.output(`multi ${x}=${v}`);
              },
              { sideInputs: { map, multi } },
            ),
          ),
          out,
        );
      });
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(
        out.map((o) => o.value).sort(),
        ["map apple=1", "map banana=2", "map blackberry=3", "multi apple=1", "multi apple=2", "multi blackberry=3"].sort(),
      );
    });
  });
}

for (const mode of ["batch", "streaming"] as const) {
  /** C.of / C.from, or in streaming a TestStream of the same values in the global window. */
  const C = {
    of: <T>(...values: T[]): PTransform<PBegin, PCollection<T>> => C.from(values),
    from: <T>(values: readonly T[]): PTransform<PBegin, PCollection<T>> =>
      mode === "batch"
        ? Create.from(values)
        : TestStream.create<T>()
            .addElements(...values.map((value) => ({ value, timestamp: 0 })))
            .advanceWatermarkToInfinity(),
  };
  describe(`Beam side inputs (sideinputs_test.py, ViewTest.java): global window, ${mode}`, () => {
    /** Runs `main` → FlatMap(fn with `views`) and returns the sorted outputs (as JSON). */
    async function outputs<S extends Record<string, unknown>>(
      views: (p: Pipeline) => { readonly [K in keyof S]: SideInput<S[K]> },
      fn: (x: number, s: S) => unknown[],
      main: readonly number[] = [1, 2],
    ): Promise<{ rows: string[]; state: string; error?: Error }> {
      const out: Observed<unknown>[] = [];
      const { state, error } = await run((p) => {
        const sideInputs = views(p);
        collect(
          p.apply("Main", C.from(main)).apply(
            "Compute",
            ParDo.into<unknown>().of(
              (x, ctx) => {
                for (const o of fn(x, ctx.sideInputs as unknown as S)) ctx.output(o);
              },
              { sideInputs },
            ),
          ),
          out,
        );
      });
      return { rows: out.map((o) => JSON.stringify(o.value)).sort(), state, error };
    }

    it("an empty singleton without a default fails, naming it (testEmptySingletonSideInput)", async () => {
      const { state, error } = await outputs<{ s: number }>((p) => ({ s: AsSingleton(p.apply("Side", C.of<number>())) }), (x, { s }) => [x * s]);
      assert.equal(state, "FAILED");
      assert.match(error!.message, /singleton side input 's' .* is empty/);
    });

    it("a singleton of more than one element fails (test_multi_valued_singleton_side_input, testNonSingletonSideInput)", async () => {
      const { state, error } = await outputs<{ s: number }>((p) => ({ s: AsSingleton(p.apply("Side", C.of(3, 4))) }), (x, { s }) => [x * s]);
      assert.equal(state, "FAILED");
      assert.match(error!.message, /singleton side input 's' .* has 2 elements/);
    });

    it("an empty singleton with a default reads the default (test_default_value_singleton_side_input)", async () => {
      const { rows } = await outputs<{ s: number }>((p) => ({ s: AsSingleton(p.apply("Side", C.of<number>()), { default: 10 }) }), (x, { s }) => [x * s]);
      assert.deepEqual(rows, ["10", "20"]);
    });

    it("iterable (test_iterable_side_input)", async () => {
      const { rows } = await outputs<{ s: readonly number[] }>((p) => ({ s: AsIterable(p.apply("Side", C.of(3, 4))) }), (x, { s }) => s.map((y) => x * y));
      assert.deepEqual(rows, ["3", "4", "6", "8"]);
    });

    it("list and dict, a dict value null (test_as_list_and_as_dict_side_inputs)", async () => {
      const { rows } = await outputs<{ l: readonly number[]; d: ReadonlyMap<string, number | null> }>(
        (p) => ({
          l: AsList(p.apply("SideList", C.of(5, 1, 3, 2, 9))),
          d: AsMap(p.apply("SidePairs", C.of<KV<string, number | null>>(kv("crouton", 17), kv("supreme", null)))),
        }),
        (x, { l, d }) => [[x, [...l].sort((a, b) => a - b), [...d].sort()]],
        [1],
      );
      assert.deepEqual(rows, [JSON.stringify([1, [1, 2, 3, 5, 9], [["crouton", 17], ["supreme", null]]])]);
    });

    it("the same view twice, the same PCollection with different defaults (test_as_singleton_without_unique_labels, ..._with_different_defaults, test_as_list_twice, test_as_dict_twice)", async () => {
      const { rows, state, error } = await outputs<{ s1: number; s2: number; d1: number; d2: number; l1: readonly number[]; l2: readonly number[]; m1: ReadonlyMap<string, number>; m2: ReadonlyMap<string, number> }>(
        (p) => {
          const two = p.apply("Two", C.of(2));
          const none = p.apply("None", C.of<number>());
          const list = p.apply("List", C.of(1, 2, 3));
          const kvs = p.apply("Kvs", C.of(kv("a", 1), kv("b", 2)));
          const single = AsSingleton(two);
          const listView = AsList(list);
          return {
            s1: single,
            s2: single,
            d1: AsSingleton(none, { default: 2 }),
            d2: AsSingleton(none, { default: 3 }),
            l1: listView,
            l2: AsList(list),
            m1: AsMap(kvs),
            m2: AsMap(kvs),
          };
        },
        (x, s) => [[x, s.s1, s.s2, s.d1, s.d2, [...s.l1].sort(), [...s.l2].sort(), [...s.m1].sort(), [...s.m2].sort()]],
        [1],
      );
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(rows, [JSON.stringify([1, 2, 2, 2, 3, [1, 2, 3], [1, 2, 3], [["a", 1], ["b", 2]], [["a", 1], ["b", 2]]])]);
    });

    it("a flattened side input (test_flattened_side_input)", async () => {
      const { rows } = await outputs<{ ab: readonly string[] }>(
        (p) => ({ ab: AsList(p.apply("Side1", C.of("a")).apply(Flatten.with(p.apply("Side2", C.of("b"))))) }),
        (_x, { ab }) => [...ab],
        [0],
      );
      assert.deepEqual(rows, ['"a"', '"b"']);
    });

    it("empty list, map and multimap views are empty (testEmptyListSideInput, testEmptyMapSideInput, testEmptyMultimapSideInput)", async () => {
      const { rows } = await outputs<{ l: readonly number[]; m: ReadonlyMap<string, number>; mm: ReadonlyMap<string, readonly number[]> }>(
        (p) => ({
          l: AsList(p.apply("L", C.of<number>())),
          m: AsMap(p.apply("M", C.of<KV<string, number>>())),
          mm: AsMultimap(p.apply("MM", C.of<KV<string, number>>())),
        }),
        (x, { l, m, mm }) => [[x, l.length, m.size, mm.size]],
        [1],
      );
      assert.deepEqual(rows, ["[1,0,0,0]"]);
    });

    it("map and multimap, iterated as entries (testMapAsEntrySetSideInput, testMultimapAsEntrySetSideInput)", async () => {
      const { rows } = await outputs<{ m: ReadonlyMap<string, number>; mm: ReadonlyMap<string, readonly number[]> }>(
        (p) => ({
          m: AsMap(p.apply("M", C.of(kv("a", 1), kv("b", 3)))),
          mm: AsMultimap(p.apply("MM", C.of(kv("a", 1), kv("a", 2), kv("b", 3)))),
        }),
        (_x, { m, mm }) => [...[...m].map(([k, v]) => `m ${k}${v}`), ...[...mm].flatMap(([k, vs]) => vs.map((v) => `mm ${k}${v}`))],
        [2],
      );
      assert.deepEqual(rows, ['"m a1"', '"m b3"', '"mm a1"', '"mm a2"', '"mm b3"']);
    });

    it("a map with a repeated key fails, even with null values (testMapSideInputWithNullValuesCatchesDuplicates)", async () => {
      const { state, error } = await outputs<{ m: ReadonlyMap<string, null> }>(
        (p) => ({ m: AsMap(p.apply("M", C.of<KV<string, null>>(kv("a", null), kv("a", null)))) }),
        (x, { m }) => [[x, m.get("a")]],
      );
      assert.equal(state, "FAILED");
      assert.match(error!.message, /key "a" twice/);
    });

    it("a side input built from another side input, nested iterables (testSideInputWithNestedIterables)", async () => {
      const out: Observed<number>[] = [];
      const { state, error } = await run((p) => {
        const view1 = AsIterable(p.apply("Create1", C.of(0)).map("OutputOne", () => 17));
        const view2 = AsIterable(
          p.apply("Create2", C.of(0)).apply("OutputSide", ParDo.into<readonly number[]>().of((_x, ctx) => ctx.output(ctx.sideInputs.view1), { sideInputs: { view1 } })),
        );
        collect(
          p.apply("Create3", C.of(0)).apply(
            "Read",
            ParDo.into<number>().of(
              (_x, ctx) => {
                for (const inner of ctx.sideInputs.view2) for (const i of inner) ctx.output(i);
              },
              { sideInputs: { view2 } },
            ),
          ),
          out,
        );
      });
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(
        out.map((o) => o.value),
        [17],
      );
    });

    it("list, map and multimap views cannot be changed by the DoFn (testListSideInputIsImmutable, testMapSideInputIsImmutable, testMultimapSideInputIsImmutable)", async () => {
      // Beam's views throw UnsupportedOperationException on mutation; a view here is shared by every
      // element of the window, so a change one element made would leak into the next element's view.
      const { rows, state, error } = await outputs<{ l: readonly number[]; m: ReadonlyMap<string, number>; mm: ReadonlyMap<string, readonly number[]> }>(
        (p) => ({
          l: AsList(p.apply("L", C.of(11))),
          m: AsMap(p.apply("M", C.of(kv("a", 1)))),
          mm: AsMultimap(p.apply("MM", C.of(kv("a", 1)))),
        }),
        (x, { l, m, mm }) => {
          const refused: string[] = [];
          const attempt = (what: string, change: () => unknown): void => {
            try {
              change();
            } catch {
              refused.push(what);
            }
          };
          attempt("list push", () => (l as number[]).push(4));
          attempt("map set", () => (m as Map<string, number>).set("c", 3));
          attempt("map delete", () => (m as Map<string, number>).delete("a"));
          attempt("map clear", () => (m as Map<string, number>).clear());
          attempt("multimap set", () => (mm as Map<string, number[]>).set("c", [3]));
          attempt("multimap values push", () => (mm.get("a") as number[]).push(2));
          return [[x, refused.length, l.length, m.size, mm.size, mm.get("a")!.length]];
        },
        [1, 2],
      );
      assert.equal(state, "DONE", error?.message);
      assert.deepEqual(rows, ["[1,6,1,1,1,1]", "[2,6,1,1,1,1]"]);
    });

    it("refuses a sessions-windowed side input at construction (Beam: Sessions have no side-input window mapping)", async () => {
      const { state, error } = await run((p) => {
        const side = p.apply("Side", C.of(1)).apply("Sessions", Window.into(new Sessions(10)));
        const s = AsIterable(side as PCollection<number>);
        p.apply("Main", C.of(1)).apply("Read", ParDo.into<number>().of((x, ctx) => ctx.output(x + ctx.sideInputs.s.length), { sideInputs: { s } }));
      }).catch((e: Error) => ({ state: "CONSTRUCTION", error: e }));
      assert.equal(state, "CONSTRUCTION", error?.message);
      assert.match(error!.message, /[Ss]ession/);
    });
  });
}

describe("Beam side inputs: triggered side input (streaming)", () => {
  it("an empty pane does not clear the view: a DISCARDING side input's empty on-time pane keeps its early pane's elements", async () => {
    // Beam Java's DirectRunner writes a view pane element by element (ViewEvaluatorFactory →
    // SideInputContainer.write), so a pane with no elements writes nothing and the window keeps
    // the latest elements; portable runners read every element of the window. Either way an element
    // arriving after the side input's empty on-time pane still reads what the early pane held.
    const out: Observed<string>[] = [];
    const { state, error } = await run((p) => {
      const src = p.apply(
        "Events",
        TestStream.create<string>()
          .addElements({ value: "side:x", timestamp: 1 })
          .advanceWatermarkTo(20) // the side's window [0, 10) fires its (empty) on-time pane
          .addElements({ value: "main:m", timestamp: 2 }) // late, within the main input's lateness
          .advanceWatermarkToInfinity(),
      );
      const s = AsIterable(
        src
          .filter("Side", (e: string) => e.startsWith("side"))
          .apply("SideWindows", Window.into(new FixedWindows(10), { trigger: AfterWatermark({ early: AfterCount(1) }), accumulationMode: "DISCARDING" })),
      );
      const main = src.filter("Main", (e: string) => e.startsWith("main")).apply("MainWindows", Window.into(new FixedWindows(10), { allowedLatenessMillis: 100 }));
      collect(main.apply("Read", ParDo.into<string>().of((x, ctx) => ctx.output(`${x} reads [${ctx.sideInputs.s.join(",")}]`), { sideInputs: { s } })), out);
    });
    assert.equal(state, "DONE", error?.message);
    assert.deepEqual(
      out.map((o) => o.value),
      ["main:m reads [side:x]"],
    );
  });
});
