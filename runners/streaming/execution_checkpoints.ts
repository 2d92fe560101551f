/**
 * Checkpoints of a run on the streaming driver (driver.ts, --checkpoint_dir, and the in-memory
 * snapshots of --direct_bundle_retries): what a checkpoint holds of the driver itself (its
 * clocks, counters and sources' positions), the metrics and the graph's state; and the elements
 * that wait at Reshuffles until a checkpoint holds them (stable_reshuffle.ts).
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { type Checkpointable, IncompatibleCheckpointError, readNumberEntries, readOptionalDouble, writeNumberEntries, writeOptionalDouble } from "./checkpoint";
import { BundleExecution } from "./execution_bundles";
import { checkpointing } from "./execution_state";

export abstract class CheckpointingExecution extends BundleExecution {
  /** Every part of the run that a checkpoint holds: the driver's clocks and counters, the metrics, the graph's state. */
  protected checkpointParts(): Map<string, Checkpointable> {
    const parts = new Map<string, Checkpointable>([
      [DRIVER_PART, { snapshot: (w) => this.snapshotDriver(w), restore: (r) => this.restoreDriver(r) }],
      [METRICS_PART, new (checkpointing().MetricsPart)(this.containers, (step) => this.metricsFor(step))],
    ]);
    for (const [id, part] of this.graph.checkpointables()) parts.set(id, part);
    return parts;
  }

  /** Watermarks, element counts, virtual time, TestStream positions and sources' watermarks. */
  private snapshotDriver(w: ByteWriter): void {
    w.writeByte(this.impulsesDone ? 1 : 0);
    w.writeDoubleBE(this.virtualTime);
    writeNumberEntries(w, this.watermarks, this.watermarks.size);
    writeNumberEntries(w, [...this.counts].map(([id, c]) => [id, c.n] as const), this.counts.size);
    w.writeVarInt(this.scripts.length);
    for (const s of this.scripts) {
      w.writeUtf8Nested(s.unitName);
      w.writeVarInt(s.next);
      w.writeDoubleBE(s.watermark);
    }
    w.writeVarInt(this.live.length);
    for (const s of this.live) {
      w.writeUtf8Nested(s.unitName);
      writeOptionalDouble(w, s.checkpointWatermark);
    }
  }

  private restoreDriver(r: ByteReader): void {
    this.impulsesDone = r.readByte() === 1;
    this.virtualTime = r.readDoubleBE();
    readNumberEntries(r, (id, t) => this.watermarks.set(id, t));
    readNumberEntries(r, (id, n) => (this.counterOf(id).n = n));
    const unknown = (kind: string, name: string): Error => new IncompatibleCheckpointError(`the checkpoint has a ${kind} '${name}' this pipeline does not have; give the run another --checkpoint_dir to start afresh`);
    for (let n = r.readVarInt(); n > 0; n--) {
      const name = r.readUtf8Nested();
      const script = this.scripts.find((s) => s.unitName === name);
      if (script === undefined) throw unknown("TestStream", name);
      script.next = r.readVarInt();
      script.watermark = r.readDoubleBE();
    }
    for (let n = r.readVarInt(); n > 0; n--) {
      const name = r.readUtf8Nested();
      const src = this.live.find((s) => s.unitName === name);
      if (src === undefined) throw unknown("source", name);
      src.reportedWatermark = readOptionalDouble(r);
    }
  }

  /** Takes a checkpoint (its sources' elements are then acknowledged), then passes on what waited at Reshuffles. */
  protected async checkpoint(): Promise<void> {
    await this.checkpoints!.take(this.checkpointParts(), this.live, this.runId, this.changes);
    await this.passOnReshuffled();
  }

  /** Whether elements wait at a Reshuffle for a checkpoint (runs that take checkpoints). */
  protected get reshuffleWaiting(): boolean {
    for (const r of this.graph.reshuffles.values()) if (r.holding) return true;
    return false;
  }

  /**
   * The last checkpoint written (or restored) holds what waits at the Reshuffles: passed on, in a
   * bundle. A run resumed from that checkpoint passes on the same elements again (same ids).
   */
  protected async passOnReshuffled(): Promise<void> {
    if (!this.reshuffleWaiting) return;
    const taken = [...this.graph.reshuffles.values()].map((r) => [r, r.takeWaiting()] as const);
    await this.bundle(async () => {
      for (const [r, elements] of taken) await r.passOn(elements);
    });
  }
}

/** Section of the driver's own state in a checkpoint. */
const DRIVER_PART = "driver";
const METRICS_PART = "metrics";
