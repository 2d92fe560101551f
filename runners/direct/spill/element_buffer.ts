/**
 * The elements waiting between two stages of a batch run — a Flatten's or Reshuffle's input, the
 * main input of a ParDo with side inputs — held in memory up to a budget and appended to a spill
 * file past it, so such a PCollection may be larger than the JavaScript heap (as a GroupByKey's
 * shuffle may: shuffle.ts). The budget is `--direct_shuffle_memory_mb` per buffer, counted on an
 * estimate of the elements held; the heap guard (heap_guard.ts) spills sooner once the heap is
 * half full. Reading yields every element exactly once: those in memory, then the spilled ones,
 * streamed from disk a frame at a time. Order is not kept (Flatten and Reshuffle promise none).
 *
 * A spill file is a sequence of frames: uint32 LE byte length, uint32 LE element count, then the
 * elements, each nested-encoded with the PCollection's windowed value coder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Coder } from "../../../lib/coders/coder";
import { ByteReader, ByteWriter } from "../../../lib/coders/byte_io";
import { InternalError } from "../../../lib/model/errors";
import type { WindowedValue } from "../../../lib/model/window";
import { roughSize } from "../shuffle";
import { HEAP_CHECK_EVERY, heapOverFraction, MIN_EARLY_SPILL_BYTES } from "./heap_guard";
import { adoptSpillDirectory, makeSpillDirectory, releaseSpillDirectory, removeSpillDirectory } from "./spill_directory";

/** Where elements are written: an ElementBuffer, or a plain array (side inputs stay in memory). */
export interface ElementSink {
  push(element: WindowedValue<unknown>): void;
}

/** Settings of one buffer. */
export interface ElementBufferOptions {
  /** The PCollection's windowed value coder, asked for at the first spill. */
  readonly coder: () => Coder<WindowedValue<unknown>>;
  readonly memoryBudgetBytes: number;
  /** The directory to make the buffer's spill directory in. */
  readonly spillDirectory: string;
  /** The transform (or PCollection) whose elements the buffer holds, for messages. */
  readonly stepName: string;
}

/** A spill file handed from a worker thread's buffer to the coordinator's (same machine). */
export interface SpilledPart {
  /** The directory holding `file`; whoever holds the part removes it. */
  readonly dir: string;
  readonly file: string;
  readonly count: number;
  readonly bytes: number;
}

/** A buffer's elements as they cross from a worker thread: the in-memory ones encoded, the spilled ones by file. */
export interface HandedOverElements {
  readonly elements: Uint8Array;
  readonly spilled: readonly SpilledPart[];
}

/** What a buffer held at a moment, for `rollback`. */
export interface BufferMark {
  readonly memory: number;
  readonly spilledCount: number;
  readonly fileBytes: number;
  readonly adopted: number;
  readonly spills: number;
  /** Where the elements in memory at the mark ended in the file, once a spill wrote them there. */
  memoryEnd?: { readonly fileBytes: number; readonly spilledCount: number };
}

/** Bytes an element costs in V8 besides its value: the WindowedValue object and its windows array. */
const ELEMENT_OVERHEAD_BYTES = 80;
/** The size estimate looks at one element in this many (the rest are counted alike). */
const SAMPLE_EVERY = 8;
/** Encoded bytes per frame (a frame is read back whole). */
const FRAME_BYTES = 1 << 20;
const FRAME_HEAD = 8;

let warned = false;

export class ElementBuffer implements Iterable<WindowedValue<unknown>> {
  private memory: WindowedValue<unknown>[] = [];
  private estimatedBytes = 0;
  private pushes = 0;
  private dir: string | undefined;
  private file: string | undefined;
  private fd: number | undefined;
  /** Bytes and elements in this buffer's own spill file. */
  private fileBytes = 0;
  private spilledCount = 0;
  /** Spill files taken over from worker threads' buffers. */
  private adopted: SpilledPart[] = [];
  private adoptedCount = 0;
  /** The latest mark, while elements in memory at it have not been spilled. */
  private pending: BufferMark | undefined;
  private readonly readers = new Set<number>();
  private coderInstance: Coder<WindowedValue<unknown>> | undefined;
  private writer: ByteWriter | undefined;
  /** Times the buffer spilled (for tests and metrics). */
  spills = 0;
  /** Spills made before the budget because the heap neared its limit. */
  earlySpills = 0;

  constructor(private readonly options: ElementBufferOptions) {}

  /** Elements held, in memory and on disk. */
  get length(): number {
    return this.memory.length + this.spilledCount + this.adoptedCount;
  }

  push(element: WindowedValue<unknown>): void {
    this.memory.push(element);
    if (++this.pushes % SAMPLE_EVERY !== 0) return;
    this.estimatedBytes += SAMPLE_EVERY * (ELEMENT_OVERHEAD_BYTES + roughSize(element.value));
    if (this.estimatedBytes > this.options.memoryBudgetBytes) this.spill();
    else if (this.pushes % HEAP_CHECK_EVERY === 0 && this.estimatedBytes >= MIN_EARLY_SPILL_BYTES) {
      const heap = heapOverFraction();
      if (heap === undefined) return;
      this.warnEarlySpill(heap);
      this.earlySpills++;
      this.spill();
    }
  }

  /** Every element, each exactly once; may be read again (a retried stage). */
  [Symbol.iterator](): Iterator<WindowedValue<unknown>> {
    // Nothing spilled (the common case): the array's own iterator, much faster than a generator's.
    return this.fileBytes === 0 && this.adopted.length === 0 ? this.memory[Symbol.iterator]() : this.readAll();
  }

  private *readAll(): Generator<WindowedValue<unknown>> {
    yield* this.memory;
    if (this.file !== undefined && this.fileBytes > 0) yield* this.readFile(this.file, this.fileBytes);
    for (const part of this.adopted) yield* this.readFile(part.file, part.bytes);
  }

  /** What the buffer holds now; `rollback` returns to it (only to the latest mark). */
  mark(): BufferMark {
    const m: BufferMark = { memory: this.memory.length, spilledCount: this.spilledCount, fileBytes: this.fileBytes, adopted: this.adopted.length, spills: this.spills };
    this.pending = m.memory > 0 ? m : undefined;
    return m;
  }

  /** Drops what was added since `m` (a failed bundle's output), also what of it was spilled. */
  rollback(m: BufferMark): void {
    for (const part of this.adopted.splice(m.adopted)) {
      this.adoptedCount -= part.count;
      removeSpillDirectory(part.dir);
    }
    if (m.memoryEnd !== undefined) {
      this.truncate(m.memoryEnd.fileBytes, m.memoryEnd.spilledCount);
      this.memory = [];
    } else if (this.spills === m.spills || m.memory === 0) {
      this.truncate(m.fileBytes, m.spilledCount);
      this.memory.length = Math.min(this.memory.length, m.memory);
    } else {
      throw new InternalError(`the buffer of ${this.options.stepName} was rolled back to a mark older than its latest`);
    }
    this.pending = undefined;
    this.estimatedBytes = 0;
    for (const e of this.memory) this.estimatedBytes += ELEMENT_OVERHEAD_BYTES + roughSize(e.value);
  }

  /** Takes over a worker thread's handed-over elements. */
  receive(handed: HandedOverElements): void {
    const r = new ByteReader(handed.elements);
    if (!r.atEnd()) {
      const coder = this.coder();
      while (!r.atEnd()) this.push(coder.decode(r, "nested"));
    }
    for (const part of handed.spilled) {
      adoptSpillDirectory(part.dir);
      this.adopted.push(part);
      this.adoptedCount += part.count;
    }
  }

  /**
   * Gives the elements to the coordinator (this buffer is in a worker thread): those in memory
   * encoded, the spill files by path, no longer removed by this thread. The buffer is then empty.
   */
  handOver(): HandedOverElements {
    const w = new ByteWriter(1 << 16);
    if (this.memory.length > 0) {
      const coder = this.coder();
      for (const e of this.memory) coder.encode(e, w, "nested");
    }
    const spilled = [...this.adopted];
    if (this.dir !== undefined && this.file !== undefined && this.spilledCount > 0) spilled.push({ dir: this.dir, file: this.file, count: this.spilledCount, bytes: this.fileBytes });
    this.closeFiles();
    for (const part of spilled) releaseSpillDirectory(part.dir);
    if (this.dir !== undefined && !spilled.some((p) => p.dir === this.dir)) removeSpillDirectory(this.dir);
    this.reset();
    return { elements: w.finish().slice(), spilled };
  }

  /** Removes the spill files and forgets every element (end of the stage reading them, failure, cancel). */
  dispose(): void {
    this.closeFiles();
    if (this.dir !== undefined) removeSpillDirectory(this.dir);
    for (const part of this.adopted) removeSpillDirectory(part.dir);
    this.reset();
  }

  private reset(): void {
    this.memory = [];
    this.estimatedBytes = 0;
    this.dir = this.file = undefined;
    this.fileBytes = this.spilledCount = this.adoptedCount = 0;
    this.adopted = [];
    this.pending = undefined;
  }

  private closeFiles(): void {
    for (const fd of this.readers) fs.closeSync(fd);
    this.readers.clear();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private coder(): Coder<WindowedValue<unknown>> {
    return (this.coderInstance ??= this.options.coder());
  }

  /** Appends the elements in memory to the spill file, in frames. */
  private spill(): void {
    const memory = this.memory;
    const pending = this.pending;
    const before = { fileBytes: this.fileBytes, spilledCount: this.spilledCount };
    try {
      const coder = this.coder();
      const w = (this.writer ??= new ByteWriter(FRAME_BYTES + (64 << 10)));
      w.reset();
      let inFrame = 0;
      for (let i = 0; i < memory.length; i++) {
        coder.encode(memory[i]!, w, "nested");
        inFrame++;
        const markEnds = pending !== undefined && i + 1 === pending.memory;
        if (w.length >= FRAME_BYTES || markEnds || i + 1 === memory.length) {
          this.writeFrame(w.view(), inFrame);
          w.reset();
          inFrame = 0;
        }
        if (markEnds) pending.memoryEnd = { fileBytes: this.fileBytes, spilledCount: this.spilledCount };
      }
    } catch (e) {
      // Nothing half-spilled: the elements stay in memory only.
      if (this.fd !== undefined) this.truncate(before.fileBytes, before.spilledCount);
      if (pending !== undefined) delete pending.memoryEnd;
      throw this.spillError(e);
    }
    this.pending = undefined;
    this.memory = [];
    this.estimatedBytes = 0;
    this.spills++;
  }

  private writeFrame(body: Uint8Array, count: number): void {
    if (this.fd === undefined) {
      this.dir ??= makeSpillDirectory(this.options.spillDirectory);
      this.file = path.join(this.dir, "elements.bin");
      this.fd = fs.openSync(this.file, this.fileBytes === 0 ? "w" : "r+");
    }
    const head = Buffer.allocUnsafe(FRAME_HEAD);
    head.writeUInt32LE(body.length, 0);
    head.writeUInt32LE(count, 4);
    writeFully(this.fd, head, this.fileBytes);
    writeFully(this.fd, body, this.fileBytes + FRAME_HEAD);
    this.fileBytes += FRAME_HEAD + body.length;
    this.spilledCount += count;
  }

  private truncate(fileBytes: number, spilledCount: number): void {
    if (this.fd !== undefined) fs.ftruncateSync(this.fd, fileBytes);
    this.fileBytes = fileBytes;
    this.spilledCount = spilledCount;
  }

  /** A spill file's elements, a frame at a time. */
  private *readFile(file: string, bytes: number): Generator<WindowedValue<unknown>> {
    const coder = this.coder();
    const fd = fs.openSync(file, "r");
    this.readers.add(fd);
    try {
      const head = Buffer.allocUnsafe(FRAME_HEAD);
      for (let at = 0; at < bytes; ) {
        readFully(fd, head, at, file);
        const length = head.readUInt32LE(0);
        const count = head.readUInt32LE(4);
        const body = Buffer.allocUnsafe(length);
        readFully(fd, body, at + FRAME_HEAD, file);
        at += FRAME_HEAD + length;
        const r = new ByteReader(body);
        for (let i = 0; i < count; i++) yield coder.decode(r, "nested");
      }
    } finally {
      // Unless dispose() closed it meanwhile.
      if (this.readers.delete(fd)) fs.closeSync(fd);
    }
  }

  private warnEarlySpill(heap: { readonly usedBytes: number; readonly limitBytes: number }): void {
    if (warned) return;
    warned = true;
    const mb = (n: number): string => `${Math.round(n / (1 << 20))} MB`;
    process.stderr.write(
      `Warning: the elements waiting at ${this.options.stepName} were spilled to disk before their budget (--direct_shuffle_memory_mb ${mb(this.options.memoryBudgetBytes)}; about ${mb(this.estimatedBytes)} held): ` +
        `the JavaScript heap was ${Math.round((100 * heap.usedBytes) / heap.limitBytes)} % full (${mb(heap.usedBytes)} of its ${mb(heap.limitBytes)} limit). ` +
        `They now spill whenever the heap is that full; to keep more in memory, raise the heap's limit (NODE_OPTIONS=--max-old-space-size=MB).\n`,
    );
  }

  private spillError(e: unknown): Error {
    if (!(e instanceof Error)) return new Error(String(e));
    const where = `${this.options.stepName}`;
    const io = (e as NodeJS.ErrnoException).code !== undefined;
    const err = new Error(
      io
        ? `The elements waiting at ${where} could not be spilled to ${this.dir ?? this.options.spillDirectory}: ${e.message}. ` +
            `Free disk space there, point --temp_location (or $TMPDIR) at a disk with room, or raise --direct_shuffle_memory_mb.`
        : `The elements waiting at ${where} could not be encoded to spill them to disk: ${e.message}. Give the PCollection a coder that encodes its elements (setCoder).`,
    );
    (err as Error & { cause?: unknown }).cause = e;
    return err;
  }
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off, position + off);
}

function readFully(fd: number, into: Buffer, position: number, file: string): void {
  for (let off = 0; off < into.length; ) {
    const n = fs.readSync(fd, into, off, into.length - off, position + off);
    if (n === 0) throw new Error(`The spill file ${file} is truncated (the disk may be full, or it was changed while the run read it)`);
    off += n;
  }
}
