/**
 * The pipelines of Beam Python's combinefn_lifecycle_test.py (combinefn_lifecycle_pipeline.py),
 * for what they compute: run_combine (a tuple of two sums of 0..4, Combine.globally with fanout
 * 1, lifted, and not lifted under an AfterCount(5) discarding trigger) and run_pardo (combining
 * value state numbering ten elements of one key 0..9). On the DirectRunner in batch, streaming
 * and with two in-process workers, and through the Fn API harness; with their lifecycle checks
 * (CallSequenceEnforcingCombineFn): setup once before any other call, no call after teardown, and
 * every instance set up torn down once the run ends.
 */
import { strict as assert } from "node:assert";
import { AfterCount, Combine, CombineFns, Create, definePipeline, DoFn, GlobalWindows, kv, ParDo, StatefulDoFn, StateSpec, TestStream, Window, type KV, type PCollection, type StatefulProcessContext } from "../../lib";
import type { CombineFn } from "../../lib/model/combine_fn";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineOptions } from "../../lib/model/options";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { executePipeline } from "../portable/mini_runner";
import { runOk } from "../helpers";

/**
 * CallSequenceEnforcingCombineFn: a sum that asserts its lifecycle (setup once before any other
 * call, no call after teardown) and remembers its instances so a test checks each was torn down.
 */
class SumCombineFn implements CombineFn<number, number, number> {
  static instances = new Set<SumCombineFn>();
  private setupCalled = false;
  private teardownCalled = false;
  setup(): void {
    assert.ok(!this.setupCalled, "setup should not be called twice");
    assert.ok(!this.teardownCalled, "setup should be called before teardown");
    SumCombineFn.instances.add(this);
    this.setupCalled = true;
  }
  private inUse(): void {
    assert.ok(this.setupCalled, "setup should have been called");
    assert.ok(!this.teardownCalled, "teardown should not have been called");
  }
  createAccumulator(): number {
    this.inUse();
    return 0;
  }
  addInput(acc: number, x: number): number {
    this.inUse();
    return acc + x;
  }
  mergeAccumulators(accs: Iterable<number>): number {
    this.inUse();
    let sum = 0;
    for (const a of accs) sum += a;
    return sum;
  }
  extractOutput(acc: number): number {
    this.inUse();
    return acc;
  }
  teardown(): void {
    assert.ok(this.setupCalled, "setup should have been called");
    assert.ok(!this.teardownCalled, "teardown should not be called twice");
    this.teardownCalled = true;
  }
  /** As the Python test's check after each pipeline: instances were set up, and each torn down. */
  static checkTornDown(): void {
    assert.ok(SumCombineFn.instances.size > 0, "no CombineFn instance was set up");
    for (const fn of SumCombineFn.instances) assert.ok(fn.teardownCalled, "teardown should have been called");
  }
}

/** IndexAssigningDoFn: each element of a key with its index, from combining value state. */
class IndexAssigningDoFn extends StatefulDoFn<null, string, KV<number, string>> {
  readonly index = StateSpec.combining("index", new SumCombineFn());
  process(element: KV<null, string>, ctx: StatefulProcessContext<KV<number, string>>): void {
    const state = ctx.state(this.index);
    ctx.output(kv(state.read(), element.value));
    state.add(1);
  }
}

/** Records what reaches it (in this process: the in-process workers and the harness share it). */
class Record extends DoFn<unknown, never> {
  static seen: string[] = [];
  process(x: unknown): void {
    Record.seen.push(JSON.stringify(x));
  }
}

function start<T>(p: Pipeline, streaming: boolean, values: readonly T[]): PCollection<T> {
  if (!streaming) return p.apply("Start", Create.from(values));
  return p.apply("Start", TestStream.create<T>().addElements(...values.map((value) => ({ value, timestamp: 0 }))).advanceWatermarkToInfinity());
}

/** run_combine: Combine.globally of a tuple of two sums of 0..4, fanout 1; not lifted under AfterCount(5). */
function runCombine(p: Pipeline, streaming: boolean, liftCombiners: boolean): void {
  let pcoll = start(p, streaming, [0, 1, 2, 3, 4]);
  if (!liftCombiners) pcoll = pcoll.apply("Window", Window.into(new GlobalWindows(), { trigger: AfterCount(5), accumulationMode: "DISCARDING" }));
  pcoll
    .apply("Do", Combine.globally(CombineFns.compose<number>().with("a", new SumCombineFn()).with("b", new SumCombineFn())).withFanout(1))
    .apply("Record", ParDo.of(new Record()));
}

/** run_pardo: ten 'Hello's keyed by null, numbered by combining value state. */
function runPardo(p: Pipeline, streaming: boolean): void {
  start(p, streaming, Array.from({ length: 10 }, () => "Hello"))
    .map("KeyWithNone", (e: string) => kv(null, e))
    .apply("Do", ParDo.of(new IndexAssigningDoFn()))
    .apply("Record", ParDo.of(new Record()));
}

/** run_combine sets allow_unsafe_triggers (AfterCount(5) finishes). */
const PY_OPTIONS: Partial<PipelineOptions> = { allowUnsafeTriggers: true };

const COMBINED = [JSON.stringify({ a: 10, b: 10 })];
const INDEXED = Array.from({ length: 10 }, (_, i) => JSON.stringify(kv(i, "Hello"))).sort();

describe("Beam Python CombineFn lifecycle pipelines (combinefn_lifecycle_test.py)", () => {
  beforeEach(() => {
    Record.seen = [];
    SumCombineFn.instances = new Set();
  });

  const runs: [string, boolean, Partial<PipelineOptions>][] = [
    ["batch", false, {}],
    ["streaming", true, {}],
    ["batch, --direct_num_workers 2", false, { directNumWorkers: 2 }],
  ];
  for (const [mode, streaming, options] of runs) {
    // Python's pipelines are batch; a global combine of an unbounded input needs a trigger (as in Beam).
    if (!streaming) {
      it(`test_combine (${mode})`, async () => {
        await runOk((p) => runCombine(p, streaming, true), { ...options, ...PY_OPTIONS });
        assert.deepEqual(Record.seen, COMBINED);
        SumCombineFn.checkTornDown();
      });
    }
    it(`test_non_liftable_combine (${mode})`, async () => {
      await runOk((p) => runCombine(p, streaming, false), { ...options, ...PY_OPTIONS });
      assert.deepEqual(Record.seen, COMBINED);
      SumCombineFn.checkTornDown();
    });
    it(`test_combining_value_state (${mode})`, async () => {
      await runOk((p) => runPardo(p, streaming), options);
      assert.deepEqual(Record.seen.sort(), INDEXED);
      SumCombineFn.checkTornDown();
    });
  }

  const programs = {
    test_combine: (root: Pipeline) => runCombine(root, false, true),
    test_non_liftable_combine: (root: Pipeline) => runCombine(root, false, false),
    test_combining_value_state: (root: Pipeline) => runPardo(root, false),
  };
  for (const [name, build] of Object.entries(programs)) {
    for (const liftCombines of [true, false]) {
      it(`${name} (Fn API harness, ${liftCombines ? "" : "not "}lifting combines)`, async () => {
        const program = definePipeline({ name: `beam-py-combinefn-${name}`, description: name, flags: {}, build });
        const fn = await FnApiServer.start();
        const harness = new FnHarness({ workerId: "w-py-combinefn", controlUrl: fn.url, loadPipeline: () => program.create({}, PY_OPTIONS), runId: name }).start();
        try {
          await executePipeline(translatePipeline(program.create({}, PY_OPTIONS), dockerEnvironment()).proto, fn, () => undefined, () => false, { liftCombines });
        } finally {
          await harness.stop();
          await fn.stop();
        }
        assert.deepEqual(Record.seen.sort(), name === "test_combining_value_state" ? INDEXED : COMBINED);
        SumCombineFn.checkTornDown();
      });
    }
  }
});
