/**
 * RunInference.keyed with a model per key (Beam's KeyedModelHandler over KeyModelMappings), with
 * the cases of Beam's base_test.py: each key's examples run on its mapping's model, metrics per
 * model ("<first key>-_<metric>") besides the step's aggregate ones, and
 * `maxModelsPerWorkerHint` keeping at most that many models loaded (least recently used out).
 */
import { strict as assert } from "node:assert";
import { Create, kv, type KV } from "../../lib";
import { clearSharedModels, KeyModelMapping, RunInference, type FailedInference, type ModelHandler, type PredictionResult } from "../../lib/ml";
import { collect, type Observed } from "../streaming/collect";
import { runDirect } from "../helpers";

/** Beam's FakeModelHandler: example + 1, or the constant `state`; counts its loads and the models alive (loaded, not evicted). */
class Fake implements ModelHandler<number, number, { state: number | undefined }> {
  loads = 0;
  readonly batches: number[][] = [];
  constructor(
    readonly modelKey: string,
    private readonly state?: number,
    private readonly failOn?: number,
  ) {}
  async loadModel(): Promise<{ state: number | undefined }> {
    this.loads++;
    if (this.state === 100) throw new Error("Oh no");
    return { state: this.state };
  }
  async runInference(batch: readonly number[], model: { state: number | undefined }): Promise<readonly number[]> {
    this.batches.push([...batch]);
    if (batch.includes(this.failOn!)) throw new Error(`${this.failOn} breaks ${this.modelKey}`);
    return batch.map((x) => model.state ?? x + 1);
  }
}

const sortByKey = <V>(xs: KV<number, V>[]): KV<number, V>[] => [...xs].sort((a, b) => a.key - b.key);

describe("ml/RunInference.keyed with a model per key (KeyModelMapping)", () => {
  beforeEach(() => clearSharedModels());

  it("runs each key's examples on its mapping's model; modelId names that model (test_run_inference_impl_with_keyed_examples_many_model_handlers)", async () => {
    const out: Observed<KV<number, PredictionResult<number, number>>>[] = [];
    const result = await runDirect((p) => {
      const mappings = [new KeyModelMapping([0], new Fake("stateful", 200)), new KeyModelMapping([1, 2, 3], new Fake("plusOne"))];
      const { main } = p.apply(Create.of(kv(0, 1), kv(1, 5), kv(2, 3), kv(3, 10))).apply(RunInference.keyed(mappings));
      collect(main, out);
    });
    await result.waitUntilFinish();
    assert.deepEqual(
      sortByKey(out.map((o) => o.value)).map((r) => [r.key, r.value.example, r.value.inference, r.value.modelId]),
      [[0, 1, 200, "stateful"], [1, 5, 6, "plusOne"], [2, 3, 4, "plusOne"], [3, 10, 11, "plusOne"]],
    );
  });

  it("reports metrics per model under '<first key>-_<name>' and the aggregate under Beam's names (…_many_model_handlers_metrics)", async () => {
    const result = await runDirect((p) => {
      const mappings = [new KeyModelMapping([0], new Fake("stateful", 200)), new KeyModelMapping([1, 2, 3], new Fake("plusOne"))];
      p.apply(Create.of(kv(0, 1), kv(1, 5), kv(2, 3), kv(3, 10))).apply("Predict", RunInference.keyed(mappings, { metricsNamespace: "test_namespace", minBatchSize: 4 }));
    });
    await result.waitUntilFinish();
    const step = "Predict/Infer";
    const counter = (name: string) => result.metrics.counters({ step }).filter((c) => c.name === name && c.namespace === "test_namespace").map((c) => c.value);
    const dist = (name: string) => result.metrics.distributions({ step }).filter((d) => d.name === name && d.namespace === "test_namespace").map((d) => d.value.count);
    assert.deepEqual(counter("0-_num_inferences"), [1]);
    assert.deepEqual(counter("1-_num_inferences"), [3]);
    assert.deepEqual(counter("num_inferences"), [4]);
    assert.deepEqual(counter("0-_failed_batches_counter"), []);
    assert.deepEqual(counter("failed_batches_counter"), []);
    assert.deepEqual(dist("0-_load_model_latency_milli_secs"), [1]);
    assert.deepEqual(dist("1-_load_model_latency_milli_secs"), [1]);
    assert.deepEqual(dist("load_model_latency_milli_secs"), [2], "the aggregate counts each model's load, not the step's");
    assert.deepEqual(dist("1-_inference_request_batch_size"), [1]);
    assert.equal(dist("0-_model_byte_size").length, 1);
  });

  it("holds at most maxModelsPerWorkerHint models, reloading evicted ones when their keys come back (…_many_mhs_max_models_hint)", async () => {
    const examples = [1, 5, 3, 10, 2, 4, 6, 8, 9, 7, 1, 5, 3, 10, 2, 4, 6, 8, 9, 7];
    const even = new Fake("even", 200);
    const odd = new Fake("odd");
    const result = await runDirect((p) => {
      const mappings = [new KeyModelMapping([0, 2, 4, 6, 8], even), new KeyModelMapping([1, 3, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19], odd)];
      p.apply(Create.of(...examples.map((x, i) => kv(i, x)))).apply(
        "Predict",
        RunInference.keyed(mappings, { maxModelsPerWorkerHint: 1, minBatchSize: 4, maxBatchSize: 4, metricsNamespace: "test_namespace" }),
      );
    });
    await result.waitUntilFinish();
    const loads = result.metrics.distributions({ step: "Predict/Infer" }).find((d) => d.name === "load_model_latency_milli_secs")!.value.count;
    // Two models, one slot: they take turns (more than one load each), but not once per key.
    assert.ok(loads > 2 && loads < 12, `loads: ${loads}`);
    assert.equal(even.loads + odd.loads, loads);
    assert.equal(result.metrics.counters({ step: "Predict/Infer" }).find((c) => c.name === "num_inferences")?.value, 20);
  });

  it("without the hint, loads each model once per process, shared by the step's DoFn instances", async () => {
    const a = new Fake("a");
    const b = new Fake("b");
    const result = await runDirect((p) => {
      const xs = p.apply(Create.of(...Array.from({ length: 12 }, (_, i) => kv(i % 3, i))));
      xs.apply(RunInference.keyed([new KeyModelMapping([0, 1], a), new KeyModelMapping([2], b)], { minBatchSize: 2, maxBatchSize: 2 }));
    });
    await result.waitUntilFinish();
    assert.deepEqual([a.loads, b.loads], [1, 1]);
    // Without metricsNamespace: Beam's namespace for many models.
    const namespaces = result.metrics.counters({ step: "RunInference/Infer" }).filter((c) => c.name.endsWith("num_inferences")).map((c) => `${c.namespace}:${c.name}=${c.value}`);
    assert.deepEqual(namespaces.sort(), ["BeamML_KeyedModels:0-_num_inferences=8", "BeamML_KeyedModels:2-_num_inferences=4", "BeamML_KeyedModels:num_inferences=12"]);
  });

  it("sends an element with an unmapped key, or one its model throws on, to `failed` with the reason; counts the model's failed batches", async () => {
    const failing = new Fake("failing", undefined, 13);
    const out: Observed<KV<number, PredictionResult<number, number>>>[] = [];
    const failed: Observed<FailedInference<KV<number, number>>>[] = [];
    const result = await runDirect((p) => {
      const mappings = [new KeyModelMapping([0], new Fake("zero")), new KeyModelMapping([1, 2], failing)];
      const outs = p.apply(Create.of(kv(0, 1), kv(1, 13), kv(2, 3), kv(7, 4))).apply("Predict", RunInference.keyed(mappings, { minBatchSize: 4 }));
      collect(outs.main, out);
      collect(outs.failed, failed, "CollectFailed");
    });
    await result.waitUntilFinish();
    assert.deepEqual(sortByKey(out.map((o) => o.value)).map((r) => [r.key, r.value.inference]), [[0, 2], [2, 4]]);
    assert.deepEqual(
      failed.map((o) => [o.value.element, o.value.reason]).sort((x, y) => (x[1]! < y[1]! ? -1 : 1)),
      [
        [kv(1, 13), "13 breaks failing"],
        [kv(7, 4), "key 7 is in no KeyModelMapping of RunInference.keyed (it has models for 3 keys)"],
      ],
    );
    const step = "Predict/Infer";
    const counter = (name: string) => result.metrics.counters({ step }).find((c) => c.name === name)?.value;
    assert.ok(counter("1-_failed_batches_counter")! >= 1);
    assert.equal(counter("0-_failed_batches_counter"), undefined);
  });

  it("a model that cannot be loaded fails the run, naming the model and its keys", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of(kv("a", 1))).apply("Predict", RunInference.keyed([new KeyModelMapping(["a", "b"], new Fake("broken", 100))]));
    });
    await assert.rejects(result.waitUntilFinish(), /Predict\/Infer.*could not load the model broken for keys \["a","b"\]: Oh no/s);
  });

  it("refuses mappings without keys, a key in two mappings, and a hint that is not a positive integer (test_keyed_many_model_handlers_validation)", () => {
    assert.throws(() => RunInference.keyed([new KeyModelMapping([], new Fake("x")), new KeyModelMapping([0], new Fake("y"))]), /KeyModelMapping 1 of RunInference.keyed has no keys/);
    assert.throws(() => RunInference.keyed([new KeyModelMapping([0], new Fake("x")), new KeyModelMapping([0, 1], new Fake("y"))]), /key 0 is in KeyModelMappings 1 and 2/);
    assert.throws(() => RunInference.keyed([], {}), /RunInference.keyed needs at least one KeyModelMapping/);
    assert.throws(() => RunInference.keyed([new KeyModelMapping([0], new Fake("x"))], { maxModelsPerWorkerHint: 0 }), /maxModelsPerWorkerHint must be a positive integer, got 0/);
  });
});
