/**
 * Beam Java's ViewTest cases beam_sideinputs.test.ts and beam_sideinput_maps.test.ts do not port:
 * the windowed singleton, list, iterable, map and multimap views (each main window reads the
 * side input's same window), a window the side input has no data for reading its default
 * (testWindowedSideInputNotPresent), a map of combined values, a null singleton, and a discarding
 * singleton of several values failing. With Beam's inputs and expected outputs, in batch (Create)
 * and streaming (TestStream), on one worker and on two.
 */
import { strict as assert } from "node:assert";
import {
  AfterProcessingTime,
  Filter,
  Latest,
  Repeatedly,
  AsIterable,
  AsList,
  AsMap,
  AsMultimap,
  AsSingleton,
  Combine,
  Combiners,
  Create,
  FixedWindows,
  GlobalWindows,
  GroupByKey,
  kv,
  KV,
  ParDo,
  TestStream,
  Values,
  Window,
} from "../../lib";
import { StringUtf8Coder, VarIntCoder } from "../../lib/coders/primitive";
import { KVCoder } from "../../lib/coders/structural";
import type { Coder } from "../../lib/coders/coder";
import { labelledOutputs, runError, timestamped } from "./beam_helpers";

/** Beam Java's ViewTest.NonDeterministicStringCoder: UTF-8 strings, declared non-deterministic on purpose. */
class NonDeterministicStringCoder extends StringUtf8Coder {
  override readonly deterministic = false as true;
}

const tenMs = new FixedWindows(10);

// Two workers in batch: a streaming run from a TestStream runs in one thread whatever the flag says.
for (const mode of ["batch", "streaming"] as const) {
  for (const workers of mode === "batch" ? [1, 2] : [1]) {
    describe(`Beam Java ViewTest (windowed views): ${mode}, ${workers} worker(s)`, () => {
      const options = { directNumWorkers: workers };

      it("singleton in the global window (testSingletonSideInput)", async () => {
        const out = await labelledOutputs((p, collectAs) => {
          const view = AsSingleton(timestamped(p, "Create47", mode, [{ value: 47, timestamp: 0 }]));
          const main = timestamped(p, "Create123", mode, [1, 2, 3].map((value) => ({ value, timestamp: 0 })));
          collectAs("out", main.apply("OutputSideInputs", ParDo.into<number>().of((_x, ctx) => ctx.output(ctx.sideInputs.view), { sideInputs: { view } })));
        }, undefined, options);
        assert.deepEqual(out.out, ["47", "47", "47"]);
      });

      it("windowed singleton: each main window reads its own side window (testWindowedSingletonSideInput)", async () => {
        const out = await labelledOutputs((p, collectAs) => {
          const side = timestamped(p, "Create47", mode, [
            { value: 47, timestamp: 1 },
            { value: 48, timestamp: 11 },
          ]).apply("SideWindowInto", Window.into(tenMs));
          const view = AsSingleton(side);
          const main = timestamped(p, "Create123", mode, [
            { value: 1, timestamp: 4 },
            { value: 2, timestamp: 8 },
            { value: 3, timestamp: 12 },
          ]).apply("MainWindowInto", Window.into(tenMs));
          collectAs("out", main.apply("OutputSideInputs", ParDo.into<number>().of((_x, ctx) => ctx.output(ctx.sideInputs.view), { sideInputs: { view } })));
        }, undefined, options);
        assert.deepEqual(out.out, ["47", "47", "48"]);
      });

      it("windowed list: its size and each element, per window (testWindowedListSideInput, testListWithRandomAccessSideInput)", async () => {
        const out = await labelledOutputs((p, collectAs) => {
          const side = timestamped(p, "CreateSideInput", mode, [
            ...[11, 13, 17, 23].map((value) => ({ value, timestamp: 1 })),
            ...[31, 33, 37, 43].map((value) => ({ value, timestamp: 11 })),
          ]).apply("SideWindowInto", Window.into(tenMs));
          const view = AsList(side);
          const main = timestamped(p, "CreateMainInput", mode, [
            { value: 29, timestamp: 1 },
            { value: 35, timestamp: 11 },
          ]).apply("MainWindowInto", Window.into(tenMs));
          collectAs(
            "out",
            main.apply(
              "OutputSideInputs",
              ParDo.into<number>().of(
                (_x, ctx) => {
                  const list = ctx.sideInputs.view;
                  // Java's checkArgument: a view of exactly its window's four elements.
                  if (list.length !== 4 || list[0] !== ctx.sideInputs.view[0]) throw new Error(`list view of ${list.length} elements, expected 4`);
                  for (const i of list) ctx.output(i);
                },
                { sideInputs: { view } },
              ),
            ),
          );
        }, undefined, options);
        assert.deepEqual(out.out, ["11", "13", "17", "23", "31", "33", "37", "43"]);
      });

      it("iterable in the global window, and windowed (testIterableSideInput, testWindowedIterableSideInput)", async () => {
        const out = await labelledOutputs((p, collectAs) => {
          const globalView = AsIterable(timestamped(p, "CreateGlobalSide", mode, [11, 13, 17, 23].map((value) => ({ value, timestamp: 0 }))));
          const globalMain = timestamped(p, "CreateGlobalMain", mode, [29, 31].map((value) => ({ value, timestamp: 0 })));
          collectAs(
            "global",
            globalMain.apply(
              "OutputGlobal",
              ParDo.into<number>().of(
                (_x, ctx) => {
                  for (const i of ctx.sideInputs.view) ctx.output(i);
                },
                { sideInputs: { view: globalView } },
              ),
            ),
          );
          const side = timestamped(p, "CreateSideInput", mode, [
            ...[11, 13, 17, 23].map((value) => ({ value, timestamp: 1 })),
            ...[31, 33, 37, 43].map((value) => ({ value, timestamp: 11 })),
          ]).apply("SideWindowInto", Window.into(tenMs));
          const main = timestamped(p, "CreateMainInput", mode, [
            { value: 29, timestamp: 1 },
            { value: 35, timestamp: 11 },
          ]).apply("MainWindowInto", Window.into(tenMs));
          collectAs(
            "windowed",
            main.apply(
              "OutputWindowed",
              ParDo.into<number>().of(
                (_x, ctx) => {
                  for (const i of ctx.sideInputs.view) ctx.output(i);
                },
                { sideInputs: { view: AsIterable(side) } },
              ),
            ),
          );
        }, undefined, options);
        assert.deepEqual(out.global, ["11", "11", "13", "13", "17", "17", "23", "23"]);
        assert.deepEqual(out.windowed, ["11", "13", "17", "23", "31", "33", "37", "43"]);
      });

      it("an empty iterable is empty, and an iterable view cannot be changed (testEmptyIterableSideInput, testIterableSideInputIsImmutable)", async () => {
        const out = await labelledOutputs((p, collectAs) => {
          const empty = AsIterable(timestamped<number>(p, "CreateEmptyView", mode, []));
          const one = AsIterable(timestamped(p, "CreateSideInput", mode, [{ value: 11, timestamp: 0 }]));
          const main = timestamped(p, "Create1", mode, [{ value: 1, timestamp: 0 }]);
          collectAs(
            "out",
            main.apply(
              "OutputSideInputs",
              ParDo.into<string>().of(
                (_x, ctx) => {
                  let refused = false;
                  try {
                    (ctx.sideInputs.one as number[]).pop();
                  } catch {
                    refused = true;
                  }
                  ctx.output(`empty=${ctx.sideInputs.empty.length} refused=${refused} one=${[...ctx.sideInputs.one].join(",")}`);
                },
                { sideInputs: { empty, one } },
              ),
            ),
          );
        }, undefined, options);
        assert.deepEqual(out.out, ['"empty=0 refused=true one=11"']);
      });

      it("windowed map and multimap, iterated as entries (testWindowedMapAsEntrySetSideInput, testWindowedMultimapAsEntrySetSideInput)", async () => {
        const out = await labelledOutputs((p, collectAs) => {
          const mapSide = timestamped(p, "CreateMapSide", mode, [
            { value: kv("a", 1), timestamp: 1 },
            { value: kv("b", 2), timestamp: 4 },
            { value: kv("b", 3), timestamp: 18 },
          ]).apply("MapWindowInto", Window.into(tenMs));
          const mapMain = timestamped(p, "CreateMapMain", mode, [
            { value: 2, timestamp: 5 },
            { value: 1, timestamp: 16 },
          ]).apply("MapMainWindowInto", Window.into(tenMs));
          collectAs(
            "map",
            mapMain.apply(
              "OutputMap",
              ParDo.into<KV<string, number>>().of(
                (size, ctx) => {
                  const m = ctx.sideInputs.view;
                  if (m.size !== size) throw new Error(`map view of ${m.size} entries, expected ${size}`);
                  for (const [k, v] of m) ctx.output(kv(k, v));
                },
                { sideInputs: { view: AsMap(mapSide) } },
              ),
            ),
          );
          const multiSide = timestamped(p, "CreateMultiSide", mode, [
            { value: kv("a", 1), timestamp: 1 },
            { value: kv("a", 1), timestamp: 2 },
            { value: kv("a", 2), timestamp: 7 },
            { value: kv("b", 3), timestamp: 14 },
          ]).apply("MultiWindowInto", Window.into(tenMs));
          const multiMain = timestamped(p, "CreateMultiMain", mode, [
            { value: 1, timestamp: 5 },
            { value: 1, timestamp: 16 },
          ]).apply("MultiMainWindowInto", Window.into(tenMs));
          collectAs(
            "multimap",
            multiMain.apply(
              "OutputMultimap",
              ParDo.into<KV<string, number>>().of(
                (size, ctx) => {
                  const m = ctx.sideInputs.view;
                  if (m.size !== size) throw new Error(`multimap view of ${m.size} keys, expected ${size}`);
                  for (const [k, vs] of m) for (const v of vs) ctx.output(kv(k, v));
                },
                { sideInputs: { view: AsMultimap(multiSide) } },
              ),
            ),
          );
        }, undefined, options);
        assert.deepEqual(out.map, ['{"key":"a","value":1}', '{"key":"b","value":2}', '{"key":"b","value":3}']);
        assert.deepEqual(out.multimap, ['{"key":"a","value":1}', '{"key":"a","value":1}', '{"key":"a","value":2}', '{"key":"b","value":3}']);
      });

      it("windowed map and multimap whose key coder is not deterministic; empty ones (testWindowedMapSideInputWithNonDeterministicKeyCoder, testWindowedMultimapSideInputWithNonDeterministicKeyCoder, testEmptyMapSideInputWithNonDeterministicKeyCoder, testEmptyMultimapSideInputWithNonDeterministicKeyCoder)", async () => {
        const keyCoder = new KVCoder(new NonDeterministicStringCoder(), VarIntCoder.INSTANCE) as unknown as Coder<KV<string, number>>;
        const out = await labelledOutputs((p, collectAs) => {
          const side = timestamped(p, "CreateSideInput", mode, [
            { value: kv("a", 1), timestamp: 1 },
            { value: kv("a", 1), timestamp: 2 },
            { value: kv("a", 2), timestamp: 7 },
            { value: kv("b", 3), timestamp: 14 },
          ])
            .setCoder(keyCoder)
            .apply("SideWindowInto", Window.into(tenMs));
          const main = timestamped(p, "CreateMainInput", mode, [
            { value: "apple", timestamp: 5 },
            { value: "banana", timestamp: 13 },
            { value: "blackberry", timestamp: 16 },
          ]).apply("MainWindowInto", Window.into(tenMs));
          collectAs(
            "multimap",
            main.apply(
              "OutputMultimap",
              ParDo.into<KV<string, number>>().of(
                (w, ctx) => {
                  for (const v of ctx.sideInputs.view.get(w.slice(0, 1)) ?? []) ctx.output(kv(w, v));
                },
                { sideInputs: { view: AsMultimap(side) } },
              ),
            ),
          );
          const mapSide = timestamped(p, "CreateMapSide", mode, [
            { value: kv("a", 1), timestamp: 1 },
            { value: kv("b", 3), timestamp: 14 },
          ])
            .setCoder(keyCoder)
            .apply("MapSideWindowInto", Window.into(tenMs));
          collectAs("map", main.apply("OutputMap", ParDo.into<KV<string, number | undefined>>().of((w, ctx) => ctx.output(kv(w, ctx.sideInputs.view.get(w.slice(0, 1)))), { sideInputs: { view: AsMap(mapSide) } })));
          const empty = timestamped<KV<string, number>>(p, "CreateEmptyView", mode, []).setCoder(keyCoder);
          const one = timestamped(p, "Create1", mode, [{ value: 1, timestamp: 0 }]);
          collectAs(
            "empty",
            one.apply(
              "OutputEmpty",
              ParDo.into<string>().of((x, ctx) => ctx.output(`${x}: ${ctx.sideInputs.m.size} ${[...ctx.sideInputs.m].length} ${ctx.sideInputs.mm.size}`), {
                sideInputs: { m: AsMap(empty), mm: AsMultimap(empty) },
              }),
            ),
          );
        }, undefined, options);
        assert.deepEqual(out.multimap, ['{"key":"apple","value":1}', '{"key":"apple","value":1}', '{"key":"apple","value":2}', '{"key":"banana","value":3}', '{"key":"blackberry","value":3}']);
        assert.deepEqual(out.map, ['{"key":"apple","value":1}', '{"key":"banana","value":3}', '{"key":"blackberry","value":3}']);
        assert.deepEqual(out.empty, ['"1: 0 0 0"']);
      });

      // Java's Create is bounded: a global-window combine of a TestStream (no trigger) is refused
      // when built, in Beam as here, so these two run in batch only.
      if (mode === "batch") it("a map of per-key sums (testCombinedMapSideInput)", async () => {
        const out = await labelledOutputs((p, collectAs) => {
          const sums = timestamped(p, "CreateSideInput", mode, [kv("a", 1), kv("a", 20), kv("b", 3)].map((value) => ({ value, timestamp: 0 }))).apply(
            "SumIntegers",
            Combine.perKey(Combiners.sum()),
          );
          const main = timestamped(p, "CreateMainInput", mode, ["apple", "banana", "blackberry"].map((value) => ({ value, timestamp: 0 })));
          collectAs(
            "out",
            main.apply("Output", ParDo.into<KV<string, number | undefined>>().of((w, ctx) => ctx.output(kv(w, ctx.sideInputs.view.get(w.slice(0, 1)))), { sideInputs: { view: AsMap(sums) } })),
          );
        }, undefined, options);
        assert.deepEqual(out.out, ['{"key":"apple","value":21}', '{"key":"banana","value":3}', '{"key":"blackberry","value":3}']);
      });

      if (mode === "batch") it("a singleton whose value is null (testSideInputWithNullDefault)", async () => {
        const out = await labelledOutputs((p, collectAs) => {
          const side = timestamped<null>(p, "CreateSideInput", mode, [{ value: null, timestamp: 0 }]).apply(
            "CombineNulls",
            Combine.globally((_values: null[]) => null),
          );
          const main = timestamped(p, "CreateMainInput", mode, [{ value: "", timestamp: 0 }]);
          collectAs("out", main.apply("OutputMainAndSideInputs", ParDo.into<string>().of((x, ctx) => ctx.output(x + String(ctx.sideInputs.view)), { sideInputs: { view: AsSingleton(side) } })));
        }, undefined, options);
        assert.deepEqual(out.out, ['"null"']);
      });

      it("a discarding singleton of three elements fails the run (testDiscardingNonSingletonSideInput)", async () => {
        const error = await runError((p) => {
          const oneTwoThree = timestamped(p, "Create", mode, [1, 2, 3].map((value) => ({ value, timestamp: 0 })));
          const view = AsSingleton(oneTwoThree.apply("Discarding", Window.into(new GlobalWindows(), { accumulationMode: "DISCARDING" })));
          oneTwoThree.apply("OutputSideInputs", ParDo.into<number>().of((_x, ctx) => ctx.output(ctx.sideInputs.view), { sideInputs: { view } }));
        });
        assert.match(error.message, /singleton side input 'view' .* has 3 elements/);
      });
    });
  }
}

{
  describe("Beam Java ViewTest (a side window with no data): streaming", () => {
    it("a main window whose side window is empty reads the default (testWindowedSideInputNotPresent)", async () => {
      // The side input's only value is the sum over [0s, 100s), timestamped at that window's end
      // (99.999s), so after rewindowing into 10s windows it is in [90s, 100s): the main window
      // [0s, 10s) finds its side window empty and reads the default, 0.
      const out = await labelledOutputs((p, collectAs) => {
        const input = p.apply(
          "Input",
          TestStream.create<KV<number, number>>()
            .advanceWatermarkTo(0)
            .addElements({ value: kv(1000, 1000), timestamp: 1000 })
            .advanceWatermarkTo(20_000)
            .advanceWatermarkToInfinity(),
        );
        const sums = input
          .apply("Values", Values.create<number>())
          .apply("SideWindowInto", Window.into(new FixedWindows(100_000)))
          .apply("ViewCombine", Combine.globally(Combiners.sum(), { withoutDefaults: true }))
          .apply("Rewindow", Window.into(new FixedWindows(10_000)));
        const view = AsSingleton(sums, { default: 0 });
        const grouped = input.apply("MainWindowInto", Window.into(new FixedWindows(10_000))).apply("GroupByKey", GroupByKey.create<number, number>());
        collectAs("out", grouped.apply("OutputSideInputs", ParDo.into<number>().of((_kv, ctx) => ctx.output(ctx.sideInputs.view), { sideInputs: { view } })));
      }, (o) => `${String(o.value)}@${o.window}`);
      assert.deepEqual(out.out, ["0@0:10000"]);
    });
  });
}

describe("Beam Java ViewTest (a triggered side input): streaming", () => {
  it("a singleton of the latest value of repeated processing-time panes (testTriggeredLatestSingleton)", async () => {
    // Java reads GenerateSequence's 1 s windows, each firing every time processing time passes its
    // first element, discarding; the main input's element reads the singleton after several
    // panes. Here one TestStream gives both: two panes of [0, 1s), then the main element.
    const out = await labelledOutputs((p, collectAs) => {
      let stream = TestStream.create<number>().advanceWatermarkTo(0);
      stream = stream.addElements(...[0, 1, 2, 3, 4].map((i) => ({ value: i, timestamp: i * 100 }))).advanceProcessingTime(1000);
      stream = stream.addElements(...[5, 6, 7, 8, 9].map((i) => ({ value: i, timestamp: i * 100 }))).advanceProcessingTime(1000);
      stream = stream.addElements({ value: -1, timestamp: 0 }).advanceProcessingTime(1000);
      const input = p.apply("Sequence", stream.advanceWatermarkToInfinity());
      const latest = input
        .apply("Filter side", Filter.by((x: number) => x >= 0))
        .apply(
          "Window side input",
          Window.into(new FixedWindows(1000), { trigger: Repeatedly(AfterProcessingTime(0)), allowedLatenessMillis: 0, accumulationMode: "DISCARDING" }),
        )
        .apply("Latest", Latest.globally<number>({ withoutDefaults: true }));
      const main = input.apply("Impulse", Filter.by((x: number) => x < 0)).apply("Window main input", Window.into(new FixedWindows(1000)));
      collectAs("out", main.apply("Read", ParDo.into<number>().of((_x, ctx) => ctx.output(ctx.sideInputs.singleton), { sideInputs: { singleton: AsSingleton(latest) } })));
    }, (o) => `${String(o.value)}@${o.window}`, { allowUnsafeTriggers: true });
    // Java asserts one output in [0, 1s); a discarding pane's latest value: 4 or 9, by when it reads.
    assert.equal(out.out?.length, 1, JSON.stringify(out.out));
    assert.match(out.out![0]!, /^(4|9)@0:1000$/);
  });
});

/** A Create-only variant of the empty-window case, in batch: the same expectations hold. */
describe("Beam Java ViewTest (a side window with no data): batch, 2 workers", () => {
  it("a main window whose side window is empty reads the default (testWindowedSideInputNotPresent)", async () => {
    const out = await labelledOutputs((p, collectAs) => {
      const input = p.apply("Input", Create.timestamped([{ value: kv(1000, 1000), timestamp: 1000 }]));
      const sums = input
        .apply("Values", Values.create<number>())
        .apply("SideWindowInto", Window.into(new FixedWindows(100_000)))
        .apply("ViewCombine", Combine.globally(Combiners.sum(), { withoutDefaults: true }))
        .apply("Rewindow", Window.into(new FixedWindows(10_000)));
      const view = AsSingleton(sums, { default: 0 });
      const grouped = input.apply("MainWindowInto", Window.into(new FixedWindows(10_000))).apply("GroupByKey", GroupByKey.create<number, number>());
      collectAs("out", grouped.apply("OutputSideInputs", ParDo.into<number>().of((_kv, ctx) => ctx.output(ctx.sideInputs.view), { sideInputs: { view } })));
    }, (o) => `${String(o.value)}@${o.window}`, { directNumWorkers: 2 });
    assert.deepEqual(out.out, ["0@0:10000"]);
  });
});
