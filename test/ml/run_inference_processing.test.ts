/**
 * RunInference's preprocess and postprocess functions (Beam's ModelHandler.with_preprocess_fn /
 * with_postprocess_fn), mirroring the cases of Beam's base_test.py: preprocessing runs on each
 * input before batching (the last one chained first), postprocessing on each result after the
 * model (the first one chained first), and an input whose function throws goes to `failed` with
 * the reason, like other inference failures.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, kv, Window, type KV } from "../../lib";
import { clearSharedModels, RunInference, type FailedInference, type ModelHandler, type PredictionResult } from "../../lib/ml";
import { TestStream } from "../../lib/testing/test_stream";
import { collect, type Observed } from "../streaming/collect";
import { runDirect } from "../helpers";

/** Beam's FakeModelHandler: each inference is its example plus one; records the batches it ran. */
class PlusOne implements ModelHandler<number, number, null> {
  readonly batches: number[][] = [];
  constructor(readonly modelKey: string) {}
  async loadModel(): Promise<null> {
    return null;
  }
  validate(example: number): string | undefined {
    return Number.isFinite(example) ? undefined : `not a number: ${example}`;
  }
  async runInference(batch: readonly number[]): Promise<readonly number[]> {
    this.batches.push([...batch]);
    return batch.map((x) => x + 1);
  }
}

const values = <T>(sink: Observed<T>[]): T[] => sink.map((o) => o.value);
const sorted = <T>(xs: T[]): T[] => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe("ml/RunInference pre- and postprocessing", () => {
  beforeEach(() => clearSharedModels());

  it("preprocesses each input into the handler's example before batching (test_run_inference_preprocessing)", async () => {
    const handler = new PlusOne("pre");
    const out: Observed<PredictionResult<number, number>>[] = [];
    const result = await runDirect((p) => {
      const { main } = p.apply(Create.of("1", "5", "3", "10")).apply(RunInference.of(handler, { minBatchSize: 4, maxBatchSize: 4 }).withPreprocessFn((s: string) => Number(s) * 2));
      collect(main, out);
    });
    await result.waitUntilFinish();
    assert.deepEqual(sorted(values(out).map((r) => [r.example, r.inference])), sorted([[2, 3], [10, 11], [6, 7], [20, 21]]));
    // The model got the preprocessed examples, in one batch: preprocessing runs before batching.
    assert.deepEqual(handler.batches.map((b) => [...b].sort((a, b) => a - b)), [[2, 6, 10, 20]]);
  });

  it("runs several preprocess functions from the last chained to the first (test_run_inference_preprocessing_multiple_fns)", async () => {
    const out: Observed<PredictionResult<number, number>>[] = [];
    const result = await runDirect((p) => {
      const transform = RunInference.of(new PlusOne("preMany"))
        .withPreprocessFn((n: number) => n * 2)
        .withPreprocessFn((s: string) => Number(s) + 1);
      collect(p.apply(Create.of("1", "5", "3", "10")).apply(transform).main, out);
    });
    await result.waitUntilFinish();
    assert.deepEqual(values(out).map((r) => r.inference).sort((a, b) => a - b), [5, 13, 9, 23].sort((a, b) => a - b));
  });

  it("postprocesses each result after the model, in the order chained (test_run_inference_postprocessing[_multiple_fns])", async () => {
    const one: Observed<string>[] = [];
    const many: Observed<string>[] = [];
    const result = await runDirect((p) => {
      const xs = p.apply(Create.of(1, 5, 3, 10));
      collect(xs.apply("One", RunInference.of(new PlusOne("postOne")).withPostprocessFn((r) => String(r.inference * 2))).main, one, "CollectOne");
      const chained = RunInference.of(new PlusOne("postMany"))
        .withPostprocessFn((r) => r.inference * 2)
        .withPostprocessFn((n) => String(n + 1));
      collect(xs.apply("Many", chained).main, many, "CollectMany");
    });
    await result.waitUntilFinish();
    assert.deepEqual(sorted(values(one)), sorted(["4", "12", "8", "22"]));
    assert.deepEqual(sorted(values(many)), sorted(["5", "13", "9", "23"]));
  });

  it("sends inputs whose pre- or postprocess function throws to `failed` with the reason; the rest are inferred (test_run_inference_pre_and_post_processing_dlq)", async () => {
    const handler = new PlusOne("dlq");
    const out: Observed<string>[] = [];
    const failed: Observed<FailedInference<string>>[] = [];
    const result = await runDirect((p) => {
      const transform = RunInference.of(handler, { minBatchSize: 4, maxBatchSize: 4 })
        .withPreprocessFn((s: string) => {
          if (s === "5") throw new Error("TEST pre");
          return Number(s) * 2;
        })
        .withPostprocessFn((r) => {
          if (r.inference === 7) throw new Error("TEST post");
          return String(r.inference * 2);
        });
      const outs = p.apply(Create.of("1", "5", "3", "10")).apply("Predict", transform);
      collect(outs.main, out);
      collect(outs.failed, failed, "CollectFailed");
    });
    await result.waitUntilFinish();
    assert.deepEqual(sorted(values(out)), sorted(["6", "42"]));
    assert.deepEqual(sorted(values(failed)), [
      { element: "3", reason: "postprocess function 1 threw: TEST post", step: "Predict/Infer" },
      { element: "5", reason: "preprocess function 1 threw: TEST pre", step: "Predict/Infer" },
    ]);
    // "5" never reached the model; "3" was inferred (then its postprocessing failed).
    assert.deepEqual(handler.batches.map((b) => [...b].sort((a, b) => a - b)), [[2, 6, 20]]);
    assert.equal(result.metrics.counters({ step: "Predict/Infer" }).find((c) => c.name === "num_inferences")?.value, 3);
    assert.equal(result.metrics.counters({ step: "Predict/Infer" }).find((c) => c.name === "failed_inferences"), undefined, "no model call failed");
    assert.equal(result.metrics.counterTotal("beamline", "rejected", "Predict/Infer"), 2);
  });

  it("the handler's validate sees the preprocessed example; a function that is not a function fails when the transform is built", async () => {
    const failed: Observed<FailedInference<string>>[] = [];
    const result = await runDirect((p) => {
      const outs = p.apply(Create.of("1", "x")).apply(RunInference.of(new PlusOne("validate")).withPreprocessFn((s: string) => Number(s)));
      collect(outs.failed, failed, "CollectFailed");
    });
    await result.waitUntilFinish();
    assert.deepEqual(values(failed), [{ element: "x", reason: "not a number: NaN", step: "RunInference/Infer" }]);
    assert.throws(() => RunInference.of(new PlusOne("notFn")).withPreprocessFn(undefined as unknown as (s: string) => number), /withPreprocessFn needs a function, got undefined/);
    assert.throws(() => RunInference.of(new PlusOne("notFn")).withPostprocessFn(3 as unknown as (r: unknown) => number), /withPostprocessFn needs a function, got 3/);
  });

  it("keyed: the functions see the keyed elements, as on Beam's outer KeyedModelHandler (test_run_inference_keyed_pre_and_post_processing)", async () => {
    const out: Observed<KV<number, number>>[] = [];
    const result = await runDirect((p) => {
      const transform = RunInference.keyed<number, number, number, null>(new PlusOne("keyed"))
        .withPreprocessFn((e: KV<number, number>) => kv(e.key, e.value * 2))
        .withPostprocessFn((e) => kv(e.key, e.value.inference * 2));
      collect(p.apply(Create.of(kv(0, 1), kv(1, 5), kv(2, 3), kv(3, 10))).apply(transform).main, out);
    });
    await result.waitUntilFinish();
    assert.deepEqual(sorted(values(out)), sorted([kv(0, 6), kv(1, 22), kv(2, 14), kv(3, 42)]));
  });

  it("with maxBatchDurationSecs (batches across bundles): the same functions, results keep their timestamps and windows", async () => {
    const out: Observed<string>[] = [];
    const failed: Observed<FailedInference<string>>[] = [];
    const result = await runDirect((p) => {
      const events = TestStream.create<string>()
        .addElements({ value: "1", timestamp: 100 }, { value: "bad", timestamp: 200 })
        .addElements({ value: "2", timestamp: 1500 })
        .advanceWatermarkToInfinity();
      const outs = p
        .apply(events)
        .apply(Window.into(new FixedWindows(1000)))
        .apply(
          RunInference.of(new PlusOne("stateful"), { maxBatchDurationSecs: 60, maxBatchSize: 8 })
            .withPreprocessFn((s: string) => {
              if (s === "bad") throw new Error("cannot parse");
              return Number(s);
            })
            .withPostprocessFn((r) => `${r.example}->${r.inference}`),
        );
      collect(outs.main, out);
      collect(outs.failed, failed, "CollectFailed");
    });
    await result.waitUntilFinish();
    assert.deepEqual(sorted(out.map((o) => [o.value, o.timestamp, o.window])), sorted([["1->2", 100, "0:1000"], ["2->3", 1500, "1000:2000"]]));
    assert.deepEqual(failed.map((o) => [o.value.element, o.value.reason, o.timestamp]), [["bad", "preprocess function 1 threw: cannot parse", 200]]);
  });
});
