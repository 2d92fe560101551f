/**
 * The DoFn that runs RunInference's model (see ./run_inference for the transform): takes each
 * input element, preprocesses it into the handler's example, batches the examples (per window,
 * ../transforms/window_batches, sized by ./batching: the batching BatchElements uses), runs the model on each batch, and sends each result on (after postprocessing) as
 * soon as its batch is predicted, at its own element's timestamp and window. An element that a
 * preprocess function, the handler's `validate`, the model (run on it alone) or a postprocess
 * function fails on goes to `failed` with the reason, as a dead letter.
 */
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../model/dofn";
import { encodeToBytes } from "../coders/coder";
import { JsValueCoder } from "../coders/js_value";
import { Metrics } from "../model/metrics";
import type { BoundedWindow, Instant } from "../model/window";
import { BatchSizer, resolveBatching } from "./batching";
import type { FailedInference, ModelHandler, ModelMetadata, PredictionResult } from "./model_handler";
import type { RunInferenceOptions } from "./run_inference";
import { sharedModel } from "./shared_model";
import { MAX_LIVE_WINDOWS, WindowBatches } from "../transforms/window_batches";

/**
 * How RunInference's input elements become the handler's examples and its results the step's
 * outputs (set by RunInference.of or .keyed and the pre/postprocess functions chained on it).
 * Each function may throw: the element then goes to `failed` with the error's message as reason.
 */
export interface ElementMapping<E, In, Inference, R> {
  /** The element as RunInference.of/keyed take it: the input after the preprocess functions. */
  prepare(element: E): unknown;
  /** The handler's example in a prepared element (the value of a keyed one). */
  exampleOf(prepared: unknown): In;
  /** The step's output for a prepared element and its prediction, postprocess functions included. */
  resultOf(prepared: unknown, result: PredictionResult<In, Inference>): R;
}

interface Pending<E, In> {
  /** The input element, as received (what `failed` holds). */
  readonly element: E;
  /** The element after the preprocess functions. */
  readonly prepared: unknown;
  readonly example: In;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

/**
 * @internal A handler that reports metrics of its own (RunInference.keyed's per-key models, see
 * ./keyed_models): the DoFn calls it at the end of each bundle, inside the step's metrics scope,
 * and leaves the model-load metrics to it (the handler's "model" is then only a manager of models).
 */
export const REPORT_METRICS = Symbol("RunInference.reportMetrics");
export interface ReportsMetrics {
  [REPORT_METRICS](namespace: string): void;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What a step counts between two reports (the end of each bundle), for one model name prefix. */
interface StepStats {
  inferences: number;
  /** Examples sent to `failed` because the model threw on them alone (failed_inferences). */
  failures: number;
  /** Model calls that threw (Beam's failed_batches_counter), the one-example retries included. */
  failedBatches: number;
  batches: { size: number; micros: number; bytes: number | undefined }[];
  /** How long this instance took to load the model (undefined if it found it shared). */
  loadMillis?: number;
  /** How much the process's peak memory grew while this instance loaded the model (Beam's model_byte_size). */
  modelBytes?: number;
}

function emptyStats(): StepStats {
  return { inferences: 0, failures: 0, failedBatches: 0, batches: [] };
}

export class RunInferenceDoFn<E, In, Inference, M, R, Args> extends DoFn<E, R, { failed: FailedInference<E> }> {
  private model: M | undefined;
  /** The model's load, started in setup (or, with model updates, by the first element: see swapModel). */
  private modelLoad: Promise<void> | undefined;
  /** The handler of the model in use: `handler`, or the one its `withModelId` gave for the latest ModelMetadata. */
  private active: ModelHandler<In, Inference, M, Args>;
  /** The modelId of the latest ModelMetadata seen (undefined: none yet, the handler's own model). */
  private modelId: string | undefined;
  /** Prefix of the metric names while the model in use is an update (Beam's `<model_name>_`). */
  private prefix = "";
  /** Counts since the last report, by metric-name prefix; reported inside the step's metrics scope at the end of each bundle. */
  private stats = new Map<string, StepStats>();
  private step = "RunInference";
  private sizer: BatchSizer | undefined;
  private maxInFlight = DEFAULT_BATCHES_IN_FLIGHT;
  /**
   * Elements waiting for a batch, per window (the bundle batching BatchElements shares): a batch
   * never holds elements of two windows (a model call, and anything a handler does per batch, sees one window).
   */
  private pending = new WindowBatches<Pending<E, In>>();
  /** The batches sent to the model and not yet emitted, oldest first (each settles once its results are sent on). */
  private inFlight: Promise<void>[] = [];
  /** When the model last finished a batch (ns), so a batch's latency leaves out its wait behind the one before. */
  private lastInferenceEnd = 0n;
  /**
   * The bundle's context: results are emitted through it as each batch completes, placed at their
   * own element's timestamp and window (a batch holds elements of several process calls).
   */
  private bundle: BundleContext<R, { failed: FailedInference<E> }> | undefined;

  constructor(
    readonly handler: ModelHandler<In, Inference, M, Args>,
    readonly options: RunInferenceOptions<Args>,
    private readonly mapping: ElementMapping<E, In, Inference, R>,
    /** Whether a `modelMetadata` side input may swap the model (RunInference's option). */
    private readonly modelUpdates = false,
  ) {
    super();
    this.active = handler;
  }

  /** The counts of the model in use. */
  private get current(): StepStats {
    let s = this.stats.get(this.prefix);
    if (s === undefined) this.stats.set(this.prefix, (s = emptyStats()));
    return s;
  }

  setup(runtime: RuntimeContext): void {
    this.step = runtime.transformName;
    this.sizer = new BatchSizer(resolveBatching(this.handler.batching?.(), this.options));
    // With model updates, the first element's ModelMetadata says which model to load (Beam loads at runtime then).
    if (!this.modelUpdates) this.startLoad();
  }

  /** Starts loading the active handler's model (shared per process by its modelKey). */
  private startLoad(): void {
    const stats = this.current;
    // The model loads while the bundle starts: the first element (or the bundle's end) waits for
    // it, and meanwhile the steps upstream go on (a read fetches its first pages). Loading a pool of
    // two model threads takes ~350 ms, as long as reading a few thousand rows.
    // Timed inside the load, as Beam's: only the instance that loads the model reports its
    // latency, not every step and DoFn instance that finds it shared.
    const load = async (): Promise<M> => {
      const started = Date.now();
      // Beam's model_byte_size: the growth of the process's peak resident memory (ru_maxrss) over the load.
      const peakBefore = process.resourceUsage().maxRSS;
      const model = await handler.loadModel();
      stats.loadMillis = Date.now() - started;
      stats.modelBytes = (process.resourceUsage().maxRSS - peakBefore) * 1024;
      return model;
    };
    const handler = this.active;
    this.modelLoad = sharedModel(handler.modelKey, load).then(
      (model) => {
        this.model = model;
        const inFlight = handler.batchesInFlight?.(model) ?? DEFAULT_BATCHES_IN_FLIGHT;
        this.maxInFlight = Number.isInteger(inFlight) && inFlight >= 1 ? inFlight : DEFAULT_BATCHES_IN_FLIGHT;
      },
      (e: unknown) => {
        // The runner adds the step's name: it is not repeated here.
        throw new Error(`could not load the model ${handler.modelKey}: ${messageOf(e)}`, { cause: e });
      },
    );
    // Awaited by the first element or the bundle's end; not an unhandled rejection meanwhile.
    this.modelLoad.catch(() => undefined);
  }

  private get namespace(): string {
    return this.options.metricsNamespace ?? this.handler.metricsNamespace?.() ?? "RunInference";
  }

  startBundle(ctx: BundleContext<R, { failed: FailedInference<E> }>): void {
    this.pending = new WindowBatches();
    this.inFlight = [];
    this.bundle = ctx;
  }

  process(element: E, ctx: ProcessContext<R, { failed: FailedInference<E> }>): void | Promise<void> {
    if (this.modelUpdates) {
      // Beam reads the ModelMetadata side input per batch, and swaps when its model_id changes;
      // an empty side input keeps the model in use (at first, the handler's own).
      const meta = (ctx.sideInputs as { readonly modelMetadata?: ModelMetadata }).modelMetadata;
      if (this.modelLoad === undefined || (meta !== undefined && meta.modelId !== this.modelId)) {
        const { timestamp, window } = ctx;
        return this.swapModel(meta).then(() => this.accept(element, timestamp, window));
      }
    }
    if (this.model === undefined) {
      const { timestamp, window } = ctx;
      return this.modelLoad!.then(() => this.accept(element, timestamp, window));
    }
    return this.accept(element, ctx.timestamp, ctx.window);
  }

  /**
   * Puts the model `meta` names in use: first every element this instance holds is inferred on
   * the model in use (as in Beam, a model changes between batches), then the new one is loaded
   * (shared per process by its handler's modelKey) and its metrics get its name as prefix.
   */
  private async swapModel(meta: ModelMetadata | undefined): Promise<void> {
    if (this.modelLoad !== undefined) {
      await this.modelLoad;
      await this.drain();
    }
    this.modelId = meta?.modelId;
    this.prefix = meta === undefined || meta.modelName === "" ? "" : `${meta.modelName}_`;
    this.active = meta === undefined || meta.modelId === "" ? this.handler : this.handler.withModelId!(meta.modelId);
    this.model = undefined;
    this.startLoad();
    await this.modelLoad;
  }

  /** Checks an element and adds it to the next batch; a promise when the model has its fill (see startBatches). */
  private accept(element: E, timestamp: Instant, window: BoundedWindow): void | Promise<void> {
    let prepared: unknown;
    let example: In;
    let reason: string | undefined;
    try {
      // Preprocessing runs here, before batching (as Beam's preprocess steps run before BatchElements).
      prepared = this.mapping.prepare(element);
      example = this.mapping.exampleOf(prepared);
      reason = this.active.validate?.(example, this.model as M);
    } catch (e) {
      reason = messageOf(e);
    }
    if (reason !== undefined) {
      this.bundle!.outputTo("failed", { element, reason, step: this.step }, { timestamp, window });
      return;
    }
    this.pending.add(window, { element, prepared, example: example!, timestamp, window });
    this.startBatches();
    // The producer waits only when the model has its fill of batches and this window's next one is
    // full, or too many windows wait.
    const full = (this.pending.get(window)?.size ?? 0) >= this.sizer!.size || this.pending.liveWindows > MAX_LIVE_WINDOWS;
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
    const reporter = (this.handler as Partial<ReportsMetrics>)[REPORT_METRICS];
    if (reporter !== undefined) reporter.call(this.handler, ns);
    // The handler's own model's counts under Beam's names, every bundle; an updated model's under `<model name>_<name>`.
    if (!this.stats.has("")) this.stats.set("", emptyStats());
    for (const [prefix, s] of this.stats) {
      if (prefix !== "" && s.inferences === 0 && s.failedBatches === 0 && s.loadMillis === undefined) continue;
      if (reporter === undefined) {
        if (s.loadMillis !== undefined) Metrics.distribution(ns, `${prefix}load_model_latency_milli_secs`).update(s.loadMillis);
        if (s.modelBytes !== undefined) Metrics.distribution(ns, `${prefix}model_byte_size`).update(s.modelBytes);
      }
      Metrics.counter(ns, `${prefix}num_inferences`).inc(s.inferences);
      if (s.failures > 0) Metrics.counter(ns, `${prefix}failed_inferences`).inc(s.failures);
      // Beam's documented names: failed_batches_counter, inference_request_batch_size, inference_request_batch_byte_size.
      if (s.failedBatches > 0) Metrics.counter(ns, `${prefix}failed_batches_counter`).inc(s.failedBatches);
      const latency = Metrics.distribution(ns, `${prefix}inference_batch_latency_micro_secs`);
      const sizes = Metrics.distribution(ns, `${prefix}inference_request_batch_size`);
      const byteSizes = Metrics.distribution(ns, `${prefix}inference_request_batch_byte_size`);
      for (const b of s.batches) {
        latency.update(b.micros);
        sizes.update(b.size);
        if (b.bytes !== undefined) byteSizes.update(b.bytes);
      }
    }
    this.stats = new Map();
    this.bundle = undefined;
  }

  /** Sends what waits, each window's apart, still no more than maxInFlight at the model at once, and waits for every batch. */
  private async drain(): Promise<void> {
    while (this.pending.liveWindows > 0) {
      const { window } = this.pending.all()[0]!;
      while (this.pending.get(window) !== undefined) {
        while (this.inFlight.length >= this.maxInFlight) await this.inFlight[0];
        // A batch that ended meanwhile may have started this window's next batch.
        const batch = this.pending.take(window, this.sizer!.size);
        if (batch.length > 0) this.launch(batch);
      }
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
    for (const batch of this.pending.all()) {
      while (this.inFlight.length < this.maxInFlight && batch.size >= this.sizer!.size) this.launch(this.pending.take(batch.window, this.sizer!.size));
      if (this.inFlight.length >= this.maxInFlight) return;
    }
    // Too many windows waiting (sparse windows that never fill a batch): like Beam's BatchElements,
    // run the fullest one's batch rather than holding every element until the bundle ends.
    while (this.inFlight.length < this.maxInFlight && this.pending.liveWindows > MAX_LIVE_WINDOWS) {
      this.launch(this.pending.take(this.pending.fullest()!.window, this.sizer!.size));
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
    this.current.batches.push({ size: batch.length, micros, bytes: this.numBytes(batch) });
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
      return this.active.numBytes?.(examples) ?? encodeToBytes(BATCH_BYTES_CODER, examples).length;
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
      out = await this.active.runInference(examples, this.model as M, this.options.inferenceArgs);
    } catch (e) {
      this.current.failedBatches++;
      throw e;
    }
    if (out.length !== examples.length) {
      throw new HandlerContractError(`the model handler returned ${out.length} inferences for a batch of ${examples.length}; runInference must return one per example, in order`);
    }
    return out;
  }

  private emit(p: Pending<E, In>, inference: Inference): void {
    this.current.inferences++;
    let value: R;
    try {
      value = this.mapping.resultOf(p.prepared, { example: p.example, inference, modelId: this.active.modelKey });
    } catch (e) {
      // A postprocess function threw: the model did infer (counted above), the element is still a dead letter.
      this.bundle!.outputTo("failed", { element: p.element, reason: messageOf(e), step: this.step }, { timestamp: p.timestamp, window: p.window });
      return;
    }
    this.bundle!.output(value, { timestamp: p.timestamp, window: p.window });
  }

  private fail(p: Pending<E, In>, reason: string): void {
    this.current.failures++;
    this.bundle!.outputTo("failed", { element: p.element, reason, step: this.step }, { timestamp: p.timestamp, window: p.window });
  }
}

/** Encodes a batch to measure it when the handler has no numBytes. */
export const BATCH_BYTES_CODER = new JsValueCoder<readonly unknown[]>();

/** Batches sent to the model at once unless the handler says otherwise (see RunInferenceDoFn.startBatches). */
const DEFAULT_BATCHES_IN_FLIGHT = 2;

/** A handler that broke its contract, or a model that cannot be loaded: fails the run, not an element. */
export class HandlerContractError extends Error {}

/**
 * Whether `args` are Beam's "no inference arguments": absent, or an empty plain object (Beam's
 * default `validate_inference_args` accepts both `None` and `{}`).
 */
export function noInferenceArgs(args: unknown): boolean {
  if (args === undefined) return true;
  return typeof args === "object" && args !== null && Object.getPrototypeOf(args) === Object.prototype && Object.keys(args).length === 0;
}

