/**
 * A TensorFlow.js model in the thread that runs it: built from its artifacts, and run on a flat
 * batch. Used by TFJSModelHandler both in the pipeline's thread and on its inference thread
 * (./tfjs_thread), so it imports nothing that thread does not need (no FileSystems).
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { Tfjs, TfjsBackend, TfjsRuntime } from "./tfjs_backend";

/** A loaded TensorFlow.js model and what RunInference needs to know about it. */
export interface LoadedTfjsModel {
  /** The TensorFlow.js module the model was loaded with. */
  readonly tf: Tfjs;
  /** The backend that runs it. */
  readonly backend: TfjsBackend;
  /** The model (a Keras-style layers model or a graph model). */
  readonly model: tfjs.LayersModel | tfjs.GraphModel;
  /** Input shape without the batch dimension. */
  readonly inputShape: readonly number[];
  /** Values per example (the product of inputShape). */
  readonly inputSize: number;
  /** Where it was loaded from. */
  readonly uri: string;
}

/** Builds the model from artifacts read from `jsonPath` (errors name it). */
export async function buildTfjsModel(runtime: TfjsRuntime, artifacts: tfjs.io.ModelArtifacts, jsonPath: string, uri: string): Promise<LoadedTfjsModel> {
  const { tf, backend } = runtime;
  let model: tfjs.LayersModel | tfjs.GraphModel;
  try {
    model = artifacts.format === "graph-model" ? await tf.loadGraphModel(tf.io.fromMemory(artifacts)) : await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new Error(`cannot build the TensorFlow.js model from ${jsonPath}: ${(e as Error).message}`, { cause: e });
  }
  const shape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || shape === undefined || shape.slice(1).some((d) => d === null || d < 0)) {
    throw new Error(`${jsonPath}: TFJSModelHandler needs a model with one input of fixed shape (besides the batch dimension); this one has inputs ${JSON.stringify(model.inputs.map((i) => i.shape))}`);
  }
  const inputShape = shape.slice(1) as number[];
  return { tf, backend, model, inputShape, inputSize: inputShape.reduce((a, b) => a * b, 1), uri };
}

/** The model's output for `count` examples laid out one after another in `data`, flat (count × outputs per example). */
export async function predictFlat(m: LoadedTfjsModel, data: Float32Array, count: number): Promise<Float32Array> {
  const { tf } = m;
  const output = tf.tidy(() => {
    // The whole batch in one call: LayersModel.predict would otherwise split it into batches of 32
    // (its default), which halves the throughput of a small convnet on the wasm backend.
    const out = m.model.predict(tf.tensor(data, [count, ...m.inputShape]), { batchSize: count });
    if (!(out instanceof tf.Tensor)) throw new Error(`TFJSModelHandler expects a model with one output; ${m.uri} has ${Array.isArray(out) ? out.length : Object.keys(out).length}`);
    return out;
  });
  try {
    // data() hands over a copy of the output (backends read it out of their own memory).
    return (await output.data()) as Float32Array;
  } finally {
    output.dispose();
  }
}
