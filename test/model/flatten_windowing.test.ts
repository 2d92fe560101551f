/**
 * Flatten's windowing check follows Beam Java's WindowFn.isCompatible: inputs must be windowed
 * compatibly. Fixed windows of different sizes are not compatible; sessions are compatible with
 * any sessions (Sessions.isCompatible: `other instanceof Sessions`), since their windows, once
 * assigned, merge by overlap whatever gap made them.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, Flatten, GroupByKey, kv, KV, Pipeline, PipelineConstructionError, Sessions, Window } from "../../lib";
import { runDirect } from "../helpers";
import { collect, Observed } from "../streaming/collect";

describe("Flatten: windowing compatibility (Beam's WindowFn.isCompatible)", () => {
  it("rejects fixed windows of different sizes, naming the Flatten", () => {
    const p = Pipeline.create();
    const a = p.apply("A", Create.of(1)).apply("IntoTen", Window.into(new FixedWindows(10)));
    const b = p.apply("B", Create.of(2)).apply("IntoTwenty", Window.into(new FixedWindows(20)));
    assert.throws(() => a.apply("Both", Flatten.with(b)), (e: Error) => e instanceof PipelineConstructionError && /Both/.test(String((e as PipelineConstructionError & { transformPath?: string }).transformPath)) && /same windowing/.test(e.message));
  });

  it("accepts sessions with different gaps, and their windows merge by overlap when grouped", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const short = p.apply("Short", Create.timestamped([{ value: kv("k", 1), timestamp: 0 }])).apply("IntoShort", Window.into(new Sessions(10)));
      const long = p.apply("Long", Create.timestamped([{ value: kv("k", 2), timestamp: 5 }])).apply("IntoLong", Window.into(new Sessions(30)));
      const grouped = short.apply("Both", Flatten.with(long)).apply(GroupByKey.create()).map("Sort", (g: KV<string, number[]>) => kv(g.key, [...g.value].sort()));
      collect(grouped, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => `${JSON.stringify(o.value.value)} ${o.window}`), ["[1,2] 0:35"]);
  });
});
