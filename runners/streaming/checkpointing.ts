/**
 * Checkpoints of a streaming run (the DirectRunner's `--checkpoint_dir`), the way Flink runs Beam
 * pipelines reading Pub/Sub:
 *
 * - Between bundles, every `--checkpoint_interval_ms` (if anything changed), the driver's whole
 *   state is snapshotted — grouping buffers and trigger states, stateful DoFns' state and timers,
 *   side-input stores and the elements waiting at their gates, watermarks and holds, element
 *   counts, metrics, TestStream positions, and each real-time source's mark — and written
 *   atomically (checkpoint_store.ts).
 * - Elements taken from a real-time source are committed (acknowledged) only once a checkpoint
 *   holding their effects is durable; the source's mark in that checkpoint lets it drop
 *   redeliveries of elements the checkpoint holds but that were not acknowledged before a crash.
 *   So state and windows see every element exactly once, across crashes.
 * - A fresh run writes a first checkpoint before its sources start, so a restart after any crash
 *   knows it resumes (and sources wait for what the dead run held). A run started with a
 *   directory holding a checkpoint resumes from it, if it was written by the same pipeline (same graph fingerprint; otherwise a clear error naming the first difference).
 * - A drain ends with everything flushed and acknowledged: the checkpoints are removed. Before its
 *   last acknowledgements it writes a drained checkpoint (only the sources' marks), and removes
 *   the checkpoints once its sources have closed (their acknowledgements completed): if the process
 *   dies or an acknowledgement fails before that, a restart starts afresh with its sources dropping
 *   what the drain processed, rather than resuming from an older checkpoint whose windows lack
 *   what was acknowledged since (and firing them again without it). A cancel or a failure keeps
 *   the last checkpoint, to resume from.
 *
 * What sinks did after the last checkpoint is done again after a restart: windowed files are
 * rewritten under the same names (idempotent), Pub/Sub publishes may be repeated (at-least-once
 * for external sinks, as with Flink without transactional sinks). What crossed a Reshuffle is
 * passed on only once a checkpoint holds it (stable_reshuffle.ts), so ids given before one
 * (BigQuery insertIds, Pub/Sub idAttribute) are the same when it is sent again.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { BoundedTrieData } from "../../lib/model/bounded_trie";
import type { MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import { Checkpointable, CheckpointContents, checkSamePipeline, DRAINED_SECTION, RESHUFFLE_SECTION, decodeCheckpoint, encodeCheckpoint, IncompatibleCheckpointError, readNumberEntries, readSection, section, writeNumberEntries } from "./checkpoint";
import { CheckpointStore, type StoredCheckpoint } from "./checkpoint_store";
import type { LiveSource } from "./sources";

export { IncompatibleCheckpointError };

/** The section of a real-time source's mark. */
const sourceSection = (unitName: string): string => `source:${unitName}`;

/** Where checkpoints are kept: files in --checkpoint_dir (CheckpointStore), or memory (restart.ts). */
export interface CheckpointStorage {
  /** Names the storage in messages, and (hashed) the run's resumable sources. */
  readonly dir: string;
  /** Whether a checkpoint outlives the process (a file), or only this run (memory). */
  readonly durable: boolean;
  latest(warn: (message: string) => void): StoredCheckpoint | undefined;
  write(seq: number, body: Uint8Array): Promise<unknown>;
  clear(): Promise<void>;
}

export class Checkpointing {
  private seq: number;
  private lastAt = Date.now();
  private lastChanges = -1;
  /** Checkpoints written by this run, and the time spent writing them (for the log and benchmarks). */
  written = 0;
  writeMillis = 0;

  private constructor(
    private readonly store: CheckpointStorage,
    private readonly intervalMs: number,
    private readonly pipeline: Pipeline,
    /** The checkpoint this run resumes from, if any. */
    readonly restored: CheckpointContents | undefined,
    readonly restoredFrom: string | undefined,
    /** The drained checkpoint of a run that ended before removing it: this run starts afresh, with its sources' marks. */
    readonly drained?: CheckpointContents,
  ) {
    this.seq = restored?.seq ?? drained?.seq ?? 0;
  }

  /** Opens the directory and reads its newest checkpoint, refusing one written by another pipeline. */
  static open(dir: string, pipeline: Pipeline, intervalMs: number, warn: (message: string) => void): Checkpointing {
    const store = new CheckpointStore(path.resolve(dir));
    store.prepare();
    return Checkpointing.from(store, pipeline, intervalMs, warn);
  }

  /** Reads the newest checkpoint of a storage (files or memory), refusing one written by another pipeline. */
  static from(store: CheckpointStorage, pipeline: Pipeline, intervalMs: number, warn: (message: string) => void): Checkpointing {
    const latest = store.latest(warn);
    if (latest === undefined) return new Checkpointing(store, intervalMs, pipeline, undefined, undefined);
    let contents: CheckpointContents;
    try {
      contents = decodeCheckpoint(latest.body);
    } catch (e) {
      throw new IncompatibleCheckpointError(`Checkpoint ${latest.file} cannot be read by this version of Beamline (${(e as Error).message}); give the run another --checkpoint_dir to start afresh`, { cause: e });
    }
    checkSamePipeline(contents, pipeline, latest.file, store.dir);
    if (contents.sections.has(DRAINED_SECTION)) {
      warn(`Checkpoint ${latest.file} is of a run that drained but ended before removing its checkpoints (it died, or its last acknowledgements failed): starting afresh; its sources drop what the drained run processed.`);
      return new Checkpointing(store, intervalMs, pipeline, undefined, undefined, contents);
    }
    return new Checkpointing(store, intervalMs, pipeline, contents, latest.file);
  }

  get dir(): string {
    return this.store.dir;
  }

  /** What a real-time source needs to be resumable: a stable id (per directory and step) and its restored mark. */
  sourceCheckpoints(unitName: string): { stableId: string; resumed: boolean; durable: boolean; restoredMark: Uint8Array | undefined } {
    const stableId = createHash("sha256").update(`${this.store.dir}\u0000${unitName}`).digest("hex").slice(0, 24);
    const from = this.restored ?? this.drained;
    const mark = from?.sections.get(sourceSection(unitName));
    // A restart in the process (restart.ts) gave back what the failed attempt held: nothing comes back late.
    const resumed = from !== undefined && this.store.durable;
    return { stableId, resumed, durable: this.store.durable, restoredMark: mark !== undefined && mark.length > 0 ? mark : undefined };
  }

  /**
   * Whether the run has written no checkpoint yet (a fresh start's first one is taken at once).
   * Not after a drained checkpoint: it stays the latest, with its sources' marks, until this run's
   * sources give theirs.
   */
  get isFresh(): boolean {
    return this.restored === undefined && this.drained === undefined && this.written === 0;
  }

  /** Restores every part from the checkpoint; the parts must be exactly the ones it holds. */
  restore(parts: ReadonlyMap<string, Checkpointable>): void {
    const c = this.restored;
    if (c === undefined) return;
    for (const [id, part] of parts) {
      const bytes = c.sections.get(id);
      // Written by a version whose Reshuffles passed elements straight on: none waits in them.
      if (bytes === undefined && id.startsWith(RESHUFFLE_SECTION)) continue;
      if (bytes === undefined) throw new IncompatibleCheckpointError(`Checkpoint ${this.restoredFrom} holds no state for '${id}'; it was not written by this pipeline. Give the run another --checkpoint_dir to start afresh.`);
      readSection(id, bytes, (r) => part.restore(r));
    }
    for (const id of c.sections.keys()) {
      if (!parts.has(id) && !id.startsWith("source:")) {
        throw new IncompatibleCheckpointError(`Checkpoint ${this.restoredFrom} holds state for '${id}', which this pipeline does not have. Give the run another --checkpoint_dir to start afresh.`);
      }
    }
  }

  /**
   * Whether a checkpoint is due: the interval has passed and the state changed, or elements wait
   * for one (a source's, to be acknowledged; `waiting`: at a Reshuffle, to be passed on).
   */
  due(changes: number, sources: readonly LiveSource[], waiting = false): boolean {
    if (Date.now() - this.lastAt < this.intervalMs) return false;
    return changes !== this.lastChanges || waiting || sources.some((s) => s.holding);
  }

  /**
   * Takes a checkpoint: snapshots every part and every source's mark, writes it durably, then
   * commits what it covers. Call between bundles. `drained`: the run drained; the checkpoint holds
   * only the sources' marks (DRAINED_SECTION).
   */
  async take(parts: ReadonlyMap<string, Checkpointable>, sources: readonly LiveSource[], runId: string, changes: number, drained = false): Promise<void> {
    const started = Date.now();
    const sections = new Map<string, Uint8Array>();
    if (drained) sections.set(DRAINED_SECTION, new Uint8Array(0));
    else for (const [id, part] of parts) sections.set(id, section((w) => part.snapshot(w)));
    for (const s of sources) sections.set(sourceSection(s.unitName), s.checkpointMark());
    const body = encodeCheckpoint({ fingerprint: this.pipeline.fingerprint(), structure: this.pipeline.structure(), runId, seq: this.seq + 1, takenAt: started, sections });
    await this.store.write(this.seq + 1, body);
    this.seq++;
    this.written++;
    this.lastAt = Date.now();
    this.writeMillis += this.lastAt - started;
    this.lastChanges = changes;
    for (const s of sources) await s.commitHeld();
  }

  /** The run drained: everything is flushed and acknowledged, nothing is left to resume. */
  async clear(): Promise<void> {
    await this.store.clear();
  }
}

/**
 * The run's metrics as a checkpoint part: counters, distributions and gauges per step, then the
 * steps' string sets and bounded tries (after all steps, so a checkpoint written before these
 * existed, which ends there, still restores).
 */
export class MetricsPart implements Checkpointable {
  constructor(
    private readonly containers: ReadonlyMap<string, MetricsContainer>,
    private readonly metricsFor: (step: string) => MetricsContainer,
  ) {}

  snapshot(w: ByteWriter): void {
    w.writeVarInt(this.containers.size);
    for (const [step, c] of this.containers) {
      w.writeUtf8Nested(step);
      writeNumberEntries(w, c.counters, c.counters.size);
      w.writeVarInt(c.distributions.size);
      for (const [k, d] of c.distributions) {
        w.writeUtf8Nested(k);
        for (const x of [d.count, d.sum, d.min, d.max]) w.writeDoubleBE(x);
      }
      w.writeVarInt(c.gauges.size);
      for (const [k, g] of c.gauges) {
        w.writeUtf8Nested(k);
        w.writeDoubleBE(g.value);
        w.writeDoubleBE(g.timestamp);
      }
    }
    const withSets = [...this.containers.values()].filter((c) => c.stringSets.size > 0);
    w.writeVarInt(withSets.length);
    for (const c of withSets) {
      w.writeUtf8Nested(c.step);
      w.writeVarInt(c.stringSets.size);
      for (const [k, cell] of c.stringSets) {
        w.writeUtf8Nested(k);
        w.writeVarInt(cell.values.size);
        for (const v of cell.values) w.writeUtf8Nested(v);
      }
    }
    const withTries = [...this.containers.values()].filter((c) => c.boundedTries.size > 0);
    w.writeVarInt(withTries.length);
    for (const c of withTries) {
      w.writeUtf8Nested(c.step);
      w.writeVarInt(c.boundedTries.size);
      for (const [k, data] of c.boundedTries) {
        w.writeUtf8Nested(k);
        const bytes = data.toProto();
        w.writeVarInt(bytes.length);
        w.writeBytes(bytes);
      }
    }
  }

  restore(r: ByteReader): void {
    for (let n = r.readVarInt(); n > 0; n--) {
      const c = this.metricsFor(r.readUtf8Nested());
      c.clear();
      readNumberEntries(r, (k, v) => c.counters.set(k, v));
      for (let m = r.readVarInt(); m > 0; m--) {
        const k = r.readUtf8Nested();
        c.distributions.set(k, { count: r.readDoubleBE(), sum: r.readDoubleBE(), min: r.readDoubleBE(), max: r.readDoubleBE() });
      }
      for (let m = r.readVarInt(); m > 0; m--) {
        const k = r.readUtf8Nested();
        c.gauges.set(k, { value: r.readDoubleBE(), timestamp: r.readDoubleBE() });
      }
    }
    if (r.atEnd()) return;
    for (let n = r.readVarInt(); n > 0; n--) {
      const c = this.metricsFor(r.readUtf8Nested());
      for (let m = r.readVarInt(); m > 0; m--) {
        const k = r.readUtf8Nested();
        const values: string[] = [];
        for (let i = r.readVarInt(); i > 0; i--) values.push(r.readUtf8Nested());
        c.addToStringSet(k, values);
      }
    }
    if (r.atEnd()) return;
    for (let n = r.readVarInt(); n > 0; n--) {
      const c = this.metricsFor(r.readUtf8Nested());
      for (let m = r.readVarInt(); m > 0; m--) {
        const k = r.readUtf8Nested();
        c.mergeBoundedTrie(k, BoundedTrieData.fromProto(r.readBytes(r.readVarInt())));
      }
    }
  }
}
