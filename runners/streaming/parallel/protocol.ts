/**
 * Messages between the coordinator of a parallel streaming run (the main thread) and its
 * instances (worker threads, each running the whole graph on its share of the input).
 */
import type { MessagePort } from "node:worker_threads";
import type { PipelineState } from "../../../lib/model/result";
import type { MetricsSnapshot } from "../../direct/transfer";
import type { WorkerInit } from "../../direct/worker_protocol";

/** What an instance needs: how to rebuild the pipeline, and its number. */
export interface InstanceInit extends WorkerInit {
  readonly instance: number;
  readonly instances: number;
  /** How often the instance reports its counts, watermarks and metrics (ms). */
  readonly reportMillis: number;
  /** The keyed exchange's port to each other instance (undefined at this instance's index). */
  readonly peers: readonly (MessagePort | undefined)[];
}

/** Coordinator → instance: drain or cancel. */
export interface StopRequest {
  readonly type: "stop";
  readonly kind: "drain" | "cancel";
}

/** Where an instance is: cumulative element counts, watermarks and metrics. */
export interface InstanceStatus {
  readonly counts: readonly (readonly [string, number])[];
  readonly watermarks: readonly (readonly [string, number])[];
  readonly metrics: readonly MetricsSnapshot[];
}

/** Instance → coordinator: the graph is built and reading. */
export interface InstanceStarted {
  readonly type: "started";
}

/** Instance → coordinator: its status, every `reportMillis` while it runs. */
export interface InstanceReport extends InstanceStatus {
  readonly type: "report";
}

/** Instance → coordinator: its run ended (its last status, its state and the error it failed with). */
export interface InstanceFinished extends InstanceStatus {
  readonly type: "finished";
  readonly state: PipelineState;
  readonly outputs: readonly string[];
  readonly error?: { readonly name: string; readonly message: string; readonly stack?: string; readonly transformPath?: string };
}

export type InstanceMessage = InstanceStarted | InstanceReport | InstanceFinished;
