/**
 * Type-level tests of StringSet and BoundedTrie metrics from the package root: `Metrics.stringSet`
 * gives a StringSet whose `add` takes strings only (any number of them), and
 * `MetricResults.stringSets` gives each set as a readonly list of strings; `Metrics.boundedTrie`'s
 * `add` takes a path's segments, and `boundedTries` gives readonly paths with their truncated flag. This file fails to COMPILE when that breaks; at
 * run time it reads one real run's set.
 */
import { strict as assert } from "node:assert";
import { Create, Metrics, ParDo, Pipeline, type BoundedTrie, type BoundedTrieResult, type MetricResult, type StringSet, type StringSetResult } from "../../lib";
import "../../runners/direct";
import { expectType } from "./expect_type";

describe("StringSet: the typed metric API", () => {
  it("adds strings and reads them back as a readonly string list", async () => {
    const sources = Metrics.stringSet("io", "sources");
    expectType(sources)<StringSet>(true);
    const p = Pipeline.create();
    p.apply(Create.of("gcs", "bq")).apply(
      "Record",
      ParDo.of((s: string) => {
        sources.add(s);
        sources.add();
        sources.add(s, "kafka");
        // @ts-expect-error a string set holds strings: a number must be converted first
        void (() => sources.add(1));
        // @ts-expect-error nor an array (spread it: add(...values))
        void (() => sources.add([s]));
      }),
    );
    const result = await p.run();
    assert.equal(await result.waitUntilFinish(), "DONE");
    const sets = result.metrics.stringSets({ namespace: "io" });
    expectType(sets)<MetricResult<StringSetResult>[]>(true);
    expectType(sets[0]!.value)<readonly string[]>(true);
    // @ts-expect-error results are read-only
    void (() => (sets[0]!.value as StringSetResult).push("x"));
    assert.deepEqual(sets.map((r) => [r.step, r.value]), [["Record", ["bq", "gcs", "kafka"]]]);
  });

  it("adds paths of segments to a bounded trie and reads them back with their truncated flag", async () => {
    const tables = Metrics.boundedTrie("io", "tables");
    expectType(tables)<BoundedTrie>(true);
    const p = Pipeline.create();
    p.apply(Create.of("eu", "us")).apply(
      "Record",
      ParDo.of((region: string) => {
        tables.add("project", `sales_${region}`);
        // @ts-expect-error segments are strings
        void (() => tables.add("project", 1));
      }),
    );
    const result = await p.run();
    assert.equal(await result.waitUntilFinish(), "DONE");
    const tries = result.metrics.boundedTries({ name: "tables" });
    expectType(tries)<MetricResult<BoundedTrieResult>[]>(true);
    const [first] = tries[0]!.value;
    expectType(first!.segments)<readonly string[]>(true);
    expectType(first!.truncated)<boolean>(true);
    assert.deepEqual(tries[0]!.value, [{ segments: ["project", "sales_eu"], truncated: false }, { segments: ["project", "sales_us"], truncated: false }]);
  });
});
