/**
 * CombineFn.setup / teardown (Beam Python's, since 2.26) through the wrappers that call a user's
 * fn for it: hot-key fanout (both stages share one instance), CombineValues, GroupBy aggregates,
 * a CombineFnWithContext; a setup that throws fails the step naming it; a teardown that throws
 * does not fail the run (best effort); a fn without either is called as it is (no wrapper on a
 * word count's hot path). The Beam Python lifecycle pipelines: test/conformance/beam_py_combinefn_lifecycle.
 */
import { strict as assert } from "node:assert";
import { AsSingleton, Combine, CombineValues, Create, DoFn, GroupBy, GroupByKey, kv, ParDo, type KV } from "../../lib";
import type { CombineContext, CombineFn, CombineFnWithContext } from "../../lib/model/combine_fn";
import { runDirect, runOk } from "../helpers";

/** A sum counting its lifecycle calls, failing a call made before setup or after teardown. */
class CountingSum implements CombineFn<number, number, number> {
  static all: CountingSum[] = [];
  setups = 0;
  teardowns = 0;
  constructor(private readonly failSetup = false, private readonly failTeardown = false) {
    CountingSum.all.push(this);
  }
  setup(): void {
    if (this.failSetup) throw new Error("no connection");
    this.setups++;
  }
  private check(): void {
    if (this.setups !== 1 || this.teardowns !== 0) throw new Error(`called with ${this.setups} setups, ${this.teardowns} teardowns`);
  }
  createAccumulator(): number {
    this.check();
    return 0;
  }
  addInput(a: number, x: number): number {
    this.check();
    return a + x;
  }
  mergeAccumulators(accs: Iterable<number>): number {
    this.check();
    let s = 0;
    for (const a of accs) s += a;
    return s;
  }
  extractOutput(a: number): number {
    this.check();
    return a;
  }
  teardown(): void {
    this.teardowns++;
    if (this.failTeardown) throw new Error("close failed");
  }
}

/** Every CountingSum used was set up once and torn down once. */
function checkLifecycles(): void {
  const used = CountingSum.all.filter((f) => f.setups > 0);
  assert.ok(used.length > 0, "no CombineFn was set up");
  for (const f of used) assert.deepEqual([f.setups, f.teardowns], [1, 1]);
}

/** What reaches it, in this process (the DirectRunner's slots share it). */
class Record extends DoFn<unknown, never> {
  static seen: unknown[] = [];
  process(x: unknown): void {
    Record.seen.push(x);
  }
}

/** The KVs recorded, by key. */
function recorded(): KV<string, number>[] {
  return (Record.seen as KV<string, number>[]).sort((x, y) => x.key.localeCompare(y.key));
}

const PAIRS = [kv("a", 1), kv("a", 2), kv("b", 3), kv("a", 4)];

describe("CombineFn setup and teardown", () => {
  beforeEach(() => {
    CountingSum.all = [];
    Record.seen = [];
  });

  it("hot-key fanout: both stages use one instance, set up once and torn down", async () => {
    await runOk((p) => {
      const sums = p.apply(Create.of(...PAIRS)).apply(Combine.perKey<string, number, number, number>(new CountingSum()).withHotKeyFanout(3));
      sums.apply("Record", ParDo.of(new Record()));
    });
    assert.deepEqual(recorded(), [kv("a", 7), kv("b", 3)]);
    checkLifecycles();
  });

  it("CombineValues and GroupBy aggregates call setup and teardown", async () => {
    await runOk((p) => {
      const pairs = p.apply(Create.of(...PAIRS));
      pairs.apply(GroupByKey.create()).apply(CombineValues.of(new CountingSum())).apply("Record", ParDo.of(new Record()));
      p.apply("Rows", Create.of({ k: "a", n: 1 }, { k: "a", n: 2 }))
        .apply(GroupBy.by((r: { k: string; n: number }) => r.k).aggregateField((r) => r.n, new CountingSum(), "total"))
        .apply("RecordRows", ParDo.of(new Record()));
    });
    const kvs = (Record.seen as object[]).filter((x) => "value" in x) as KV<string, number>[];
    assert.deepEqual(kvs.sort((x, y) => x.key.localeCompare(y.key)), [kv("a", 7), kv("b", 3)]);
    assert.deepEqual((Record.seen as object[]).filter((x) => !("value" in x)), [{ key: "a", total: 3 }]);
    assert.equal(CountingSum.all.filter((f) => f.setups > 0).length, 2);
    checkLifecycles();
  });

  it("a CombineFnWithContext with side inputs calls setup and teardown", async () => {
    let setups = 0;
    let teardowns = 0;
    const fn: CombineFnWithContext<number, number, number, { bonus: number }> = {
      setup: () => void setups++,
      teardown: () => void teardowns++,
      createAccumulator: () => 0,
      addInput: (a, x, ctx: CombineContext<{ bonus: number }>) => {
        assert.equal(setups - teardowns, 1, "called outside setup..teardown");
        return a + x + ctx.sideInputs.bonus;
      },
      mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
      extractOutput: (a) => a,
    };
    await runOk((p) => {
      const bonus = AsSingleton(p.apply("Bonus", Create.of(10)));
      p.apply(Create.of(...PAIRS))
        .apply(Combine.perKey(fn, { sideInputs: { bonus } }))
        .apply("Record", ParDo.of(new Record()));
    });
    assert.deepEqual(recorded(), [kv("a", 37), kv("b", 13)]);
    assert.deepEqual([setups, teardowns], [1, 1]);
  });

  it("one fn object given to two combines is set up once", async () => {
    const fn = new CountingSum();
    await runOk((p) => {
      const pairs = p.apply(Create.of(...PAIRS));
      pairs.apply("First", Combine.perKey<string, number, number, number>(fn)).apply("RecordFirst", ParDo.of(new Record()));
      pairs.apply("Second", Combine.perKey<string, number, number, number>(fn)).apply("RecordSecond", ParDo.of(new Record()));
    });
    assert.deepEqual(recorded(), [kv("a", 7), kv("a", 7), kv("b", 3), kv("b", 3)]);
    assert.deepEqual([fn.setups, fn.teardowns], [1, 1]);
  });

  it("a setup that throws fails the run, naming the combine's step", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of(...PAIRS)).apply("SumPerKey", Combine.perKey<string, number, number, number>(new CountingSum(true)));
    });
    await assert.rejects(result.waitUntilFinish(), (e: Error) => {
      assert.match(e.message, /SumPerKey/);
      assert.match(e.message, /CountingSum\.setup\(\) failed.*no connection/);
      return true;
    });
  });

  it("a teardown that throws does not fail the run (best effort), and is called once", async () => {
    const fn = new CountingSum(false, true);
    const result = await runOk((p) => {
      p.apply(Create.of(...PAIRS)).apply(Combine.perKey<string, number, number, number>(fn)).apply("Record", ParDo.of(new Record()));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(Record.seen.length, 2);
    assert.deepEqual([fn.setups, fn.teardowns], [1, 1]);
  });

  it("a CombineFn without setup or teardown is called as it is (nothing added to the hot path)", () => {
    const sum: CombineFn<number, number, number> = { createAccumulator: () => 0, addInput: (a, x) => a + x, mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0), extractOutput: (a) => a };
    assert.equal(Combine.perKey<string, number, number, number>(sum).combineFn, sum);
    assert.notEqual(Combine.perKey<string, number, number, number>(new CountingSum()).combineFn, undefined);
  });
});
