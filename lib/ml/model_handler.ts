/**
 * ModelHandler: what RunInference needs from a model framework — load a model, run it on a
 * batch — in the shape of Beam Python's `apache_beam.ml.inference.base.ModelHandler`.
 */

/**
 * How RunInference groups elements into batches for one model call. A batch holds elements of
 * one window only (like Beam's BatchElements). By default batches never span bundles: an element
 * waits at most until its bundle ends, never for later bundles to fill a batch. In streaming the
 * DirectRunner ends a bundle as soon as the source has nothing more queued (and after at most 100
 * elements), so batching adds no latency beyond the bundle itself, but a trickle of elements
 * gives batches of one. `maxBatchDurationSecs` batches across bundles instead.
 */
export interface BatchingOptions {
  /**
   * The smallest batch run while a bundle still has elements coming (default 1). Batch sizes
   * adapt between this and `maxBatchSize` with BatchElements' estimator (Beam's): fitted to the
   * model calls' times, they grow (at most doubling) while a call stays under `targetBatchMillis`
   * and come down to the size that meets it when calls take longer.
   */
  readonly minBatchSize?: number;
  /** The largest batch passed to `runInference` (default 256). */
  readonly maxBatchSize?: number;
  /** The time one model call, its fixed cost included, should take at most; steers the adaptive batch size (default 250 ms). */
  readonly targetBatchMillis?: number;
  /**
   * Batch across bundles, waiting at most this long (Beam's `max_batch_duration_secs`): the
   * elements are keyed per worker process and buffered in state (per window) until the batch has
   * the current batch size, this many seconds of processing time have passed since its first
   * element, or its window ends, whichever comes first. Unset (the default): batches within bundles.
   */
  readonly maxBatchDurationSecs?: number;
}

/**
 * Loads a model of type M and runs it on batches of In, giving one Inference per example. `Args`
 * is the type of the extra arguments RunInference's `inferenceArgs` passes to every model call
 * (Beam's `inference_args`); the default, `never`, is a handler that takes none.
 */
export interface ModelHandler<In, Inference, M, Args = never> {
  /**
   * Identifies the loaded model: every RunInference step (and every DoFn instance, bundle and
   * thread) in one process whose handler has the same key shares one loaded model. So the key must
   * hold everything that changes what `loadModel` loads (path, backend, device, threads...): two
   * handlers that load differently need different keys. It is also each result's `modelId`.
   */
  readonly modelKey: string;
  /** Loads the model; a failure should say which model (path) and why. Called once per key per process. */
  loadModel(): Promise<M>;
  /**
   * Why this example cannot go into a batch (e.g. wrong shape), or undefined if it can. Examples
   * rejected here go to RunInference's `failed` output instead of failing their batch.
   */
  validate?(example: In, model: M): string | undefined;
  /**
   * Runs the model on a batch; returns exactly one inference per example, in order.
   * `inferenceArgs` is RunInference's `inferenceArgs` option, the same for every call (undefined
   * when none was given).
   */
  runInference(batch: readonly In[], model: M, inferenceArgs?: Args): Promise<readonly Inference[]>;
  /**
   * Why these `inferenceArgs` cannot be used with this handler, or undefined if they can (Beam's
   * `validate_inference_args`); called when RunInference is applied, with undefined when it was
   * given none (a handler that needs them says so). A handler without it takes no inference
   * arguments: like Beam's default, RunInference then refuses any that are given.
   */
  validateInferenceArgs?(inferenceArgs: Args | undefined): string | undefined;
  /**
   * How many batches RunInference may have at the model at once (default 2: one running, the
   * next ready). A model that runs batches side by side (several threads) wants more.
   */
  batchesInFlight?(model: M): number;
  /**
   * The size of a batch in bytes, for the `inference_request_batch_byte_size` metric (Beam's
   * `get_num_bytes`); default: the size of the examples encoded as values between steps.
   */
  numBytes?(batch: readonly In[]): number;
  /** Batch sizes suited to this model (RunInference's own options override them). */
  batching?(): BatchingOptions;
  /** Metric namespace for the step's counters (default "RunInference"; RunInference's `metricsNamespace` option overrides it). */
  metricsNamespace?(): string;
  /**
   * This handler with another model (Beam's `update_model_path`): the one `modelId` names (a
   * path or URI), or this handler's own for "". RunInference's `modelMetadata` side input needs
   * it to swap models. The new handler's modelKey must differ for a different model.
   */
  withModelId?(modelId: string): ModelHandler<In, Inference, M, Args>;
}

/**
 * A model to swap in (Beam's ModelMetadata), an element of RunInference's `modelMetadata` side
 * input: `modelId` is what the handler's `withModelId` takes (a path or URI; "" for the handler's
 * own model), `modelName` prefixes the step's metrics while that model is in use.
 */
export interface ModelMetadata {
  /** Which model: the handler's `withModelId` loads it. */
  readonly modelId: string;
  /** A readable name: the metrics of this model are named `<modelName>_<metric>` (none for ""). */
  readonly modelName: string;
}

/** One example with the model's inference on it (Beam's PredictionResult). */
export interface PredictionResult<In, Inference> {
  /** The input example. */
  readonly example: In;
  /** The model's output for it. */
  readonly inference: Inference;
  /** The handler's modelKey (which model produced the inference). */
  readonly modelId: string;
}

/** An input element RunInference could not infer on, with the reason (its `failed` output). */
export interface FailedInference<E> {
  /** The input element (with its key, for `RunInference.keyed`). */
  readonly element: E;
  /** Why it could not be inferred on. */
  readonly reason: string;
  /** Full name of the RunInference step that rejected the element. */
  readonly step: string;
}
