/**
 * A model per key for RunInference.keyed (Beam's KeyedModelHandler over a list of
 * KeyModelMappings): each mapping names the keys whose examples its handler's model infers on.
 *
 * Like Beam, the step batches elements of every key together (batches still never span windows);
 * each batch is split by mapping (a "cohort", named by its first key), each cohort's model is
 * loaded if it is not (one ModelManager per process holds them, at most `maxModelsPerWorkerHint`
 * at once, least recently used out), and the model runs once per key of the batch. The handler's
 * `validate` needs its model, so it runs there too: an example it rejects fails its key's model
 * call, and the step then runs that batch's examples one at a time, setting aside only that one. Metrics: the step's usual ones are the aggregate; each cohort has the same under
 * `<cohort key>-_<name>` (Beam's _MetricsCollector prefix, e.g. `0-_num_inferences`), and the
 * model loads are counted per cohort and in the aggregate `load_model_latency_milli_secs`.
 */
import { encodeToBytes } from "../coders/coder";
import { PipelineConstructionError, previewValue } from "../model/errors";
import { Metrics } from "../model/metrics";
import { BATCH_BYTES_CODER, HandlerContractError, messageOf, noInferenceArgs, REPORT_METRICS, type ReportsMetrics } from "./inference_dofn";
import type { ModelHandler } from "./model_handler";
import type { KV } from "../model/window";

/** The keys a model handler serves (Beam's KeyModelMapping): examples with these keys run on its model. */
export class KeyModelMapping<K, In, Inference, M = unknown, Args = never> {
  constructor(
    /** The keys whose examples this model infers on; each key in one mapping only. */
    readonly keys: readonly K[],
    /** The model those keys' examples run on (loaded when one of them first comes). */
    readonly handler: ModelHandler<In, Inference, M, Args>,
  ) {}
}

/** Keys RunInference.keyed can route on: compared by value (a Map key), and named in metric names. */
export type ModelKey = string | number;

/** What the per-key handler gives the DoFn for one example: the inference, and which model made it. */
export interface KeyedInference<Inference> {
  readonly inference: Inference;
  readonly modelId: string;
}

interface Cohort<In, Inference, Args> {
  /** Which mapping (its position): the manager's key for its model. */
  readonly index: number;
  /** The first key of its mapping, as Beam names the cohort in metric names. */
  readonly id: string;
  readonly keys: readonly ModelKey[];
  readonly handler: ModelHandler<In, Inference, unknown, Args>;
}

interface LoadStats {
  readonly millis: number;
  readonly bytes: number;
}

/**
 * The models of one per-key step, one per process (shared by the step's DoFn instances through
 * ./shared_model). Holds at most `maxModels` loaded, least recently used out, like Beam's
 * _ModelManager; a model evicted while a batch still runs on it stays alive until that batch ends.
 */
class ModelManager {
  /** Loaded (or loading) models by mapping position; Map order is recency of use, oldest first. */
  private readonly models = new Map<number, Promise<unknown>>();

  constructor(private readonly maxModels: number | undefined) {}

  /** The cohort's model, loading it if needed; `stats` is set for the caller that loaded it. */
  async load<In, Inference, Args>(cohort: Cohort<In, Inference, Args>): Promise<{ model: unknown; stats?: LoadStats }> {
    const held = this.models.get(cohort.index);
    if (held !== undefined) {
      this.models.delete(cohort.index);
      this.models.set(cohort.index, held);
      return { model: await held };
    }
    if (this.maxModels !== undefined) {
      for (const oldest of this.models.keys()) {
        if (this.models.size < this.maxModels) break;
        this.models.delete(oldest);
      }
    }
    let stats: LoadStats | undefined;
    const loading = (async () => {
      const started = Date.now();
      const peakBefore = process.resourceUsage().maxRSS;
      let model: unknown;
      try {
        model = await cohort.handler.loadModel();
      } catch (e) {
        // As for one model (RunInferenceDoFn.setup): a model that cannot be loaded fails the run.
        throw new HandlerContractError(`could not load the model ${cohort.handler.modelKey} for keys ${previewValue(cohort.keys)}: ${messageOf(e)}`, { cause: e });
      }
      stats = { millis: Date.now() - started, bytes: (process.resourceUsage().maxRSS - peakBefore) * 1024 };
      return model;
    })();
    this.models.set(cohort.index, loading);
    loading.catch(() => {
      if (this.models.get(cohort.index) === loading) this.models.delete(cohort.index);
    });
    return { model: await loading, stats };
  }
}

/** One cohort's numbers since the last report (flushed at the end of each bundle). */
interface CohortStats {
  inferences: number;
  failedBatches: number;
  batches: { size: number; micros: number; bytes: number }[];
  loads: LoadStats[];
}

/**
 * The handler RunInference.keyed builds from KeyModelMappings: examples are KV<K, In>, its
 * "model" the process's ModelManager, each inference carries its model's key (the result's modelId).
 */
export class PerKeyModelHandler<K extends ModelKey, In, Inference, Args>
  implements ModelHandler<KV<K, In>, KeyedInference<Inference>, ModelManager, Args>, ReportsMetrics
{
  readonly modelKey: string;
  private readonly cohortOf = new Map<ModelKey, Cohort<In, Inference, Args>>();
  private readonly cohorts: Cohort<In, Inference, Args>[] = [];
  private stats = new Map<string, CohortStats>();

  constructor(mappings: readonly KeyModelMapping<K, In, Inference, unknown, Args>[], private readonly maxModels: number | undefined) {
    if (!Array.isArray(mappings) || mappings.length === 0) throw new PipelineConstructionError("RunInference.keyed needs at least one KeyModelMapping (or one model handler for every key)");
    if (maxModels !== undefined && !(Number.isInteger(maxModels) && maxModels >= 1)) {
      throw new PipelineConstructionError(`RunInference.keyed's maxModelsPerWorkerHint must be a positive integer, got ${previewValue(maxModels)}`);
    }
    const where = new Map<ModelKey, number>();
    mappings.forEach((m, i) => {
      if (m.keys.length === 0) throw new PipelineConstructionError(`KeyModelMapping ${i + 1} of RunInference.keyed has no keys (model ${m.handler.modelKey}); give every model one or more keys`);
      const cohort: Cohort<In, Inference, Args> = { index: i, id: String(m.keys[0]), keys: m.keys, handler: m.handler };
      for (const key of m.keys) {
        const before = where.get(key);
        if (before !== undefined) throw new PipelineConstructionError(`key ${previewValue(key)} is in KeyModelMappings ${before + 1} and ${i + 1} of RunInference.keyed; each key must map to exactly one model`);
        where.set(key, i);
        this.cohortOf.set(key, cohort);
      }
      this.cohorts.push(cohort);
    });
    // Steps with the same mappings (and hint) share one manager per process, as one model is shared by its modelKey.
    this.modelKey = `keyed-models(${this.cohorts.map((c) => `${c.keys.map((k) => previewValue(k)).join(",")}=>${c.handler.modelKey}`).join("; ")}${maxModels === undefined ? "" : `; max ${maxModels}`})`;
  }

  async loadModel(): Promise<ModelManager> {
    return new ModelManager(this.maxModels);
  }

  validate(example: KV<K, In>): string | undefined {
    if (this.cohortOf.has(example.key)) return undefined;
    return `key ${previewValue(example.key)} is in no KeyModelMapping of RunInference.keyed (it has models for ${this.cohortOf.size} keys)`;
  }

  /** Beam's KeyedModelHandler: the batch split by cohort, each cohort's model loaded, then run once per key. */
  async runInference(batch: readonly KV<K, In>[], manager: ModelManager, inferenceArgs?: Args): Promise<readonly KeyedInference<Inference>[]> {
    const out: KeyedInference<Inference>[] = new Array<KeyedInference<Inference>>(batch.length);
    const byCohort = new Map<Cohort<In, Inference, Args>, Map<ModelKey, number[]>>();
    batch.forEach((e, i) => {
      const cohort = this.cohortOf.get(e.key)!;
      let keys = byCohort.get(cohort);
      if (keys === undefined) byCohort.set(cohort, (keys = new Map()));
      let positions = keys.get(e.key);
      if (positions === undefined) keys.set(e.key, (positions = []));
      positions.push(i);
    });
    for (const [cohort, keys] of byCohort) {
      const stats = this.statsOf(cohort.id);
      const { model, stats: load } = await manager.load(cohort);
      if (load !== undefined) stats.loads.push(load);
      const started = process.hrtime.bigint();
      let size = 0;
      let bytes = 0;
      for (const positions of keys.values()) {
        const examples = positions.map((i) => batch[i]!.value);
        let inferences: readonly Inference[];
        try {
          for (const x of examples) {
            const reason = cohort.handler.validate?.(x, model);
            if (reason !== undefined) throw new Error(reason);
          }
          inferences = await cohort.handler.runInference(examples, model, inferenceArgs);
        } catch (e) {
          stats.failedBatches++;
          throw e;
        }
        if (inferences.length !== examples.length) {
          throw new HandlerContractError(`the model handler ${cohort.handler.modelKey} returned ${inferences.length} inferences for a batch of ${examples.length}; runInference must return one per example, in order`);
        }
        positions.forEach((i, j) => (out[i] = { inference: inferences[j]!, modelId: cohort.handler.modelKey }));
        size += examples.length;
        bytes += this.bytesOf(cohort, examples);
      }
      stats.inferences += size;
      stats.batches.push({ size, micros: Number((process.hrtime.bigint() - started) / 1000n), bytes });
    }
    return out;
  }

  /** Beam's KeyedModelHandler.get_num_bytes: the keys' encoded size plus each model's count for its examples. */
  numBytes(batch: readonly KV<K, In>[]): number {
    let bytes = encodeToBytes(BATCH_BYTES_CODER, batch.map((e) => e.key)).length;
    for (const cohort of this.cohorts) {
      const examples = batch.filter((e) => this.cohortOf.get(e.key) === cohort).map((e) => e.value);
      if (examples.length > 0) bytes += this.bytesOf(cohort, examples);
    }
    return bytes;
  }

  private bytesOf(cohort: Cohort<In, Inference, Args>, examples: readonly In[]): number {
    try {
      return cohort.handler.numBytes?.(examples) ?? encodeToBytes(BATCH_BYTES_CODER, examples).length;
    } catch {
      return 0;
    }
  }

  /** Beam validates the inference arguments with every model's handler. */
  validateInferenceArgs(inferenceArgs: Args | undefined): string | undefined {
    for (const { handler } of this.cohorts) {
      if (handler.validateInferenceArgs === undefined) {
        if (!noInferenceArgs(inferenceArgs)) return `the model handler ${handler.modelKey} takes no extra arguments on inferences (it has no validateInferenceArgs)`;
        continue;
      }
      const reason = handler.validateInferenceArgs(inferenceArgs);
      if (reason !== undefined) return `the model handler ${handler.modelKey}: ${reason}`;
    }
    return undefined;
  }

  /** Beam's namespace for a KeyedModelHandler with many models. */
  metricsNamespace(): string {
    return "BeamML_KeyedModels";
  }

  private statsOf(id: string): CohortStats {
    let s = this.stats.get(id);
    if (s === undefined) this.stats.set(id, (s = { inferences: 0, failedBatches: 0, batches: [], loads: [] }));
    return s;
  }

  [REPORT_METRICS](ns: string): void {
    for (const [id, s] of this.stats) {
      const prefix = `${id}-_`;
      if (s.inferences > 0) Metrics.counter(ns, `${prefix}num_inferences`).inc(s.inferences);
      if (s.failedBatches > 0) Metrics.counter(ns, `${prefix}failed_batches_counter`).inc(s.failedBatches);
      for (const b of s.batches) {
        Metrics.distribution(ns, `${prefix}inference_request_batch_size`).update(b.size);
        Metrics.distribution(ns, `${prefix}inference_request_batch_byte_size`).update(b.bytes);
        Metrics.distribution(ns, `${prefix}inference_batch_latency_micro_secs`).update(b.micros);
      }
      for (const l of s.loads) {
        for (const name of [`${prefix}load_model_latency_milli_secs`, "load_model_latency_milli_secs"]) Metrics.distribution(ns, name).update(l.millis);
        for (const name of [`${prefix}model_byte_size`, "model_byte_size"]) Metrics.distribution(ns, name).update(l.bytes);
      }
    }
    this.stats = new Map();
  }
}
