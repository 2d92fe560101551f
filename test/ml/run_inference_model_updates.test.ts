/**
 * RunInference's model updates through a side input (Beam's `model_metadata_pcoll`): a
 * PCollection of ModelMetadata(modelId, modelName) swaps the model without restarting. Mirrors
 * base_test.py's test_run_inference_empty_side_input and test_run_inference_side_input_in_batch.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GlobalWindows, Pipeline, Repeatedly, AfterCount, Window } from "../../lib";
import { clearSharedModels, RunInference, sharedModelLoadCount, type ModelHandler, type ModelMetadata, type PredictionResult } from "../../lib/ml";
import { PipelineConstructionError } from "../../lib/model/errors";
import { TestStream } from "../../lib/testing/test_stream";
import { collect, type Observed } from "../streaming/collect";
import { runDirect } from "../helpers";

/** Beam's FakeModelHandlerReturnsPredictionResult: example + 1, its model id as modelKey; withModelId loads another. */
class Updatable implements ModelHandler<number, number, { id: string }> {
  constructor(readonly modelKey = "fake_model_id_default") {}
  async loadModel(): Promise<{ id: string }> {
    return { id: this.modelKey };
  }
  async runInference(batch: readonly number[]): Promise<readonly number[]> {
    return batch.map((x) => x + 1);
  }
  withModelId(modelId: string): Updatable {
    // Beam's fake: an empty id is the default model.
    return new Updatable(modelId === "" ? "fake_model_id_default" : modelId);
  }
}

const byExample = (out: Observed<PredictionResult<number, number>>[]) => out.map((o) => [o.value.example, o.value.inference, o.value.modelId]).sort((a, b) => (a[0] as number) - (b[0] as number));

describe("ml/RunInference model updates (modelMetadata side input)", () => {
  beforeEach(() => clearSharedModels());

  it("with no metadata, infers with the handler's own model (test_run_inference_empty_side_input)", async () => {
    const out: Observed<PredictionResult<number, number>>[] = [];
    const result = await runDirect((p) => {
      const modelMetadata = p.apply("Side", Create.of<ModelMetadata>());
      collect(p.apply(Create.of(1, 2)).apply(RunInference.of(new Updatable(), { modelMetadata })).main, out);
    });
    await result.waitUntilFinish();
    assert.deepEqual(byExample(out), [[1, 2, "fake_model_id_default"], [2, 3, "fake_model_id_default"]]);
  });

  it("each window's elements use the model its metadata names; metrics of an updated model are prefixed by its name (test_run_inference_side_input_in_batch)", async () => {
    const T = 70_000;
    const out: Observed<PredictionResult<number, number>>[] = [];
    const result = await runDirect((p) => {
      const modelMetadata = p
        .apply(
          "SideInput",
          Create.timestamped<ModelMetadata>([
            // An empty id: the handler's own model.
            { value: { modelId: "", modelName: "" }, timestamp: T + 1000 },
            { value: { modelId: "fake_model_id_1", modelName: "fake_model_id_1" }, timestamp: T + 8000 },
            { value: { modelId: "fake_model_id_2", modelName: "fake_model_id_2" }, timestamp: T + 15_000 },
          ]),
        )
        .apply("SideWindows", Window.into(new FixedWindows(7000)));
      const examples = [T - 2000, T + 1000, T + 8000, T + 15_000, T + 22_000];
      const { main } = p
        .apply(Create.timestamped(examples.map((x) => ({ value: x, timestamp: x }))))
        .apply(Window.into(new FixedWindows(7000)))
        .apply("RunInference", RunInference.of(new Updatable(), { modelMetadata, minBatchSize: 8 }));
      collect(main, out);
    });
    await result.waitUntilFinish();
    // The last window has no metadata: the model in use stays (as in Beam).
    assert.deepEqual(byExample(out), [
      [T - 2000, T - 1999, "fake_model_id_default"],
      [T + 1000, T + 1001, "fake_model_id_default"],
      [T + 8000, T + 8001, "fake_model_id_1"],
      [T + 15_000, T + 15_001, "fake_model_id_2"],
      [T + 22_000, T + 22_001, "fake_model_id_2"],
    ]);
    const step = "RunInference/Infer";
    const counter = (name: string) => result.metrics.counters({ step }).find((c) => c.name === name)?.value;
    assert.equal(counter("num_inferences"), 2);
    assert.equal(counter("fake_model_id_1_num_inferences"), 1);
    assert.equal(counter("fake_model_id_2_num_inferences"), 2);
    const loads = (name: string) => result.metrics.distributions({ step }).find((d) => d.name === name)?.value.count;
    assert.equal(loads("fake_model_id_1_load_model_latency_milli_secs"), 1);
    assert.equal(loads("fake_model_id_2_load_model_latency_milli_secs"), 1);
    assert.equal(sharedModelLoadCount("fake_model_id_1"), 1);
  });

  it("in streaming, each new metadata pane (global window, repeated trigger) swaps the model for the elements after it", async () => {
    const out: Observed<PredictionResult<number, number>>[] = [];
    const result = await runDirect((p) => {
      const modelMetadata = p
        .apply(
          "Models",
          TestStream.create<ModelMetadata>()
            .addElements({ value: { modelId: "v1", modelName: "v1" }, timestamp: 0 })
            .addElements({ value: { modelId: "v2", modelName: "v2" }, timestamp: 0 })
            .advanceWatermarkToInfinity(),
        )
        .apply("Latest", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)) }));
      const events = TestStream.create<number>()
        .addElements({ value: 1, timestamp: 1 }, { value: 2, timestamp: 2 })
        .addElements({ value: 3, timestamp: 3 })
        .advanceWatermarkToInfinity();
      collect(p.apply("Events", events).apply(RunInference.of(new Updatable(), { modelMetadata, minBatchSize: 8 })).main, out);
    });
    await result.waitUntilFinish();
    // Each script event is its own bundle, the side input's first: 1 and 2 see v1, 3 sees v2.
    assert.deepEqual(byExample(out), [[1, 2, "v1"], [2, 3, "v1"], [3, 4, "v2"]]);
  });

  it("refuses modelMetadata for a handler that cannot load another model (no withModelId), and with maxBatchDurationSecs", () => {
    const plain: ModelHandler<number, number, null> = { modelKey: "plain", loadModel: async () => null, runInference: async (b) => b };
    assert.throws(
      () =>
        Pipeline.build({}, (p) => {
          const modelMetadata = p.apply("Side", Create.of<ModelMetadata>());
          p.apply(Create.of(1)).apply("Predict", RunInference.of(plain, { modelMetadata }));
        }),
      (e: Error) => e instanceof PipelineConstructionError && /modelMetadata was given, but the model handler plain cannot load another model \(it has no withModelId\).*at transform 'Predict'/.test(e.message),
    );
    assert.throws(
      () =>
        Pipeline.build({}, (p) => {
          const modelMetadata = p.apply("Side", Create.of<ModelMetadata>());
          p.apply(Create.of(1)).apply("Predict", RunInference.of(new Updatable(), { modelMetadata, maxBatchDurationSecs: 1 }));
        }),
      /modelMetadata cannot be combined with maxBatchDurationSecs yet/,
    );
  });
});
