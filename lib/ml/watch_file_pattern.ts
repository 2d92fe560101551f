/**
 * WatchFilePattern (Beam Python's `apache_beam.ml.inference.utils.WatchFilePattern`): watches a
 * file pattern and gives the models to swap in, as RunInference's `modelMetadata` side input,
 * without restarting a streaming pipeline.
 *
 * ```ts
 * const models = p.apply("Models", WatchFilePattern.of("gs://bucket/models/*.json", { intervalMillis: 60_000 }));
 * images.apply(RunInference.of(handler, { modelMetadata: models }));
 * // or, the same: RunInference.of(handler, { watchModelPattern: "gs://bucket/models/*.json" })
 * ```
 *
 * As Beam Python's:
 * - the pattern is matched every interval (FileIO.matchContinuously, each path once), and must
 *   match at least one file at the start (an empty first match fails the step);
 * - the files present at the start leave the handler's own model in use (one ModelMetadata with
 *   an empty modelId); a file that appears later with a newer modification time than the model in
 *   use swaps it in (modelId: its path, modelName: its base name without extension);
 * - a path is looked at once: upload each model under a new name;
 * - the metadata is in the global window with a trigger firing for each update, so the side
 *   input always reads the latest model.
 *
 * Unlike Beam Python's (one state per path), the newest model is decided in one state, so a file
 * found later but modified earlier than the model in use is ignored rather than swapped back in,
 * and files found at one firing swap in the newest of them once.
 */
import * as path from "node:path";
import type { FileMetadata } from "../io/filesystems/filesystem";
import { FileIO } from "../io/fileio";
import type { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Window } from "../model/primitives";
import { StateSpec, StatefulDoFn, type StatefulProcessContext } from "../model/state";
import { PTransform } from "../model/transform";
import { AfterCount, Repeatedly } from "../model/triggers";
import { kv, type Instant, type KV } from "../model/window";
import { GlobalWindows } from "../model/windowing";
import { Combine } from "../transforms/combine";
import type { ModelMetadata } from "./model_handler";

/** Options of WatchFilePattern. */
export interface WatchFilePatternOptions {
  /** Milliseconds between matches (default 360 000, Beam Python's 360 s). */
  readonly intervalMillis?: number;
  /** No match at or after this instant (default: none, watch until the pipeline is drained). */
  readonly stop?: Instant | Date;
}

/** A model to swap in, ordered by its file's modification time (the handler's own model first). */
interface Candidate {
  readonly metadata: ModelMetadata;
  readonly order: number;
}

/** The handler's own model (Beam's ModelMetadata with an empty model id). */
const OWN_MODEL: ModelMetadata = { modelId: "", modelName: "" };

/**
 * @internal Decides, in one state (all files under one key), which files are models to swap in:
 * the files of the first firing give the handler's own model, once; a later file is a candidate if
 * it was modified after the last candidate (Beam Python's _GetLatestFileByTimeStamp and
 * _ConvertIterToSingleton).
 */
export class LatestModelFn extends StatefulDoFn<string, FileMetadata, Candidate> {
  /** The first firing's timestamp: files found then were there at the start. */
  readonly firstFiring = StateSpec.value<number>("firstFiring");
  /** The order of the last candidate output (-Infinity: the handler's own model). */
  readonly latest = StateSpec.value<number>("latest");

  process(e: KV<string, FileMetadata>, ctx: StatefulProcessContext<Candidate>): void {
    const first = ctx.state(this.firstFiring);
    let firstFiring = first.read();
    if (firstFiring === undefined) {
      firstFiring = ctx.timestamp;
      first.write(firstFiring);
    }
    const latest = ctx.state(this.latest);
    const last = latest.read();
    if (ctx.timestamp <= firstFiring) {
      if (last === undefined) {
        latest.write(-Infinity);
        ctx.output({ metadata: OWN_MODEL, order: -Infinity });
      }
      return;
    }
    const file = e.value;
    const modified = file.lastModifiedMillis ?? ctx.timestamp;
    if (last !== undefined && modified <= last) return;
    latest.write(modified);
    ctx.output({ metadata: { modelId: file.path, modelName: path.posix.basename(file.path).replace(/\.[^.]*$/, "") }, order: modified });
  }
}

/** The newest candidate of a pane. */
const newest = {
  createAccumulator: (): Candidate | undefined => undefined,
  addInput: (acc: Candidate | undefined, c: Candidate): Candidate | undefined => (acc === undefined || c.order > acc.order ? c : acc),
  mergeAccumulators: (accs: Iterable<Candidate | undefined>): Candidate | undefined => {
    let best: Candidate | undefined;
    for (const a of accs) if (a !== undefined && (best === undefined || a.order > best.order)) best = a;
    return best;
  },
  extractOutput: (acc: Candidate | undefined): Candidate | undefined => acc,
};

/** Watches a file pattern for new models: `p.apply(WatchFilePattern.of(pattern, options))`. */
export class WatchFilePattern extends PTransform<PBegin, PCollection<ModelMetadata>> {
  private constructor(
    /** The file pattern watched (local or gs://, with globs). */
    readonly pattern: string,
    /** How often it is matched, and until when. */
    readonly options: WatchFilePatternOptions,
  ) {
    super("WatchFilePattern");
  }

  /** The models that files matching `pattern` hold, as RunInference's `modelMetadata` side input. */
  static of(pattern: string, options: WatchFilePatternOptions = {}): WatchFilePattern {
    return new WatchFilePattern(pattern, options);
  }

  expand(input: PBegin): PCollection<ModelMetadata> {
    const { intervalMillis = 360_000, stop } = this.options;
    return input
      .apply("MatchContinuously", FileIO.matchContinuously(this.pattern, { intervalMillis, ...(stop !== undefined ? { stop } : {}), emptyMatchTreatment: "DISALLOW" }))
      .map("OneKey", (f: FileMetadata) => kv("", f))
      .apply("LatestModel", ParDo.of(new LatestModelFn()))
      .apply("EachUpdate", Window.into<Candidate>(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "DISCARDING" }))
      .apply("NewestOfPane", Combine.globally(newest, { withoutDefaults: true }))
      .flatMap("ToMetadata", (c: Candidate | undefined) => (c === undefined ? [] : [c.metadata]));
  }
}
