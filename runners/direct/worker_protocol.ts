/**
 * Messages between the DirectRunner's coordinator and its worker threads.
 *
 * A worker runs one bundle of a stage at a time: `runStage` starts it with a first chunk of the
 * stage's root elements; the worker asks for more (`needElements`) so that a chunk or two wait
 * while it works. A shared handover (chunk_handover.ts) says which waiting chunks it has started
 * and lets the coordinator take back the others at the end of the stage. `endOfInput`, or the
 * handover's word that nothing more will be sent, ends the bundle, and the worker answers with
 * what the bundle produced (`stageDone`). Large shuffle output is sent as it accumulates
 * (`shuffleData`), so a worker's memory stays bounded.
 */
import type { PipelineOptions } from "../../lib/model/options";
import type { OutputCommit } from "../../lib/model/commits";
import type { MetricsSnapshot } from "./transfer";
import type { TallyLayout } from "../monitor/execution_tally";
import type { HandedOverElements } from "./spill/element_buffer";

/** What a worker thread needs to rebuild the pipeline. */
export interface WorkerInit {
  readonly modulePath: string;
  readonly programName: string;
  readonly flags: Readonly<Record<string, unknown>>;
  readonly options: PipelineOptions;
  readonly runId: string;
  readonly fingerprint: string;
  /** The coordinator's graph (`Pipeline.structure()`), to name the first difference when a rebuilt graph's fingerprint differs. */
  readonly structure?: readonly string[];
  readonly checkEveryElement: boolean;
  /** Where the thread's buffers make their spill directories (the coordinator removes it at the end of the run). */
  readonly spillDirectory?: string;
  /** Live progress: the tally this thread counts into, and its row (absent when nothing watches the run). */
  readonly tally?: { readonly layout: TallyLayout; readonly thread: number };
}

/** Coordinator → worker: start a bundle of a stage. */
export interface RunStageRequest {
  readonly type: "runStage";
  readonly stageId: number;
  /** The first chunk of the bundle's root elements (chunk 0), encoded with the root PCollection's windowed coder. */
  readonly elements: Uint8Array;
  /** The bundle's ChunkHandover cells, shared with the coordinator. */
  readonly handover: SharedArrayBuffer;
  /** The side inputs the stage reads, encoded. */
  readonly materialized: Readonly<Record<string, Uint8Array>>;
}

/** Coordinator → worker: the next chunk of the running bundle's root elements. */
export interface ElementsMessage {
  readonly type: "elements";
  /** The chunk's number in the bundle (1, 2, ...). */
  readonly seq: number;
  readonly elements: Uint8Array;
}

/** Coordinator → worker: the running bundle has no more elements; finish it. */
export interface EndOfInput {
  readonly type: "endOfInput";
}

/** Coordinator → worker: the run failed; run the transforms' cleanupAfterFailure hooks in this thread (their state lives here). */
export interface CleanupRequest {
  readonly type: "cleanup";
  readonly message: string;
}

/** Coordinator → worker: the run is over; tear down this thread's CombineFns, then exit. */
export interface TeardownRequest {
  readonly type: "teardown";
}

export type CoordinatorMessage = RunStageRequest | ElementsMessage | EndOfInput | CleanupRequest | TeardownRequest;

/** Worker → coordinator: send another chunk (or endOfInput). */
export interface NeedElements {
  readonly type: "needElements";
}

/** Worker → coordinator: shuffle additions of the running bundle so far (sent when they grow large). */
export interface ShuffleData {
  readonly type: "shuffleData";
  readonly shuffles: Readonly<Record<string, Uint8Array>>;
}

/** Worker → coordinator: what the bundle produced. */
export interface RunStageResult {
  readonly type: "stageDone";
  readonly shuffles: Readonly<Record<string, Uint8Array>>;
  /** Flatten and Reshuffle inputs: those in memory encoded, those spilled by file (the coordinator takes the files over). */
  readonly buffers: Readonly<Record<string, HandedOverElements>>;
  /** Main inputs of side-input ParDos, likewise. */
  readonly mainInputs: Readonly<Record<string, HandedOverElements>>;
  /** Side inputs, encoded. */
  readonly materialized: Readonly<Record<string, Uint8Array>>;
  readonly metrics: readonly MetricsSnapshot[];
  readonly outputs: readonly string[];
  /** Output commits the bundle's sinks recorded, for the coordinator to run when the run succeeds. */
  readonly commits: readonly OutputCommit[];
}

export interface WorkerReady {
  readonly type: "ready";
}

export interface WorkerFailed {
  readonly type: "error";
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** The transform the error happened in, when it names one. */
  readonly transformPath?: string;
  /** What the failed bundle's steps counted before it failed (Beam's attempted metrics). */
  readonly metrics?: readonly MetricsSnapshot[];
}

export interface WorkerCleaned {
  readonly type: "cleaned";
}

export type WorkerMessage = WorkerReady | NeedElements | ShuffleData | RunStageResult | WorkerFailed | WorkerCleaned;
