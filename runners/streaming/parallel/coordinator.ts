/**
 * The coordinator of a parallel streaming run (`--direct_num_workers N > 1` on a pipeline that
 * eligibility.ts accepts): starts N instances, one per worker thread, each running the whole
 * graph on its own share of the input, and presents them as one run. Element counts and metrics
 * are the sums of the instances' (refreshed as they report), each PCollection's watermark is the
 * lowest of the instances' (the run has processed everything before it), and drain and cancel
 * go to every instance. One instance failing cancels the others and fails the run with its
 * error. Each instance acknowledges its own input once its bundles complete, as the one-thread
 * driver does.
 */
import * as path from "node:path";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { PipelineError, TransformError } from "../../../lib/model/errors";
import { MetricsContainer } from "../../../lib/model/metrics";
import type { Pipeline } from "../../../lib/model/pipeline";
import type { PipelineState, StreamingProgress } from "../../../lib/model/result";
import { type Instant, MIN_TIMESTAMP } from "../../../lib/model/window";
import { restoreMetrics } from "../../direct/transfer";
import { PipelineGraph } from "../../executor/pipeline_graph";
import type { Unit } from "../../executor/units";
import { progressOf } from "../progress";
import type { RunningStreamingExecution } from "../result";
import type { InstanceFinished, InstanceInit, InstanceMessage, InstanceStatus, StopRequest } from "./protocol";

/** How often instances report their counts, watermarks and metrics. */
const REPORT_MILLIS = 200;

export interface ParallelSettings {
  readonly runId: string;
  readonly checkEveryElement?: boolean;
}

export class ParallelStreamingExecution implements RunningStreamingExecution {
  state: PipelineState = "RUNNING";
  error: Error | undefined;
  /** A parallel run reads real-time sources: it ends only when drained or cancelled (or a source ends). */
  readonly isFinite = false;
  private readonly units: readonly Unit[];
  private readonly statuses: (InstanceStatus | undefined)[];
  private readonly workers: Worker[] = [];
  private stopRequest: "drain" | "cancel" | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly settings: ParallelSettings,
    private readonly containers: Map<string, MetricsContainer>,
    private readonly outputs: string[],
  ) {
    this.units = new PipelineGraph(pipeline).units;
    this.statuses = new Array<InstanceStatus | undefined>(pipeline.options.directNumWorkers).fill(undefined);
  }

  get instances(): number {
    return this.statuses.length;
  }

  async run(): Promise<PipelineState> {
    const program = this.pipeline.program!;
    const peers = exchangePorts(this.instances);
    const finished = await Promise.all(
      this.statuses.map((_, instance) => {
        const init: InstanceInit = {
          modulePath: program.modulePath,
          programName: program.name,
          flags: program.flags,
          options: this.pipeline.options,
          runId: this.settings.runId,
          fingerprint: this.pipeline.fingerprint(),
          structure: this.pipeline.structure(),
          checkEveryElement: this.settings.checkEveryElement === true,
          instance,
          instances: this.instances,
          reportMillis: REPORT_MILLIS,
          peers: peers[instance]!,
        };
        return this.runInstance(init);
      }),
    );
    const failed = finished.find((f) => f.state === "FAILED");
    for (const f of finished) this.outputs.push(...f.outputs);
    if (failed !== undefined) {
      this.error = asError(failed.error);
      this.state = "FAILED";
    } else if (this.stopRequest === "cancel" || finished.some((f) => f.state === "CANCELLED")) this.state = "CANCELLED";
    else this.state = this.stopRequest === "drain" ? "DRAINED" : "DONE";
    return this.state;
  }

  /** Runs one instance to its end; its failure cancels the others. */
  private async runInstance(init: InstanceInit): Promise<InstanceFinished> {
    const worker = new Worker(path.join(__dirname, "instance_thread.js"), { workerData: init, transferList: init.peers.filter((p): p is MessagePort => p !== undefined) });
    this.workers.push(worker);
    const result = await new Promise<InstanceFinished>((resolve) => {
      const crashed = (e: Error): void => resolve({ type: "finished", state: "FAILED", outputs: [], counts: [], watermarks: [], metrics: [], error: { name: e.name, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) } });
      worker.on("message", (m: InstanceMessage) => {
        if (m.type === "started") {
          // A stop requested while the instance was starting reaches it now.
          if (this.stopRequest !== undefined) worker.postMessage({ type: "stop", kind: this.stopRequest } satisfies StopRequest);
          return;
        }
        this.statuses[init.instance] = m;
        this.refreshMetrics();
        if (m.type === "finished") resolve(m);
      });
      worker.on("error", crashed);
      worker.on("exit", (code) => crashed(new PipelineError(`streaming instance ${init.instance} (a worker thread) exited with code ${code} before its run ended`)));
    });
    if (result.state === "FAILED") this.requestStop("cancel");
    await worker.terminate();
    return result;
  }

  /** The run's metrics: the sums of what the instances reported last. */
  private refreshMetrics(): void {
    this.containers.clear();
    for (const s of this.statuses) {
      for (const snapshot of s?.metrics ?? []) {
        let c = this.containers.get(snapshot.step);
        if (c === undefined) this.containers.set(snapshot.step, (c = new MetricsContainer(snapshot.step)));
        c.merge(restoreMetrics(snapshot));
      }
    }
  }

  requestStop(kind: "drain" | "cancel"): void {
    if (this.stopRequest === "cancel") return;
    this.stopRequest = kind;
    if (this.state === "RUNNING" && kind === "drain") this.state = "DRAINING";
    for (const w of this.workers) w.postMessage({ type: "stop", kind } satisfies StopRequest);
  }

  /** Each instance's PCollection watermarks as it reported them last (empty until it has). */
  instanceWatermarks(): ReadonlyMap<string, Instant>[] {
    return this.statuses.map((s) => new Map(s?.watermarks ?? []));
  }

  /** Each PCollection's watermark: the lowest among the instances (an instance yet to report holds every one at the minimum). */
  watermarkSnapshot(): ReadonlyMap<string, Instant> {
    const out = new Map<string, Instant>();
    for (const s of this.statuses) for (const [id, w] of s?.watermarks ?? []) out.set(id, Math.min(out.get(id) ?? w, w));
    if (this.statuses.some((s) => s === undefined)) for (const id of out.keys()) out.set(id, MIN_TIMESTAMP);
    return out;
  }

  /** Elements counted on each PCollection, summed over the instances. */
  countSnapshot(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const s of this.statuses) for (const [id, n] of s?.counts ?? []) out.set(id, (out.get(id) ?? 0) + n);
    return out;
  }

  progress(): StreamingProgress {
    const counts = this.countSnapshot();
    const watermarks = this.watermarkSnapshot();
    return progressOf(this.units, (id) => counts.get(id) ?? 0, (id) => watermarks.get(id) ?? MIN_TIMESTAMP);
  }
}

/** One channel per pair of instances: `ports[i][j]` is instance i's end of its channel with j (the keyed exchange). */
function exchangePorts(instances: number): (MessagePort | undefined)[][] {
  const ports = Array.from({ length: instances }, () => new Array<MessagePort | undefined>(instances).fill(undefined));
  for (let i = 0; i < instances; i++) {
    for (let j = i + 1; j < instances; j++) {
      const { port1, port2 } = new MessageChannel();
      ports[i]![j] = port1;
      ports[j]![i] = port2;
    }
  }
  return ports;
}

function asError(e: InstanceFinished["error"]): Error {
  if (e === undefined) return new PipelineError("a streaming instance failed without an error");
  const err = e.transformPath !== undefined ? new TransformError(e.transformPath, e.message) : new PipelineError(e.message);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}
