import { strict as assert } from "node:assert";
import { Count, DoFn, FixedWindows, IntervalWindow, KV, ParDo, ProcessContext, WithKeys, Window } from "../../lib";
import { JsValueCoder } from "../../lib/coders/js_value";
import { ReadUnbounded } from "../../lib/io/read_unbounded";
import { ModelCheckError, UserCodeError } from "../../lib/model/errors";
import { activeMetrics, MetricsContainer } from "../../lib/model/metrics";
import { type ElementMeta, GLOBAL_WINDOWS, MIN_TIMESTAMP, NO_FIRING } from "../../lib/model/window";
import { CheckSampler, CoderCheckReceiver } from "../../runners/executor/checks";
import { ElementwiseOperator } from "../../runners/executor/elementwise_operator";
import { CountingReceiver, type MaybePromise, type Receiver } from "../../runners/executor/receiver";
import { WindowIntoOperator } from "../../runners/executor/window_operator";
import { runDirect } from "../helpers";

/**
 * A streaming source's run of elements sharing a timestamp goes through counts and checks,
 * Window.into and a Map as a run (`receiveRun`): one call per run instead of one per element
 * per step. What each element does must be exactly what it does alone: same outputs, metadata,
 * order, counts, errors, and each element waits for the one before when a step downstream is async.
 */
describe("Runs of elements (receiveRun)", () => {
  const meta = (t: number): ElementMeta => ({ timestamp: t, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
  const describeMeta = (m: ElementMeta): string => `${m.timestamp} ${m.windows.map((w) => w.id()).join("+")}`;

  /** A chain as the streaming driver builds it: checks (or a count), Window.into, a Map, a recording consumer. */
  function chain(fn: (x: unknown) => unknown, opts: { checks?: boolean; consumer?: (v: unknown, m: ElementMeta) => MaybePromise } = {}) {
    const seen: string[] = [];
    const consumer: Receiver = { receive: opts.consumer ?? ((v, m) => void seen.push(`${JSON.stringify(v)} @ ${describeMeta(m)}`)) };
    const counts = { source: { n: 0 }, windowed: { n: 0 }, mapped: { n: 0 } };
    const metrics = new MetricsContainer("Map");
    const coder = new JsValueCoder();
    const map = new ElementwiseOperator("Map", { type: "map", fn }, consumer, metrics, opts.checks === true ? { inputCoder: coder, sampler: new CheckSampler(true) } : undefined, undefined, counts.mapped);
    const windowInto = new WindowIntoOperator("Window", new FixedWindows(10), map, counts.windowed);
    const head: Receiver =
      opts.checks === true ? new CoderCheckReceiver("Source", "pc0", coder, new CheckSampler(true), windowInto, counts.source) : new CountingReceiver(counts.source, windowInto);
    return { head, seen, counts, metrics, map, windowInto };
  }

  /** The driver's two ways of handing over a bundle's runs. */
  async function push(head: Receiver, runs: readonly (readonly [number, readonly unknown[]])[], byRun: boolean): Promise<void> {
    for (const [t, values] of runs) {
      const m = meta(t);
      if (byRun) {
        const r = head.receiveRun!([...values], 0, values.length, m);
        if (r !== undefined) await r;
      } else {
        for (const v of values) {
          const r = head.receive(v, m);
          if (r !== undefined) await r;
        }
      }
    }
  }

  const runs = [
    [3, [1, 2, 3]],
    [3, [4]],
    [12, [5, 6, 7, 8]],
    [25, [9, 10]],
  ] as const;

  for (const checks of [false, true]) {
    it(`gives every element what it gets alone (${checks ? "strict checks" : "counts only"})`, async () => {
      const calls: unknown[] = [];
      const fn = (x: unknown): unknown => (calls.push(x), { key: `k${(x as number) % 3}`, value: x });
      const alone = chain(fn, { checks });
      await push(alone.head, runs, false);
      const aloneCalls = calls.splice(0);
      const asRuns = chain(fn, { checks });
      assert.equal(typeof asRuns.head.receiveRun, "function");
      assert.equal(typeof asRuns.map.receiveRun, "function");
      await push(asRuns.head, runs, true);
      assert.deepEqual(asRuns.seen, alone.seen);
      assert.equal(asRuns.seen.length, 10);
      assert.equal(asRuns.seen[0], `{"key":"k1","value":1} @ 3 0:10`);
      assert.equal(asRuns.seen[9], `{"key":"k1","value":10} @ 25 20:30`);
      assert.deepEqual(calls, aloneCalls);
      assert.deepEqual(asRuns.counts, { source: { n: 10 }, windowed: { n: 10 }, mapped: { n: 10 } });
      assert.deepEqual(alone.counts, asRuns.counts);
    });
  }

  it("a run from the middle of an array takes just its range", async () => {
    const c = chain((x) => x);
    const r = c.head.receiveRun!([100, 1, 2, 3, 200], 1, 4, meta(7));
    assert.equal(r, undefined);
    assert.deepEqual(c.seen, ["1 @ 7 0:10", "2 @ 7 0:10", "3 @ 7 0:10"]);
    assert.equal(c.counts.mapped.n, 3);
  });

  it("waits for an async consumer before the next element, in order", async () => {
    const log: string[] = [];
    let release: (() => void) | undefined;
    const consumer = (v: unknown): MaybePromise => {
      log.push(`got ${String(v)}`);
      if (v === 2) {
        return new Promise<void>((resolve) => {
          release = () => {
            log.push("released 2");
            resolve();
          };
        });
      }
      return undefined;
    };
    const c = chain((x) => x, { consumer });
    const r = c.head.receiveRun!([1, 2, 3, 4], 0, 4, meta(1));
    assert.ok(r instanceof Promise, "an async step downstream makes the run async");
    // Element 3 waits for element 2's promise.
    assert.deepEqual(log, ["got 1", "got 2"]);
    await Promise.resolve();
    assert.deepEqual(log, ["got 1", "got 2"]);
    release!();
    await r;
    assert.deepEqual(log, ["got 1", "got 2", "released 2", "got 3", "got 4"]);
    assert.equal(c.counts.mapped.n, 4);
    assert.equal(activeMetrics.container, undefined, "no metrics container left active");
  });

  it("an error names the step and the element, after the elements before it went on; the metrics container is restored", () => {
    const c = chain((x) => {
      if (x === 3) throw new Error("boom");
      return x;
    });
    const outside = new MetricsContainer("Outside");
    activeMetrics.container = outside;
    try {
      assert.throws(
        () => c.head.receiveRun!([1, 2, 3, 4], 0, 4, meta(1)),
        (e: unknown) => e instanceof UserCodeError && e.transformPath === "Map" && e.elementPreview === "3" && /boom/.test(e.message),
      );
      assert.equal(activeMetrics.container, outside);
    } finally {
      activeMetrics.container = undefined;
    }
    assert.deepEqual(c.seen, ["1 @ 1 0:10", "2 @ 1 0:10"]);
  });

  it("the user function runs with the step's metrics container active", () => {
    let container: MetricsContainer | undefined;
    const c = chain((x) => ((container = activeMetrics.container), x));
    c.map.receiveRun!([1], 0, 1, meta(1));
    assert.equal(container, c.metrics);
    assert.equal(activeMetrics.container, undefined);
  });

  it("a mutated input fails the mutation check (not wrapped as a user error), after its output went on", () => {
    const c = chain((x) => {
      (x as { n: number }).n++;
      return x;
    }, { checks: true });
    assert.throws(
      () => c.map.receiveRun!([{ n: 1 }, { n: 5 }], 0, 2, meta(1)),
      (e: unknown) => e instanceof ModelCheckError && !(e instanceof UserCodeError),
    );
    assert.deepEqual(c.seen, [`{"n":2} @ 1 global`]);
  });

  it("a run of values other than numbers is checked element by element before each goes on", () => {
    const c = chain((x) => x, { checks: true });
    assert.throws(() => c.head.receiveRun!(["a", "b\ud800", "c"], 0, 3, meta(1)), (e: unknown) => e instanceof ModelCheckError && /surrogate/.test(e.message));
    assert.deepEqual(c.seen, [`"a" @ 1 0:10`]);
    assert.equal(c.counts.source.n, 2);
  });

  it("a streaming pipeline counts a source's batches per key and window as before", async () => {
    const panes: string[] = [];
    class Sink extends DoFn<KV<string, number>, never> {
      process(e: KV<string, number>, ctx: ProcessContext<never>): void {
        panes.push(`${(ctx.window as IntervalWindow).id()} ${e.key}=${e.value}`);
      }
    }
    const result = await runDirect((p) => {
      p.apply(
        ReadUnbounded.from<number>({
          initialWatermark: MIN_TIMESTAMP,
          async read(ctx) {
            // Batches of one timestamp each (runs), and one with a timestamp per element.
            for (const t of [1000, 1500, 2500]) {
              ctx.advanceWatermark(t);
              await ctx.emitAll([t, t + 1, t + 2, t + 3, t + 4], t);
            }
            await ctx.emitAll([3000, 3001, 3002], [3000, 3100, 4200]);
          },
        }),
      )
        .apply(Window.into(new FixedWindows(1000)))
        .apply(WithKeys.of((i: number) => `k${i % 2}`))
        .apply(Count.perKey())
        .apply("Sink", ParDo.of(new Sink()));
    }, {}, { checkEveryElement: false });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(panes.sort(), ["1000:2000 k0=6", "1000:2000 k1=4", "2000:3000 k0=3", "2000:3000 k1=2", "3000:4000 k0=1", "3000:4000 k1=1", "4000:5000 k0=1"]);
  });
});
