/**
 * WithKeys.of(key) and Distinct.withRepresentativeValueFn against Beam's own tests as the oracle:
 * Beam Java's WithKeysTest (testConstantKeys, testConstantVoidKeys) and DistinctTest
 * (testDistinctWithRepresentativeValue, testTriggeredDistinctRepresentativeValues,
 * testTriggeredDistinctRepresentativeValuesEmpty, withLambdaRepresentativeValuesFnAndTypeDescriptorShouldApplyFn),
 * in batch and, where triggers matter, streaming (TestStream with processing time).
 */
import { strict as assert } from "node:assert";
import { AfterProcessingTime, AfterWatermark, Create, Distinct, FixedWindows, kv, PipelineConstructionError, Repeatedly, TestStream, Window, WithKeys, type KV } from "../../lib";
import { outputsOf } from "./beam_helpers";

const COLLECTION = ["a", "aa", "b", "bb", "bbb"];
const json = (values: readonly unknown[]): string[] => values.map((v) => JSON.stringify(v)).sort();

describe("Beam WithKeys.of(key) (WithKeysTest.java)", () => {
  it("testConstantKeys", async () => {
    const out = await outputsOf(Create.from(COLLECTION), (pc) => pc.apply(WithKeys.of(100)));
    assert.deepEqual(json(out.map((o) => o.value)), json(COLLECTION.map((s) => kv(100, s))));
  });

  it("testConstantVoidKeys: null is a key like any other", async () => {
    const out = await outputsOf(Create.from(COLLECTION), (pc) => pc.apply(WithKeys.of(null)));
    assert.deepEqual(json(out.map((o) => o.value)), json(COLLECTION.map((s) => kv(null, s))));
  });

  it("a function is a key function, not a key", async () => {
    const out = await outputsOf(Create.from(COLLECTION), (pc) => pc.apply(WithKeys.of((s: string) => s.length)));
    assert.deepEqual(json(out.map((o) => o.value)), json(COLLECTION.map((s) => kv(s.length, s))));
  });
});

describe("Beam Distinct.withRepresentativeValueFn (DistinctTest.java)", () => {
  const byKey = (e: KV<string | number, string>): string | number => e.key;

  it("testDistinctWithRepresentativeValue: one value per representative, any of its duplicates", async () => {
    const out = await outputsOf(Create.of(kv("k1", "v1"), kv("k1", "v2"), kv("k2", "v1")), (pc) => pc.apply(Distinct.withRepresentativeValueFn(byKey)));
    const values = new Map(out.map((o) => [o.value.key, o.value.value]));
    assert.equal(out.length, 2);
    assert.ok(["v1", "v2"].includes(values.get("k1")!), JSON.stringify(out));
    assert.equal(values.get("k2"), "v1");
  });

  it("withLambdaRepresentativeValuesFnAndTypeDescriptorShouldApplyFn: one string of each length", async () => {
    const out = await outputsOf(Create.of("foo", "foos", "barbaz", "barbaz", "bazbar", "foo"), (pc) => pc.apply(Distinct.withRepresentativeValueFn((s: string) => s.length)));
    const values = out.map((o) => o.value);
    assert.deepEqual(values.map((s) => s.length).sort(), [3, 4, 6]);
    for (const s of values) assert.ok(["foo", "foos", "barbaz", "bazbar"].includes(s), s);
  });

  it("testTriggeredDistinctRepresentativeValues: accumulating panes repeat nothing (streaming)", async () => {
    const second = 1000;
    const stream = TestStream.create<KV<number, string>>()
      .advanceWatermarkTo(0)
      .addElements({ value: kv(1, "k1"), timestamp: 0 }, { value: kv(2, "k2"), timestamp: 10 * second }, { value: kv(3, "k3"), timestamp: 20 * second })
      .advanceProcessingTime(60 * second)
      .addElements({ value: kv(1, "k1"), timestamp: 30 * second }, { value: kv(2, "k2"), timestamp: 40 * second }, { value: kv(3, "k3"), timestamp: 50 * second })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (pc) =>
      pc
        .apply(Window.into(new FixedWindows(60 * second), { trigger: Repeatedly(AfterProcessingTime(30 * second)), allowedLatenessMillis: 0, accumulationMode: "ACCUMULATING" }))
        .apply(Distinct.withRepresentativeValueFn(byKey)),
    );
    assert.deepEqual(json(out.map((o) => o.value)), json([kv(1, "k1"), kv(2, "k2"), kv(3, "k3")]));
  });

  it("testTriggeredDistinctRepresentativeValuesEmpty: an empty on-time pane after an early one outputs nothing (streaming)", async () => {
    const stream = TestStream.create<KV<number, string>>().advanceWatermarkTo(0).addElements({ value: kv(1, "k1"), timestamp: 0 }).advanceProcessingTime(60_000).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (pc) =>
      pc
        .apply(Window.into(new FixedWindows(60_000), { trigger: AfterWatermark({ early: AfterProcessingTime(30_000) }), allowedLatenessMillis: 0, accumulationMode: "DISCARDING" }))
        .apply(Distinct.withRepresentativeValueFn(byKey)),
    );
    assert.deepEqual(json(out.map((o) => o.value)), json([kv(1, "k1")]));
  });

  it("per window: the same representative in two windows is kept in each (batch)", async () => {
    const input = Create.timestamped([
      { value: "a1", timestamp: 1 },
      { value: "a2", timestamp: 2 },
      { value: "a3", timestamp: 12 },
    ]);
    const out = await outputsOf(input, (pc) => pc.apply(Window.into(new FixedWindows(10))).apply(Distinct.withRepresentativeValueFn((s: string) => s[0])));
    assert.deepEqual(out.map((o) => o.window).sort(), ["0:10", "10:20"]);
    assert.equal(out.find((o) => o.window === "10:20")?.value, "a3");
  });

  it("a representative function that is not a function is refused when the transform is made", () => {
    assert.throws(() => Distinct.withRepresentativeValueFn(3 as unknown as (s: string) => number), PipelineConstructionError);
  });
});
