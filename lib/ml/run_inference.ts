/**
 * RunInference: runs a model over a PCollection in batches (Beam's
 * `apache_beam.ml.inference.RunInference`).
 *
 *     const { main, failed } = images.apply("Prediction", RunInference.of(new TFJSModelHandler({ modelUri })));
 *     // keyed: KV<K, In> in, KV<K, PredictionResult<In, Inference>> out
 *     const keyed = pairs.apply(RunInference.keyed(handler));
 *
 * The model is loaded once per process (see ./shared_model), starting in the DoFn's setup. Elements are
 * batched per bundle (./batching), or across bundles in state with `maxBatchDurationSecs`
 * (./stateful_batching); each batch's results go downstream as soon as it is predicted
 * (not at the end of the bundle), each with its own element's timestamp and window. An element the
 * handler rejects, or on which the model throws when it runs alone, goes to `failed` with the
 * reason instead of failing its batch or the run. A model that cannot be loaded fails the run.
 */
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../model/dofn";
import { PipelineConstructionError, previewValue } from "../model/errors";
import { encodeToBytes } from "../coders/coder";
import { JsValueCoder } from "../coders/js_value";
import type { DeadLetterOptions } from "../model/dead_letter";
import { Metrics } from "../model/metrics";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import type { BoundedWindow, Instant, KV } from "../model/window";
import { BatchSizer, resolveBatching } from "./batching";
import type { BatchingOptions, FailedInference, ModelHandler, PredictionResult } from "./model_handler";
import { sharedModel } from "./shared_model";
import { StatefulRunInferenceDoFn, WithProcessKey } from "./stateful_batching";

/** The outputs of RunInference: predictions, and the inputs that could not be inferred on. */
export type RunInferenceOutputs<E, R> = {
  /** One result per inferred input, with the input's timestamp and window. */
  readonly main: PCollection<R>;
  /** Inputs rejected by the handler's `validate`, or on which the model threw (a dead-letter output). */
  readonly failed: PCollection<FailedInference<E>>;
};

/**
 * Options of RunInference; batching here overrides the handler's, bounds included: a
 * `maxBatchSize` below the handler's minimum lowers that minimum (and a `minBatchSize` above its
 * maximum raises it).
 */
export interface RunInferenceOptions<Args = never> extends BatchingOptions, DeadLetterOptions {
  /**
   * Extra arguments passed to every `runInference` call of the handler (Beam's `inference_args`),
   * typed by the handler. Checked when the transform is applied: with the handler's
   * `validateInferenceArgs`, and refused for a handler that has none (it takes no arguments).
   */
  readonly inferenceArgs?: Args;
  /** Namespace of the step's metrics (Beam's `metrics_namespace`); default: the handler's `metricsNamespace()`, else "RunInference". */
  readonly metricsNamespace?: string;
}

interface Pending<E, In> {
  readonly element: E;
  readonly example: In;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class RunInferenceDoFn<E, In, Inference, M, R, Args> extends DoFn<E, R, { failed: FailedInference<E> }> {
  private model: M | undefined;
  /** The model's load, started in setup (see there). */
  private modelLoad: Promise<void> | undefined;
  /** How long this instance took to load the model (undefined if it found it shared), reported (inside the step's metrics scope) at the end of the first bundle. */
  private loadMillis: number | undefined;
  private step = "RunInference";
  private sizer: BatchSizer | undefined;
  private maxInFlight = DEFAULT_BATCHES_IN_FLIGHT;
  /**
   * Elements waiting for a batch, per window id: like Beam's BatchElements, a batch never holds
   * elements of two windows (a model call, and anything a handler does per batch, sees one window).
   */
  private pending = new Map<string, Pending<E, In>[]>();
  /** The batches sent to the model and not yet emitted, oldest first (each settles once its results are sent on). */
  private inFlight: Promise<void>[] = [];
  /** When the model last finished a batch (ns), so a batch's latency leaves out its wait behind the one before. */
  private lastInferenceEnd = 0n;
  /**
   * The bundle's context: results are emitted through it as each batch completes, placed at their
   * own element's timestamp and window (a batch holds elements of several process calls).
   */
  private bundle: BundleContext<R, { failed: FailedInference<E> }> | undefined;
  private inferences = 0;
  private failures = 0;
  /** Model calls that threw (Beam's failed_batches_counter), the one-example retries included. */
  private failedBatches = 0;
  private batchStats: { size: number; micros: number; bytes: number | undefined }[] = [];
  /** How much the process's peak memory grew while this instance loaded the model (Beam's model_byte_size). */
  private modelBytes: number | undefined;

  constructor(
    readonly handler: ModelHandler<In, Inference, M, Args>,
    readonly options: RunInferenceOptions<Args>,
    private readonly exampleOf: (element: E) => In,
    private readonly resultOf: (element: E, result: PredictionResult<In, Inference>) => R,
  ) {
    super();
  }

  setup(runtime: RuntimeContext): void {
    this.step = runtime.transformName;
    this.sizer = new BatchSizer(resolveBatching(this.handler.batching?.(), this.options));
    // The model loads while the bundle starts: the first element (or the bundle's end) waits for
    // it, and meanwhile the steps upstream go on (a read fetches its first pages). Loading a pool of
    // two model threads takes ~350 ms, as long as reading a few thousand rows.
    // Timed inside the load, as Beam's: only the instance that loads the model reports its
    // latency, not every step and DoFn instance that finds it shared.
    const load = async (): Promise<M> => {
      const started = Date.now();
      // Beam's model_byte_size: the growth of the process's peak resident memory (ru_maxrss) over the load.
      const peakBefore = process.resourceUsage().maxRSS;
      const model = await this.handler.loadModel();
      this.loadMillis = Date.now() - started;
      this.modelBytes = (process.resourceUsage().maxRSS - peakBefore) * 1024;
      return model;
    };
    this.modelLoad = sharedModel(this.handler.modelKey, load).then(
      (model) => {
        this.model = model;
        const inFlight = this.handler.batchesInFlight?.(model) ?? DEFAULT_BATCHES_IN_FLIGHT;
        this.maxInFlight = Number.isInteger(inFlight) && inFlight >= 1 ? inFlight : DEFAULT_BATCHES_IN_FLIGHT;
      },
      (e: unknown) => {
        // The runner adds the step's name: it is not repeated here.
        throw new Error(`could not load the model ${this.handler.modelKey}: ${messageOf(e)}`, { cause: e });
      },
    );
    // Awaited by the first element or the bundle's end; not an unhandled rejection meanwhile.
    this.modelLoad.catch(() => undefined);
  }

  private get namespace(): string {
    return this.options.metricsNamespace ?? this.handler.metricsNamespace?.() ?? "RunInference";
  }

  startBundle(ctx: BundleContext<R, { failed: FailedInference<E> }>): void {
    this.pending = new Map();
    this.inFlight = [];
    this.bundle = ctx;
  }

  process(element: E, ctx: ProcessContext<R, { failed: FailedInference<E> }>): void | Promise<void> {
    if (this.model === undefined) {
      const { timestamp, window } = ctx;
      return this.modelLoad!.then(() => this.accept(element, timestamp, window));
    }
    return this.accept(element, ctx.timestamp, ctx.window);
  }

  /** Checks an element and adds it to the next batch; a promise when the model has its fill (see startBatches). */
  private accept(element: E, timestamp: Instant, window: BoundedWindow): void | Promise<void> {
    let example: In;
    let reason: string | undefined;
    try {
      example = this.exampleOf(element);
      reason = this.handler.validate?.(example, this.model as M);
    } catch (e) {
      reason = messageOf(e);
    }
    if (reason !== undefined) {
      this.bundle!.outputTo("failed", { element, reason, step: this.step }, { timestamp, window });
      return;
    }
    const id = window.id();
    let buffer = this.pending.get(id);
    if (buffer === undefined) this.pending.set(id, (buffer = []));
    buffer.push({ element, example: example!, timestamp, window });
    this.startBatches();
    // The producer waits only when the model has its fill of batches and this window's next one is
    // full, or too many windows wait.
    const full = (this.pending.get(id)?.length ?? 0) >= this.sizer!.size || this.pending.size > MAX_LIVE_WINDOWS;
    if (this.inFlight.length >= this.maxInFlight && full) return this.inFlight[0];
  }

  /** The batch size to aim for now (adapted to how long batches take). */
  get targetBatchSize(): number {
    return this.sizer!.size;
  }

  /**
   * Infers on elements of one window buffered outside this DoFn (across bundles, by
   * ./stateful_batching), as one batch of at most the current size or several: each result goes
   * out with its own element's timestamp, and every batch is done when this resolves.
   */
  async inferBuffered(items: readonly { readonly element: E; readonly timestamp: Instant }[], window: BoundedWindow): Promise<void> {
    if (this.model === undefined) await this.modelLoad;
    for (const { element, timestamp } of items) {
      const wait = this.accept(element, timestamp, window);
      if (wait !== undefined) await wait;
    }
    await this.drain();
  }

  async finishBundle(ctx: BundleContext<R, { failed: FailedInference<E> }>): Promise<void> {
    this.bundle = ctx;
    // A model that cannot be loaded fails the bundle even when no element came.
    if (this.model === undefined) await this.modelLoad;
    await this.drain();
    // Metrics are updated here, inside the step's metrics scope (process may resume after an await outside it).
    const ns = this.namespace;
    if (this.loadMillis !== undefined) Metrics.distribution(ns, "load_model_latency_milli_secs").update(this.loadMillis);
    this.loadMillis = undefined;
    if (this.modelBytes !== undefined) Metrics.distribution(ns, "model_byte_size").update(this.modelBytes);
    this.modelBytes = undefined;
    Metrics.counter(ns, "num_inferences").inc(this.inferences);
    if (this.failures > 0) Metrics.counter(ns, "failed_inferences").inc(this.failures);
    // Beam's documented names: failed_batches_counter, inference_request_batch_size, inference_request_batch_byte_size.
    if (this.failedBatches > 0) Metrics.counter(ns, "failed_batches_counter").inc(this.failedBatches);
    const latency = Metrics.distribution(ns, "inference_batch_latency_micro_secs");
    const sizes = Metrics.distribution(ns, "inference_request_batch_size");
    const byteSizes = Metrics.distribution(ns, "inference_request_batch_byte_size");
    for (const b of this.batchStats) {
      latency.update(b.micros);
      sizes.update(b.size);
      if (b.bytes !== undefined) byteSizes.update(b.bytes);
    }
    this.inferences = 0;
    this.failures = 0;
    this.failedBatches = 0;
    this.batchStats = [];
    this.bundle = undefined;
  }

  /** Sends what waits, each window's apart, still no more than maxInFlight at the model at once, and waits for every batch. */
  private async drain(): Promise<void> {
    for (const [id, buffer] of this.pending) {
      while (buffer.length > 0) {
        while (this.inFlight.length >= this.maxInFlight) await this.inFlight[0];
        this.launch(buffer.splice(0, this.sizer!.size));
      }
      this.pending.delete(id);
    }
    while (this.inFlight.length > 0) await this.inFlight[0];
  }

  /**
   * Sends full batches to the model while fewer than the handler's batchesInFlight are there. With two in
   * flight, a model on its own thread starts the next batch the moment it ends one, instead of
   * idling while this thread receives the results and sends more (on a busy machine each such
   * wake-up can cost a scheduling slice); meanwhile this thread takes the elements of the batch
   * after. Each batch's results go on when it is done, in order.
   */
  private startBatches(): void {
    for (const [id, buffer] of this.pending) {
      while (this.inFlight.length < this.maxInFlight && buffer.length >= this.sizer!.size) this.launch(buffer.splice(0, this.sizer!.size));
      if (buffer.length === 0) this.pending.delete(id);
      if (this.inFlight.length >= this.maxInFlight) return;
    }
    // Too many windows waiting (sparse windows that never fill a batch): like Beam's BatchElements,
    // run the fullest one's batch rather than holding every element until the bundle ends.
    while (this.inFlight.length < this.maxInFlight && this.pending.size > MAX_LIVE_WINDOWS) {
      let fullest: [string, Pending<E, In>[]] | undefined;
      for (const entry of this.pending) if (fullest === undefined || entry[1].length > fullest[1].length) fullest = entry;
      const [id, buffer] = fullest!;
      this.launch(buffer.splice(0, this.sizer!.size));
      if (buffer.length === 0) this.pending.delete(id);
    }
  }

  private launch(batch: Pending<E, In>[]): void {
    const previous = this.inFlight[this.inFlight.length - 1];
    const done: Promise<void> = this.runBatch(batch, previous).then(() => {
      this.inFlight.shift();
      this.startBatches();
    });
    this.inFlight.push(done);
    // Nobody may be waiting on it yet: a failure (a broken handler) is seen by the next wait, not reported as unhandled.
    done.catch(() => undefined);
  }

  /** Runs a batch (now), then, once the batch before it has gone on, sends its results. */
  private async runBatch(batch: Pending<E, In>[], previous: Promise<void> | undefined): Promise<void> {
    const started = process.hrtime.bigint();
    let inferences: readonly Inference[] | undefined;
    let failure: unknown;
    try {
      inferences = await this.infer(batch.map((p) => p.example));
    } catch (e) {
      if (e instanceof HandlerContractError) throw e;
      failure = e;
    }
    await previous;
    if (inferences === undefined) return this.runOneByOne(batch, failure);
    const ended = process.hrtime.bigint();
    const micros = Number((ended - (this.lastInferenceEnd > started ? this.lastInferenceEnd : started)) / 1000n);
    this.lastInferenceEnd = ended;
    this.sizer!.record(batch.length, micros / 1000);
    this.batchStats.push({ size: batch.length, micros, bytes: this.numBytes(batch) });
    for (let i = 0; i < batch.length; i++) this.emit(batch[i]!, inferences[i]!);
  }

  /**
   * A batch's size in bytes (Beam's get_num_bytes): the handler's `numBytes`, else the size of the
   * examples encoded as the SDK encodes values between steps (Beam pickles them). Undefined for
   * examples that value coder cannot encode: the metric is only an estimate, not worth a failure.
   */
  private numBytes(batch: readonly Pending<E, In>[]): number | undefined {
    const examples = batch.map((p) => p.example);
    try {
      return this.handler.numBytes?.(examples) ?? encodeToBytes(BATCH_BYTES_CODER, examples).length;
    } catch {
      return undefined;
    }
  }

  /** Some example broke the batch: runs each alone, so only the bad ones are set aside. */
  private async runOneByOne(batch: Pending<E, In>[], failure: unknown): Promise<void> {
    if (batch.length === 1) return this.fail(batch[0]!, messageOf(failure));
    for (const p of batch) {
      try {
        this.emit(p, (await this.infer([p.example]))[0]!);
      } catch (single) {
        if (single instanceof HandlerContractError) throw single;
        this.fail(p, messageOf(single));
      }
    }
  }

  private async infer(examples: readonly In[]): Promise<readonly Inference[]> {
    let out: readonly Inference[];
    try {
      out = await this.handler.runInference(examples, this.model as M, this.options.inferenceArgs);
    } catch (e) {
      this.failedBatches++;
      throw e;
    }
    if (out.length !== examples.length) {
      throw new HandlerContractError(`the model handler returned ${out.length} inferences for a batch of ${examples.length}; runInference must return one per example, in order`);
    }
    return out;
  }

  private emit(p: Pending<E, In>, inference: Inference): void {
    this.inferences++;
    const value = this.resultOf(p.element, { example: p.example, inference, modelId: this.handler.modelKey });
    this.bundle!.output(value, { timestamp: p.timestamp, window: p.window });
  }

  private fail(p: Pending<E, In>, reason: string): void {
    this.failures++;
    this.bundle!.outputTo("failed", { element: p.element, reason, step: this.step }, { timestamp: p.timestamp, window: p.window });
  }
}

/** Encodes a batch to measure it when the handler has no numBytes. */
const BATCH_BYTES_CODER = new JsValueCoder<readonly unknown[]>();

/** Windows with elements waiting for a batch before the fullest one's is run anyway (Beam's BatchElements uses 10). */
const MAX_LIVE_WINDOWS = 10;

/** Batches sent to the model at once unless the handler says otherwise (see RunInferenceDoFn.startBatches). */
const DEFAULT_BATCHES_IN_FLIGHT = 2;

/** A handler that broke its contract: a bug to fix, not a bad element. */
class HandlerContractError extends Error {}

/**
 * Whether `args` are Beam's "no inference arguments": absent, or an empty plain object (Beam's
 * default `validate_inference_args` accepts both `None` and `{}`).
 */
function noInferenceArgs(args: unknown): boolean {
  if (args === undefined) return true;
  return typeof args === "object" && args !== null && Object.getPrototypeOf(args) === Object.prototype && Object.keys(args).length === 0;
}

/** The RunInference transform; build it with `RunInference.of` or `RunInference.keyed`. */
export class RunInference<E, R> extends PTransform<PCollection<E>, RunInferenceOutputs<E, R>> {
  private constructor(
    private readonly doFn: RunInferenceDoFn<E, unknown, unknown, unknown, R, unknown>,
    private readonly ignoreRejected: boolean,
  ) {
    super("RunInference");
  }

  /** Examples in, `PredictionResult`s out; `options.inferenceArgs` are typed by the handler. */
  static of<In, Inference, M, Args = never>(
    handler: ModelHandler<In, Inference, M, Args>,
    options: RunInferenceOptions<NoInfer<Args>> = {},
  ): RunInference<In, PredictionResult<In, Inference>> {
    const doFn = new RunInferenceDoFn<In, In, Inference, M, PredictionResult<In, Inference>, Args>(handler, options, (e) => e, (_e, r) => r);
    return new RunInference(doFn as unknown as RunInferenceDoFn<In, unknown, unknown, unknown, PredictionResult<In, Inference>, unknown>, options.ignoreRejected === true);
  }

  /** Keyed examples in, keyed results out (Beam's KeyedModelHandler): the key rides along untouched. */
  static keyed<K, In, Inference, M, Args = never>(
    handler: ModelHandler<In, Inference, M, Args>,
    options: RunInferenceOptions<NoInfer<Args>> = {},
  ): RunInference<KV<K, In>, KV<K, PredictionResult<In, Inference>>> {
    const doFn = new RunInferenceDoFn<KV<K, In>, In, Inference, M, KV<K, PredictionResult<In, Inference>>, Args>(
      handler,
      options,
      (e) => e.value,
      (e, r) => ({ key: e.key, value: r }),
    );
    return new RunInference(doFn as unknown as RunInferenceDoFn<KV<K, In>, unknown, unknown, unknown, KV<K, PredictionResult<In, Inference>>, unknown>, options.ignoreRejected === true);
  }

  expand(input: PCollection<E>): RunInferenceOutputs<E, R> {
    this.checkInferenceArgs(input.pipeline.currentNode().fullName);
    // Failed inputs are counted as beamline/rejected; the run fails if nothing reads them (unless ignoreRejected).
    const deadLetters = { failed: { reason: (f: FailedInference<E>) => f.reason, ignoreUnread: this.ignoreRejected } };
    // RunInference's own option wins over the handler's, as for the batch sizes (checked with them, in setup).
    const { handler, options } = this.doFn;
    const maxBatchDurationSecs = options.maxBatchDurationSecs ?? handler.batching?.().maxBatchDurationSecs;
    if (maxBatchDurationSecs === undefined) return input.apply("Infer", ParDo.of(this.doFn, { deadLetters }).withOutputs("failed"));
    // Beam's BatchElements with max_batch_duration_secs: batches across bundles, in state (./stateful_batching).
    return input
      .apply("KeyByWorker", ParDo.of(new WithProcessKey<E>()))
      .apply("Infer", ParDo.of(new StatefulRunInferenceDoFn<E, R>(this.doFn, maxBatchDurationSecs * 1000), { deadLetters }).withOutputs("failed"));
  }

  /** Beam's RunInference.expand: the handler validates the inference arguments when the transform is applied. */
  private checkInferenceArgs(step: string): void {
    const { handler, options } = this.doFn;
    const args = options.inferenceArgs;
    if (handler.validateInferenceArgs === undefined) {
      if (noInferenceArgs(args)) return;
      throw new PipelineConstructionError(
        `inferenceArgs ${previewValue(args)} were given, but the model handler ${handler.modelKey} takes no extra arguments on inferences ` +
          `(it has no validateInferenceArgs); remove inferenceArgs, or give the handler a validateInferenceArgs that accepts them`,
        step,
      );
    }
    let reason: string | undefined;
    try {
      reason = handler.validateInferenceArgs(args);
    } catch (e) {
      reason = messageOf(e);
    }
    if (reason !== undefined) throw new PipelineConstructionError(`the model handler ${handler.modelKey} refused inferenceArgs ${previewValue(args)}: ${reason}`, step);
  }
}
