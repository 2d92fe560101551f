/**
 * The DirectRunner's shuffle for GroupByKey and lifted combines: groups in memory up to a
 * budget, then spills sorted runs to disk and merges them when read, so data larger than RAM
 * can be grouped.
 *
 * Run file record: uint32 length, then groupId (bytes), key (key coder), window, timestamp,
 * count, values (value coder), all nested-encoded.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { BoundedWindow, GlobalWindow, Instant, IntervalWindow } from "../../lib/model/window";
import type { GroupingSink } from "../executor/combine_operator";

/** One group read back from the shuffle. */
export interface Group {
  readonly key: unknown;
  readonly window: BoundedWindow;
  /** Earliest timestamp of the group's inputs. */
  readonly minTimestamp: Instant;
  /** Latest timestamp of the group's inputs. */
  readonly maxTimestamp: Instant;
  /** The values (GroupByKey) or accumulators (lifted combine). */
  readonly values: unknown[];
}

interface MutableGroup {
  key: unknown;
  window: BoundedWindow;
  minTimestamp: Instant;
  maxTimestamp: Instant;
  values: unknown[];
}

/** Rough in-memory size of a value, for the memory budget (cheap, not exact). */
export function roughSize(value: unknown, depth = 0): number {
  switch (typeof value) {
    case "string":
      return 24 + 2 * value.length;
    case "number":
    case "boolean":
    case "undefined":
      return 8;
    case "bigint":
      return 24;
    case "object": {
      if (value === null) return 8;
      if (value instanceof Uint8Array) return 64 + value.byteLength;
      if (depth > 2) return 64;
      let size = 32;
      if (Array.isArray(value)) {
        const n = value.length;
        const sample = Math.min(n, 8);
        let sampled = 0;
        for (let i = 0; i < sample; i++) sampled += roughSize(value[i], depth + 1);
        return size + 8 * n + (sample === 0 ? 0 : (sampled / sample) * n);
      }
      for (const k in value as Record<string, unknown>) size += 16 + k.length + roughSize((value as Record<string, unknown>)[k], depth + 1);
      return size;
    }
    default:
      return 64;
  }
}

/** Settings of one shuffle. */
export interface ShuffleOptions {
  readonly keyCoder: Coder<unknown>;
  readonly valueCoder: Coder<unknown>;
  /** Merge values as accumulators of this CombineFn (a lifted combine) instead of listing them. */
  readonly combineFn?: CombineFnLike;
  readonly memoryBudgetBytes: number;
  /** Directory for spill files (a fresh temp directory by default). */
  readonly spillDirectory?: string;
}

export class Shuffle implements GroupingSink {
  private groups = new Map<string, MutableGroup>();
  private estimatedBytes = 0;
  private readonly runs: string[] = [];
  private spillDir: string | undefined;
  /** Number of times the shuffle spilled to disk (for tests and metrics). */
  spills = 0;

  constructor(private readonly options: ShuffleOptions) {}

  /** How many groups `read` yields, when known without merging spilled runs. */
  get groupCount(): number | undefined {
    return this.runs.length === 0 ? this.groups.size : undefined;
  }

  add(groupId: string, key: unknown, window: BoundedWindow, timestamp: Instant, value: unknown): void {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      g = { key, window, minTimestamp: timestamp, maxTimestamp: timestamp, values: [value] };
      this.groups.set(groupId, g);
      this.estimatedBytes += 96 + 2 * groupId.length + roughSize(value);
    } else {
      if (timestamp < g.minTimestamp) g.minTimestamp = timestamp;
      if (timestamp > g.maxTimestamp) g.maxTimestamp = timestamp;
      const fn = this.options.combineFn;
      if (fn !== undefined) {
        g.values[0] = fn.mergeAccumulators([g.values[0], value]);
      } else {
        g.values.push(value);
        this.estimatedBytes += 8 + roughSize(value);
      }
    }
    if (this.estimatedBytes > this.options.memoryBudgetBytes) this.spill();
  }

  /** Every group, each exactly once (sorted by group id when the shuffle spilled). */
  *read(): Generator<Group> {
    if (this.runs.length === 0) {
      yield* this.groups.values();
      this.groups = new Map();
      return;
    }
    if (this.groups.size > 0) this.spill();
    const readers = this.runs.map((file) => new RunReader(file, this.options));
    try {
      const heads = readers.map((r) => r.next());
      for (;;) {
        let minId: string | undefined;
        for (const h of heads) if (h !== undefined && (minId === undefined || h.id < minId)) minId = h.id;
        if (minId === undefined) break;
        let merged: MutableGroup | undefined;
        for (let i = 0; i < heads.length; i++) {
          const h = heads[i];
          if (h === undefined || h.id !== minId) continue;
          if (merged === undefined) merged = h.group;
          else {
            merged.minTimestamp = Math.min(merged.minTimestamp, h.group.minTimestamp);
            merged.maxTimestamp = Math.max(merged.maxTimestamp, h.group.maxTimestamp);
            if (this.options.combineFn !== undefined) merged.values = [this.options.combineFn.mergeAccumulators([merged.values[0], h.group.values[0]])];
            else for (const v of h.group.values) merged.values.push(v);
          }
          heads[i] = readers[i]!.next();
        }
        yield merged!;
      }
    } finally {
      for (const r of readers) r.close();
      this.dispose();
    }
  }

  /** Removes spill files. */
  dispose(): void {
    if (this.spillDir !== undefined) {
      fs.rmSync(this.spillDir, { recursive: true, force: true });
      this.spillDir = undefined;
    }
    this.runs.length = 0;
  }

  private spill(): void {
    this.spillDir ??= fs.mkdtempSync(path.join(this.options.spillDirectory ?? os.tmpdir(), "beamline-shuffle-"));
    const file = path.join(this.spillDir, `run-${this.runs.length}.bin`);
    const ids = [...this.groups.keys()].sort();
    const fd = fs.openSync(file, "w");
    try {
      const w = new ByteWriter();
      const record = new ByteWriter();
      for (const id of ids) {
        const g = this.groups.get(id)!;
        record.reset();
        writeGroup(record, id, g, this.options);
        const bytes = record.finish();
        w.writeInt32BE(bytes.length);
        w.writeBytes(bytes);
        if (w.length > 4 << 20) {
          fs.writeSync(fd, w.finish());
          w.reset();
        }
      }
      fs.writeSync(fd, w.finish());
    } finally {
      fs.closeSync(fd);
    }
    this.runs.push(file);
    this.groups = new Map();
    this.estimatedBytes = 0;
    this.spills++;
  }
}

function writeGroup(w: ByteWriter, id: string, g: MutableGroup, o: ShuffleOptions): void {
  w.writeUtf8Nested(id);
  o.keyCoder.encode(g.key, w, "nested");
  if (g.window instanceof IntervalWindow) {
    w.writeByte(1);
    w.writeDoubleBE(g.window.start);
    w.writeDoubleBE(g.window.end);
  } else w.writeByte(0);
  w.writeDoubleBE(g.minTimestamp);
  w.writeDoubleBE(g.maxTimestamp);
  w.writeVarInt(g.values.length);
  for (const v of g.values) o.valueCoder.encode(v, w, "nested");
}

/** Reads the records of one run file in order, a block at a time. */
class RunReader {
  private readonly fd: number;
  private buffer = Buffer.alloc(0);
  private offset = 0;
  private eof = false;

  constructor(
    file: string,
    private readonly options: ShuffleOptions,
  ) {
    this.fd = fs.openSync(file, "r");
  }

  next(): { id: string; group: MutableGroup } | undefined {
    if (!this.ensure(4)) return undefined;
    const length = this.buffer.readUInt32BE(this.offset);
    if (!this.ensure(4 + length)) throw new Error("shuffle spill file is truncated");
    const r = new ByteReader(this.buffer.subarray(this.offset + 4, this.offset + 4 + length));
    this.offset += 4 + length;
    const id = r.readUtf8Nested();
    const key = this.options.keyCoder.decode(r, "nested");
    const window: BoundedWindow = r.readByte() === 1 ? new IntervalWindow(r.readDoubleBE(), r.readDoubleBE()) : GlobalWindow.INSTANCE;
    const minTimestamp = r.readDoubleBE();
    const maxTimestamp = r.readDoubleBE();
    const n = r.readVarInt();
    const values: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) values[i] = this.options.valueCoder.decode(r, "nested");
    return { id, group: { key, window, minTimestamp, maxTimestamp, values } };
  }

  private ensure(n: number): boolean {
    while (this.buffer.length - this.offset < n) {
      if (this.eof) {
        if (this.buffer.length - this.offset === 0) return false;
        return false;
      }
      const chunk = Buffer.alloc(Math.max(4 << 20, n));
      const read = fs.readSync(this.fd, chunk, 0, chunk.length, null);
      if (read === 0) this.eof = true;
      this.buffer = Buffer.concat([this.buffer.subarray(this.offset), chunk.subarray(0, read)]);
      this.offset = 0;
    }
    return true;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
