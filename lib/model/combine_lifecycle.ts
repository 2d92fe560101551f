/**
 * CombineFn.setup / teardown (Beam Python's, since 2.26): setup is called once on an instance
 * before any other method, teardown is its last call (best effort).
 *
 * One mechanism for every place a CombineFn is called (the combine operators, the shuffle's merges,
 * streaming grouping, combining state, CombineValues, the wrappers that compose or fan out fns):
 * where a combine or a combining state is declared, a fn with a setup or teardown is wrapped once
 * in a LifecycleCombineFn, whose methods set the fn up on their first call in this process (one
 * boolean check per call; a fn without setup or teardown is not wrapped at all, so a word count's
 * sum costs nothing more). What was set up is remembered here, and torn down when the runs of
 * this process end: the DirectRunner at the end of each run (batch or streaming), a batch worker
 * thread as it exits after the run, the Fn API harness when it stops.
 */
import type { CombineContext, CombineFnWithContext } from "./combine_fn";

/** The optional lifecycle methods of a CombineFn (or CombineFnWithContext). */
interface Lifecycle {
  setup?(): void;
  teardown?(): void;
}

type AnyCombineFn = CombineFnWithContext<unknown, unknown, unknown, never> & Lifecycle;

/** The wrapped fns set up in this process (thread) and not yet torn down, in setup order. */
const live = new Set<LifecycleCombineFn>();
/** Runs of this process in progress: the fns are torn down when the last one ends. */
let runs = 0;

/** @internal A CombineFn whose setup runs before its first use in this process. */
export class LifecycleCombineFn implements CombineFnWithContext<unknown, unknown, unknown, never> {
  private ready = false;
  /** Present only when the fn has one (runners compact only then). */
  readonly compact?: (acc: unknown, ctx: CombineContext<never>) => unknown;

  constructor(readonly fn: AnyCombineFn) {
    if (fn.compact !== undefined) {
      this.compact = (acc, ctx) => {
        if (!this.ready) this.setUp();
        return fn.compact!(acc, ctx);
      };
    }
  }

  createAccumulator(ctx: CombineContext<never>): unknown {
    if (!this.ready) this.setUp();
    return this.fn.createAccumulator(ctx);
  }
  addInput(acc: unknown, input: unknown, ctx: CombineContext<never>): unknown {
    if (!this.ready) this.setUp();
    return this.fn.addInput(acc, input, ctx);
  }
  mergeAccumulators(accumulators: Iterable<unknown>, ctx: CombineContext<never>): unknown {
    if (!this.ready) this.setUp();
    return this.fn.mergeAccumulators(accumulators, ctx);
  }
  extractOutput(acc: unknown, ctx: CombineContext<never>): unknown {
    if (!this.ready) this.setUp();
    return this.fn.extractOutput(acc, ctx);
  }

  private setUp(): void {
    try {
      const r: unknown = this.fn.setup?.();
      // Its methods are synchronous, so nothing would wait for an async setup to finish.
      if (typeof (r as { then?: unknown } | undefined)?.then === "function") throw new Error("setup() returned a promise; a CombineFn's setup must be synchronous");
    } catch (e) {
      // The caller names the transform (a combine's errors are wrapped with its full name).
      const name = fnName(this.fn);
      throw new Error(`${name}.setup() failed, so the combine cannot run: ${e instanceof Error ? e.message : String(e)}; fix the fn's setup (it runs once per instance before any other method)`, { cause: e });
    }
    this.ready = true;
    live.add(this);
  }

  /** @internal The instance's last call; a later use (another run of the same pipeline) sets it up again. */
  tearDown(): void {
    this.ready = false;
    live.delete(this);
    this.fn.teardown?.();
  }
}

/**
 * @internal `fn`, wrapped so that its setup runs before its first use when it has a setup or a
 * teardown (unchanged otherwise, and when wrapped already).
 */
export function withCombineLifecycle<F>(fn: F): F {
  const f = fn as unknown as AnyCombineFn;
  if (f instanceof LifecycleCombineFn || (f.setup === undefined && f.teardown === undefined)) return fn;
  if ((f.setup !== undefined && typeof f.setup !== "function") || (f.teardown !== undefined && typeof f.teardown !== "function")) {
    throw new TypeError("a CombineFn's setup and teardown must be methods (or left out)");
  }
  // One wrapper per fn object: a fn given to several combines (or states) is set up once.
  let wrapped = wrappers.get(f);
  if (wrapped === undefined) wrappers.set(f, (wrapped = new LifecycleCombineFn(f)));
  return wrapped as unknown as F;
}

const wrappers = new WeakMap<object, LifecycleCombineFn>();

/** @internal A run of this process starts: what it sets up is torn down when it (and any other run in progress) ends. */
export function beginCombineFnRun(): void {
  runs++;
}

/**
 * @internal A run of this process ended: once none is left, tears down every CombineFn set up
 * (best effort, as Beam: a teardown that throws is reported on stderr and the others still run).
 */
export function endCombineFnRun(): void {
  runs = Math.max(0, runs - 1);
  if (runs === 0) tearDownCombineFns();
}

/** @internal Tears down every CombineFn set up in this process (thread), e.g. as a worker thread ends. */
export function tearDownCombineFns(): void {
  for (const fn of [...live]) {
    try {
      fn.tearDown();
    } catch (e) {
      const name = fnName(fn.fn);
      console.warn(`${name}.teardown() failed (teardown is best effort; the run's results stand): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** The fn's class name, for messages ("CombineFn" for an object literal). */
function fnName(fn: object): string {
  const name = (fn.constructor as { name?: string } | undefined)?.name;
  return name === undefined || name === "" || name === "Object" ? "CombineFn" : name;
}
