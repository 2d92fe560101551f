/**
 * The DoFn lifecycle against Beam Python's dofn_lifecycle_test.py as the oracle: its
 * CallSequenceEnforcingDoFn asserts in each method what must (not) have been called before it
 * (setup once and first, bundles strictly alternating start/finish, process only inside a bundle,
 * teardown once and last). Python runs it on the BundleBasedDirectRunner and the FnApiRunner;
 * here on the DirectRunner in batch, streaming and with two in-process workers, and through the
 * Fn API harness (the test runner of test/portable/mini_runner.ts). Java's ParDoLifecycleTest:
 * beam_pardo_lifecycle.test.ts.
 */
import { strict as assert } from "node:assert";
import { Create, definePipeline, DoFn, ParDo, TestStream, type PCollection, type ProcessContext } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineOptions } from "../../lib/model/options";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { executePipeline } from "../portable/mini_runner";
import { runOk } from "../helpers";

/** Python's CallSequenceEnforcingDoFn: squares its input; violations are recorded, not thrown, so every one shows. */
class CallSequenceEnforcingDoFn extends DoFn<number, number> {
  static violations: string[] = [];
  static squares: number[] = [];
  static teardowns = 0;
  private setupCalled = false;
  private startBundleCalls = 0;
  private finishBundleCalls = 0;
  private teardownCalled = false;

  private check(ok: boolean, what: string): void {
    if (!ok) CallSequenceEnforcingDoFn.violations.push(what);
  }
  setup(): void {
    this.check(!this.setupCalled, "setup should not be called twice");
    this.check(this.startBundleCalls === 0, "setup should be called before start_bundle");
    this.check(this.finishBundleCalls === 0, "setup should be called before finish_bundle");
    this.check(!this.teardownCalled, "setup should be called before teardown");
    this.setupCalled = true;
  }
  startBundle(): void {
    this.check(this.setupCalled, "setup should have been called");
    this.check(this.startBundleCalls === this.finishBundleCalls, "there should be as many start_bundle calls as finish_bundle calls");
    this.check(!this.teardownCalled, "teardown should not have been called");
    this.startBundleCalls++;
  }
  process(element: number, ctx: ProcessContext<number>): void {
    this.check(this.setupCalled, "setup should have been called");
    this.check(this.startBundleCalls > 0, "start_bundle should have been called");
    this.check(this.startBundleCalls === this.finishBundleCalls + 1, "there should be one start_bundle call with no call to finish_bundle");
    this.check(!this.teardownCalled, "teardown should not have been called");
    CallSequenceEnforcingDoFn.squares.push(element * element);
    ctx.output(element * element);
  }
  finishBundle(): void {
    this.check(this.setupCalled, "setup should have been called");
    this.check(this.startBundleCalls > 0, "start_bundle should have been called");
    this.check(this.startBundleCalls === this.finishBundleCalls + 1, "there should be one start_bundle call with no call to finish_bundle");
    this.check(!this.teardownCalled, "teardown should not have been called");
    this.finishBundleCalls++;
  }
  teardown(): void {
    this.check(this.setupCalled, "setup should have been called");
    this.check(this.startBundleCalls === this.finishBundleCalls, "there should be as many start_bundle calls as finish_bundle calls");
    this.check(!this.teardownCalled, "teardown should not be called twice");
    this.teardownCalled = true;
    CallSequenceEnforcingDoFn.teardowns++;
  }
}

/** Python's pipeline: 'Start' >> Create([1, 2, 3]) | 'Do' >> ParDo(CallSequenceEnforcingDoFn()). */
function start(p: Pipeline, streaming: boolean): PCollection<number> {
  if (!streaming) return p.apply("Start", Create.of(1, 2, 3));
  return p.apply("Start", TestStream.create<number>().addElements(...[1, 2, 3].map((value) => ({ value, timestamp: 0 }))).advanceWatermarkToInfinity());
}

const lifecycleProgram = definePipeline({
  name: "beam-py-dofn-lifecycle",
  description: "Beam Python's DoFn lifecycle test pipeline",
  flags: {},
  build(root) {
    start(root, false).apply("Do", ParDo.of(new CallSequenceEnforcingDoFn()));
  },
});

describe("Beam Python DoFn lifecycle (dofn_lifecycle_test.py)", () => {
  beforeEach(() => {
    CallSequenceEnforcingDoFn.violations = [];
    CallSequenceEnforcingDoFn.squares = [];
    CallSequenceEnforcingDoFn.teardowns = 0;
  });

  const runs: [string, boolean, Partial<PipelineOptions>][] = [
    ["batch", false, {}],
    ["streaming", true, {}],
    ["batch, --direct_num_workers 2", false, { directNumWorkers: 2 }],
  ];
  for (const [mode, streaming, options] of runs) {
    it(`test_dofn_lifecycle (DirectRunner, ${mode})`, async () => {
      await runOk((p) => {
        start(p, streaming).apply("Do", ParDo.of(new CallSequenceEnforcingDoFn()));
      }, options);
      assert.deepEqual(CallSequenceEnforcingDoFn.violations, []);
      assert.deepEqual(CallSequenceEnforcingDoFn.squares.sort((a, b) => a - b), [1, 4, 9]);
      assert.ok(CallSequenceEnforcingDoFn.teardowns >= 1, "every instance set up was torn down");
    });
  }

  it("test_dofn_lifecycle (Fn API harness)", async () => {
    const fn = await FnApiServer.start();
    const harness = new FnHarness({ workerId: "w-py-lifecycle", controlUrl: fn.url, loadPipeline: () => lifecycleProgram.create({}), runId: "py-lifecycle" }).start();
    try {
      await executePipeline(translatePipeline(lifecycleProgram.create({}), dockerEnvironment()).proto, fn, () => undefined, () => false);
    } finally {
      await harness.stop();
      await fn.stop();
    }
    assert.deepEqual(CallSequenceEnforcingDoFn.violations, []);
    assert.deepEqual(CallSequenceEnforcingDoFn.squares.sort((a, b) => a - b), [1, 4, 9]);
    assert.ok(CallSequenceEnforcingDoFn.teardowns >= 1, "the harness tears its DoFns down when it stops");
  });
});
