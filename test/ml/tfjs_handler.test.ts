import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create } from "../../lib";
import {
  AUTO_INFERENCE_THREADS,
  clearSharedModels,
  inferenceThreadsOf,
  loadTfjsModel,
  RunInference,
  tfjsRuntime,
  TFJSModelHandler,
  type TensorExample,
  type TFJSModelHandlerOptions,
  type TfjsHandlerModel,
} from "../../lib/ml";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { imageFloats, readMnist } from "../../setup/mnist/mnist_data";
import { uploadModel } from "../../setup/mnist/setup_gcp";
import { runDirect } from "../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";

describe("ml/TFJSModelHandler", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  let dir: string;
  let local: TfjsHandlerModel;
  const handler = new TFJSModelHandler({ modelUri: DEFAULT_MODEL });
  const test = readMnist("test");
  const images = [0, 1, 2, 3].map((i) => imageFloats(test, i));

  before(async () => {
    env = await startEmulatorEnv(["storage"]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfjs-handler-"));
    local = await handler.loadModel();
  });
  after(async () => {
    await env?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("loads the bundled model and predicts the digits of real MNIST images (probabilities summing to 1)", async () => {
    assert.deepEqual(local.inputShape, [28, 28, 1]);
    assert.equal(local.inputSize, 784);
    const out = await handler.runInference(images, local);
    assert.equal(out.length, 4);
    for (const p of out) {
      assert.equal(p.length, 10);
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    }
    assert.deepEqual(out.map((p) => p.indexOf(Math.max(...p))), Array.from(test.labels.subarray(0, 4)));
    assert.equal(handler.numBytes(images), 4 * 784 * 4, "inference_request_batch_byte_size: the input values as 4-byte floats");
    // A batch gives the same answers as the examples one by one.
    const single = await handler.runInference([images[2]!], local);
    for (let k = 0; k < 10; k++) assert.ok(Math.abs(single[0]![k]! - out[2]![k]!) < 1e-6);
  });

  it("runs the model on its own thread when asked, with the same outputs as in the pipeline's thread", async () => {
    assert.equal(local.thread, "pipeline thread", "the pipeline's thread by default");
    const threaded = new TFJSModelHandler({ modelUri: DEFAULT_MODEL, inferenceThread: true });
    assert.notEqual(threaded.modelKey, handler.modelKey, "one shared model per thread choice");
    const m = await threaded.loadModel();
    assert.equal(m.thread, "inference thread");
    assert.equal(m.backend, local.backend);
    // Several batches in flight at once come back to their own callers.
    const [a, b, c] = await Promise.all([threaded.runInference(images, m), threaded.runInference(images.slice(1, 3), m), handler.runInference(images, local)]);
    assert.deepEqual(a, c);
    assert.deepEqual(b, c.slice(1, 3));
  });

  it("runs the model on a pool of inference threads (each its own copy) with the same outputs, several batches at once", async () => {
    const pooled = new TFJSModelHandler({ modelUri: DEFAULT_MODEL, inferenceThreads: 2 });
    assert.equal(pooled.modelKey, `tfjs:${DEFAULT_MODEL} (2 inference threads)`);
    const m = await pooled.loadModel();
    assert.equal(m.threads, 2);
    assert.equal(pooled.batchesInFlight(m), 4, "two batches per thread");
    const batches = [images, images.slice(1, 3), images.slice(2), [images[3]!], images.slice(0, 2)];
    const [expected, got] = await Promise.all([Promise.all(batches.map((b) => handler.runInference(b, local))), Promise.all(batches.map((b) => pooled.runInference(b, m)))]);
    assert.deepEqual(got, expected);
    assert.equal(new TFJSModelHandler({ modelUri: DEFAULT_MODEL, inferenceThreads: 2, backend: "tensorflow" }).modelKey, `tfjs:${DEFAULT_MODEL} (tensorflow backend)`, "tfjs-node threads itself: no threads in the key");
    assert.throws(() => new TFJSModelHandler({ modelUri: DEFAULT_MODEL, inferenceThreads: 1.5 }), /inferenceThreads must be "auto" or a whole number >= 0 \(0: the pipeline's thread\), got 1.5/);
    // "auto": two threads where there are two cores or more, else the pipeline's thread.
    assert.equal(inferenceThreadsOf({ modelUri: DEFAULT_MODEL, inferenceThreads: "auto" }), os.availableParallelism() >= 2 ? AUTO_INFERENCE_THREADS : 0);
    assert.equal(AUTO_INFERENCE_THREADS, 2);
  });

  it("reads the same model from gs:// (the Cloud Storage emulator) through FileSystems", async () => {
    await uploadModel({ project: TEST_PROJECT, model: DEFAULT_MODEL, destination: "gs://tfjs-test/models/mnist" });
    const remote = new TFJSModelHandler({ modelUri: "gs://tfjs-test/models/mnist" });
    const viaGcs = await remote.runInference(images, await remote.loadModel());
    const viaDisk = await handler.runInference(images, local);
    assert.deepEqual(viaGcs, viaDisk);
    // The model.json path itself works too.
    const byFile = await loadTfjsModel("gs://tfjs-test/models/mnist/model.json");
    assert.deepEqual(byFile.inputShape, [28, 28, 1]);
  });

  it("gives one hint for a missing model, not the filesystem's and the model format's stacked", async () => {
    const missing = path.join(dir, "not-here-either");
    await assert.rejects(loadTfjsModel(missing), (e: Error) => {
      assert.equal(e.message, `cannot read the model file ${path.join(missing, "model.json")}: it does not exist. --model must be a folder holding model.json and its weight files in TensorFlow.js format (local or gs://)`);
      return true;
    });
  });

  it("says which file is missing or malformed when a model cannot be loaded", async () => {
    const missing = path.join(dir, "nothing-here");
    await assert.rejects(loadTfjsModel(missing), new RegExp(`cannot read the model file ${escape(path.join(missing, "model.json"))}: .*--model must be a folder holding model.json`));
    const noWeights = path.join(dir, "no-weights");
    fs.mkdirSync(noWeights);
    fs.copyFileSync(path.join(DEFAULT_MODEL, "model.json"), path.join(noWeights, "model.json"));
    await assert.rejects(loadTfjsModel(noWeights), new RegExp(`cannot read the weight file ${escape(path.join(noWeights, "weights.bin"))} listed in ${escape(path.join(noWeights, "model.json"))}`));
    const notJson = path.join(dir, "not-json");
    fs.mkdirSync(notJson);
    fs.writeFileSync(path.join(notJson, "model.json"), "{ this is not json");
    await assert.rejects(loadTfjsModel(notJson), /not-json\/model.json is not valid JSON/);
    fs.writeFileSync(path.join(notJson, "model.json"), JSON.stringify({ hello: "world" }));
    await assert.rejects(loadTfjsModel(notJson), /is not a TensorFlow.js model \(it needs "modelTopology" and "weightsManifest"\)/);
    await assert.rejects(loadTfjsModel("gs://tfjs-test/no/such/model"), /cannot read the model file gs:\/\/tfjs-test\/no\/such\/model\/model.json/);
  });

  it("reports a model its inference thread cannot build, naming the file, and one it cannot read, as in the pipeline's thread", async () => {
    const broken = path.join(dir, "broken-topology");
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, "model.json"), JSON.stringify({ format: "layers-model", modelTopology: { class_name: "NoSuchModel", config: {} }, weightsManifest: [] }));
    await assert.rejects(new TFJSModelHandler({ modelUri: broken, inferenceThread: true }).loadModel(), new RegExp(`cannot build the TensorFlow.js model from ${escape(path.join(broken, "model.json"))}: `));
    await assert.rejects(new TFJSModelHandler({ modelUri: path.join(dir, "absent"), inferenceThread: true }).loadModel(), /cannot read the model file .*absent\/model.json: it does not exist/);
    // A pool: all its threads fail to build the model; the error is the same, and no thread is left running.
    await assert.rejects(new TFJSModelHandler({ modelUri: broken, inferenceThreads: 3 }).loadModel(), new RegExp(`cannot build the TensorFlow.js model from ${escape(path.join(broken, "model.json"))}: `));
  });

  it("an inference thread loads only what runs the model, yet runs a graph model and the cpu backend as the pipeline's thread does", async () => {
    // A graph model (tfjs-converter's format): softmax(x · w) for x of 3 values, w 3×2.
    const graph = path.join(dir, "graph-model");
    fs.mkdirSync(graph);
    const w = new Float32Array([1, -1, 0.5, 2, -0.25, 0]);
    fs.writeFileSync(path.join(graph, "weights.bin"), Buffer.from(w.buffer));
    const float = { type: "DT_FLOAT" };
    fs.writeFileSync(
      path.join(graph, "model.json"),
      JSON.stringify({
        format: "graph-model",
        modelTopology: {
          node: [
            { name: "x", op: "Placeholder", attr: { dtype: float, shape: { shape: { dim: [{ size: "-1" }, { size: "3" }] } } } },
            { name: "w", op: "Const", attr: { dtype: float, value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "3" }, { size: "2" }] } } } } },
            { name: "y", op: "MatMul", input: ["x", "w"], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
            { name: "out", op: "Softmax", input: ["y"], attr: { T: float } },
          ],
          versions: { producer: 1 },
        },
        weightsManifest: [{ paths: ["weights.bin"], weights: [{ name: "w", shape: [3, 2], dtype: "float32" }] }],
      }),
    );
    const examples = [new Float32Array([1, 0, 0]), new Float32Array([0.5, 1, -2])];
    const expected = examples.map((x) => {
      const y = [0, 1].map((j) => x[0]! * w[j]! + x[1]! * w[2 + j]! + x[2]! * w[4 + j]!);
      const e = y.map((v) => Math.exp(v - Math.max(...y)));
      return e.map((v) => v / (e[0]! + e[1]!));
    });
    const close = (got: readonly Float32Array[], want: readonly (readonly number[])[], what: string) =>
      got.forEach((p, i) => p.forEach((v, j) => assert.ok(Math.abs(v - want[i]![j]!) < 1e-5, `${what}: example ${i} value ${j} is ${v}, expected ${want[i]![j]}`)));
    const here = new TFJSModelHandler({ modelUri: graph });
    close(await here.runInference(examples, await here.loadModel()), expected, "graph model on the pipeline's thread");
    const threaded = new TFJSModelHandler({ modelUri: graph, inferenceThreads: 1 });
    close(await threaded.runInference(examples, await threaded.loadModel()), expected, "graph model on an inference thread");
    // The cpu backend (plain JavaScript) on a thread of its own: the MNIST model's digits as on wasm here.
    const cpu = new TFJSModelHandler({ modelUri: DEFAULT_MODEL, backend: "cpu", inferenceThreads: 1 });
    const onCpu = await cpu.loadModel();
    assert.equal(onCpu.backend, "cpu");
    const [cpuOut, wasmOut] = await Promise.all([cpu.runInference(images, onCpu), handler.runInference(images, local)]);
    close(cpuOut, wasmOut.map((p) => Array.from(p)), "MNIST on the cpu backend on a thread");
  });

  it("two steps with the same model but different backends each get the model on their own backend (the shared-model key includes the backend)", async () => {
    const backendsSeen = new Map<string, Set<string>>();
    class Recording extends TFJSModelHandler {
      constructor(
        private readonly step: string,
        options: TFJSModelHandlerOptions,
      ) {
        super(options);
      }
      override async runInference(batch: readonly TensorExample[], m: TfjsHandlerModel): Promise<readonly Float32Array[]> {
        const seen = backendsSeen.get(this.step) ?? new Set<string>();
        backendsSeen.set(this.step, seen.add(m.backend));
        return super.runInference(batch, m);
      }
    }
    clearSharedModels();
    // On inference threads each model has its own TensorFlow.js, so two backends can coexist in one process.
    const result = await runDirect((p) => {
      const xs = p.apply(Create.from(images));
      xs.apply("OnCpu", RunInference.of(new Recording("OnCpu", { modelUri: DEFAULT_MODEL, backend: "cpu", inferenceThreads: 1 })));
      xs.apply("OnWasm", RunInference.of(new Recording("OnWasm", { modelUri: DEFAULT_MODEL, backend: "wasm", inferenceThreads: 1 })));
    });
    await result.waitUntilFinish();
    assert.deepEqual(Object.fromEntries([...backendsSeen].map(([step, b]) => [step, [...b]])), { OnCpu: ["cpu"], OnWasm: ["wasm"] });
  });

  it("withModelId gives the same handler for another model (RunInference's modelMetadata updates), keyed by the new path", () => {
    const handler = new TFJSModelHandler({ modelUri: "/models/v1", backend: "cpu", inferenceThreads: 2 });
    const updated = handler.withModelId("gs://bucket/models/v2");
    assert.deepEqual(updated.options, { modelUri: "gs://bucket/models/v2", backend: "cpu", inferenceThreads: 2 });
    assert.equal(updated.modelKey, "tfjs:gs://bucket/models/v2 (cpu backend, 2 inference threads)");
    assert.equal(handler.modelKey, "tfjs:/models/v1 (cpu backend, 2 inference threads)", "the handler itself is unchanged");
  });

  it("rejects examples that do not fit the model's input, saying why", () => {
    assert.equal(handler.validate(images[0]!, local), undefined);
    assert.equal(handler.validate(Array.from(images[0]!), local), undefined);
    assert.equal(handler.validate(new Float32Array(10), local), "expected 784 values (the model's input shape [28, 28, 1]), got 10");
    const nan = Float32Array.from(images[0]!);
    nan[3] = Number.NaN;
    assert.equal(handler.validate(nan, local), "value 3 is null, not a finite number");
    assert.equal(handler.validate(["a", ...Array.from({ length: 783 }, () => 0)] as unknown as number[], local), 'value 0 is "a", not a finite number');
    assert.equal(handler.validate("pixels" as unknown as number[], local), "an example must be a Float32Array or an array of numbers, got string");
  });

  it("runs on one backend per process and says so when another is asked for", async () => {
    const { backend } = await tfjsRuntime();
    assert.ok(["tensorflow", "wasm"].includes(backend), `an accelerated backend by default, got ${backend}`);
    const other = backend === "cpu" ? "wasm" : "cpu";
    await assert.rejects(tfjsRuntime(other), new RegExp(`already runs on the '${backend}' backend in this process; it cannot switch to '${other}'`));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
