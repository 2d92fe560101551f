/**
 * Beam's DoFn lifecycle: teardown is an instance's last call. A step that hands several outputs
 * on in one synchronous loop and then fails part way (an element in several windows, a combine's
 * groups, the panes a watermark fires, the elements of a bundle on several instances) must let
 * the async work its earlier outputs started end before the runner tears the steps down; else a
 * file sink opens its file in a call after its teardown and leaks it (test/direct/
 * sequential_process.test.ts has the FlatMap, fork and ParDo cases).
 *
 * Each pipeline reaches an async step (RecordingAsync) with a known number of elements before
 * a synchronous failure; the run must fail with that error, every element that reached the async
 * step must be done, and no instance may be called after its teardown.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Combine, Create, DoFn, FixedWindows, GroupByKey, kv, ParDo, Reshuffle, SlidingWindows, Window, type BundleContext, type KV, type ProcessContext } from "../../lib";
import type { CombineFn } from "../../lib/model/combine_fn";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineOptions } from "../../lib/model/options";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";

const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Records its calls per instance: `<id> process`, `<id> done` (after an await) and `<id> teardown`. */
class RecordingAsync extends DoFn<unknown, never> {
  static log: string[] = [];
  static instances = 0;
  private id = -1;
  setup(): void {
    this.id = RecordingAsync.instances++;
  }
  async process(): Promise<void> {
    RecordingAsync.log.push(`${this.id} process`);
    await tick();
    await tick();
    RecordingAsync.log.push(`${this.id} done`);
  }
  teardown(): void {
    RecordingAsync.log.push(`${this.id} teardown`);
  }
}

/** A function that throws on its `n`th call (1-based), counting calls across the run. */
function failingCall<T>(n: number, message: string): (x: T) => T {
  let calls = 0;
  return (x) => {
    if (++calls === n) throw new Error(message);
    return x;
  };
}

/** A sum whose extractOutput throws on its `n`th call. */
function sumFailingExtract(n: number): CombineFn<number, number, number> {
  const extract = failingCall<number>(n, "extractOutput failed");
  return {
    createAccumulator: () => 0,
    addInput: (a, x) => a + x,
    mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
    extractOutput: (a) => extract(a),
  };
}

/** Emits 0..19 in one synchronous loop. */
class Burst extends DoFn<number, number> {
  process(_: number, ctx: ProcessContext<number>): void {
    for (let i = 0; i < 20; i++) ctx.output(i);
  }
}

/** After an await, emits 0..4 in one loop and then fails: in process, or in finishBundle. */
class AsyncBurstThenThrow extends DoFn<number, number> {
  constructor(private readonly where: "process" | "finishBundle") {
    super();
  }
  async process(_: number, ctx: ProcessContext<number>): Promise<void> {
    if (this.where !== "process") return;
    await tick();
    for (let i = 0; i < 5; i++) ctx.output(i);
    throw new Error("process failed after its outputs");
  }
  async finishBundle(ctx: BundleContext<number>): Promise<void> {
    if (this.where !== "finishBundle") return;
    await tick();
    for (let i = 0; i < 5; i++) ctx.output(i);
    throw new Error("finishBundle failed after its outputs");
  }
}

const failAt19 = (n: number): number => {
  if (n === 19) throw new Error("element 19 failed");
  return n;
};

const keyed = (n: number): KV<string, number>[] => Array.from({ length: n }, (_, i) => kv(`k${i}`, i));

/** Runs, expects the failure, waits (bounded polling) for `reached` async calls, and checks teardown came last. */
async function expectFailureAfterAsyncWork(build: (p: Pipeline) => void, error: RegExp, reached: number, options: Partial<PipelineOptions> = {}): Promise<void> {
  const result = await runDirect(build, options);
  await result.waitUntilFinish().catch(() => undefined);
  assert.equal(result.state, "FAILED");
  assert.match(result.error!.message, error);
  // Had the run returned with calls still running, they would end after it: wait for them all.
  const done = (): number => RecordingAsync.log.filter((l) => l.endsWith(" done")).length;
  for (let i = 0; i < 10_000 && done() < reached; i++) await tick();
  assert.equal(done(), reached, `async calls done: ${RecordingAsync.log.join(", ")}`);
  assert.ok(RecordingAsync.instances > 0, "the async step was set up");
  for (let id = 0; id < RecordingAsync.instances; id++) {
    const calls = RecordingAsync.log.filter((l) => l.startsWith(`${id} `));
    assert.equal(calls.indexOf(`${id} teardown`), calls.length - 1, `instance ${id} was called after its teardown: ${calls.join(", ")}`);
  }
}

describe("A step failing after its earlier outputs started async work downstream", () => {
  beforeEach(() => {
    RecordingAsync.log = [];
    RecordingAsync.instances = 0;
  });

  it("batch: Window.into of an element in three sliding windows, the second copy failing downstream", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(Create.timestamped([{ value: 1, timestamp: 5 }]))
          .apply("Sliding", Window.into(new SlidingWindows(6, 2)))
          .apply("Fixed", Window.into(new FixedWindows(10)))
          .map("FailSecond", failingCall<number>(2, "second copy failed"))
          .apply("Async", ParDo.of(new RecordingAsync())),
      /FailSecond.*second copy failed/s,
      1,
    );
  });

  it("batch: a combine's outputs, its extractOutput failing on the second key", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(Create.of(...keyed(5)))
          .apply("Sum", Combine.perKey(sumFailingExtract(2)))
          .apply("Async", ParDo.of(new RecordingAsync())),
      /Sum.*extractOutput failed/s,
      1,
    );
  });

  it("batch: a GroupByKey's groups, a Map failing on the second", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(Create.of(...keyed(5)))
          .apply("Group", GroupByKey.create<string, number>())
          .map("FailSecond", failingCall<KV<string, number[]>>(2, "second group failed"))
          .apply("Async", ParDo.of(new RecordingAsync())),
      /FailSecond.*second group failed/s,
      1,
    );
  });

  it("batch, --direct_num_workers 2: one instance failing while the other's async work runs", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(Create.of(...Array.from({ length: 20 }, (_, i) => i)))
          // A stage whose root elements are many (Create's own stage has one, its impulse).
          .apply(Reshuffle.viaRandomKey<number>())
          .map("FailAt19", failAt19)
          .apply("Async", ParDo.of(new RecordingAsync())),
      /FailAt19.*element 19 failed/s,
      19,
      { directNumWorkers: 2 },
    );
  });

  it("streaming: a ParDo with exception handling passing its outputs on once process succeeded, a Map failing on one", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(TestStream.create<number>().addElements({ value: 0, timestamp: 0 }).advanceWatermarkToInfinity())
          .apply("Burst", ParDo.of(new Burst()).withExceptionHandling({ ignoreRejected: true }))
          .main.map("FailAt19", failAt19)
          .apply("Async", ParDo.of(new RecordingAsync())),
      /FailAt19.*element 19 failed/s,
      19,
    );
  });

  it("streaming: a ParDo with exception handling and partial outputs, a Map failing on one", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(TestStream.create<number>().addElements({ value: 0, timestamp: 0 }).advanceWatermarkToInfinity())
          .apply("Burst", ParDo.of(new Burst()).withExceptionHandling({ ignoreRejected: true, partial: true }))
          .main.map("FailAt19", failAt19)
          .apply("Async", ParDo.of(new RecordingAsync())),
      /FailAt19.*element 19 failed/s,
      19,
    );
  });

  for (const where of ["process", "finishBundle"] as const) {
    it(`streaming: an async ${where} outputting after an await, then failing`, async () => {
      await expectFailureAfterAsyncWork(
        (p) =>
          p
            .apply(TestStream.create<number>().addElements({ value: 0, timestamp: 0 }).advanceWatermarkToInfinity())
            .apply("Burst", ParDo.of(new AsyncBurstThenThrow(where)))
            .apply("Async", ParDo.of(new RecordingAsync())),
        new RegExp(`Burst.*${where} failed after its outputs`, "s"),
        5,
      );
    });
  }

  it("streaming: the panes a watermark fires for several keys, a Map failing on the second", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(
            TestStream.create<KV<string, number>>()
              .addElements(...keyed(5).map((e) => ({ value: e, timestamp: 1 })))
              .advanceWatermarkToInfinity(),
          )
          .apply("Window", Window.into(new FixedWindows(10)))
          .apply("Group", GroupByKey.create<string, number>())
          .map("FailSecond", failingCall<KV<string, number[]>>(2, "second pane failed"))
          .apply("Async", ParDo.of(new RecordingAsync())),
      /FailSecond.*second pane failed/s,
      1,
    );
  });

  it("streaming: a combine's panes at a watermark, its extractOutput failing on the second key", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(
            TestStream.create<KV<string, number>>()
              .addElements(...keyed(5).map((e) => ({ value: e, timestamp: 1 })))
              .advanceWatermarkToInfinity(),
          )
          .apply("Window", Window.into(new FixedWindows(10)))
          .apply("Sum", Combine.perKey(sumFailingExtract(2)))
          .apply("Async", ParDo.of(new RecordingAsync())),
      /Sum.*extractOutput failed/s,
      1,
    );
  });

  it("streaming with checkpoints: a Reshuffle passing on what a checkpoint holds, a Map failing on the second", async () => {
    // A run that takes checkpoints holds a Reshuffle's elements until one holds them, then passes them on in a loop.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-failure-after-outputs-"));
    try {
      await expectFailureAfterAsyncWork(
        (p) =>
          p
            .apply(TestStream.create<number>().addElements(...[0, 1, 2, 3, 4].map((value) => ({ value, timestamp: 1 }))).advanceWatermarkToInfinity())
            .apply("Reshuffle", Reshuffle.viaRandomKey<number>())
            .map("FailSecond", failingCall<number>(2, "second element failed"))
            .apply("Async", ParDo.of(new RecordingAsync())),
        /FailSecond.*second element failed/s,
        1,
        { checkpointDir: dir },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("streaming: Window.into of an element in three sliding windows, the second copy failing downstream", async () => {
    await expectFailureAfterAsyncWork(
      (p) =>
        p
          .apply(TestStream.create<number>().addElements({ value: 1, timestamp: 5 }).advanceWatermarkToInfinity())
          .apply("Sliding", Window.into(new SlidingWindows(6, 2)))
          .apply("Fixed", Window.into(new FixedWindows(10)))
          .map("FailSecond", failingCall<number>(2, "second copy failed"))
          .apply("Async", ParDo.of(new RecordingAsync())),
      /FailSecond.*second copy failed/s,
      1,
    );
  });
});
