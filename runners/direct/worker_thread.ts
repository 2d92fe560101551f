/**
 * A DirectRunner worker thread: rebuilds the pipeline by loading the program's module in worker
 * mode (as a remote worker would; CommonJS or ES module), then runs the bundles of stages it is
 * sent and returns their output encoded. It never sees closures from the coordinator, only
 * transform names and data.
 */
import { tearDownCombineFns } from "../../lib/model/combine_lifecycle";
import { parentPort, workerData } from "node:worker_threads";
import { namesItsTransform } from "../../lib/model/errors";
import { definedPrograms, enterWorkerMode } from "../../lib/model/program";
import { importProgramModule } from "../worker/program_loader";
import type { Coder } from "../../lib/coders/coder";
import type { Pipeline } from "../../lib/model/pipeline";
import type { WindowedValue } from "../../lib/model/window";
import type { PCollection } from "../../lib/model/pcollection";
import type { GroupingSink } from "../executor/combine_operator";
import { checkSameStructure } from "./reconstruction";
import { planStages, Plan, Stage } from "./plan";
import { keyCoderOf } from "../executor/default_coders";
import { buildStage } from "./stage_builder";
import { BufferedStageEnvironment, shuffledValueCoder } from "./environment";
import { decodeAll, encodeAll, MetricsSnapshot, ShuffleEntryWriter, snapshotMetrics, windowCoderFor, windowedCoderFor } from "./transfer";
import type { CoordinatorMessage, RunStageRequest, RunStageResult, WorkerFailed, WorkerInit, WorkerMessage } from "./worker_protocol";
import { cleanupAfterFailure } from "./failure_cleanup";
import type { ElementBuffer, HandedOverElements } from "./spill/element_buffer";
import { runStageInstances } from "./stage_runner";
// The tally's own modules, not run_monitor's (which also loads the coordinator's live job view).
import { ThreadTally } from "../monitor/execution_tally";
import { TallyObserver } from "../monitor/tally_observer";
import { AHEAD, ChunkHandover } from "./chunk_handover";

const init = workerData as WorkerInit;

function post(message: WorkerMessage, transfer: readonly Uint8Array[] = []): void {
  parentPort!.postMessage(message, transfer.map((b) => b.buffer as ArrayBuffer));
}

async function rebuild(): Promise<Pipeline> {
  // Loading the program runs its top level; in worker mode its main() does nothing.
  enterWorkerMode();
  await importProgramModule(init.modulePath);
  const program = definedPrograms().get(init.programName);
  if (program === undefined) {
    throw new Error(`worker thread: module ${init.modulePath} defines no pipeline program named '${init.programName}'`);
  }
  const pipeline = program.create(init.flags as never, init.options);
  if (pipeline.fingerprint() !== init.fingerprint) {
    // Names the first transform that differs from the coordinator's graph (e.g. one built only in the main thread).
    if (init.structure !== undefined) checkSameStructure(init.structure, pipeline.structure());
    throw new Error(`worker thread rebuilt a different pipeline (fingerprint ${pipeline.fingerprint()} != ${init.fingerprint})`);
  }
  return pipeline;
}

/** Shuffle additions a bundle keeps before sending them on (bounds a worker's memory). */
const SHUFFLE_SEND_BYTES = 8 << 20;

class WorkerEnvironment extends BufferedStageEnvironment {
  readonly shuffleWriters = new Map<string, ShuffleEntryWriter>();
  readonly observer = init.tally === undefined ? undefined : new TallyObserver(new ThreadTally(init.tally.layout, init.tally.thread), true);

  constructor(plan: Plan, pipeline: Pipeline) {
    super(plan, pipeline.options, init.runId, init.checkEveryElement, new Map(), []);
  }

  shuffleFor(unitName: string): GroupingSink {
    let w = this.shuffleWriters.get(unitName);
    if (w === undefined) {
      const unit = this.groupingUnit(unitName);
      w = new ShuffleEntryWriter(keyCoderOf(unit.input), windowCoderFor(unit.input.windowing), shuffledValueCoder(unit));
      this.shuffleWriters.set(unitName, w);
    }
    return w;
  }

  /** The shuffle additions so far, encoded, when there are many of them (`all`: whatever there is). */
  takeShuffles(all: boolean): Record<string, Uint8Array> | undefined {
    let bytes = 0;
    for (const w of this.shuffleWriters.values()) bytes += w.length;
    if (bytes === 0 || (!all && bytes < SHUFFLE_SEND_BYTES)) return undefined;
    const shuffles: Record<string, Uint8Array> = {};
    for (const [name, w] of this.shuffleWriters) if (w.length > 0) shuffles[name] = w.take();
    return shuffles;
  }

  /**
   * Encodes what the bundle wrote for the coordinator (side inputs it was sent are skipped); what
   * its buffers spilled goes by file, no longer this thread's to remove.
   */
  result(sentMaterialized: ReadonlySet<string>): RunStageResult {
    const shuffles = this.takeShuffles(true) ?? {};
    const handOver = (m: Map<string, ElementBuffer>, step: (key: string) => string): Record<string, HandedOverElements> =>
      Object.fromEntries(
        [...m].map(([k, b]) => {
          this.countSpills(step(k), b);
          return [k, b.handOver()];
        }),
      );
    const buffers = handOver(this.buffers, (name) => name);
    const mainInputs = handOver(this.mainInputs, (id) => this.pcollection(id).producer.fullName);
    const materialized: Record<string, Uint8Array> = {};
    for (const [id, list] of this.materialized) {
      if (!sentMaterialized.has(id)) materialized[id] = encodeAll(windowedCoderFor(this.pcollection(id)), list);
    }
    return { type: "stageDone", shuffles, buffers, mainInputs, materialized, metrics: this.metricsSnapshot(), outputs: this.outputs, commits: this.commits };
  }

  protected override get spillDirectory(): string | undefined {
    return init.spillDirectory;
  }

  metricsSnapshot(): MetricsSnapshot[] {
    return [...this.containers.values()].map(snapshotMetrics);
  }

  /** Adds the materialized PCollections the coordinator sent. */
  receiveMaterialized(encoded: Readonly<Record<string, Uint8Array>>): void {
    for (const [id, bytes] of Object.entries(encoded)) this.materialized.set(id, decodeAll(windowedCoderFor(this.pcollection(id)), bytes));
  }

  rootPCollection(stage: Stage): PCollection<unknown> {
    return stage.root.kind === "materialized" ? stage.root.unit.input : stage.root.unit.output;
  }
}

/** A chunk of root elements as sent: its number in the bundle (for the handover) and its bytes. */
interface SentChunk {
  readonly seq: number;
  readonly elements: Uint8Array;
}

/**
 * The chunks of the running bundle's root elements, as the coordinator sends them. The worker
 * keeps AHEAD chunks waiting while it works (asking for more as it starts on one), and skips a
 * waiting chunk the coordinator took back to run itself (chunk_handover.ts). The bundle ends at
 * the coordinator's endOfInput, or as soon as the handover says no more chunks will come.
 */
class ChunkInbox implements AsyncIterable<WindowedValue<unknown>[]> {
  private readonly arrived: (SentChunk | undefined)[] = [];
  private waiting: (() => void) | undefined;
  /** Chunks received so far (the first came with the request). */
  private received = 1;
  /** Whether a request for a chunk is unanswered (one at a time). */
  private asking = false;
  private noMore: Promise<void> | undefined;
  private noMoreSeen = false;

  constructor(
    private readonly coder: Coder<WindowedValue<unknown>>,
    private readonly handover: ChunkHandover,
    first: SentChunk,
    /** Called after each chunk: may send shuffle data on. */
    private readonly afterChunk: () => void,
  ) {
    this.arrived.push(first);
  }

  /** A chunk, or the end of input (undefined): the answer to the request for a chunk. */
  deliver(chunk: SentChunk | undefined): void {
    this.asking = false;
    if (chunk !== undefined) this.received++;
    this.arrived.push(chunk);
    this.askIfShort();
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  /** Asks for a chunk unless one is asked for, the end is known, or AHEAD chunks are waiting. */
  private askIfShort(): void {
    if (this.asking || this.arrived.includes(undefined) || this.arrived.length >= AHEAD) return;
    this.asking = true;
    post({ type: "needElements" });
  }

  /** Waits for a message, or (until it has come) for the handover's word that nothing more will be sent. */
  private async arrival(): Promise<void> {
    const message = new Promise<void>((resolve) => (this.waiting = resolve));
    if (this.noMoreSeen) return message;
    this.noMore ??= this.handover.untilNoMore().then(() => void (this.noMoreSeen = true));
    await Promise.race([message, this.noMore]);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WindowedValue<unknown>[]> {
    for (;;) {
      while (this.arrived.length === 0) {
        if (this.handover.finished(this.received)) return;
        this.askIfShort();
        await this.arrival();
      }
      const chunk = this.arrived.shift();
      if (chunk === undefined) return;
      // Taken back by the coordinator, which runs it itself.
      if (!this.handover.claim(chunk.seq)) continue;
      this.askIfShort();
      yield decodeAll(this.coder, chunk.elements);
      this.afterChunk();
    }
  }
}

async function runStage(pipeline: Pipeline, plan: Plan, request: RunStageRequest, started: (inbox: ChunkInbox) => void): Promise<RunStageResult> {
  const stage: Stage = plan.stages[request.stageId]!;
  const env = new WorkerEnvironment(plan, pipeline);
  try {
    env.receiveMaterialized(request.materialized);
    const first = { seq: 0, elements: request.elements };
    const inbox = new ChunkInbox(windowedCoderFor(env.rootPCollection(stage)), new ChunkHandover(request.handover), first, () => {
      const shuffles = env.takeShuffles(false);
      if (shuffles !== undefined) post({ type: "shuffleData", shuffles }, Object.values(shuffles));
    });
    started(inbox);
    await runStageInstances([buildStage(stage, env)], inbox, 1);
    return env.result(new Set(Object.keys(request.materialized)));
  } catch (e) {
    env.disposeBuffers();
    throw new StageFailure(e, env.metricsSnapshot());
  }
}

/** A failed bundle's error with what its steps had counted. */
class StageFailure {
  constructor(
    readonly error: unknown,
    readonly metrics: readonly MetricsSnapshot[],
  ) {}
}

function failureMessage(e: unknown): WorkerFailed {
  const failure = e instanceof StageFailure ? e : undefined;
  const cause = failure?.error ?? e;
  const err = cause instanceof Error ? cause : new Error(String(cause));
  const where = namesItsTransform(err) ? { transformPath: err.transformPath } : {};
  return { type: "error", name: err.name, message: err.message, stack: err.stack, ...where, ...(failure !== undefined ? { metrics: failure.metrics } : {}) };
}

async function main(): Promise<void> {
  let pipeline: Pipeline;
  let plan: Plan;
  try {
    pipeline = await rebuild();
    plan = planStages(pipeline);
  } catch (e) {
    const err = e as Error;
    post({ type: "error", name: err.name, message: err.message, stack: err.stack });
    return;
  }
  let inbox: ChunkInbox | undefined;
  parentPort!.on("message", (request: CoordinatorMessage) => {
    switch (request.type) {
      case "cleanup":
        void cleanupAfterFailure(pipeline, init.runId, new Error(request.message)).finally(() => post({ type: "cleaned" }));
        return;
      case "elements":
        inbox?.deliver({ seq: request.seq, elements: request.elements });
        return;
      case "endOfInput":
        inbox?.deliver(undefined);
        return;
      case "teardown":
        // This thread's CombineFn instances are its own (a rebuilt pipeline): their last call.
        tearDownCombineFns();
        process.exit(0);
        return;
      case "runStage":
        runStage(pipeline, plan, request, (started) => (inbox = started)).then(
          (result) => post(result, [...Object.values(result.shuffles), ...[...Object.values(result.buffers), ...Object.values(result.mainInputs)].map((b) => b.elements), ...Object.values(result.materialized)]),
          (e: unknown) => post(failureMessage(e)),
        ).finally(() => (inbox = undefined));
        return;
    }
  });
  post({ type: "ready" });
}

void main();
