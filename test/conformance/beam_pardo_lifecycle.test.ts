/**
 * The DoFn lifecycle against Beam Java's ParDoLifecycleTest as the oracle: setup once per
 * instance, then bundles (startBundle, process..., finishBundle), teardown last; and teardown
 * after an exception in any of setup, startBundle, process or finishBundle, the instance's calls
 * being exactly the ones up to the exception and then teardown. Run in batch (Create) and
 * streaming (TestStream), plain and stateful (a stateful ParDo runs on the streaming driver).
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, Flatten, kv, ParDo, StatefulDoFn, StateSpec, TestStream, type KV, type PCollection, type StatefulProcessContext } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { definePipeline } from "../../lib";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { executePipeline } from "../portable/mini_runner";
import { runDirect, runOk } from "../helpers";
import { runError, type Mode } from "./beam_helpers";

/** `values` as a bounded (Create) or unbounded (TestStream) input. */
function input<T>(p: Pipeline, label: string, mode: Mode, values: readonly T[]): PCollection<T> {
  if (mode === "batch") return p.apply(label, Create.from(values));
  return p.apply(label, TestStream.create<T>().addElements(...values.map((value) => ({ value, timestamp: 0 }))).advanceWatermarkToInfinity());
}

/** CallSequenceEnforcingFn: asserts, in each method, what must have been called before it. */
class CallSequenceEnforcingFn<T> extends DoFn<T, T> {
  static violations: string[] = [];
  static teardowns = 0;
  private setupCalled = false;
  private startBundleCalls = 0;
  private finishBundleCalls = 0;
  private teardownCalled = false;

  private check(ok: boolean, what: string): void {
    if (!ok) CallSequenceEnforcingFn.violations.push(what);
  }
  setup(): void {
    this.check(!this.setupCalled, "setup should not be called twice");
    this.check(this.startBundleCalls === 0 && this.finishBundleCalls === 0 && !this.teardownCalled, "setup should be called before anything else");
    this.setupCalled = true;
  }
  startBundle(): void {
    this.check(this.setupCalled, "setup should have been called before startBundle");
    this.check(this.startBundleCalls === this.finishBundleCalls, "startBundle with a bundle still open");
    this.check(!this.teardownCalled, "teardown should not have been called before startBundle");
    this.startBundleCalls++;
  }
  process(): void {
    this.check(this.startBundleCalls === this.finishBundleCalls + 1, "process outside a bundle");
    this.check(!this.teardownCalled, "teardown should not have been called before process");
  }
  finishBundle(): void {
    this.check(this.startBundleCalls === this.finishBundleCalls + 1, "finishBundle outside a bundle");
    this.check(!this.teardownCalled, "teardown should not have been called before finishBundle");
    this.finishBundleCalls++;
  }
  teardown(): void {
    this.check(this.setupCalled, "teardown without setup");
    this.check(this.startBundleCalls === this.finishBundleCalls, "teardown with a bundle still open");
    this.check(!this.teardownCalled, "teardown twice");
    this.teardownCalled = true;
    CallSequenceEnforcingFn.teardowns++;
  }
}

/** The same, stateful (CallSequenceEnforcingStatefulFn). */
class CallSequenceEnforcingStatefulFn extends StatefulDoFn<string, number, KV<string, number>> {
  readonly foo = StateSpec.value<string>("foo");
  private readonly inner = new CallSequenceEnforcingFn<KV<string, number>>();
  setup(): void {
    this.inner.setup();
  }
  startBundle(): void {
    this.inner.startBundle();
  }
  process(_e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
    ctx.state(this.foo).write("seen");
    this.inner.process();
  }
  finishBundle(): void {
    this.inner.finishBundle();
  }
  teardown(): void {
    this.inner.teardown();
  }
}

type Method = "setup" | "startBundle" | "process" | "finishBundle";

/** ExceptionThrowingFn: records the calls of each instance; throws once, in `toThrow`. */
class ExceptionThrowingFn<T> extends DoFn<T, T> {
  static instances: string[][] = [];
  private readonly calls: string[] = [];
  private thrown = false;
  constructor(private readonly toThrow: Method) {
    super();
    ExceptionThrowingFn.instances.push(this.calls);
  }
  protected record(method: Method): void {
    if (this.calls.at(-1) !== method) this.calls.push(method);
    if (method === this.toThrow && !this.thrown) {
      this.thrown = true;
      throw new Error(`Hasn't yet thrown (${method})`);
    }
  }
  setup(): void {
    this.record("setup");
  }
  startBundle(): void {
    this.record("startBundle");
  }
  process(): void {
    this.record("process");
  }
  finishBundle(): void {
    this.record("finishBundle");
  }
  teardown(): void {
    this.calls.push("teardown");
  }
}

class ExceptionThrowingStatefulFn extends StatefulDoFn<string, number, never> {
  readonly foo = StateSpec.value<string>("foo");
  private readonly inner: ExceptionThrowingFn<unknown>;
  constructor(toThrow: Method) {
    super();
    this.inner = new ExceptionThrowingFn(toThrow);
  }
  setup(): void {
    this.inner.setup();
  }
  startBundle(): void {
    this.inner.startBundle();
  }
  process(): void {
    this.inner.process();
  }
  finishBundle(): void {
    this.inner.finishBundle();
  }
  teardown(): void {
    this.inner.teardown();
  }
}

describe("Beam ParDo lifecycle (ParDoLifecycleTest.java)", () => {
  beforeEach(() => {
    CallSequenceEnforcingFn.violations = [];
    CallSequenceEnforcingFn.teardowns = 0;
    ExceptionThrowingFn.instances = [];
  });

  for (const mode of ["batch", "streaming"] as const) {
    it(`testFnCallSequence, testFnCallSequenceMulti (${mode})`, async () => {
      await runOk((p) => {
        const both = [input(p, "Impolite", mode, [1, 2, 4]), input(p, "Polite", mode, [3, 5, 6, 7])];
        both[0]!.apply(Flatten.with(both[1]!)).apply("Single", ParDo.of(new CallSequenceEnforcingFn<number>()));
        both[0]!.apply("Flatten2", Flatten.with(both[1]!)).apply("Multi", ParDo.of(new CallSequenceEnforcingFn<number>()).withOutputs());
      });
      assert.deepEqual(CallSequenceEnforcingFn.violations, []);
      assert.equal(CallSequenceEnforcingFn.teardowns, 2);
    });

    it(`testFnCallSequenceStateful (${mode})`, async () => {
      await runOk((p) => {
        const both = [input(p, "Impolite", mode, [kv("a", 1), kv("b", 2), kv("a", 4)]), input(p, "Polite", mode, [kv("b", 3), kv("a", 5), kv("c", 6), kv("c", 7)])];
        both[0]!.apply(Flatten.with(both[1]!)).apply(ParDo.of(new CallSequenceEnforcingStatefulFn()).withOutputs());
      });
      assert.deepEqual(CallSequenceEnforcingFn.violations, []);
      assert.equal(CallSequenceEnforcingFn.teardowns, 1);
    });

    const expected: Record<Method, string[]> = {
      setup: ["setup", "teardown"],
      startBundle: ["setup", "startBundle", "teardown"],
      process: ["setup", "startBundle", "process", "teardown"],
      finishBundle: ["setup", "startBundle", "process", "finishBundle", "teardown"],
    };
    // The streaming driver starts a DoFn's bundle with its first element, as Beam's runners hand
    // a step bundles of its input: the calls are the same in both modes.
    const calledBy = (calls: readonly string[]): string[] => [...calls];
    for (const method of Object.keys(expected) as Method[]) {
      const name = method === "process" ? "ProcessElement" : method[0]!.toUpperCase() + method.slice(1);
      it(`testTeardownCalledAfterExceptionIn${name} (${mode})`, async () => {
        const e = await runError((p) => input(p, "Input", mode, [1, 2, 3]).apply("Throwing", ParDo.of(new ExceptionThrowingFn<number>(method))));
        assert.match(e.message, /Throwing/);
        assert.match(e.message, /Hasn't yet thrown/);
        // The builder runs twice (the reconstruction check): only the executed graph's DoFn is called.
        const called = ExceptionThrowingFn.instances.filter((c) => c.length > 0).map(calledBy);
        assert.deepEqual(called, [expected[method]]);
      });

      it(`testTeardownCalledAfterExceptionIn${name}Stateful (${mode})`, async () => {
        const e = await runError((p) => input(p, "Input", mode, [kv("a", 1), kv("b", 2), kv("a", 3)]).apply("Throwing", ParDo.of(new ExceptionThrowingStatefulFn(method))));
        assert.match(e.message, /Throwing/);
        const called = ExceptionThrowingFn.instances.filter((c) => c.length > 0).map(calledBy);
        assert.deepEqual(called, [expected[method]]);
      });
    }
  }

  /** Java's validate: every instance that was called ends with teardown; one's calls are exactly `expected`. */
  function validate(expected: readonly string[]): void {
    const called = ExceptionThrowingFn.instances.filter((c) => c.length > 0);
    assert.ok(called.length > 0, "an instance was called");
    for (const c of called) assert.equal(c.at(-1), "teardown", `an instance not torn down last: ${JSON.stringify(called)}`);
    assert.ok(
      called.some((c) => JSON.stringify(c) === JSON.stringify(expected)),
      `no instance made exactly ${JSON.stringify(expected)}: ${JSON.stringify(called)}`,
    );
  }

  for (const [method, expected] of Object.entries({
    setup: ["setup", "teardown"],
    startBundle: ["setup", "startBundle", "teardown"],
    process: ["setup", "startBundle", "process", "teardown"],
    finishBundle: ["setup", "startBundle", "process", "finishBundle", "teardown"],
  }) as [Method, string[]][]) {
    it(`testTeardownCalledAfterExceptionIn ${method} (batch, --direct_num_workers 2)`, async () => {
      const result = await runDirect((p) => p.apply(Create.of(1, 2, 3)).apply("Throwing", ParDo.of(new ExceptionThrowingFn<number>(method))), { directNumWorkers: 2 });
      await assert.rejects(result.waitUntilFinish(), /Throwing.*Hasn't yet thrown/s);
      validate(expected);
    });

    it(`testTeardownCalledAfterExceptionIn ${method} (Fn API harness)`, async () => {
      const program = definePipeline({
        name: "beam-pardo-lifecycle-harness",
        description: "ParDoLifecycleTest's failing DoFn",
        flags: {},
        build(root) {
          root.apply("Input", Create.of(1, 2, 3)).apply("Throwing", ParDo.of(new ExceptionThrowingFn<number>(method)));
        },
      });
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: "w-lifecycle", controlUrl: fn.url, loadPipeline: () => program.create({}), runId: "lifecycle" }).start();
      try {
        const proto = translatePipeline(program.create({}), dockerEnvironment()).proto;
        await assert.rejects(executePipeline(proto, fn, () => undefined, () => false), /Throwing.*Hasn't yet thrown/s);
      } finally {
        await harness.stop();
        await fn.stop();
      }
      validate(expected);
    });
  }

  it("tears down the other DoFns of a stage whose setup succeeded when a later one's setup throws", async () => {
    const result = await runDirect((p) =>
      p
        .apply(Create.of(1, 2, 3))
        .apply("First", ParDo.of(new ExceptionThrowingFn<number>("finishBundle")))
        .apply("Second", ParDo.of(new ExceptionThrowingFn<number>("setup"))),
    );
    await assert.rejects(result.waitUntilFinish(), /Second/);
    const called = ExceptionThrowingFn.instances.filter((c) => c.length > 0);
    assert.deepEqual(called.map((c) => c.at(-1)), ["teardown", "teardown"]);
  });

  it("each of several in-process instances of a stage has its own DoFn (--direct_num_workers 3, no program)", async () => {
    let instances = 0;
    class Counted extends CallSequenceEnforcingFn<number> {
      override setup(): void {
        instances++;
        super.setup();
      }
    }
    await runOk((p) => {
      p.apply(Create.from([1, 2, 3, 4, 5, 6])).apply(ParDo.of(new Counted()));
    }, { directNumWorkers: 3 });
    assert.deepEqual(CallSequenceEnforcingFn.violations, []);
    assert.equal(instances, 3);
    assert.equal(CallSequenceEnforcingFn.teardowns, 3);
  });

  it("a DoFn that threw is not used again: a retried bundle runs on a fresh instance (--direct_bundle_retries)", async () => {
    // ExceptionThrowingFn throws once per instance: on fresh instances every attempt fails.
    const e = await runError((p) => p.apply(Create.of(1, 2, 3)).apply("Throwing", ParDo.of(new ExceptionThrowingFn<number>("process"))));
    assert.match(e.message, /Hasn't yet thrown/);
    ExceptionThrowingFn.instances = [];
    const result = await runDirect((p) => p.apply(Create.of(1, 2, 3)).apply("Throwing", ParDo.of(new ExceptionThrowingFn<number>("process"))), { directBundleRetries: 2 });
    await assert.rejects(result.waitUntilFinish(), /each of its 3 attempts/);
    const called = ExceptionThrowingFn.instances.filter((c) => c.length > 0);
    assert.deepEqual(called, Array(3).fill(["setup", "startBundle", "process", "teardown"]));
  });

  for (const stateful of [false, true]) {
    it(`a DoFn that threw is not used again in streaming either: each restart from the last snapshot runs on a fresh instance (--direct_bundle_retries${stateful ? ", stateful" : ""})`, async () => {
      const result = await runDirect(
        (p) => {
          if (stateful) input(p, "Input", "streaming", [kv("a", 1), kv("b", 2), kv("a", 3)]).apply("Throwing", ParDo.of(new ExceptionThrowingStatefulFn("process")));
          else input(p, "Input", "streaming", [1, 2, 3]).apply("Throwing", ParDo.of(new ExceptionThrowingFn<number>("process")));
        },
        { directBundleRetries: 2 },
      );
      await assert.rejects(result.waitUntilFinish(), /each of its 3 attempts/);
      const called = ExceptionThrowingFn.instances.filter((c) => c.length > 0);
      assert.deepEqual(called, Array(3).fill(["setup", "startBundle", "process", "teardown"]));
    });
  }
});
