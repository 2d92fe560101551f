/**
 * The contents of a streaming checkpoint: which pipeline wrote it, and one section of bytes per
 * stateful part of the run (grouping steps, stateful ParDos, side-input stores and gates, the
 * sources, the driver's clocks and counters, the metrics). Every part encodes its own section
 * with the coders of the data it holds (lib/coders), never as JSON of arbitrary values.
 *
 * Body layout: the pipeline's fingerprint and structure lines (to name the first difference when
 * a checkpoint is offered to another pipeline), the run id, the sequence number, the wall time it
 * was taken, then the sections as (id, length-prefixed bytes).
 */
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { PipelineError } from "../../lib/model/errors";
import type { Pipeline } from "../../lib/model/pipeline";

/** A part of a streaming run whose state goes into checkpoints. */
export interface Checkpointable {
  /** Writes the state (between bundles: nothing is in flight). */
  snapshot(w: ByteWriter): void;
  /** Restores what `snapshot` wrote, into a part freshly built for the same pipeline. */
  restore(r: ByteReader): void;
}

/**
 * The prefix of a checkpointed Reshuffle's section (stable_reshuffle.ts). A checkpoint written
 * before Reshuffles held their elements has none: they held nothing then.
 */
export const RESHUFFLE_SECTION = "reshuffle:";

/**
 * The section marking the checkpoint a drain writes before acknowledging what it processed: it
 * holds only the sources' marks. A run started on it starts afresh, its sources dropping the
 * elements the marks name (checkpointing.ts).
 */
export const DRAINED_SECTION = "drained";

/** A decoded checkpoint body. */
export interface CheckpointContents {
  readonly fingerprint: string;
  readonly structure: readonly string[];
  readonly runId: string;
  readonly seq: number;
  readonly takenAt: number;
  readonly sections: ReadonlyMap<string, Uint8Array>;
}

/** A checkpoint was written by another pipeline (or cannot be read by this version). */
export class IncompatibleCheckpointError extends PipelineError {}

export function encodeCheckpoint(c: CheckpointContents): Uint8Array {
  const w = new ByteWriter(1 << 16);
  w.writeUtf8Nested(c.fingerprint);
  w.writeVarInt(c.structure.length);
  for (const line of c.structure) w.writeUtf8Nested(line);
  w.writeUtf8Nested(c.runId);
  w.writeVarInt(c.seq);
  w.writeDoubleBE(c.takenAt);
  w.writeVarInt(c.sections.size);
  for (const [id, bytes] of c.sections) {
    w.writeUtf8Nested(id);
    w.writeVarInt(bytes.length);
    w.writeBytes(bytes);
  }
  return w.finish();
}

export function decodeCheckpoint(body: Uint8Array): CheckpointContents {
  const r = new ByteReader(body);
  const fingerprint = r.readUtf8Nested();
  const structure: string[] = [];
  for (let n = r.readVarInt(); n > 0; n--) structure.push(r.readUtf8Nested());
  const runId = r.readUtf8Nested();
  const seq = r.readVarInt();
  const takenAt = r.readDoubleBE();
  const sections = new Map<string, Uint8Array>();
  for (let n = r.readVarInt(); n > 0; n--) {
    const id = r.readUtf8Nested();
    sections.set(id, r.readBytes(r.readVarInt()));
  }
  return { fingerprint, structure, runId, seq, takenAt, sections };
}

/** Fails unless the checkpoint was written by this pipeline (same graph), naming the first difference. */
export function checkSamePipeline(c: CheckpointContents, pipeline: Pipeline, file: string, dir: string): void {
  const fingerprint = pipeline.fingerprint();
  if (c.fingerprint === fingerprint) return;
  const now = pipeline.structure();
  let i = 0;
  while (i < now.length && i < c.structure.length && now[i] === c.structure[i]) i++;
  const name = (line: string | undefined): string => (line === undefined ? "(nothing)" : line.split(" :: ")[0]!);
  throw new IncompatibleCheckpointError(
    `Checkpoint ${file} was written by a different pipeline (graph fingerprint ${c.fingerprint}; this pipeline's is ${fingerprint}). ` +
      `First difference at transform '${name(now[i] ?? c.structure[i])}': in the checkpoint ${c.structure[i] ?? "(nothing)"}; now ${now[i] ?? "(nothing)"}. ` +
      `A checkpoint restores only the pipeline that wrote it. To start this pipeline afresh, give it another --checkpoint_dir ` +
      `(or empty ${dir}); to resume the old job, run the program and flags that wrote it.`,
  );
}

/** Writes a section: runs `f` over a fresh writer and returns its bytes. */
export function section(f: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(256);
  f(w);
  return w.finish();
}

/** Reads a section completely with `f`; leftover bytes mean the section does not belong to this part. */
export function readSection(id: string, bytes: Uint8Array, f: (r: ByteReader) => void): void {
  const r = new ByteReader(bytes);
  f(r);
  if (!r.atEnd()) throw new IncompatibleCheckpointError(`checkpoint section '${id}' has ${r.remaining} bytes this version of Beamline does not read`);
}

/** An optional double: a presence byte, then the value. */
export function writeOptionalDouble(w: ByteWriter, x: number | undefined): void {
  if (x === undefined) w.writeByte(0);
  else {
    w.writeByte(1);
    w.writeDoubleBE(x);
  }
}

export function readOptionalDouble(r: ByteReader): number | undefined {
  return r.readByte() === 0 ? undefined : r.readDoubleBE();
}

/** Named numbers (watermarks, counts, counters): their count, then each name and value. */
export function writeNumberEntries(w: ByteWriter, entries: Iterable<readonly [string, number]>, size: number): void {
  w.writeVarInt(size);
  for (const [name, x] of entries) {
    w.writeUtf8Nested(name);
    w.writeDoubleBE(x);
  }
}

/** Reads what writeNumberEntries wrote, handing each name and value to `set`. */
export function readNumberEntries(r: ByteReader, set: (name: string, x: number) => void): void {
  for (let n = r.readVarInt(); n > 0; n--) set(r.readUtf8Nested(), r.readDoubleBE());
}
