/** Type-level tests of RunInference: fails to compile when its inference breaks. */
import { strict as assert } from "node:assert";
import { Create, kv, Pipeline, RunInference, type FailedInference, type KV, type ModelHandler, type PCollection, type PredictionResult } from "../../lib";
import { TFJSModelHandler } from "../../lib/ml";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T>(_value: T): <U>(check: Equals<T, U> extends true ? true : never) => void {
  return () => undefined;
}

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
});
