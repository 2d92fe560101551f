/**
 * The `Prediction` step shared by the MNIST pipelines (mnist_bq, mnist_pubsub): an image record
 * `{ID, Image}` in, `{ID, P0, ..., P9}` out, where Pk is the model's probability that the image
 * is the digit k. Inside: `ParseImage` (Image → 784 floats, checked), `RunInference` (the
 * TensorFlow.js model, loaded once per worker process, run on batches), `Format`.
 *
 * Records that cannot be predicted — an Image that is not 784 numbers in 0..1, a missing ID — go
 * to the `failed` output with the reason; the pipelines send them to their dead-letter sinks.
 */
import * as path from "node:path";
import { Flatten, kv, Metrics, PCollection, PTransform, type KV } from "../lib";
import { DoFn, type ProcessContext } from "../lib/model/dofn";
import { ParDo } from "../lib/model/pardo";
import { ValidationError } from "../lib/model/errors";
import { RunInference, TFJS_BACKEND_CHOICES, TFJSModelHandler, type FailedInference, type PredictionResult, type TfjsBackendChoice } from "../lib/ml";

/** The model bundled with the repository (trained by setup/mnist/train.ts). */
export const DEFAULT_MODEL = path.resolve(__dirname, "..", "..", "pipelines", "data", "mnist", "model");

export const PIXELS = 784;

/** An input record: a BigQuery row of the Images table, or a parsed Pub/Sub message. */
export type MnistImage = {
  readonly ID: number | bigint | string;
  /** 784 comma-separated values in 0..1 (the CSV / table form), or the values as an array. */
  readonly Image: string | readonly number[];
};

/** One prediction: the image's ID and the probability of each digit. */
export type MnistPrediction = {
  readonly ID: number | bigint | string;
  readonly P0: number;
  readonly P1: number;
  readonly P2: number;
  readonly P3: number;
  readonly P4: number;
  readonly P5: number;
  readonly P6: number;
  readonly P7: number;
  readonly P8: number;
  readonly P9: number;
};

/** A record that could not be predicted, and why. */
export type RejectedImage = FailedInference<MnistImage>;

/** JSON text of a record; bigint IDs (BigQuery INTEGERs past 2^53) as their decimal digits. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** A prediction as JSON (what mnist_pubsub publishes): the same text as toJson, without its per-key replacer when the ID is a number. */
export function predictionJson(p: MnistPrediction): string {
  return typeof p.ID === "bigint" ? toJson(p) : JSON.stringify(p);
}

/** The prediction table's schema (mnist_bq's output). */
export const PREDICTION_SCHEMA = ["ID:INTEGER", ...Array.from({ length: 10 }, (_, k) => `P${k}:FLOAT`)].join(", ");

/** The 784 pixel values of an Image field, or the reason it is not a valid image. */
export function parseImage(image: unknown): Float32Array | string {
  if (typeof image === "string") return parseImageString(image);
  if (!Array.isArray(image)) return `Image must be a string of ${PIXELS} comma-separated numbers (or an array of numbers), got ${image === null ? "null" : typeof image}`;
  if (image.length !== PIXELS) return `Image has ${image.length} values; a 28x28 image has ${PIXELS}`;
  const out = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const raw: unknown = image[i];
    const v = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
    const problem = badPixel(i, raw, v);
    if (problem !== undefined) return problem;
    out[i] = v;
  }
  return out;
}

function badPixel(i: number, raw: unknown, v: number): string | undefined {
  if (!Number.isFinite(v)) return `Image value ${i} is ${JSON.stringify(raw)}, not a number`;
  if (v < 0 || v > 1) return `Image value ${i} is ${v}, outside 0..1 (pixels are normalised grey levels)`;
  return undefined;
}

const COMMA = 44;
const DOT = 46;
const ZERO = 48;

/** Largest integer and power of ten a double holds exactly: within them, value / scale is Number()'s result. */
const EXACT_INTEGER = Number.MAX_SAFE_INTEGER;
const EXACT_POWER_OF_TEN = 1e22;

/**
 * Parses "v,v,...,v" in one pass. Plain decimals ("0", "1", "0.3294") are read digit by digit
 * (this is most of mnist_bq's per-row work besides the model), and a lone "0" (most pixels) at
 * once; anything else in a field (exponents, signs, spaces, more digits than a double holds
 * exactly) goes through Number(), which decides what is a number.
 */
function parseImageString(text: string): Float32Array | string {
  const out = new Float32Array(PIXELS);
  let count = 0;
  let start = 0;
  const n = text.length;
  while (start <= n) {
    if (text.charCodeAt(start) === ZERO && (start + 1 === n || text.charCodeAt(start + 1) === COMMA)) {
      // A Float32Array starts at 0: the pixel is already there.
      count++;
      start += 2;
      continue;
    }
    let end = start;
    let value = 0;
    let scale = 0;
    let simple = true;
    for (; end < n; end++) {
      const c = text.charCodeAt(end);
      if (c === COMMA) break;
      const d = c - ZERO;
      if (d >= 0 && d <= 9) {
        value = value * 10 + d;
        if (scale > 0) scale *= 10;
      } else if (c === DOT && scale === 0) scale = 1;
      else simple = false;
    }
    if (count < PIXELS) {
      const exact = simple && end > start && !(scale === 1 && end - start === 1) && value <= EXACT_INTEGER && scale <= EXACT_POWER_OF_TEN;
      const field = exact ? undefined : text.slice(start, end);
      const v = field === undefined ? (scale > 1 ? value / scale : value) : field.trim() === "" ? Number.NaN : Number(field);
      // The field's text only for the message: cutting it out of every valid pixel cost a third of the parse.
      if (!(v >= 0 && v <= 1)) return badPixel(count, field ?? text.slice(start, end), v) ?? `Image value ${count} is not valid`;
      out[count] = v;
    }
    count++;
    start = end + 1;
  }
  return count === PIXELS ? out : `Image has ${count} values; a 28x28 image has ${PIXELS}`;
}

/** Why a record's ID is unusable, if it is. */
function badId(id: unknown): string | undefined {
  if (typeof id === "number") return Number.isInteger(id) ? undefined : `ID ${id} is not an integer`;
  if (typeof id === "bigint") return undefined;
  if (typeof id === "string") return /^-?\d+$/.test(id.trim()) ? undefined : `ID ${JSON.stringify(id)} is not an integer`;
  return id === undefined || id === null ? "the record has no ID" : `ID must be an integer, got ${typeof id}`;
}

class ParseImage extends DoFn<MnistImage, KV<MnistImage["ID"], Float32Array>, { failed: RejectedImage }> {
  private step = "ParseImage";
  setup(runtime: { readonly transformName: string }): void {
    this.step = runtime.transformName;
  }
  process(record: MnistImage, ctx: ProcessContext<KV<MnistImage["ID"], Float32Array>, { failed: RejectedImage }>): void {
    const idProblem = badId(record.ID);
    const pixels = idProblem === undefined ? parseImage(record.Image) : idProblem;
    if (typeof pixels === "string") ctx.outputTo("failed", { element: record, reason: pixels, step: this.step });
    else ctx.output(kv(typeof record.ID === "string" ? Number(record.ID) : record.ID, pixels));
  }
}

/** `{ID, P0..P9}` from a keyed prediction. */
export function formatPrediction(r: KV<MnistImage["ID"], PredictionResult<unknown, Float32Array>>): MnistPrediction {
  const p = r.value.inference;
  return { ID: r.key, P0: p[0]!, P1: p[1]!, P2: p[2]!, P3: p[3]!, P4: p[4]!, P5: p[5]!, P6: p[6]!, P7: p[7]!, P8: p[8]!, P9: p[9]! };
}

export interface PredictionOptions {
  /** Folder of the TensorFlow.js model (model.json + weights), local or gs://. */
  readonly model: string;
  readonly backend?: TfjsBackendChoice;
  readonly maxBatchSize?: number;
  /** Inference threads running the model, 0: the pipeline's thread; "auto": 2 on 2 or more cores (see TFJSModelHandlerOptions.inferenceThreads). */
  readonly inferenceThreads?: number | "auto";
}

export type PredictionOutputs = { readonly main: PCollection<MnistPrediction>; readonly failed: PCollection<RejectedImage> };

/** The `Prediction` step. */
export class Prediction extends PTransform<PCollection<MnistImage>, PredictionOutputs> {
  constructor(readonly options: PredictionOptions) {
    super("Prediction");
    if (options.backend !== undefined && !TFJS_BACKEND_CHOICES.includes(options.backend)) {
      throw new ValidationError(`Unknown TensorFlow.js backend '${options.backend}' (--tfjs_backend); choose one of ${TFJS_BACKEND_CHOICES.join(", ")}`);
    }
  }

  expand(input: PCollection<MnistImage>): PredictionOutputs {
    const parsed = input.apply("ParseImage", ParDo.of(new ParseImage(), { deadLetters: { failed: { reason: (f) => f.reason } } }).withOutputs("failed"));
    const handler = new TFJSModelHandler({
      modelUri: this.options.model,
      ...(this.options.backend !== undefined ? { backend: this.options.backend } : {}),
      ...(this.options.inferenceThreads !== undefined ? { inferenceThreads: this.options.inferenceThreads } : {}),
    });
    const inferred = parsed.main.apply(
      "RunInference",
      RunInference.keyed(handler, this.options.maxBatchSize !== undefined ? { maxBatchSize: this.options.maxBatchSize } : {}),
    );
    const main = inferred.main.map("Format", formatPrediction);
    // An inference failure carries the parsed pixels; report the record's ID with the reason.
    const inferenceFailures = inferred.failed.map("InferenceFailures", (f): RejectedImage => ({ element: { ID: f.element.key, Image: Array.from(f.element.value) }, reason: f.reason, step: f.step }));
    const failed = parsed.failed.apply("Failed", Flatten.with(inferenceFailures));
    return { main, failed };
  }
}

/** How many rejected records each worker describes on stderr (all are counted). */
const LOGGED_REJECTIONS = 10;

/**
 * The consumer of rejected records when no dead-letter sink is configured: counts them
 * (`<namespace>/<counter>` on the step) and describes the first few on stderr, so none is dropped
 * silently and the job keeps running.
 */
export class LogRejected<T> extends DoFn<T, never> {
  private logged = 0;
  private step = "LogRejected";
  constructor(
    private readonly namespace: string,
    private readonly counter: string,
    private readonly describe: (rejected: T) => string,
  ) {
    super();
  }
  setup(runtime: { readonly transformName: string }): void {
    this.step = runtime.transformName;
  }
  process(rejected: T): void {
    Metrics.counter(this.namespace, this.counter).inc();
    if (this.logged++ < LOGGED_REJECTIONS) process.stderr.write(`${this.step}: rejected ${this.describe(rejected)}\n`);
    else if (this.logged === LOGGED_REJECTIONS + 1) process.stderr.write(`${this.step}: more rejected records (see the counter ${this.namespace}/${this.counter})\n`);
  }
}

/**
 * The options both MNIST pipelines take from their flags: input, output, optional dead-letter
 * sink, and the model's.
 */
export function pipelineOptions(flags: {
  input: string;
  output: string;
  dead_letter: string | undefined;
  model: string;
  tfjs_backend: string;
  max_batch_size: number;
  inference_threads: string;
}): PredictionOptions & { input: string; output: string; deadLetter?: string } {
  return {
    input: flags.input,
    output: flags.output,
    model: flags.model,
    backend: flags.tfjs_backend as TfjsBackendChoice,
    maxBatchSize: flags.max_batch_size,
    inferenceThreads: inferenceThreadsFlag(flags.inference_threads),
    ...(flags.dead_letter !== undefined ? { deadLetter: flags.dead_letter } : {}),
  };
}

/** `--inference_threads`: "auto" or a whole number >= 0. */
function inferenceThreadsFlag(value: string): number | "auto" {
  const v = value.trim();
  if (v === "auto") return "auto";
  if (!/^\d+$/.test(v)) throw new ValidationError(`--inference_threads must be auto or a whole number >= 0 (0: the model on the pipeline's thread), got '${value}'`);
  return Number(v);
}

/** Flags of the model shared by both MNIST pipelines. */
export const MODEL_FLAGS = {
  model: { type: "string", describe: "TensorFlow.js model folder (model.json + weights), local or gs://", default: DEFAULT_MODEL },
  tfjs_backend: { type: "string", describe: "TensorFlow.js backend: auto (tfjs-node if installed, else wasm), tensorflow, wasm or cpu", default: "auto" },
  max_batch_size: { type: "number", describe: "Largest batch of images per model call", default: 256 },
  inference_threads: { type: "string", describe: "Threads running the model, each with its own copy (wasm and cpu backends): a number, 0 = the pipeline's thread, or auto = 2 on 2 or more cores", default: "0" },
} as const;
