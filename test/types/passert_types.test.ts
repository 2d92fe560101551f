/**
 * Type-level tests of the window and pane assertions (assertThat's options, equalToPerWindow,
 * PAssert's fluent asserts), from the package entry point. This file fails to COMPILE when their
 * inference breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import {
  assertThat,
  Create,
  equalTo,
  equalToPerWindow,
  GlobalWindow,
  IntervalWindow,
  kv,
  PAssert,
  Pipeline,
  satisfies,
  windowedValue,
  type IterableAssert,
  type KV,
  type SingletonAssert,
  type ValueInSingleWindow,
} from "../../lib";
import { expectType } from "./expect_type";

describe("window and pane assertions (type-level)", () => {
  it("assertThat: matchers of the elements, or of reified elements with reifyWindows; labels and options", () => {
    const p = Pipeline.create();
    const words = p.apply("Words", Create.of("a", "b"));
    const w = new IntervalWindow(0, 10);
    assertThat(words, equalTo(["a", "b"]));
    assertThat(words, equalTo(["a", "b"]), "Label");
    assertThat(words, equalTo(["a"]), { label: "InWindow", inWindow: w, pane: "onTime" });
    assertThat(words, satisfies((xs) => expectType(xs)<readonly string[]>(true)), { label: "Inferred", perWindow: true });
    assertThat(words, equalTo([windowedValue("a", 5, w)]), { label: "Reified", reifyWindows: true });
    assertThat(words, satisfies((xs: readonly ValueInSingleWindow<string>[]) => void xs[0]?.pane.timing), { label: "ReifiedFn", reifyWindows: true });
    assertThat(words, equalToPerWindow([[w, ["a"]]]), "PerWindow");
    assertThat(words, equalToPerWindow([[w, ["a"]]]), { label: "PerWindowReified", reifyWindows: true });
    expectType(windowedValue(kv("k", 1), 0, GlobalWindow.INSTANCE))<ValueInSingleWindow<KV<string, number>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: a matcher of other elements
      assertThat(words, equalTo([1]));
      // @ts-expect-error: with reifyWindows the matcher is one of reified elements
      assertThat(words, equalTo(["a"]), { reifyWindows: true });
      // @ts-expect-error: equalToPerWindow's elements are the collection's
      assertThat(words, equalToPerWindow([[w, [1]]]));
      // @ts-expect-error: an unknown pane
      assertThat(words, equalTo(["a"]), { inWindow: w, pane: "onTimes" });
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("PAssert: the in... methods keep the element type; checks are typed by it; maps by key and value", () => {
    const p = Pipeline.create();
    const nums = p.apply("Nums", Create.of(1, 2));
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    const w = new IntervalWindow(0, 10);
    expectType(PAssert.that(nums))<IterableAssert<number>>(true);
    expectType(PAssert.that(nums).inOnTimePane(w))<IterableAssert<number>>(true);
    expectType(PAssert.that(nums).inEarlyGlobalWindowPanes().containsInAnyOrder(1, 2).inLatePane(w))<IterableAssert<number>>(true);
    expectType(PAssert.thatSingleton(nums).inFinalPane(w))<SingletonAssert<number>>(true);
    expectType(PAssert.thatMap(pairs))<SingletonAssert<Map<string, number>>>(true);
    expectType(PAssert.thatMultimap(pairs))<SingletonAssert<Map<string, number[]>>>(true);
    expectType(PAssert.thatSingletonIterable(p.apply("Lists", Create.of([1, 2]))))<IterableAssert<number>>(true);
    PAssert.that(nums).satisfies((xs) => expectType(xs)<readonly number[]>(true));
    PAssert.thatSingleton(nums).satisfies((x) => expectType(x)<number>(true));
    const typeOnly = (): void => {
      // @ts-expect-error: elements of another type
      PAssert.that(nums).containsInAnyOrder("1");
      // @ts-expect-error: a singleton has no combined non-late panes (as in Beam Java)
      PAssert.thatSingleton(nums).inCombinedNonLatePanes(w);
      // @ts-expect-error: a map's value type
      PAssert.thatMap(pairs).isEqualTo(new Map([["a", "1"]]));
      // @ts-expect-error: thatMap needs KVs
      PAssert.thatMap(nums);
    };
    assert.equal(typeof typeOnly, "function");
  });
});
