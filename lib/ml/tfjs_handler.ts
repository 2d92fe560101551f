/**
 * A ModelHandler for TensorFlow.js models (`model.json` + binary weight files, as written by
 * `model.save("file://...")` or the tensorflowjs converter), Layers or Graph format.
 *
 *     RunInference.keyed(new TFJSModelHandler({ modelUri: "gs://bucket/model" }))
 *
 * The model is read through FileSystems, so `modelUri` may be a local folder or `gs://` (and the
 * Cloud Storage emulator works); it may also name the `model.json` file itself. Each example is a
 * flat array of the model's input values (row-major); each inference is the model's output for it.
 */
import * as os from "node:os";
import type * as tfjs from "@tensorflow/tfjs";
import { FileSystems } from "../io/filesystems/registry";
import { FileSystemError } from "../io/filesystems/filesystem";
import { ValidationError } from "../model/errors";
import type { BatchingOptions, ModelHandler } from "./model_handler";
import { tfjsRuntime, type TfjsBackend, type TfjsBackendChoice } from "./tfjs_backend";
import { buildTfjsModel, predictFlat, type LoadedTfjsModel } from "./tfjs_model";
import { TfjsThreadPool } from "./tfjs_thread";

/** One example: the model's input values, flattened row-major. */
export type TensorExample = Float32Array | readonly number[];

/** Options of TFJSModelHandler. */
export interface TFJSModelHandlerOptions {
  /** Folder holding model.json and its weights, or the model.json path; local or gs://. */
  readonly modelUri: string;
  /** TensorFlow.js backend (default "auto": tfjs-node if installed, else wasm, else cpu). */
  readonly backend?: TfjsBackendChoice;
  /** Batch sizes for this model (RunInference's own options override them). */
  readonly batching?: BatchingOptions;
  /**
   * Run the model on its own thread (default false), so the pipeline's thread reads, parses and
   * writes other elements while a batch is predicted. The wasm and cpu backends compute on one
   * thread, so this can only pay when the machine has a core to spare; it costs more CPU (+10 to
   * +40 % for mnist_bq in the MNIST bench) and a second copy of TensorFlow.js in memory.
   * Ignored for the native 'tensorflow' backend (threaded itself). The same as `inferenceThreads: 1`.
   */
  readonly inferenceThread?: boolean;
  /**
   * How many inference threads run the model (default 0: the pipeline's thread, or 1 with
   * `inferenceThread`); "auto": 2 on a machine with 2 or more cores (decided where the model is
   * loaded, i.e. on each worker), else 0. Each thread loads its own copy of the model (memory: one
   * TensorFlow.js per thread) and batches go to the least busy one, so with n threads up to n
   * batches are predicted at once, on as many cores as the machine gives. Results keep their
   * elements' order, timestamps and windows. Ignored for the native 'tensorflow' backend (and for
   * 'auto' when tfjs-node is installed): it is threaded itself.
   */
  readonly inferenceThreads?: number | "auto";
}

export type { LoadedTfjsModel } from "./tfjs_model";

/** The model as TFJSModelHandler runs it: in the pipeline's thread, or on its own inference thread. */
export interface TfjsHandlerModel {
  /** The backend that runs it. */
  readonly backend: TfjsBackend;
  /** Where it runs: "inference thread" (its own threads) or "pipeline thread" (the caller's). */
  readonly thread: "inference thread" | "pipeline thread";
  /** How many inference threads run it (0: the pipeline's thread). */
  readonly threads: number;
  /** Input shape without the batch dimension. */
  readonly inputShape: readonly number[];
  /** Values per example (the product of inputShape). */
  readonly inputSize: number;
  /** Where it was loaded from. */
  readonly uri: string;
  /** The model's outputs for `count` examples laid out one after another in `data` (which it may take over), flat. */
  predict(data: Float32Array, count: number): Promise<Float32Array>;
}

interface ModelJson {
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly modelTopology?: unknown;
  readonly weightsManifest?: readonly { readonly paths: readonly string[]; readonly weights: readonly tfjs.io.WeightsManifestEntry[] }[];
  readonly signature?: unknown;
  readonly userDefinedMetadata?: { [key: string]: {} };
  readonly modelInitializer?: unknown;
}

const FORMAT_HINT = "--model must be a folder holding model.json and its weight files in TensorFlow.js format (local or gs://)";

async function readAll(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await FileSystems.openRead(path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads model.json and its weight files through FileSystems into TensorFlow.js model artifacts. */
export async function readTfjsArtifacts(modelUri: string): Promise<{
  /** The model.json read. */
  jsonPath: string;
  /** Topology and weights, for `tf.loadLayersModel(tf.io.fromMemory(...))`. */
  artifacts: tfjs.io.ModelArtifacts;
}> {
  const jsonPath = modelUri.endsWith(".json") ? modelUri : FileSystems.join(modelUri, "model.json");
  let text: string;
  try {
    text = (await readAll(jsonPath)).toString("utf8");
  } catch (e) {
    // One hint per message: for a missing file the format hint is the useful one; for other
    // failures (permissions, a bucket that does not exist) the filesystem's own message is.
    if (e instanceof FileSystemError && e.code === "ENOENT") throw new Error(`cannot read the model file ${jsonPath}: it does not exist. ${FORMAT_HINT}`, { cause: e });
    throw e;
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new Error(`${jsonPath} is not valid JSON (${(e as Error).message}). ${FORMAT_HINT}`, { cause: e });
  }
  if (typeof json !== "object" || json === null || json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${jsonPath} is not a TensorFlow.js model (it needs "modelTopology" and "weightsManifest"). ${FORMAT_HINT}`);
  }
  const dir = FileSystems.dirname(jsonPath);
  const weightSpecs: tfjs.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const weightPath = FileSystems.join(dir, p);
      try {
        buffers.push(await readAll(weightPath));
      } catch (e) {
        throw new Error(`cannot read the weight file ${weightPath} listed in ${jsonPath}: ${(e as Error).message}`, { cause: e });
      }
    }
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  const artifacts: tfjs.io.ModelArtifacts = {
    modelTopology: json.modelTopology as tfjs.io.ModelArtifacts["modelTopology"],
    weightSpecs,
    weightData,
    ...(json.format !== undefined ? { format: json.format } : {}),
    ...(json.generatedBy !== undefined ? { generatedBy: json.generatedBy } : {}),
    ...(json.convertedBy !== undefined ? { convertedBy: json.convertedBy } : {}),
    ...(json.signature !== undefined ? { signature: json.signature as tfjs.io.ModelArtifacts["signature"] } : {}),
    ...(json.userDefinedMetadata !== undefined ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
  };
  return { jsonPath, artifacts };
}

/** Loads a TensorFlow.js model from a local folder or gs:// into this thread (errors name the path). */
export async function loadTfjsModel(modelUri: string, backend: TfjsBackendChoice = "auto"): Promise<LoadedTfjsModel> {
  const runtime = await tfjsRuntime(backend);
  const { jsonPath, artifacts } = await readTfjsArtifacts(modelUri);
  return buildTfjsModel(runtime, artifacts, jsonPath, modelUri);
}

/** Inference threads of `inferenceThreads: "auto"` on a machine with 2 or more cores. */
export const AUTO_INFERENCE_THREADS = 2;

/** Whether `@tensorflow/tfjs-node` is installed (the 'auto' backend then runs natively, threaded itself). */
function nativeInstalled(): boolean {
  try {
    require.resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

/** The inference threads asked for (checked): a whole number >= 0, or "auto". */
function askedThreads(options: TFJSModelHandlerOptions): number | "auto" {
  const asked = options.inferenceThreads ?? (options.inferenceThread === true ? 1 : 0);
  if (asked !== "auto" && (!Number.isInteger(asked) || asked < 0)) {
    throw new ValidationError(`TFJSModelHandler: inferenceThreads must be "auto" or a whole number >= 0 (0: the pipeline's thread), got ${String(asked)}`);
  }
  return asked;
}

/**
 * How many inference threads run the model on this machine: as asked ("auto": AUTO_INFERENCE_THREADS
 * with 2 or more cores, else none), except on tfjs-node's native backend (threaded itself).
 */
export function inferenceThreadsOf(options: TFJSModelHandlerOptions): number {
  const asked = askedThreads(options);
  const backend = options.backend ?? "auto";
  if (backend === "tensorflow" || (backend === "auto" && asked !== 0 && nativeInstalled())) return 0;
  return asked === "auto" ? (os.availableParallelism() >= 2 ? AUTO_INFERENCE_THREADS : 0) : asked;
}

/** Runs a TensorFlow.js model on batches of flat Float32Array/number[] examples. */
export class TFJSModelHandler implements ModelHandler<TensorExample, Float32Array, TfjsHandlerModel> {
  readonly modelKey: string;

  constructor(
    /** The model and how to run it. */
    readonly options: TFJSModelHandlerOptions,
  ) {
    // Everything that changes what loadModel loads is part of the key, so that a model shared by
    // two steps is the one both asked for: the backend (a thread runs its own TensorFlow.js, so two
    // steps' models can be on different backends) and the threads. "auto" (backend or threads) is
    // decided where the model loads (each worker's libraries and cores).
    const checked = askedThreads(options);
    const backend = options.backend ?? "auto";
    const asked = backend === "tensorflow" ? 0 : checked;
    const how = [
      ...(backend === "auto" ? [] : [`${backend} backend`]),
      ...(asked === 0 ? [] : [asked === 1 ? "inference thread" : `${asked} inference threads`]),
    ];
    this.modelKey = `tfjs:${options.modelUri}${how.length === 0 ? "" : ` (${how.join(", ")})`}`;
  }

  async loadModel(): Promise<TfjsHandlerModel> {
    const { modelUri } = this.options;
    const backend = this.options.backend ?? "auto";
    const threads = inferenceThreadsOf(this.options);
    if (threads === 0) {
      const m = await loadTfjsModel(modelUri, backend);
      return { backend: m.backend, thread: "pipeline thread", threads: 0, inputShape: m.inputShape, inputSize: m.inputSize, uri: modelUri, predict: (data, count) => predictFlat(m, data, count) };
    }
    const { jsonPath, artifacts } = await readTfjsArtifacts(modelUri);
    const pool = await TfjsThreadPool.start(threads, backend, artifacts, jsonPath, modelUri);
    const inputSize = pool.inputShape.reduce((a, b) => a * b, 1);
    return { backend: pool.backend, thread: "inference thread", threads: pool.size, inputShape: pool.inputShape, inputSize, uri: modelUri, predict: (data, count) => pool.predict(data, count) };
  }

  validate(example: TensorExample, model: TfjsHandlerModel): string | undefined {
    if (!(example instanceof Float32Array) && !Array.isArray(example)) return `an example must be a Float32Array or an array of numbers, got ${typeof example}`;
    if (example.length !== model.inputSize) {
      return `expected ${model.inputSize} values (the model's input shape [${model.inputShape.join(", ")}]), got ${example.length}`;
    }
    for (let i = 0; i < example.length; i++) {
      const v = example[i];
      if (typeof v !== "number" || !Number.isFinite(v)) return `value ${i} is ${JSON.stringify(v) ?? String(v)}, not a finite number`;
    }
    return undefined;
  }

  async runInference(batch: readonly TensorExample[], m: TfjsHandlerModel): Promise<readonly Float32Array[]> {
    const data = new Float32Array(batch.length * m.inputSize);
    for (let i = 0; i < batch.length; i++) data.set(batch[i]!, i * m.inputSize);
    const values = await m.predict(data, batch.length);
    // A fresh output per batch: each example's inference can be a view of it rather than a copy.
    const per = values.length / batch.length;
    return Array.from({ length: batch.length }, (_, i) => values.subarray(i * per, (i + 1) * per));
  }

  /** The batch's input values as the model takes them (4-byte floats): cheaper than encoding it. */
  numBytes(batch: readonly TensorExample[]): number {
    let values = 0;
    for (const example of batch) values += example.length;
    return values * Float32Array.BYTES_PER_ELEMENT;
  }

  /** Two batches per inference thread: each thread starts its next batch the moment it ends one. */
  batchesInFlight(m: TfjsHandlerModel): number {
    return Math.max(2, 2 * m.threads);
  }

  batching(): BatchingOptions {
    return { minBatchSize: 8, maxBatchSize: 256, ...this.options.batching };
  }

  metricsNamespace(): string {
    return "RunInference";
  }

  /** The same handler for the model at `modelId` (a folder or model.json, local or gs://), for RunInference's `modelMetadata` updates. */
  withModelId(modelId: string): TFJSModelHandler {
    return new TFJSModelHandler({ ...this.options, modelUri: modelId });
  }
}
