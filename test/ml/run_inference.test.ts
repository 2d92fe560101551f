import { strict as assert } from "node:assert";
import { Create, FixedWindows, kv, Pipeline, Window, type KV } from "../../lib";
import { PipelineConstructionError } from "../../lib/model/errors";
import { DoFn, type ProcessContext } from "../../lib/model/dofn";
import { ParDo } from "../../lib/model/pardo";
import { IntervalWindow } from "../../lib/model/window";
import { clearSharedModels, RunInference, sharedModelLoadCount, type BatchingOptions, type FailedInference, type ModelHandler, type PredictionResult, type RunInferenceOptions } from "../../lib/ml";
import { runDirect } from "../helpers";

/** What the test handler saw, by model key (DoFn instances are rebuilt by the runner). */
const batchSizes = new Map<string, number[]>();
/** The first number of each example, per batch, by model key. */
const batchFirsts = new Map<string, number[][]>();

/** A model that multiplies the sum of each example by `scale`; an example starting with -13 makes the model throw. */
class SumHandler implements ModelHandler<readonly number[], number, { scale: number }> {
  constructor(
    readonly modelKey: string,
    private readonly behaviour: { failLoad?: boolean; wrongCount?: boolean } = {},
  ) {}
  async loadModel(): Promise<{ scale: number }> {
    if (this.behaviour.failLoad) throw new Error(`no model at /models/${this.modelKey}`);
    return { scale: 10 };
  }
  validate(example: readonly number[]): string | undefined {
    return Array.isArray(example) && example.every((x) => typeof x === "number") ? undefined : `not a list of numbers: ${JSON.stringify(example)}`;
  }
  async runInference(batch: readonly (readonly number[])[], model: { scale: number }): Promise<readonly number[]> {
    batchSizes.set(this.modelKey, [...(batchSizes.get(this.modelKey) ?? []), batch.length]);
    batchFirsts.set(this.modelKey, [...(batchFirsts.get(this.modelKey) ?? []), batch.map((x) => x[0]!)]);
    if (batch.some((x) => x[0] === -13)) throw new Error("-13 is unlucky");
    const out = batch.map((x) => x.reduce((a, b) => a + b, 0) * model.scale);
    return this.behaviour.wrongCount ? out.slice(1) : out;
  }
}

const collected = new Map<string, unknown[]>();
function sink<T>(key: string): (x: T, ctx: ProcessContext<never>) => void {
  collected.set(key, []);
  return (x: T, ctx: ProcessContext<never>) => {
    const w = ctx.window;
    collected.get(key)!.push({ x, timestamp: ctx.timestamp, window: w instanceof IntervalWindow ? [w.start, w.end] : "global" });
  };
}

describe("ml/RunInference", () => {
  beforeEach(() => {
    clearSharedModels();
    batchSizes.clear();
    batchFirsts.clear();
  });

  it("infers every example in batches growing from min to max, keeping each element's timestamp and window", async () => {
    const examples = Array.from({ length: 50 }, (_, i) => ({ value: [i, 1] as readonly number[], timestamp: i * 100 }));
    const result = await runDirect((p) => {
      const { main, failed } = p
        .apply(Create.timestamped(examples))
        .apply(Window.into(new FixedWindows(1000)))
        .apply(RunInference.of(new SumHandler("batches"), { minBatchSize: 2, maxBatchSize: 8 }));
      main.apply("Collect", ParDo.of(sink<PredictionResult<readonly number[], number>>("main")));
      failed.apply("CollectFailed", ParDo.of(sink<FailedInference<readonly number[]>>("failed")));
    });
    await result.waitUntilFinish();
    const got = (collected.get("main") as { x: PredictionResult<number[], number>; timestamp: number; window: number[] }[]).sort((a, b) => a.timestamp - b.timestamp);
    assert.deepEqual(
      got,
      examples.map((e, i) => ({ x: { example: e.value, inference: (i + 1) * 10, modelId: "batches" }, timestamp: e.timestamp, window: [Math.floor(i / 10) * 1000, Math.floor(i / 10) * 1000 + 1000] })),
    );
    assert.deepEqual(collected.get("failed"), []);
    const sizes = batchSizes.get("batches")!;
    assert.equal(sizes.reduce((a, b) => a + b, 0), 50);
    // The first two batches go to the model together, before either is timed; from there sizes double.
    const growing = sizes.slice(0, sizes.indexOf(8) + 1);
    assert.deepEqual(growing, [2, 2, 4, 8], `batch sizes grow (${sizes.join(",")}) from the minimum while batches are fast`);
    assert.ok(sizes.every((n) => n <= 8), `never above the maximum: ${sizes.join(",")}`);
    const step = "RunInference/Infer";
    assert.equal(result.metrics.counters({ step }).find((c) => c.name === "num_inferences")?.value, 50);
    assert.equal(result.metrics.distributions({ step }).find((d) => d.name === "inference_request_batch_size")?.value.sum, 50, "Beam's name for the batch-size distribution");
  });

  it("never puts elements of different windows in one batch (Beam's BatchElements batches per window)", async () => {
    // Windows interleave in the input: 0,10,1,11,... with FixedWindows(1000) and timestamps i*100.
    const order = Array.from({ length: 10 }, (_, i) => [i, i + 10]).flat();
    const examples = order.map((i) => ({ value: [i] as readonly number[], timestamp: i * 100 }));
    const result = await runDirect((p) => {
      const { main } = p
        .apply(Create.timestamped(examples))
        .apply(Window.into(new FixedWindows(1000)))
        .apply(RunInference.of(new SumHandler("perWindow"), { minBatchSize: 4, maxBatchSize: 4 }));
      main.apply("Collect", ParDo.of(sink<PredictionResult<readonly number[], number>>("perWindow")));
    });
    await result.waitUntilFinish();
    const batches = batchFirsts.get("perWindow")!;
    assert.deepEqual(batches.flat().sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i), "every example inferred once");
    for (const b of batches) assert.equal(new Set(b.map((i) => Math.floor(i / 10))).size, 1, `batch ${JSON.stringify(b)} spans windows (${JSON.stringify(batches)})`);
    assert.ok(batches.every((b) => b.length <= 4), `never above the maximum: ${JSON.stringify(batches)}`);
    const got = (collected.get("perWindow") as { x: PredictionResult<number[], number>; window: number[] }[]).map((r) => [r.x.example[0], r.x.inference, r.window[0]]);
    assert.deepEqual(got.sort((a, b) => a[0]! - b[0]!), Array.from({ length: 20 }, (_, i) => [i, i * 10, Math.floor(i / 10) * 1000]));
  });

  it("with more than 10 windows waiting, runs the fullest one's batch (Beam's live-window limit), not holding the bundle until its end", async () => {
    const events: string[] = [];
    class LoggingHandler extends SumHandler {
      override async runInference(batch: readonly (readonly number[])[], model: { scale: number }): Promise<readonly number[]> {
        events.push(`batch ${batch.map((x) => x[0]).join(",")}`);
        return super.runInference(batch, model);
      }
    }
    // One element per window: no window ever fills a batch of 4.
    const examples = Array.from({ length: 30 }, (_, i) => ({ value: [i] as readonly number[], timestamp: i * 1000 }));
    const result = await runDirect((p) => {
      p.apply(Create.timestamped(examples))
        .apply(Window.into(new FixedWindows(1000)))
        .apply("Log", ParDo.of((x: readonly number[], ctx: ProcessContext<readonly number[]>) => {
          events.push(`emit ${x[0]}`);
          ctx.output(x);
        }))
        .apply(RunInference.of(new LoggingHandler("liveWindows"), { minBatchSize: 4, maxBatchSize: 4 }));
    });
    await result.waitUntilFinish();
    assert.equal(events.filter((e) => e.startsWith("batch ")).map((e) => e.slice(6).split(",").length).reduce((a, b) => a + b, 0), 30, events.join(", "));
    const firstBatch = events.findIndex((e) => e.startsWith("batch "));
    assert.ok(firstBatch >= 0 && firstBatch < events.indexOf("emit 11") + 1 + 1, `a batch runs once 11 windows wait: ${events.join(", ")}`);
  });

  it("keyed: keys ride along; rejected examples and examples the model fails on go to `failed` with the reason, the rest of the batch is predicted", async () => {
    const input: KV<string, readonly number[]>[] = [kv("a", [1, 2]), kv("b", ["x" as unknown as number]), kv("c", [-13, 0]), kv("d", [3]), kv("e", [4, 4])];
    const result = await runDirect((p) => {
      const { main, failed } = p.apply(Create.from(input)).apply(RunInference.keyed<string, readonly number[], number, { scale: number }>(new SumHandler("keyed"), { minBatchSize: 8 }));
      main.apply("Collect", ParDo.of(sink<KV<string, PredictionResult<readonly number[], number>>>("keyed")));
      failed.apply("CollectFailed", ParDo.of(sink<FailedInference<KV<string, readonly number[]>>>("keyedFailed")));
    });
    await result.waitUntilFinish();
    const main = (collected.get("keyed") as { x: KV<string, PredictionResult<number[], number>> }[]).map((r) => [r.x.key, r.x.value.inference, r.x.value.example]).sort();
    assert.deepEqual(main, [["a", 30, [1, 2]], ["d", 30, [3]], ["e", 80, [4, 4]]]);
    const failed = (collected.get("keyedFailed") as { x: FailedInference<KV<string, number[]>> }[]).map((r) => r.x).sort((a, b) => a.element.key.localeCompare(b.element.key));
    assert.deepEqual(failed, [
      { element: kv("b", ["x"]), reason: 'not a list of numbers: ["x"]', step: "RunInference/Infer" },
      { element: kv("c", [-13, 0]), reason: "-13 is unlucky", step: "RunInference/Infer" },
    ]);
    assert.deepEqual(batchSizes.get("keyed"), [4, 1, 1, 1, 1], "the failed batch of 4 was retried one example at a time");
    assert.equal(result.metrics.counters({ step: "RunInference/Infer" }).find((c) => c.name === "failed_inferences")?.value, 1);
    // Beam's failed_batches_counter counts model calls that raised: the batch of 4, then [-13, 0] alone.
    assert.equal(result.metrics.counters({ step: "RunInference/Infer" }).find((c) => c.name === "failed_batches_counter")?.value, 2);
    assert.equal(result.metrics.counterTotal("beamline", "rejected", "RunInference/Infer"), 2, "both failures counted as rejected elements");
  });

  it("fails the run on a failed input when nothing reads `failed`, unless ignoreRejected", async () => {
    const input = [kv("a", [1]), kv("c", [-13])];
    const unread = await runDirect((p) => {
      p.apply(Create.from(input)).apply(RunInference.keyed(new SumHandler("unread"))).main.apply("Collect", ParDo.of(sink<unknown>("unread")));
    });
    assert.equal(unread.state, "FAILED");
    assert.match(unread.error!.message, /Transform 'RunInference\/Infer' rejected an element .*-13 is unlucky/);
    const ignored = await runDirect((p) => {
      p.apply(Create.from(input)).apply(RunInference.keyed(new SumHandler("ignored"), { ignoreRejected: true })).main.apply("Collect", ParDo.of(sink<unknown>("ignored")));
    });
    assert.equal(await ignored.waitUntilFinish(), "DONE");
    assert.equal(ignored.metrics.counterTotal("beamline", "rejected", "RunInference/Infer"), 1);
  });

  it("sends each batch's results downstream as soon as the batch is predicted, not at the end of the bundle", async () => {
    const events: string[] = [];
    class LoggingHandler extends SumHandler {
      override async runInference(batch: readonly (readonly number[])[], model: { scale: number }): Promise<readonly number[]> {
        events.push(`batch of ${batch.length}`);
        return super.runInference(batch, model);
      }
    }
    const result = await runDirect((p) => {
      p.apply(Create.from(Array.from({ length: 12 }, (_, i) => [i] as readonly number[])))
        .apply(RunInference.of(new LoggingHandler("streamed"), { minBatchSize: 4, maxBatchSize: 4 }))
        .main.apply("Downstream", ParDo.of((r: PredictionResult<readonly number[], number>) => void events.push(`result ${r.inference}`)));
    });
    await result.waitUntilFinish();
    assert.equal(events.length, 15);
    // Two batches go to the model at once; the first one's four results arrive downstream before the
    // third batch runs (one bundle holds all twelve), not at the end of the bundle.
    assert.deepEqual(events.slice(0, 7), ["batch of 4", "batch of 4", "result 0", "result 10", "result 20", "result 30", "batch of 4"], events.join(", "));
    assert.deepEqual(events.filter((e) => e.startsWith("result ")).map((e) => Number(e.slice(7))).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i * 10));
  });

  it("keeps two batches at the model (on another thread) and takes the next one's elements meanwhile; the producer waits once that batch is full", async () => {
    const events: string[] = [];
    class SlowHandler extends SumHandler {
      override validate(example: readonly number[]): string | undefined {
        events.push(`take ${example[0]}`);
        return super.validate(example);
      }
      override async runInference(batch: readonly (readonly number[])[], model: { scale: number }): Promise<readonly number[]> {
        events.push(`start ${batch.map((x) => x[0]).join(",")}`);
        // The answer comes back later, as from a model on another thread.
        await new Promise((resolve) => setImmediate(resolve));
        events.push(`done ${batch[0]![0]}`);
        return super.runInference(batch, model);
      }
    }
    const result = await runDirect((p) => {
      p.apply(Create.from(Array.from({ length: 16 }, (_, i) => [i] as readonly number[]))).apply(RunInference.of(new SlowHandler("overlap"), { minBatchSize: 4, maxBatchSize: 4 }));
    });
    await result.waitUntilFinish();
    const at = (e: string) => events.indexOf(e);
    // While the first batch runs, the second is sent to the model too, and the third one's elements are taken...
    assert.ok(at("start 4,5,6,7") < at("done 0"), events.join(", "));
    for (const i of [8, 9, 10, 11]) assert.ok(at(`take ${i}`) < at("done 0"), events.join(", "));
    // ...and sent the moment the first is done; the fourth batch's elements wait for that.
    assert.equal(events[at("done 0") + 1], "start 8,9,10,11", events.join(", "));
    assert.ok(at("take 12") > at("done 0"), events.join(", "));
    assert.deepEqual(batchSizes.get("overlap"), [4, 4, 4, 4]);
  });

  it("a model running batches side by side (batchesInFlight 4): results in element order (per window) with their windows, though batches end out of order; a failed batch costs only its bad element", async () => {
    const started: number[][] = [];
    let maxAtOnce = 0;
    let running = 0;
    class PoolHandler extends SumHandler {
      batchesInFlight(): number {
        return 4;
      }
      override async runInference(batch: readonly (readonly number[])[], model: { scale: number }): Promise<readonly number[]> {
        started.push(batch.map((x) => x[0]!));
        maxAtOnce = Math.max(maxAtOnce, ++running);
        // Later batches of each group of four answer first, as threads of a pool may.
        const turns = 4 - ((started.length - 1) % 4);
        for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
        running--;
        return super.runInference(batch, model);
      }
    }
    const examples = Array.from({ length: 40 }, (_, i) => ({ value: [i === 13 ? -13 : i] as readonly number[], timestamp: i * 100 }));
    const result = await runDirect((p) => {
      const { main, failed } = p
        .apply(Create.timestamped(examples))
        .apply(Window.into(new FixedWindows(1000)))
        .apply(RunInference.of(new PoolHandler("pool"), { minBatchSize: 4, maxBatchSize: 4 }));
      main.apply("Collect", ParDo.of(sink<PredictionResult<readonly number[], number>>("pool")));
      failed.apply("CollectFailed", ParDo.of(sink<FailedInference<readonly number[]>>("poolFailed")));
    });
    await result.waitUntilFinish();
    assert.equal(maxAtOnce, 4, "four batches at the model at once");
    const window = (i: number) => [Math.floor(i / 10) * 1000, Math.floor(i / 10) * 1000 + 1000];
    const expected = examples.flatMap((e, i) => (i === 13 ? [] : [{ x: { example: e.value, inference: i * 10, modelId: "pool" }, timestamp: e.timestamp, window: window(i) }]));
    // Batches are per window (launched in order), so within a window the output keeps the elements' order.
    const got = collected.get("pool") as { window: number[] }[];
    for (const start of [0, 1000, 2000, 3000]) {
      assert.deepEqual(
        got.filter((r) => r.window[0] === start),
        expected.filter((r) => r.window[0] === start),
        `every other element of window ${start}, in order`,
      );
    }
    assert.equal(got.length, expected.length);
    assert.deepEqual(collected.get("poolFailed"), [{ x: { element: [-13], reason: "-13 is unlucky", step: "RunInference/Infer" }, timestamp: 1300, window: window(13) }]);
  });

  it("loads the model once per process, shared by every step, bundle and DoFn instance with the same model key", async () => {
    const result = await runDirect((p) => {
      const xs = p.apply(Create.from(Array.from({ length: 30 }, (_, i) => [i] as readonly number[])));
      xs.apply("First", RunInference.of(new SumHandler("shared")));
      xs.apply("Second", RunInference.of(new SumHandler("shared")));
    });
    await result.waitUntilFinish();
    assert.equal(sharedModelLoadCount("shared"), 1);
    assert.equal(batchSizes.get("shared")!.reduce((a, b) => a + b, 0), 60);
    // Like Beam's, load_model_latency_milli_secs measures loads: only the step that loaded the model reports one.
    const loads = ["First/Infer", "Second/Infer"].map((step) => result.metrics.distributions({ step }).find((d) => d.name === "load_model_latency_milli_secs")?.value.count ?? 0);
    assert.equal(loads[0]! + loads[1]!, 1, `one load reported, got ${loads.join(" + ")}`);
  });

  it("loads the model while the steps before it go on: elements that come meanwhile wait, in order, each with its own timestamp and window", async () => {
    // The model loads only once the step before has emitted everything: a model loaded before the
    // bundle's elements flow would leave it waiting (the fallback timer ends that wait, and the test fails).
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const fallback = setTimeout(() => open(), 5_000);
    let emitted = 0;
    let emittedBeforeLoad = -1;
    class GatedHandler extends SumHandler {
      override async loadModel(): Promise<{ scale: number }> {
        await gate;
        emittedBeforeLoad = emitted;
        return super.loadModel();
      }
    }
    class Emit extends DoFn<string, readonly unknown[]> {
      process(_: string, ctx: ProcessContext<readonly unknown[]>): void {
        for (let i = 0; i < 20; i++) {
          ctx.outputWithTimestamp(i === 7 ? ["seven"] : [i], i * 100);
          emitted++;
        }
        open();
      }
    }
    const result = await runDirect((p) => {
      const { main, failed } = p
        .apply(Create.of("go"))
        .apply("Emit", ParDo.of(new Emit()))
        .apply(Window.into(new FixedWindows(1000)))
        .apply("Predict", RunInference.of(new GatedHandler("gated") as ModelHandler<readonly unknown[], number, { scale: number }>, { minBatchSize: 4, maxBatchSize: 4 }));
      main.apply("Collect", ParDo.of(sink<PredictionResult<readonly unknown[], number>>("main")));
      failed.apply("CollectFailed", ParDo.of(sink<FailedInference<readonly unknown[]>>("failed")));
    });
    await result.waitUntilFinish();
    clearTimeout(fallback);
    assert.equal(emittedBeforeLoad, 20, "the step before emitted all its elements while the model loaded");
    const main = collected.get("main") as { x: PredictionResult<number[], number>; timestamp: number; window: number[] }[];
    const expected = Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 7);
    // Batches are per window, so only within a window does the output keep the elements' order.
    for (const start of [0, 1000]) {
      const inWindow = main.filter((m) => m.window[0] === start);
      assert.deepEqual(inWindow.map((m) => m.x.inference), expected.filter((i) => Math.floor(i / 10) * 1000 === start).map((i) => i * 10), "in element order");
    }
    const byTime = [...main].sort((a, b) => a.timestamp - b.timestamp);
    assert.deepEqual(byTime.map((m) => [m.x.inference, m.timestamp, m.window]), expected.map((i) => [i * 10, i * 100, [Math.floor(i / 10) * 1000, Math.floor(i / 10) * 1000 + 1000]]));
    assert.deepEqual(collected.get("failed"), [{ x: { element: ["seven"], reason: 'not a list of numbers: ["seven"]', step: "Predict/Infer" }, timestamp: 700, window: [0, 1000] }]);
    assert.equal(result.metrics.distributions({ step: "Predict/Infer" }).find((d) => d.name === "load_model_latency_milli_secs")?.value.count, 1);
  });

  it("a model that cannot be loaded fails the run even when no element comes", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of<readonly number[]>([1]))
        .filter((x) => x.length > 5)
        .apply("Predict", RunInference.of(new SumHandler("broken-empty", { failLoad: true })));
    });
    await assert.rejects(result.waitUntilFinish(), /Predict\/Infer.*could not load the model broken-empty: no model at \/models\/broken-empty/s);
  });

  it("a model that cannot be loaded fails the run, naming the step, the model and the cause", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of<readonly number[]>([1])).apply("Predict", RunInference.of(new SumHandler("broken", { failLoad: true })));
    });
    await assert.rejects(result.waitUntilFinish(), (e: Error) => {
      assert.match(e.message, /Predict\/Infer.*could not load the model broken: no model at \/models\/broken/s);
      assert.equal(e.message.split("Predict/Infer").length - 1, 1, `the step is named once: ${e.message}`);
      return true;
    });
    assert.equal(result.state, "FAILED");
  });

  it("a handler that returns the wrong number of inferences fails the run (a bug, not bad data)", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.from([[1], [2]] as (readonly number[])[])).apply(RunInference.of(new SumHandler("miscount", { wrongCount: true }), { minBatchSize: 2 }));
    });
    await assert.rejects(result.waitUntilFinish(), /returned 1 inferences for a batch of 2; runInference must return one per example/);
  });

  it("a maximum set on RunInference below the handler's own minimum lowers that minimum (RunInference's options override the handler's)", async () => {
    class EightHandler extends SumHandler {
      batching(): BatchingOptions {
        return { minBatchSize: 8, maxBatchSize: 256 };
      }
    }
    const examples = Array.from({ length: 10 }, (_, i) => [i] as readonly number[]);
    const result = await runDirect((p) => {
      p.apply(Create.from(examples)).apply(RunInference.of(new EightHandler("capped"), { maxBatchSize: 4 })).main.apply("Collect", ParDo.of(sink<unknown>("capped")));
    });
    await result.waitUntilFinish();
    const sizes = batchSizes.get("capped")!;
    assert.equal(sizes.reduce((a, b) => a + b, 0), 10);
    assert.ok(sizes.every((n) => n <= 4), `never above RunInference's maximum of 4: ${sizes.join(",")}`);
    assert.equal(collected.get("capped")!.length, 10);
  });

  it("passes inferenceArgs to every model call, the one-example retries included (Beam's inference_args)", async () => {
    const seen: (number | undefined)[] = [];
    class ScaledHandler extends SumHandler implements ModelHandler<readonly number[], number, { scale: number }, { offset: number }> {
      validateInferenceArgs(args: { offset: number } | undefined): string | undefined {
        return args === undefined || Number.isFinite(args.offset) ? undefined : `offset must be a finite number, got ${args.offset}`;
      }
      override async runInference(batch: readonly (readonly number[])[], model: { scale: number }, args?: { offset: number }): Promise<readonly number[]> {
        seen.push(args?.offset);
        return (await super.runInference(batch, model)).map((x) => x + (args?.offset ?? 0));
      }
    }
    const result = await runDirect((p) => {
      const { main, failed } = p
        .apply(Create.from([[1], [-13], [2], [3]] as (readonly number[])[]))
        .apply(RunInference.of(new ScaledHandler("args"), { minBatchSize: 4, maxBatchSize: 4, inferenceArgs: { offset: 5 } }));
      main.apply("Collect", ParDo.of(sink<PredictionResult<readonly number[], number>>("args")));
      failed.apply("CollectFailed", ParDo.of(sink<FailedInference<readonly number[]>>("argsFailed")));
    });
    await result.waitUntilFinish();
    assert.deepEqual((collected.get("args") as { x: PredictionResult<number[], number> }[]).map((r) => r.x.inference).sort((a, b) => a - b), [15, 25, 35]);
    assert.equal(collected.get("argsFailed")!.length, 1);
    // The batch of four, then each of its examples alone: every call got the arguments.
    assert.deepEqual(seen, [5, 5, 5, 5, 5]);
  });

  it("refuses inferenceArgs for a handler that takes none (Beam's default validate_inference_args), when the transform is applied", () => {
    assert.throws(
      () =>
        Pipeline.build({}, (p) => {
          // A JavaScript caller, or a cast, gets past the types; the check when applying catches it.
          const options = { inferenceArgs: { temperature: 0.5 } } as unknown as RunInferenceOptions;
          p.apply(Create.of<readonly number[]>([1])).apply("Predict", RunInference.of(new SumHandler("noArgs"), options));
        }),
      (e: Error) => {
        assert.ok(e instanceof PipelineConstructionError, String(e));
        assert.match(e.message, /inferenceArgs \{"temperature":0.5\} were given, but the model handler noArgs takes no extra arguments on inferences/);
        assert.match(e.message, /at transform 'Predict'/);
        return true;
      },
    );
    // Like Beam's `if inference_args:`, none and {} are no arguments.
    Pipeline.build({}, (p) => p.apply(Create.of<readonly number[]>([1])).apply("Empty", RunInference.of(new SumHandler("emptyArgs"), { inferenceArgs: {} } as unknown as RunInferenceOptions)));
  });

  it("a handler's validateInferenceArgs refuses bad inferenceArgs when the transform is applied, naming the step and the reason", () => {
    class NeedsArgs extends SumHandler implements ModelHandler<readonly number[], number, { scale: number }, { offset: number }> {
      validateInferenceArgs(args: { offset: number } | undefined): string | undefined {
        return args === undefined ? "this model needs an offset" : undefined;
      }
    }
    assert.throws(
      () => Pipeline.build({}, (p) => p.apply(Create.of<readonly number[]>([1])).apply("Predict", RunInference.of(new NeedsArgs("needsArgs")))),
      /the model handler needsArgs refused inferenceArgs undefined: this model needs an offset \(at transform 'Predict'\)/,
    );
  });

  it("reports its metrics under RunInference's metricsNamespace when given, else the handler's (Beam's metrics_namespace)", async () => {
    class Namespaced extends SumHandler {
      metricsNamespace(): string {
        return "SumModel";
      }
    }
    const result = await runDirect((p) => {
      const xs = p.apply(Create.from([[1], [2], [3]] as (readonly number[])[]));
      xs.apply("Handler", RunInference.of(new Namespaced("nsHandler")));
      xs.apply("Option", RunInference.of(new Namespaced("nsOption"), { metricsNamespace: "Scoring" }));
    });
    await result.waitUntilFinish();
    const inferences = (step: string) => result.metrics.counters({ step }).filter((c) => c.name === "num_inferences").map((c) => `${c.namespace}=${c.value}`);
    assert.deepEqual(inferences("Handler/Infer"), ["SumModel=3"]);
    assert.deepEqual(inferences("Option/Infer"), ["Scoring=3"]);
  });

  it("reports Beam's byte-size metrics: inference_request_batch_byte_size (the handler's numBytes, else the batch's encoded size) and model_byte_size", async () => {
    class Sized extends SumHandler {
      numBytes(batch: readonly (readonly number[])[]): number {
        return 100 * batch.length;
      }
    }
    const result = await runDirect((p) => {
      const xs = p.apply(Create.from(Array.from({ length: 10 }, (_, i) => [i] as readonly number[])));
      xs.apply("Sized", RunInference.of(new Sized("sized"), { minBatchSize: 5, maxBatchSize: 5 }));
      xs.apply("Default", RunInference.of(new SumHandler("unsized"), { minBatchSize: 5, maxBatchSize: 5 }));
    });
    await result.waitUntilFinish();
    const dist = (step: string, name: string) => result.metrics.distributions({ step }).find((d) => d.name === name)?.value;
    assert.deepEqual(dist("Sized/Infer", "inference_request_batch_byte_size"), { count: 2, sum: 1000, min: 500, max: 500 });
    const unsized = dist("Default/Infer", "inference_request_batch_byte_size");
    assert.equal(unsized?.count, 2);
    assert.ok(unsized!.min > 5, `a batch of five encoded examples has some bytes: ${JSON.stringify(unsized)}`);
    for (const step of ["Sized/Infer", "Default/Infer"]) assert.equal(dist(step, "model_byte_size")?.count, 1, `${step} loaded its model once`);
  });

  it("checks the batching options when the step starts", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of<readonly number[]>([1])).apply(RunInference.of(new SumHandler("options"), { minBatchSize: 10, maxBatchSize: 5 }));
    });
    await assert.rejects(result.waitUntilFinish(), (e: Error) => {
      assert.match(e.message, /RunInference\/Infer.*minBatchSize \(10\) is larger than maxBatchSize \(5\)/s);
      assert.equal(e.message.split("RunInference/Infer").length - 1, 1, `the step is named once: ${e.message}`);
      return true;
    });
  });
});
