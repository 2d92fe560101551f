/**
 * RunInference: runs a model over a PCollection in batches (Beam's
 * `apache_beam.ml.inference.RunInference`).
 *
 *     const { main, failed } = images.apply("Prediction", RunInference.of(new TFJSModelHandler({ modelUri })));
 *     // keyed: KV<K, In> in, KV<K, PredictionResult<In, Inference>> out
 *     const keyed = pairs.apply(RunInference.keyed(handler));
 *     // preprocess each input before batching, postprocess each result after the model
 *     const labels = pngs.apply(RunInference.of(handler).withPreprocessFn(decode).withPostprocessFn((r) => argMax(r.inference)));
 *
 * The DoFn that runs the model is in ./inference_dofn. The model is loaded once per process (see
 * ./shared_model), starting in the DoFn's setup. Elements are
 * batched per bundle (./batching), or across bundles in state with `maxBatchDurationSecs`
 * (./stateful_batching); each batch's results go downstream as soon as it is predicted
 * (not at the end of the bundle), each with its own element's timestamp and window. An element the
 * handler rejects, on which the model throws when it runs alone, or on which a pre- or postprocess
 * function throws, goes to `failed` with the reason instead of failing its batch or the run. A model that cannot be loaded fails the run.
 */
import { PipelineConstructionError, previewValue } from "../model/errors";
import type { DeadLetterOptions } from "../model/dead_letter";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import type { KV } from "../model/window";
import type { BatchingOptions, FailedInference, ModelHandler, ModelMetadata, PredictionResult } from "./model_handler";
import type * as WatchModels from "./watch_file_pattern";
import type { WatchFilePatternOptions } from "./watch_file_pattern";
import type { DoFn } from "../model/dofn";
import { AsSingleton } from "../model/side_inputs";
import { messageOf, noInferenceArgs, RunInferenceDoFn, type ElementMapping } from "./inference_dofn";
import { KeyModelMapping, PerKeyModelHandler, type KeyedInference, type ModelKey } from "./keyed_models";
import { keyByProcess, StatefulRunInferenceDoFn } from "./stateful_batching";

/** The outputs of RunInference: predictions, and the inputs that could not be inferred on. */
export type RunInferenceOutputs<E, R> = {
  /** One result per inferred input, with the input's timestamp and window. */
  readonly main: PCollection<R>;
  /** Inputs rejected by the handler's `validate`, or on which the model or a pre/postprocess function threw (a dead-letter output). */
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
  /**
   * Models to swap in without restarting (Beam's `model_metadata_pcoll`), read as a singleton side
   * input: when an element's window's ModelMetadata names another model than the one in use, the
   * elements the step holds are inferred first, then the handler's `withModelId` gives the new
   * model's handler (its model loaded once per process) and the step's metrics of that model are
   * named `<modelName>_<metric>`. No metadata (yet) keeps the model in use, at first the handler's
   * own. Typically a global window with a repeated trigger, so each new pane swaps the model.
   */
  readonly modelMetadata?: PCollection<ModelMetadata>;
  /**
   * Watches this file pattern for new models and swaps them in (Beam Python's
   * `watch_model_pattern`): `modelMetadata` from `WatchFilePattern.of(pattern, watchModelOptions)`.
   * The files present at the start leave the handler's own model in use; upload each new model
   * under a new name. Not with `modelMetadata`.
   */
  readonly watchModelPattern?: string;
  /** How often the pattern is matched, and until when (WatchFilePattern's options; default every 360 s, until drained). */
  readonly watchModelOptions?: WatchFilePatternOptions;
}

/** Options of RunInference.keyed with KeyModelMappings. */
export interface KeyedModelsOptions<Args = never> extends RunInferenceOptions<Args> {
  /**
   * How many of the models one worker process holds at once (Beam's `max_models_per_worker_hint`);
   * loading another evicts the least recently used. Default: no limit (every model once loaded stays).
   */
  readonly maxModelsPerWorkerHint?: number;
}

/** A function of RunInference's chain, typed loosely inside (each call of withPre/PostprocessFn types its ends). */
type StageFn = (x: unknown) => unknown;

/** What a RunInference holds: its handler and options, how examples and results are shaped, and the chained functions. */
interface InferenceSpec {
  readonly handler: ModelHandler<unknown, unknown, unknown, unknown>;
  readonly options: RunInferenceOptions<unknown>;
  /** The handler's example in an element as RunInference.of/keyed take it. */
  readonly exampleOf: StageFn;
  /** The output for such an element and its prediction, before postprocessing. */
  readonly resultOf: (prepared: unknown, result: PredictionResult<unknown, unknown>) => unknown;
  /** withPreprocessFn's functions, in the order chained (they run last first). */
  readonly preprocessFns: readonly StageFn[];
  /** withPostprocessFn's functions, in the order chained (and run). */
  readonly postprocessFns: readonly StageFn[];
}

/**
 * Runs one chained function; a throw becomes an error naming it (by its place in the chain,
 * 1 = the first chained), which is the reason the element gets in `failed`.
 */
function runStage(kind: "preprocess" | "postprocess", fns: readonly StageFn[], index: number, x: unknown): unknown {
  try {
    return fns[index]!(x);
  } catch (e) {
    throw new Error(`${kind} function ${index + 1} threw: ${messageOf(e)}`, { cause: e });
  }
}

function checkFunction(method: string, fn: unknown): void {
  if (typeof fn !== "function") throw new PipelineConstructionError(`RunInference.${method} needs a function, got ${previewValue(fn)}`);
}

/**
 * The RunInference transform; build it with `RunInference.of` or `RunInference.keyed`, and chain
 * `withPreprocessFn` / `withPostprocessFn` on it (Beam's ModelHandler.with_preprocess_fn /
 * with_postprocess_fn; here on the transform, where the element and result types are known).
 */
export class RunInference<E, R> extends PTransform<PCollection<E>, RunInferenceOutputs<E, R>> {
  private constructor(private readonly spec: InferenceSpec) {
    super("RunInference");
  }

  private static create<E, R>(handler: ModelHandler<unknown, unknown, unknown, unknown>, options: RunInferenceOptions<unknown>, exampleOf: StageFn, resultOf: InferenceSpec["resultOf"]): RunInference<E, R> {
    return new RunInference<E, R>({ handler, options, exampleOf, resultOf, preprocessFns: [], postprocessFns: [] });
  }

  /** Examples in, `PredictionResult`s out; `options.inferenceArgs` are typed by the handler. */
  static of<In, Inference, M, Args = never>(
    handler: ModelHandler<In, Inference, M, Args>,
    options: RunInferenceOptions<NoInfer<Args>> = {},
  ): RunInference<In, PredictionResult<In, Inference>> {
    return RunInference.create(handler as ModelHandler<unknown, unknown, unknown, unknown>, options, (e) => e, (_e, r) => r);
  }

  /** Keyed examples in, keyed results out (Beam's KeyedModelHandler): the key rides along untouched. */
  static keyed<K, In, Inference, M, Args = never>(
    handler: ModelHandler<In, Inference, M, Args>,
    options?: RunInferenceOptions<NoInfer<Args>>,
  ): RunInference<KV<K, In>, KV<K, PredictionResult<In, Inference>>>;
  /**
   * A model per key (Beam's KeyedModelHandler over KeyModelMappings): each key's examples run on
   * its mapping's model, each result's modelId names it (see ./keyed_models).
   */
  static keyed<K extends ModelKey, In, Inference, Args = never>(
    mappings: readonly KeyModelMapping<K, In, Inference, unknown, Args>[],
    options?: KeyedModelsOptions<NoInfer<Args>>,
  ): RunInference<KV<K, In>, KV<K, PredictionResult<In, Inference>>>;
  static keyed<K, In, Inference, M, Args>(
    handlerOrMappings: ModelHandler<In, Inference, M, Args> | readonly KeyModelMapping<K & ModelKey, In, Inference, unknown, Args>[],
    options: KeyedModelsOptions<Args> = {},
  ): RunInference<KV<K, In>, KV<K, PredictionResult<In, Inference>>> {
    if (Array.isArray(handlerOrMappings)) {
      const handler = new PerKeyModelHandler<K & ModelKey, In, Inference, Args>(handlerOrMappings, options.maxModelsPerWorkerHint);
      return RunInference.create(handler as ModelHandler<unknown, unknown, unknown, unknown>, options, (e) => e, (e, r) => {
        const { key, value } = e as KV<K, In>;
        const { inference, modelId } = r.inference as KeyedInference<Inference>;
        return { key, value: { example: value, inference, modelId } };
      });
    }
    return RunInference.create(
      handlerOrMappings as ModelHandler<unknown, unknown, unknown, unknown>,
      options,
      (e) => (e as KV<K, In>).value,
      (e, r) => ({ key: (e as KV<K, In>).key, value: r }),
    );
  }

  /**
   * Maps each input to this transform's input before batching (Beam's `with_preprocess_fn`): the
   * result takes `P`s. Chained several times, the last chained runs first (it takes the input).
   * An input on which `fn` throws goes to `failed` ("preprocess function n threw: ..."; n counts
   * the calls of withPreprocessFn in the order chained), the others are inferred.
   */
  withPreprocessFn<P>(fn: (input: P) => E): RunInference<P, R> {
    checkFunction("withPreprocessFn", fn);
    return new RunInference<P, R>({ ...this.spec, preprocessFns: [...this.spec.preprocessFns, fn as StageFn] });
  }

  /**
   * Maps each result after the model (Beam's `with_postprocess_fn`): the main output holds `O`s.
   * Chained several times, they run in the order chained. An input whose result `fn` throws on
   * goes to `failed` ("postprocess function n threw: ..."); it still counts as inferred.
   */
  withPostprocessFn<O>(fn: (result: R) => O): RunInference<E, O> {
    checkFunction("withPostprocessFn", fn);
    return new RunInference<E, O>({ ...this.spec, postprocessFns: [...this.spec.postprocessFns, fn as StageFn] });
  }

  /** The DoFn's view of the chain: preprocessing (last chained first), then the handler's example; the result, then postprocessing. */
  private mapping(): ElementMapping<E, unknown, unknown, R> {
    const { exampleOf, resultOf, preprocessFns: pre, postprocessFns: post } = this.spec;
    return {
      prepare: (element) => {
        let x: unknown = element;
        for (let i = pre.length - 1; i >= 0; i--) x = runStage("preprocess", pre, i, x);
        return x;
      },
      exampleOf,
      resultOf: (prepared, result) => {
        let x = resultOf(prepared, result);
        for (let i = 0; i < post.length; i++) x = runStage("postprocess", post, i, x);
        return x as R;
      },
    };
  }

  expand(input: PCollection<E>): RunInferenceOutputs<E, R> {
    const step = input.pipeline.currentNode().fullName;
    this.checkInferenceArgs(step);
    // Failed inputs are counted as beamline/rejected; the run fails if nothing reads them (unless ignoreRejected).
    const { handler, options } = this.spec;
    const { modelMetadata: givenMetadata, watchModelPattern, watchModelOptions, ...doFnOptions } = options;
    if (watchModelPattern !== undefined && givenMetadata !== undefined) {
      throw new PipelineConstructionError(`RunInference was given both modelMetadata and watchModelPattern '${watchModelPattern}'; give one of them (watchModelPattern makes the modelMetadata)`, step);
    }
    if (watchModelPattern === undefined && watchModelOptions !== undefined) {
      throw new PipelineConstructionError(`RunInference was given watchModelOptions without watchModelPattern; add the pattern to watch, or remove the options`, step);
    }
    const modelMetadata =
      watchModelPattern !== undefined
        ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by pipelines that watch for models
          input.pipeline.apply("WatchModelPattern", (require("./watch_file_pattern") as typeof WatchModels).WatchFilePattern.of(watchModelPattern, watchModelOptions))
        : givenMetadata;
    const deadLetters = { failed: { reason: (f: FailedInference<E>) => f.reason, ignoreUnread: options.ignoreRejected === true } };
    const doFn = new RunInferenceDoFn<E, unknown, unknown, unknown, R, unknown>(handler, doFnOptions, this.mapping(), modelMetadata !== undefined);
    // RunInference's own option wins over the handler's, as for the batch sizes (checked with them, in setup).
    const maxBatchDurationSecs = options.maxBatchDurationSecs ?? handler.batching?.().maxBatchDurationSecs;
    if (modelMetadata !== undefined) {
      if (handler.withModelId === undefined) {
        throw new PipelineConstructionError(
          `modelMetadata was given, but the model handler ${handler.modelKey} cannot load another model (it has no withModelId); give the handler a withModelId(modelId) that returns a handler of that model`,
          step,
        );
      }
      if (maxBatchDurationSecs !== undefined) {
        throw new PipelineConstructionError(`modelMetadata cannot be combined with maxBatchDurationSecs yet (batches buffered in state would not see model updates); remove one of them`, step);
      }
      // An empty side input is no update (Beam's EmptySideInput): the default makes it undefined rather than an error.
      const view = AsSingleton(modelMetadata as PCollection<ModelMetadata | undefined>, { default: undefined });
      const withSide = doFn as unknown as DoFn<E, R, { failed: FailedInference<E> }, { modelMetadata: ModelMetadata | undefined }>;
      return input.apply("Infer", ParDo.of(withSide, { deadLetters, sideInputs: { modelMetadata: view } }).withOutputs("failed"));
    }
    if (maxBatchDurationSecs === undefined) return input.apply("Infer", ParDo.of(doFn, { deadLetters }).withOutputs("failed"));
    // Beam's BatchElements with max_batch_duration_secs: batches across bundles, in state
    // (./stateful_batching). The buffered elements are the inputs as received; they are
    // preprocessed when their batch runs, so `failed` holds them as received either way.
    return keyByProcess(input, "KeyByWorker").apply("Infer", ParDo.of(new StatefulRunInferenceDoFn<E, R>(doFn, maxBatchDurationSecs * 1000), { deadLetters }).withOutputs("failed"));
  }

  /** Beam's RunInference.expand: the handler validates the inference arguments when the transform is applied. */
  private checkInferenceArgs(step: string): void {
    const { handler, options } = this.spec;
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
