/** Type-level tests of RunInference: fails to compile when its inference breaks. */
import { strict as assert } from "node:assert";
import { Create, kv, Pipeline, RunInference, type FailedInference, type KV, type ModelHandler, type PCollection, type PredictionResult } from "../../lib";
import { KeyModelMapping, TFJSModelHandler, WatchFilePattern, type ModelMetadata } from "../../lib/ml";
import { expectType } from "./expect_type";

const lengths: ModelHandler<string, number, null> = {
  modelKey: "length",
  loadModel: async () => null,
  runInference: async (batch) => batch.map((s) => s.length),
};

describe("type inference of RunInference", () => {
  it("types the predictions and the failed inputs from the handler, keyed or not", () => {
    const p = Pipeline.create();
    const words = p.apply(Create.of("a", "bb"));
    const { main, failed } = words.apply(RunInference.of(lengths));
    expectType(main)<PCollection<PredictionResult<string, number>>>(true);
    expectType(failed)<PCollection<FailedInference<string>>>(true);
    const keyed = p.apply("Keyed", Create.of(kv(1, "a"))).apply("K", RunInference.keyed<number, string, number, null>(lengths));
    expectType(keyed.main)<PCollection<KV<number, PredictionResult<string, number>>>>(true);
    expectType(keyed.failed)<PCollection<FailedInference<KV<number, string>>>>(true);
    const images = p.apply("Images", Create.of(new Float32Array(784)));
    const tfjs = images.apply("TF", RunInference.of(new TFJSModelHandler({ modelUri: "model" })));
    expectType(tfjs.main.map("Inference", (r) => r.inference))<PCollection<Float32Array>>(true);
    // @ts-expect-error a handler of strings does not take numbers
    p.apply("Numbers", Create.of(1, 2)).apply("Bad", RunInference.of(lengths));
    assert.ok(main);
  });

  it("types inferenceArgs by the handler: refused for a handler that takes none, checked against the handler's Args", () => {
    const p = Pipeline.create();
    const words = p.apply(Create.of("a", "bb"));
    const padded: ModelHandler<string, number, null, { pad: number }> = {
      modelKey: "padded",
      loadModel: async () => null,
      validateInferenceArgs: (args) => (args === undefined ? "needs pad" : undefined),
      runInference: async (batch, _model, args) => {
        expectType(args)<{ pad: number } | undefined>(true);
        return batch.map((s) => s.length + (args?.pad ?? 0));
      },
    };
    const { main } = words.apply("Padded", RunInference.of(padded, { inferenceArgs: { pad: 2 }, maxBatchSize: 8 }));
    expectType(main)<PCollection<PredictionResult<string, number>>>(true);
    p.apply("KV", Create.of(kv("k", "a"))).apply("KeyedPadded", RunInference.keyed<string, string, number, null, { pad: number }>(padded, { inferenceArgs: { pad: 3 } }));
    // Compiled, not run: applying them would fail the check when the transform is applied.
    const wrongUses = () => {
      // @ts-expect-error the handler's arguments are { pad: number }
      RunInference.of(padded, { inferenceArgs: { pad: "2" } });
      // @ts-expect-error a handler without Args takes no inferenceArgs (Beam's default validate_inference_args)
      RunInference.of(lengths, { inferenceArgs: { temperature: 0.5 } });
      // @ts-expect-error TFJSModelHandler takes no inferenceArgs
      RunInference.of(new TFJSModelHandler({ modelUri: "model" }), { inferenceArgs: { x: 1 } });
    };
    // A handler without Args still runs with batching options alone.
    words.apply("Plain", RunInference.of(lengths, { maxBatchSize: 4 }));
    assert.ok(main && wrongUses);
  });
  it("types flow through withPreprocessFn / withPostprocessFn: failed holds the raw inputs, main the postprocessed results", () => {
    const p = Pipeline.create();
    const lines = p.apply("Lines", Create.of(Buffer.from("a")));
    const chained = RunInference.of(lengths)
      .withPreprocessFn((s: string) => s.trim())
      .withPreprocessFn((b: Buffer) => b.toString("utf8"))
      .withPostprocessFn((r) => {
        expectType(r)<PredictionResult<string, number>>(true);
        return r.inference > 1;
      })
      .withPostprocessFn((long) => (long ? "long" : "short"));
    const { main, failed } = lines.apply("Chained", chained);
    expectType(main)<PCollection<"long" | "short">>(true);
    expectType(failed)<PCollection<FailedInference<Buffer>>>(true);
    const keyed = p
      .apply("KeyedLines", Create.of(kv(1, 22)))
      .apply(
        "KeyedChained",
        RunInference.keyed<number, string, number, null>(lengths)
          .withPreprocessFn((e: KV<number, number>) => kv(e.key, String(e.value)))
          .withPostprocessFn((e) => kv(String(e.key), e.value.inference)),
      );
    expectType(keyed.main)<PCollection<KV<string, number>>>(true);
    expectType(keyed.failed)<PCollection<FailedInference<KV<number, number>>>>(true);
    const wrongUses = () => {
      // @ts-expect-error the preprocess function must give the handler's examples (strings)
      RunInference.of(lengths).withPreprocessFn((n: number) => n * 2);
      // @ts-expect-error postprocessing gets PredictionResult<string, number>, which has no `score`
      RunInference.of(lengths).withPostprocessFn((r) => r.score);
      // @ts-expect-error a chain that takes Buffers does not take numbers
      p.apply("Numbers", Create.of(1)).apply(chained);
    };
    assert.ok(main && failed && wrongUses);
  });
  it("types RunInference.keyed over KeyModelMappings from the mappings, whatever each model's type", () => {
    const p = Pipeline.create();
    const words: ModelHandler<string, number, { words: Set<string> }> = {
      modelKey: "words",
      loadModel: async () => ({ words: new Set() }),
      runInference: async (batch, model) => batch.map((s) => (model.words.has(s) ? 1 : 0)),
    };
    const mappings = [new KeyModelMapping(["en", "de"], lengths), new KeyModelMapping(["fr"], words)];
    const { main, failed } = p.apply("ByLanguage", Create.of(kv("en", "hello"))).apply("PerKey", RunInference.keyed(mappings, { maxModelsPerWorkerHint: 1 }));
    expectType(main)<PCollection<KV<string, PredictionResult<string, number>>>>(true);
    expectType(failed)<PCollection<FailedInference<KV<string, string>>>>(true);
    const wrongUses = () => {
      const floats: ModelHandler<number, number, null> = { modelKey: "n", loadModel: async () => null, runInference: async (b) => b };
      // @ts-expect-error a handler of numbers cannot serve string examples
      p.apply("Strings", Create.of(kv("en", "x"))).apply(RunInference.keyed([new KeyModelMapping(["en"], floats)]));
      // @ts-expect-error maxModelsPerWorkerHint is for KeyModelMappings, not one handler
      RunInference.keyed(lengths, { maxModelsPerWorkerHint: 2 });
    };
    assert.ok(main && failed && wrongUses);
  });
  it("types modelMetadata as a PCollection of ModelMetadata", () => {
    const p = Pipeline.create();
    const models = p.apply("Models", Create.of<ModelMetadata>({ modelId: "gs://b/v2", modelName: "v2" }));
    const tfjs = new TFJSModelHandler({ modelUri: "model" });
    const { main } = p.apply("Images", Create.of(new Float32Array(4))).apply("Predict", RunInference.of(tfjs, { modelMetadata: models }));
    expectType(main)<PCollection<PredictionResult<Float32Array | readonly number[], Float32Array>>>(true);
    const wrongUses = () => {
      // @ts-expect-error model updates are ModelMetadata, not paths
      RunInference.of(tfjs, { modelMetadata: p.apply("Paths", Create.of("gs://b/v3")) });
    };
    assert.ok(main && wrongUses);
  });
});

describe("WatchFilePattern and watchModelPattern (type-level)", () => {
  it("gives ModelMetadata for RunInference's modelMetadata; watchModelPattern takes a pattern and WatchFilePattern's options", () => {
    const p = Pipeline.create();
    const models = p.apply("Models", WatchFilePattern.of("/models/*.json", { intervalMillis: 60_000, stop: new Date(0) }));
    expectType(models)<PCollection<ModelMetadata>>(true);
    const typeOnly = (handler: ModelHandler<number, number, unknown>): void => {
      p.apply("Nums", Create.of(1)).apply("Watched", RunInference.of(handler, { watchModelPattern: "/models/*.json", watchModelOptions: { intervalMillis: 1000 } }));
      // @ts-expect-error: the pattern is a string
      RunInference.of(handler, { watchModelPattern: 42 });
      // @ts-expect-error: an interval is milliseconds
      WatchFilePattern.of("/models/*", { intervalMillis: "1m" });
    };
    assert.equal(typeof typeOnly, "function");
  });
});
