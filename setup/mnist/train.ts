/**
 * Trains the MNIST model with TensorFlow.js on the 60,000 training images and saves it in
 * TensorFlow.js format (`model.json` + `weights.bin`), the model the MNIST pipelines load.
 *
 *     node dist/setup/mnist/train.js [--output pipelines/data/mnist/model] [--epochs 4] [--backend auto]
 *
 * The model: conv 5x5x16 (ReLU) → max-pool 2 → conv 5x5x32 (ReLU) → max-pool 2 → dense 128
 * (ReLU) → dense 10 (softmax), ~80k parameters (~320 KB). Adam, batch 64, learning rate 1e-3
 * then 1e-4 for the last epoch; weights and shuffling are seeded, so a run on the same backend
 * reproduces the committed model. On the npm-only wasm backend the convolution gradients come
 * from ./wasm_conv_grads. Prints the test accuracy after every epoch.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as tfjs from "@tensorflow/tfjs";
import { tfjsRuntime, TFJS_BACKEND_CHOICES, type Tfjs, type TfjsBackendChoice } from "../../lib/ml/tfjs_backend";
import { PIXELS, readMnist, type MnistSet } from "./mnist_data";
import { registerWasmConvGradients } from "./wasm_conv_grads";
import { flagValue } from "./cli";

export const DEFAULT_MODEL_DIR = path.resolve(__dirname, "..", "..", "..", "pipelines", "data", "mnist", "model");

export interface TrainOptions {
  readonly output: string;
  readonly epochs: number;
  readonly batchSize: number;
  readonly backend: TfjsBackendChoice;
  readonly seed: number;
  /** Train on the first N training images only (for quick checks). */
  readonly limit?: number;
  readonly log?: (line: string) => void;
}

/** The MNIST convnet. */
export function buildModel(tf: Tfjs, seed: number): tfjs.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const model = tf.sequential({ name: "mnist_convnet" });
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 5, activation: "relu", kernelInitializer: init(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 5, activation: "relu", kernelInitializer: init(2) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: init(3) }));
  model.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(4) }));
  return model;
}

/** A small seeded PRNG (mulberry32) for reproducible shuffles. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function toTensors(tf: Tfjs, set: MnistSet, limit = set.count): { xs: tfjs.Tensor4D; ys: tfjs.Tensor2D; labels: Uint8Array } {
  const n = Math.min(limit, set.count);
  const x = new Float32Array(n * PIXELS);
  for (let i = 0; i < n * PIXELS; i++) x[i] = set.images[i]! / 255;
  const labels = set.labels.subarray(0, n);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(labels), "int32"), 10).toFloat() as tfjs.Tensor2D);
  return { xs: tf.tensor4d(x, [n, 28, 28, 1]), ys, labels };
}

/** Fraction of `labels` the model predicts right. */
export async function accuracy(tf: Tfjs, model: tfjs.LayersModel, xs: tfjs.Tensor4D, labels: Uint8Array): Promise<number> {
  const predicted = tf.tidy(() => (model.predict(xs, { batchSize: 500 }) as tfjs.Tensor).argMax(-1));
  const p = await predicted.data();
  predicted.dispose();
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (p[i] === labels[i]) right++;
  return right / labels.length;
}

/** Saves in TensorFlow.js format: model.json (topology + weights manifest) and weights.bin. */
export async function saveModel(model: tfjs.LayersModel, tf: Tfjs, dir: string, metadata: { [key: string]: {} }): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData as ArrayBuffer;
      fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.from(weights));
      const json = {
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
        userDefinedMetadata: metadata,
      };
      fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON", weightDataBytes: weights.byteLength } };
    }),
  );
}

export interface TrainResult {
  readonly backend: string;
  readonly testAccuracy: number;
  readonly seconds: number;
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const { tf, backend } = await tfjsRuntime(o.backend);
  if (backend === "wasm") registerWasmConvGradients(tf);
  const trainSet = toTensors(tf, readMnist("train"), o.limit);
  const test = toTensors(tf, readMnist("test"));
  const n = trainSet.labels.length;
  log(`Training on ${n} images, testing on ${test.labels.length}, backend '${backend}', ${o.epochs} epochs of batch ${o.batchSize}`);
  const model = buildModel(tf, o.seed);
  const random = prng(o.seed);
  const started = Date.now();
  let testAccuracy = 0;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    // A fresh optimizer for the last epoch lowers the learning rate for a final settling pass.
    const lr = epoch === o.epochs && o.epochs > 1 ? 1e-4 : 1e-3;
    if (epoch === 1 || lr !== 1e-3) model.compile({ optimizer: tf.train.adam(lr), loss: "categoricalCrossentropy" });
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const idx = tf.tensor1d(order, "int32");
    const xs = tf.gather(trainSet.xs, idx);
    const ys = tf.gather(trainSet.ys, idx);
    const h = await model.fit(xs, ys, { batchSize: o.batchSize, epochs: 1, shuffle: false, verbose: 0 });
    tf.dispose([idx, xs, ys]);
    testAccuracy = await accuracy(tf, model, test.xs, test.labels);
    const loss = Number(h.history["loss"]?.[0]);
    log(`epoch ${epoch}/${o.epochs}: loss ${loss.toFixed(4)}, test accuracy ${(testAccuracy * 100).toFixed(2)} %, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const seconds = (Date.now() - started) / 1000;
  await saveModel(model, tf, o.output, { test_accuracy: testAccuracy, epochs: o.epochs, train_images: n, backend, seed: o.seed });
  log(`Saved the model to ${o.output} (test accuracy ${(testAccuracy * 100).toFixed(2)} %, trained in ${seconds.toFixed(0)} s)`);
  return { backend, testAccuracy, seconds };
}


if (require.main === module) {
  const argv = process.argv.slice(2);
  const backend = (flagValue(argv, "backend") ?? "auto") as TfjsBackendChoice;
  const limit = flagValue(argv, "limit");
  if (!TFJS_BACKEND_CHOICES.includes(backend)) {
    process.stderr.write(`train: --backend must be one of ${TFJS_BACKEND_CHOICES.join(", ")}\n`);
    process.exitCode = 1;
  } else {
    train({
      output: path.resolve(flagValue(argv, "output") ?? DEFAULT_MODEL_DIR),
      epochs: Number(flagValue(argv, "epochs") ?? 4),
      batchSize: Number(flagValue(argv, "batch_size") ?? 64),
      seed: Number(flagValue(argv, "seed") ?? 42),
      backend,
      ...(limit !== undefined ? { limit: Number(limit) } : {}),
    }).catch((e: Error) => {
      process.stderr.write(`train FAILED: ${e.stack ?? e.message}\n`);
      process.exitCode = 1;
    });
  }
}
