/**
 * Type-level tests of WithKeys.of(key), Distinct.withRepresentativeValueFn and Reify: the key type a
 * constant gives (widened, as Java's WithKeys.of(100) gives Integer keys), that a key function is
 * still a key function, and the wrong uses that must not compile. This file fails to COMPILE
 * when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { AsSingleton, Create, Distinct, kv, Pipeline, Reify, WithKeys, type BoundedWindow, type KV, type PaneInfo, type PCollection, type TimestampedValue, type ValueInSingleWindow } from "../../lib";
import { expectType } from "./expect_type";

describe("WithKeys.of(key), Distinct.withRepresentativeValueFn (type-level)", () => {
  it("a constant key, a key function, a representative function", () => {
    const p = Pipeline.create();
    const words = p.apply("Words", Create.of("a", "bb"));
    expectType(words.apply("Const", WithKeys.of(100)))<PCollection<KV<number, string>>>(true);
    expectType(words.apply("ConstStr", WithKeys.of("all")))<PCollection<KV<string, string>>>(true);
    expectType(words.apply("Null", WithKeys.of(null)))<PCollection<KV<null, string>>>(true);
    expectType(words.apply("Fn", WithKeys.of((w) => w.length)))<PCollection<KV<number, string>>>(true);
    const offsets = p.apply("Offsets", Create.of(10));
    expectType(words.apply("SideFn", WithKeys.of((w: string, s) => w.length + s.offset, { sideInputs: { offset: AsSingleton(offsets) } })))<PCollection<KV<number, string>>>(true);
    expectType(words.apply("Distinct", Distinct.withRepresentativeValueFn((w) => w.length)))<PCollection<string>>(true);
    const pairs = p.apply("Pairs", Create.of(kv("k", 1)));
    expectType(pairs.apply("ByKey", Distinct.withRepresentativeValueFn((e) => e.key)))<PCollection<KV<string, number>>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: the key function takes the element (a string here)
      words.apply("WrongFn", WithKeys.of((n: number) => n + 1));
      // @ts-expect-error: the side inputs are those the views declare (no "other")
      words.apply("WrongSide", WithKeys.of((w: string, s) => w.length + s.other, { sideInputs: { offset: AsSingleton(offsets) } }));
      // @ts-expect-error: the representative function takes the element
      words.apply("WrongRep", Distinct.withRepresentativeValueFn((n: number) => n));
    };
    assert.equal(typeof typeOnly, "function");
  });
});

describe("Reify (type-level)", () => {
  it("timestamps, windows and panes as data, typed from the input", () => {
    const p = Pipeline.create();
    const words = p.apply("Words", Create.of("a"));
    const pairs = p.apply("Pairs", Create.of(kv("k", 1)));
    expectType(words.apply("Timestamps", Reify.timestamps()))<PCollection<TimestampedValue<string>>>(true);
    expectType(pairs.apply("TimestampsInValue", Reify.timestampsInValue()))<PCollection<KV<string, TimestampedValue<number>>>>(true);
    const windows = words.apply("Windows", Reify.windows());
    expectType(windows)<PCollection<ValueInSingleWindow<string>>>(true);
    expectType(windows.map("Window", (v) => v.window))<PCollection<BoundedWindow>>(true);
    expectType(windows.map("Pane", (v) => v.pane))<PCollection<PaneInfo>>(true);
    expectType(pairs.apply("WindowsInValue", Reify.windowsInValue()))<PCollection<KV<string, ValueInSingleWindow<number>>>>(true);
    const stamped = pairs.apply("Stamped", Reify.timestampsInValue());
    expectType(stamped.apply("Extract", Reify.extractTimestampsFromValues()))<PCollection<KV<string, number>>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: timestampsInValue needs KVs
      words.apply("NotKV", Reify.timestampsInValue());
      // @ts-expect-error: extractTimestampsFromValues needs KVs of timestamped values
      pairs.apply("NotStamped", Reify.extractTimestampsFromValues());
    };
    assert.equal(typeof typeOnly, "function");
  });
});
