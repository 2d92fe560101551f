/**
 * Beam never calls `process` of one DoFn instance concurrently: an upstream step that emits a
 * burst (ctx.output in a loop, without awaiting) must not start an async `process` again while
 * its previous call is still pending. The executor queues such elements (one call at a time per
 * instance, in arrival order) and hands the wait back upstream as backpressure.
 *
 * Each test checks the number of overlapping calls and that what an async `process` reads from
 * its context after an await (timestamp, window) is still its own element's.
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, FixedWindows, ParDo, Window, type BundleContext, type ProcessContext } from "../../lib";
import { MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import { defaultOptions } from "../../lib/model/options";
import { GLOBAL_WINDOWS, NO_FIRING } from "../../lib/model/window";
import { TestStream } from "../../lib/testing/test_stream";
import { ParDoOperator } from "../../runners/executor/pardo_operator";
import { DISCARD } from "../../runners/executor/receiver";
import { runDirect, runOk } from "../helpers";

const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Records how many of its process calls overlap, and what each reads after its awaits. */
class SlowAsync extends DoFn<number, string> {
  static active = 0;
  static maxActive = 0;
  static seen: string[] = [];
  static reset(): void {
    SlowAsync.active = 0;
    SlowAsync.maxActive = 0;
    SlowAsync.seen = [];
  }
  async process(n: number, ctx: ProcessContext<string>): Promise<void> {
    SlowAsync.active++;
    SlowAsync.maxActive = Math.max(SlowAsync.maxActive, SlowAsync.active);
    await tick();
    await tick();
    SlowAsync.seen.push(`${n}@${ctx.timestamp}`);
    ctx.output(`${n}@${ctx.timestamp}`);
    SlowAsync.active--;
  }
}

/** Emits `n` elements per input in one synchronous loop, each with its own timestamp. */
class Burst extends DoFn<number, number> {
  constructor(private readonly n: number) {
    super();
  }
  process(_: number, ctx: ProcessContext<number>): void {
    for (let i = 0; i < this.n; i++) ctx.outputWithTimestamp(i, 1_000 + i);
  }
}

const expected = (n: number): string[] => Array.from({ length: n }, (_, i) => `${i}@${1_000 + i}`);

describe("The executor never calls one DoFn instance's process concurrently", () => {
  beforeEach(() => SlowAsync.reset());

  it("batch: a burst from the step before is processed one element at a time, in order", async () => {
    await runOk((p) => {
      p.apply(Create.of(0))
        .apply("Burst", ParDo.of(new Burst(50)))
        .apply("Slow", ParDo.of(new SlowAsync()));
    });
    assert.equal(SlowAsync.maxActive, 1, "overlapping process calls");
    assert.deepEqual(SlowAsync.seen, expected(50));
  });

  it("streaming: the same, and windows read after an await are the element's own", async () => {
    await runOk((p) => {
      p.apply(TestStream.create<number>().addElements({ value: 0, timestamp: 0 }).advanceWatermarkToInfinity())
        .apply("Burst", ParDo.of(new Burst(30)))
        .apply("Window", Window.into(new FixedWindows(10)))
        .apply(
          "Slow",
          ParDo.of(
            new (class extends SlowAsync {
              async process(n: number, ctx: ProcessContext<string>): Promise<void> {
                await super.process(n, ctx);
                SlowAsync.seen.push(`window ${ctx.window.id()}`);
              }
            })(),
          ),
        );
    });
    assert.equal(SlowAsync.maxActive, 1, "overlapping process calls");
    const expectedSeen = expected(30).flatMap((s, i) => {
      const start = Math.floor((1_000 + i) / 10) * 10;
      return [s, `window ${start}:${start + 10}`];
    });
    assert.deepEqual(SlowAsync.seen, expectedSeen);
  });

  it("operator level: receive() while a call is pending queues, and the returned promises settle in order", async () => {
    const runtime = { options: defaultOptions(), runId: "t", transformName: "Slow", reportOutputs: () => undefined };
    const op = new ParDoOperator("Slow", new SlowAsync() as unknown as DoFn<unknown, unknown>, new Map([["main", DISCARD]]), undefined, new MetricsContainer("Slow"), runtime, undefined);
    await op.setup();
    await op.startBundle();
    const settled: number[] = [];
    const pending = [0, 1, 2, 3].map((n) => {
      const r = op.receive(n, { timestamp: 1_000 + n, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
      assert.ok(r instanceof Promise, "an async process makes receive return a promise");
      return r.then(() => void settled.push(n));
    });
    await Promise.all(pending);
    await op.finishBundle();
    assert.equal(SlowAsync.maxActive, 1);
    assert.deepEqual(settled, [0, 1, 2, 3]);
    assert.deepEqual(SlowAsync.seen, expected(4));
  });

  it("batch: what an async finishBundle outputs after an await is processed before the next step finishes its bundle", async () => {
    // Like RunInference: buffer the bundle, await the model, output everything in finishBundle.
    class BufferThenFlush extends DoFn<number, number> {
      private buffered: number[] = [];
      process(n: number): void {
        this.buffered.push(n);
      }
      async finishBundle(ctx: BundleContext<number>): Promise<void> {
        await tick();
        for (const n of this.buffered) ctx.output(n);
        this.buffered = [];
      }
    }
    // Like a file sink: async process, and finishBundle writes out what process took in.
    const written: number[] = [];
    class AsyncSink extends DoFn<number, never> {
      private taken: number[] = [];
      async process(n: number): Promise<void> {
        await tick();
        this.taken.push(n);
      }
      finishBundle(): void {
        written.push(...this.taken);
        this.taken = [];
      }
    }
    await runOk((p) => {
      p.apply(Create.from(Array.from({ length: 20 }, (_, i) => i)))
        .apply("Buffer", ParDo.of(new BufferThenFlush()))
        .apply("Sink", ParDo.of(new AsyncSink()));
    });
    assert.deepEqual(written.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  });
});

/**
 * Beam's DoFn lifecycle: teardown is the instance's last call. When a step fails synchronously in
 * the middle of a burst, elements it already handed to an async step are queued there; the runner
 * must let them settle before it tears that step down (a file sink that opens its file in a queued
 * call would otherwise open it after its teardown closed everything, and leak the descriptor).
 */
describe("A burst cut short by a synchronous failure", () => {
  /** Records its calls per instance: `<id> process <n>` (and `<id> done <n>` at its end) and `<id> teardown`. */
  class RecordingAsync extends DoFn<number, never> {
    static log: string[] = [];
    static instances = 0;
    private id = -1;
    setup(): void {
      this.id = RecordingAsync.instances++;
    }
    async process(n: number): Promise<void> {
      RecordingAsync.log.push(`${this.id} process ${n}`);
      await tick();
      RecordingAsync.log.push(`${this.id} done ${n}`);
    }
    teardown(): void {
      RecordingAsync.log.push(`${this.id} teardown`);
    }
  }
  /** Emits 0..n-1 in one synchronous loop, then throws. */
  class BurstThenThrow extends DoFn<number, number> {
    process(_: number, ctx: ProcessContext<number>): void {
      for (let i = 0; i < 20; i++) ctx.output(i);
      throw new Error("burst failed");
    }
  }
  const failAt19 = (n: number): number => {
    if (n === 19) throw new Error("element 19 failed");
    return n;
  };
  beforeEach(() => {
    RecordingAsync.log = [];
    RecordingAsync.instances = 0;
  });
  /** No instance is called after its teardown, and each was torn down. */
  function assertTeardownLast(): void {
    assert.ok(RecordingAsync.instances > 0, "the async step was set up");
    for (let id = 0; id < RecordingAsync.instances; id++) {
      const calls = RecordingAsync.log.filter((l) => l.startsWith(`${id} `));
      assert.equal(calls.indexOf(`${id} teardown`), calls.length - 1, `instance ${id} was called after its teardown: ${calls.slice(-3).join(", ")}`);
    }
  }
  const cases: [string, (p: Pipeline) => void, RegExp, number][] = [
    ["a FlatMap's outputs, then a Map throwing", (p) => p.apply(Create.of(0)).flatMap("Burst", () => Array.from({ length: 20 }, (_, i) => i)).map("FailAt19", failAt19).apply("Async", ParDo.of(new RecordingAsync())), /FailAt19.*element 19 failed/s, 19],
    ["a ParDo's outputs, then a Map throwing", (p) => p.apply(Create.of(0)).apply("Burst", ParDo.of(new Burst(20))).map("FailAt19", failAt19).apply("Async", ParDo.of(new RecordingAsync())), /FailAt19.*element 19 failed/s, 19],
    [
      "a FlatMap's outputs to two steps, the second throwing",
      (p) => {
        const burst = p.apply(Create.of(0)).flatMap("Burst", () => Array.from({ length: 20 }, (_, i) => i));
        burst.apply("Async", ParDo.of(new RecordingAsync()));
        burst.map("FailAt19", failAt19);
      },
      /FailAt19.*element 19 failed/s,
      20,
    ],
    ["a ParDo throwing after its outputs", (p) => p.apply(Create.of(0)).apply("Burst", ParDo.of(new BurstThenThrow())).apply("Async", ParDo.of(new RecordingAsync())), /Burst.*burst failed/s, 20],
  ];
  for (const [name, build, error, reached] of cases) {
    it(`${name}: the queued async calls end before that step's teardown`, async () => {
      const result = await runDirect(build);
      assert.equal(result.state, "FAILED");
      assert.match(result.error!.message, error);
      // `reached` elements got to the async step before the failure. Had the run returned with
      // calls still queued, they would land after it: wait (polling, bounded) for them all.
      const processed = (): number => RecordingAsync.log.filter((l) => l.includes(" done ")).length;
      for (let i = 0; i < 10_000 && processed() < reached; i++) await tick();
      assert.equal(processed(), reached);
      assertTeardownLast();
    });
  }
});
