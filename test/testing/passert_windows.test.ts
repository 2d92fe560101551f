/**
 * Beam Java's PAssertTest and Beam Python's util_test (assert_that, equal_to_per_window,
 * reify_windows) on the DirectRunner in batch: windows, panes, singletons, maps, and the
 * failure messages that name the assertion and the window.
 */
import { strict as assert } from "node:assert";
import {
  Combine,
  Combiners,
  Create,
  DoFn,
  FixedWindows,
  GlobalWindow,
  GroupByKey,
  IntervalWindow,
  kv,
  MIN_TIMESTAMP,
  NO_FIRING,
  ParDo,
  Pipeline,
  PipelineConstructionError,
  SlidingWindows,
  Window,
  WithKeys,
  type KV,
  type PCollection,

  type ProcessContext,
  type ValueInSingleWindow,
} from "../../lib";
import { assertThat, equalTo, equalToPerWindow, isEmpty, satisfies, windowedValue } from "../../lib/testing/passert";
import { PAssert } from "../../lib/testing/pcollection_assert";
import { ON_TIME_AND_ONLY_FIRING } from "../../lib/model/window";
import { runDirect } from "../helpers";

/** Runs and returns the error the run failed with (the test fails if it did not). */
async function failure(build: (p: Pipeline) => void): Promise<Error> {
  const result = await runDirect(build);
  await result.waitUntilFinish().catch(() => undefined);
  assert.equal(result.state, "FAILED", "the assertion should have failed the run");
  return result.error!;
}

async function passes(build: (p: Pipeline) => void): Promise<void> {
  const result = await runDirect(build);
  await result.waitUntilFinish().catch(() => undefined);
  assert.equal(result.state, "DONE", result.error?.message);
}

class Ungroup<T> extends DoFn<KV<number, T[]>, T> {
  process(e: KV<number, T[]>, ctx: ProcessContext<T>): void {
    for (const v of e.value) ctx.output(v);
  }
}

/** Beam's testWindowedIsEqualTo input: 43 at 250 and 22 at -250, grouped per 500 ms window (one on-time pane each). */
function groupedInWindows(p: Pipeline): PCollection<number> {
  return p
    .apply(Create.timestamped([{ value: 43, timestamp: 250 }, { value: 22, timestamp: -250 }]))
    .apply(Window.into(new FixedWindows(500)))
    .apply(WithKeys.of(0))
    .apply(GroupByKey.create<number, number>())
    .apply("Ungroup", ParDo.of(new Ungroup<number>()));
}

describe("PAssert (Beam Java's PAssertTest) on the DirectRunner", function () {
  this.timeout(60_000);

  it("testWindowedSerializablePredicate: satisfies sees each window's elements", () =>
    passes((p) => {
      const pc = p.apply(Create.timestamped([{ value: "x", timestamp: 250 }, { value: "y", timestamp: 500 }])).apply(Window.into(new FixedWindows(300)));
      PAssert.that(pc).inWindow(new IntervalWindow(0, 300)).satisfies((xs) => assert.deepEqual(xs, ["x"]));
      PAssert.that(pc).inWindow(new IntervalWindow(300, 600)).satisfies((xs) => assert.deepEqual(xs, ["y"]));
    }));

  it("testIsEqualTo, testNotEqualTo", () =>
    passes((p) => {
      PAssert.thatSingleton(p.apply("A", Create.of(43))).isEqualTo(43);
      PAssert.thatSingleton(p.apply("B", Create.of(43))).notEqualTo(42);
    }));

  it("testWindowedIsEqualTo: inOnlyPane per window", () =>
    passes((p) => {
      const pc = groupedInWindows(p);
      PAssert.thatSingleton(pc).inOnlyPane(new IntervalWindow(0, 500)).isEqualTo(43);
      PAssert.thatSingleton(pc).inOnlyPane(new IntervalWindow(-500, 0)).isEqualTo(22);
    }));

  it("testPAssertEqualsSingletonFalse: the reason, what was expected and what was", async () => {
    const e = await failure((p) => void PAssert.thatSingleton(p.apply(Create.of(42)), "The value was not equal to 44").isEqualTo(44));
    assert.match(e.message, /The value was not equal to 44/);
    assert.match(e.message, /Expected: <44> but: was <42>/);
    assert.match(e.message, /PAssert\$0/, "names the assertion transform");
  });

  it("testPAssertEqualsSingletonFailsForEmptyPCollection / ...ForNonSingletonPCollection", async () => {
    const empty = await failure((p) => void PAssert.thatSingleton(p.apply(Create.of<number>()), "The value was not equal to 44").isEqualTo(44));
    assert.match(empty.message, /The value was not equal to 44: expected singleton PCollection but was: empty PCollection/);
    const two = await failure((p) => void PAssert.thatSingleton(p.apply(Create.of(44, 44)), "The value was not equal to 44").isEqualTo(44));
    assert.match(two.message, /The value was not equal to 44: expected one element but was: <44, 44>/);
  });

  it("testPAssertEqualsSingletonFalseDefaultReasonString: the default reason names the collection", async () => {
    const e = await failure((p) => void PAssert.thatSingleton(p.apply("Values", Create.of(42))).isEqualTo(44));
    assert.match(e.message, /PAssert on the output of 'Values': Expected: <44> but: was <42>/);
  });

  it("testContainsInAnyOrder, testGlobalWindowContainsInAnyOrder, testEmpty", () =>
    passes((p) => {
      const pc = p.apply(Create.of(1, 2, 3, 4));
      PAssert.that(pc).containsInAnyOrder(2, 1, 4, 3);
      PAssert.that(pc).inWindow(GlobalWindow.INSTANCE).containsInAnyOrder(2, 1, 4, 3);
      PAssert.that(p.apply("None", Create.of<number>())).empty();
    }));

  it("testWindowedContainsInAnyOrder: sliding windows, each window's own elements", () =>
    passes((p) => {
      const pc = p
        .apply(Create.timestamped([1, 2, 3, 4].map((v) => ({ value: v, timestamp: v * 100 }))))
        .apply(Window.into(new SlidingWindows(200, 100, 50)));
      PAssert.that(pc).inWindow(new IntervalWindow(-50, 150)).containsInAnyOrder(1);
      PAssert.that(pc).inWindow(new IntervalWindow(50, 250)).containsInAnyOrder(2, 1);
      PAssert.that(pc).inWindow(new IntervalWindow(150, 350)).containsInAnyOrder(2, 3);
      PAssert.that(pc).inWindow(new IntervalWindow(250, 450)).containsInAnyOrder(4, 3);
      PAssert.that(pc).inWindow(new IntervalWindow(350, 550)).containsInAnyOrder(4);
    }));

  it("a window with no data: the check runs on nothing (empty passes, containsInAnyOrder fails naming the window)", async () => {
    await passes((p) => {
      const pc = p.apply(Create.timestamped([{ value: 1, timestamp: 5 }])).apply(Window.into(new FixedWindows(10)));
      PAssert.that(pc).inWindow(new IntervalWindow(100, 110)).empty();
      PAssert.thatMap(pc.apply(WithKeys.of("k"))).inWindow(new IntervalWindow(100, 110)).isEqualTo(new Map());
    });
    const e = await failure((p) => {
      const pc = p.apply("Nums", Create.timestamped([{ value: 1, timestamp: 5 }])).apply("Fixed", Window.into(new FixedWindows(10)));
      PAssert.that(pc).inWindow(new IntervalWindow(100, 110)).containsInAnyOrder(1);
    });
    assert.match(e.message, /PAssert on the output of 'Fixed' in window \[1970-01-01T00:00:00\.100Z, 1970-01-01T00:00:00\.110Z\): Expected: iterable with items \[1\] in any order, but expected 1 elements, got 0/);
  });

  it("testContainsInAnyOrderFalse, testEmptyFalse (with and without a reason)", async () => {
    const e = await failure((p) => void PAssert.that(p.apply(Create.of(1, 2, 3, 4))).containsInAnyOrder(2, 1, 4, 3, 7));
    assert.match(e.message, /Expected: iterable with items \[2, 1, 4, 3, 7\] in any order/);
    assert.match(e.message, /missing \(1\): \[7\]/);
    const withReason = await failure((p) => void PAssert.that(p.apply(Create.of(0, 1, 2, 3, 4)), "Vals should have been empty").empty());
    assert.match(withReason.message, /Vals should have been empty: Expected: iterable with items \[\] in any order/);
    const noReason = await failure((p) => void PAssert.that(p.apply("GenerateSequence", Create.of(0, 1, 2, 3, 4))).empty());
    assert.match(noReason.message, /PAssert on the output of 'GenerateSequence': Expected: iterable with items \[\] in any order/);
  });

  it("countAsserts-style naming: PAssert$0, PAssert$1, ... per pipeline; thatMap, thatMultimap, thatFlattened, thatSingletonIterable", async () => {
    await passes((p) => {
      const create = p.apply("FirstCreate", Create.of(1, 2, 3));
      PAssert.that(create).containsInAnyOrder(1, 2, 3);
      PAssert.thatSingleton(create.apply(Combine.globally(Combiners.sum()))).isEqualTo(6);
      PAssert.thatMap(p.apply("CreateMap", Create.of(kv(1, 2)))).isEqualTo(new Map([[1, 2]]));
      PAssert.thatMultimap(p.apply("CreateMulti", Create.of(kv("a", 1), kv("a", 2), kv("b", 3)))).satisfies((m) => {
        assert.deepEqual([...m.get("a")!].sort(), [1, 2]);
        assert.deepEqual(m.get("b"), [3]);
      });
      PAssert.thatFlattened([p.apply("One", Create.of(1, 2, 3)), p.apply("Two", Create.of(4, 5, 6))]).containsInAnyOrder(1, 2, 3, 4, 5, 6);
      PAssert.thatSingletonIterable(p.apply("Iter", Create.of([7, 8]))).containsInAnyOrder(8, 7);
      const names = p.root.children.map((n) => n.label).filter((n) => n.startsWith("PAssert$"));
      assert.deepEqual(names, ["PAssert$0", "PAssert$1", "PAssert$2", "PAssert$3", "PAssert$5", "PAssert$6"]);
    });
    const dup = await failure((p) => void PAssert.thatMap(p.apply(Create.of(kv("a", 1), kv("a", 2)))).isEqualTo(new Map([["a", 1]])));
    assert.match(dup.message, /duplicate values for key "a"/);
    const flat = await failure((p) => void PAssert.thatFlattened([p.apply("One", Create.of(1)), p.apply("Two", Create.of(4))]).containsInAnyOrder(7));
    assert.match(flat.message, /Expected: iterable with items \[7\] in any order/);
  });

  it("construction errors: a pane without a window", async () => {
    await assert.rejects(runDirect((p) => assertThat(p.apply(Create.of(1)), equalTo([1]), { pane: "onTime" })), /assertThat 'AssertThat': pane "onTime" needs a window/);
  });
});

describe("assertThat with windows (Beam Python's util_test) on the DirectRunner", function () {
  this.timeout(60_000);
  const startOfTime = new IntervalWindow(MIN_TIMESTAMP - (MIN_TIMESTAMP % 20) - 20, MIN_TIMESTAMP - (MIN_TIMESTAMP % 20));
  const grouped = (p: Pipeline, values: number[]) =>
    p
      .apply(Create.of(...values))
      .apply(Window.into(new FixedWindows(20)))
      .apply(WithKeys.of("k"))
      .apply(GroupByKey.create<string, number>());

  it("test_reified_value_passes / _fail_unmatched_value / _timestamp / _window", async () => {
    await passes((p) => assertThat(p.apply(Create.of(2, 3, 1)), equalTo([1, 2, 3].map((v) => windowedValue(v, MIN_TIMESTAMP, GlobalWindow.INSTANCE))), { reifyWindows: true }));
    for (const expected of [
      [2, 3, 4].map((v) => windowedValue(v, MIN_TIMESTAMP, GlobalWindow.INSTANCE)),
      [1, 2, 3].map((v) => windowedValue(v, 1, GlobalWindow.INSTANCE)),
      [1, 2, 3].map((v) => windowedValue(v, MIN_TIMESTAMP, new IntervalWindow(0, 1))),
    ]) {
      await failure((p) => assertThat(p.apply(Create.of(2, 3, 1)), equalTo<ValueInSingleWindow<number>>(expected), { reifyWindows: true }));
    }
  });

  it("test_equal_to_per_window_passes (with and without reify_windows)", async () => {
    await passes((p) => assertThat(grouped(p, [1]), equalToPerWindow([[startOfTime, [kv("k", [1])]]]), { reifyWindows: true }));
    await passes((p) => assertThat(grouped(p, [1]), equalToPerWindow([[startOfTime, [kv("k", [1])]]])));
  });

  it("test_equal_to_per_window_fail_unmatched_window / _unmatched_element / _unexpected_element", async () => {
    const window = await failure((p) => assertThat(grouped(p, [1]), equalToPerWindow([[new IntervalWindow(50, 100), [kv("k", [1])]]])));
    assert.match(window.message, /window \[.*\) \(of element \{"key":"k","value":\[1\]\}\) is not one of the expected windows: \[1970-01-01T00:00:00\.050Z, 1970-01-01T00:00:00\.100Z\)/);
    const missing = await failure((p) => assertThat(grouped(p, [1]), equalToPerWindow([[startOfTime, [kv("k", [1]), kv("k", [2])]]])));
    assert.match(missing.message, /in window .*: expected 2 elements, got 1\. missing \(1\)/);
    const unexpected = await failure((p) => assertThat(grouped(p, [1, 2]), equalToPerWindow([[startOfTime, [kv("k", [1])]]])));
    assert.match(unexpected.message, /unexpected \(1\)/);
  });

  it("test_multiple_assert_that_labels: a label in use gets _2, _3, ... (as Beam Python's assert_that)", async () => {
    await passes((p) => {
      const outputs = p.apply(Create.of(1, 2, 3)).map((x) => x + 1);
      assertThat(outputs, equalTo([2, 3, 4]));
      assertThat(outputs, equalTo([2, 3, 4]));
      assertThat(outputs, equalTo([2, 3, 4]));
      assert.deepEqual(p.root.children.map((n) => n.label).filter((n) => n.startsWith("AssertThat")), ["AssertThat", "AssertThat_2", "AssertThat_3"]);
    });
    const e = await failure((p) => {
      const outputs = p.apply(Create.of(1, 2, 3));
      assertThat(outputs, equalTo([1, 2, 3]), "Check");
      assertThat(outputs, equalTo([1, 2]), "Check");
    });
    assert.match(e.message, /Check_2\/Check/);
  });

  it("use_global_window=False (perWindow): the matcher runs on each window with data, failing naming it", async () => {
    const windowed = (p: Pipeline) => p.apply(Create.timestamped([1, 2, 11, 12].map((v) => ({ value: v, timestamp: v })))).apply(Window.into(new FixedWindows(10)));
    await passes((p) => assertThat(windowed(p), satisfies((xs) => assert.equal(xs.length, 2)), { perWindow: true }));
    const e = await failure((p) => assertThat(windowed(p), satisfies((xs) => assert.ok(xs.every((x) => x < 10), "small")), { perWindow: true }));
    assert.match(e.message, /satisfies\(fn\) failed in window \[1970-01-01T00:00:00\.010Z, 1970-01-01T00:00:00\.020Z\): small/);
    assert.doesNotMatch(e.message, /00\.000Z, 1970/);
  });

  it("assertThat inWindow/pane: the on-time pane of a batch grouping; a pane filter sees no Create elements", async () => {
    await passes((p) => {
      const pc = groupedInWindows(p);
      assertThat(pc, equalTo([43]), { label: "OnTime", inWindow: new IntervalWindow(0, 500), pane: "onTime" });
      assertThat(pc, isEmpty(), { label: "Early", inWindow: new IntervalWindow(0, 500), pane: "early" });
      assertThat(pc, equalTo([windowedValue(43, 499, new IntervalWindow(0, 500), ON_TIME_AND_ONLY_FIRING)]), { label: "Reified", inWindow: new IntervalWindow(0, 500), reifyWindows: true });
      const created = p.apply("Created", Create.of(1));
      assertThat(created, isEmpty(), { label: "CreatedOnTime", inWindow: GlobalWindow.INSTANCE, pane: "onTime" });
      assertThat(created, equalTo([windowedValue(1, MIN_TIMESTAMP, GlobalWindow.INSTANCE, NO_FIRING)]), { label: "CreatedFinal", inWindow: GlobalWindow.INSTANCE, pane: "final", reifyWindows: true });
    });
    const e = await failure((p) => assertThat(groupedInWindows(p), equalTo([22]), { label: "Wrong", inWindow: new IntervalWindow(0, 500), pane: "onTime" }));
    assert.match(e.message, /Wrong\/Check/);
    assert.match(e.message, /equalTo\(1 elements\) failed in window \[1970-01-01T00:00:00\.000Z, 1970-01-01T00:00:00\.500Z\) \(the on-time pane\): expected 1 elements, got 1/);
  });
});

describe("an assertion added after the pipeline ran (Beam Python util_test's test_runtimeerror_outside_of_context)", () => {
  it("assertThat and PAssert refuse a pipeline already run, instead of never checking", async () => {
    const p = Pipeline.create();
    const pc = p.apply("Start", Create.from([1, 2, 3]));
    await (await p.run()).waitUntilFinish();
    assert.throws(() => assertThat(pc, equalTo([4, 5, 6])), (e: Error) => e instanceof PipelineConstructionError && /assertThat 'AssertThat' on .* was added after the pipeline was run.*before p\.run\(\)/.test(e.message));
    assert.throws(() => PAssert.that(pc).containsInAnyOrder(4, 5, 6), (e: Error) => e instanceof PipelineConstructionError && /was added after the pipeline was run/.test(e.message));
  });

  it("assertions added before run() are checked as before", async () => {
    const p = Pipeline.create();
    const pc = p.apply("Start", Create.from([1, 2, 3]));
    assertThat(pc, equalTo([1, 2, 3]));
    PAssert.that(pc).containsInAnyOrder(3, 2, 1);
    await (await p.run()).waitUntilFinish();
  });
});
