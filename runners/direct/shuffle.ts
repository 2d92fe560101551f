/**
 * The DirectRunner's shuffle for GroupByKey and lifted combines. Groups live in a Map (fast when
 * everything fits) whose size is estimated in bytes (ids, keys, values and a per-group overhead);
 * past the budget the groups are written to disk as a run sorted by group id and the Map starts
 * again, so memory holds about one budget of groups whatever the number of keys. Reading merges
 * the runs (spill/merge.ts: k-way, streaming, bounded fan-in), one group at a time.
 *
 * Groups come out in the order they were first added when nothing spilled, and sorted by group id
 * when something did; a group's values keep the order they were added in either way.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { BoundedWindow, GlobalWindow, Instant, IntervalWindow } from "../../lib/model/window";
import type { GroupingSink } from "../executor/combine_operator";
import { mergeDown, RunMerger } from "./spill/merge";
import { RunRecord, RunWriter } from "./spill/run_file";
import { sortIdsWith } from "./spill/sort_ids";
import { makeSpillDirectory, removeSpillDirectory, spillBase } from "./spill/spill_directory";
import { HEAP_CHECK_EVERY, heapOverFraction, MIN_EARLY_SPILL_BYTES, warnEarlySpill } from "./spill/heap_guard";

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

/**
 * A group being filled. Most groups of a large shuffle hold one value, so the first is kept in a
 * field and the array made only for a second: two objects fewer per group for the young-generation
 * GC to copy while the group waits for the read or a spill.
 */
interface MutableGroup {
  key: unknown;
  window: BoundedWindow;
  minTimestamp: Instant;
  maxTimestamp: Instant;
  first: unknown;
  /** All the values, once there is more than one (`first` is then `values[0]`). */
  values: unknown[] | undefined;
}

function valuesOf(g: MutableGroup): unknown[] {
  return g.values ?? [g.first];
}

/**
 * Bytes a group costs in V8 besides its id, key and value: the Map entry and its share of the
 * table, the group object with its two timestamps. With the id and key sizes below, the estimate
 * is a little above the heap measured after a full GC (Node 20: 218 bytes for a group of a
 * 33-character string key and one value, estimated 254; key strings of one-byte characters take
 * half what `roughSize` counts).
 */
const GROUP_OVERHEAD_BYTES = 40;
/** The values array a group gets with its second value (the array and its first backing store). */
const VALUES_ARRAY_BYTES = 56;
/** A group id: a cons string and its flattened copy. */
const ID_OVERHEAD_BYTES = 48;
/** Each further value: its array slot, with the array's growth. */
const VALUE_SLOT_BYTES = 12;

/** A run record's head: its first byte says what follows. */
const HEAD_GLOBAL = 0; // global window, then the key (nested)
const HEAD_INTERVAL = 1; // the window's start and end (float64), then the key
const HEAD_KEY_IN_ID = 2; // global window, and a string key that is its group id without the leading "s"

/** Runs read at once when merging; more runs are first merged down in passes. */
export const DEFAULT_MERGE_FAN_IN = 64;

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
  /** Directory to make the spill directory in (default: a local --temp_location, else the OS temp directory). */
  readonly spillDirectory?: string;
  /** Runs merged at once (default 64). */
  readonly mergeFanIn?: number;
  /** The grouping transform, for error messages. */
  readonly stepName?: string;
}

export class Shuffle implements GroupingSink {
  private groups = new Map<string, MutableGroup>();
  private estimatedBytes = 0;
  /** Additions since the heap was last looked at (spill/heap_guard.ts). */
  private sinceHeapCheck = 0;
  private runs: string[] = [];
  private spillDir: string | undefined;
  private fileCount = 0;
  private merger: RunMerger | undefined;
  private readonly payload = new ByteWriter(1024);
  /** Number of times the shuffle spilled to disk (for tests and metrics). */
  spills = 0;
  /** Spills made before the budget because the heap neared its limit (for tests). */
  earlySpills = 0;
  /** Runs written by merge passes before the final merge (for tests). */
  mergedRuns = 0;
  /** Bytes written to spill files (runs and merge passes). */
  spilledBytes = 0;

  constructor(private readonly options: ShuffleOptions) {}

  /** How many groups `read` yields, when known without merging spilled runs. */
  get groupCount(): number | undefined {
    return this.runs.length === 0 ? this.groups.size : undefined;
  }

  add(groupId: string, key: unknown, window: BoundedWindow, timestamp: Instant, value: unknown): void {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      g = { key, window, minTimestamp: timestamp, maxTimestamp: timestamp, first: value, values: undefined };
      this.groups.set(groupId, g);
      this.estimatedBytes += GROUP_OVERHEAD_BYTES + ID_OVERHEAD_BYTES + 2 * groupId.length + roughSize(key) + roughSize(value);
    } else {
      if (timestamp < g.minTimestamp) g.minTimestamp = timestamp;
      if (timestamp > g.maxTimestamp) g.maxTimestamp = timestamp;
      const fn = this.options.combineFn;
      if (fn !== undefined) {
        g.first = fn.mergeAccumulators([g.first, value]);
      } else {
        if (g.values === undefined) {
          g.values = [g.first, value];
          this.estimatedBytes += VALUES_ARRAY_BYTES;
        } else g.values.push(value);
        this.estimatedBytes += VALUE_SLOT_BYTES + roughSize(value);
      }
    }
    if (this.estimatedBytes > this.options.memoryBudgetBytes) this.spill();
    else if (++this.sinceHeapCheck === HEAP_CHECK_EVERY) this.spillIfHeapFull();
  }

  /** Spills before the budget when the heap nears its limit (spill/heap_guard.ts). */
  private spillIfHeapFull(): void {
    this.sinceHeapCheck = 0;
    if (this.estimatedBytes < MIN_EARLY_SPILL_BYTES) return;
    const heap = heapOverFraction();
    if (heap === undefined) return;
    warnEarlySpill(this.options.stepName, heap, this.estimatedBytes, this.options.memoryBudgetBytes);
    this.earlySpills++;
    this.spill();
  }

  /** Every group, each exactly once (sorted by group id when the shuffle spilled). */
  *read(): Generator<Group> {
    if (this.runs.length === 0) {
      for (const g of this.groups.values()) yield { key: g.key, window: g.window, minTimestamp: g.minTimestamp, maxTimestamp: g.maxTimestamp, values: valuesOf(g) };
      this.groups = new Map();
      return;
    }
    try {
      if (this.groups.size > 0) this.spill();
      const fanIn = Math.max(2, this.options.mergeFanIn ?? DEFAULT_MERGE_FAN_IN);
      // Merging reads one block per run: together about half the budget (which is free by now).
      const blockBytes = Math.min(1 << 20, Math.max(64 << 10, Math.floor(this.options.memoryBudgetBytes / (2 * fanIn))));
      this.runs = mergeDown(this.runs, fanIn, blockBytes, () => this.nextFile(), (bytes) => {
        this.spilledBytes += bytes;
        this.mergedRuns++;
      });
      this.merger = new RunMerger(this.runs, blockBytes);
      for (let parts = this.merger.next(); parts !== undefined; parts = this.merger.next()) yield this.decode(parts);
    } catch (e) {
      throw this.spillError(e, "read back");
    } finally {
      this.dispose();
    }
  }

  /** Removes spill files (also after a failure, or when reading stopped early). */
  dispose(): void {
    this.merger?.close();
    this.merger = undefined;
    if (this.spillDir !== undefined) {
      removeSpillDirectory(this.spillDir);
      this.spillDir = undefined;
    }
    this.runs = [];
  }

  private nextFile(): string {
    this.spillDir ??= makeSpillDirectory(this.options.spillDirectory ?? spillBase(undefined));
    return path.join(this.spillDir, `run-${this.fileCount++}.bin`);
  }

  private spill(): void {
    const o = this.options;
    const ids: string[] = [];
    const groups: MutableGroup[] = [];
    for (const [id, g] of this.groups) {
      ids.push(id);
      groups.push(g);
    }
    sortIdsWith(ids, groups);
    let writer: RunWriter | undefined;
    try {
      writer = new RunWriter(this.nextFile());
      const payload = this.payload;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const g = groups[i]!;
        payload.reset();
        const key = g.key;
        if (g.window === GlobalWindow.INSTANCE && typeof key === "string" && id.length === key.length + 1 && id.endsWith(key)) {
          // The id is "s" + the key (grouping_key.ts): the key is read back from it, not stored twice.
          payload.writeByte(HEAD_KEY_IN_ID);
        } else {
          if (g.window instanceof IntervalWindow) {
            payload.writeByte(HEAD_INTERVAL);
            payload.writeDoubleBE(g.window.start);
            payload.writeDoubleBE(g.window.end);
          } else payload.writeByte(HEAD_GLOBAL);
          o.keyCoder.encode(key, payload, "nested");
        }
        const headLength = payload.length;
        let count = 1;
        if (g.values === undefined) o.valueCoder.encode(g.first, payload, "nested");
        else {
          for (const v of g.values) o.valueCoder.encode(v, payload, "nested");
          count = g.values.length;
        }
        writer.writeGroup(id, g.minTimestamp, g.maxTimestamp, count, payload.view(), headLength);
      }
      writer.close();
    } catch (e) {
      if (writer !== undefined) {
        writer.abort();
        fs.rmSync(writer.file, { force: true });
      }
      throw this.spillError(e, "write");
    }
    this.runs.push(writer.file);
    this.spilledBytes += writer.bytes;
    this.groups = new Map();
    this.estimatedBytes = 0;
    this.spills++;
  }

  /** A group from its parts in the runs (run order: values in the order they were added). */
  private decode(parts: readonly RunRecord[]): Group {
    const o = this.options;
    const first = parts[0]!;
    let key: unknown;
    let window: BoundedWindow = GlobalWindow.INSTANCE;
    const kind = first.block[first.headAt];
    if (kind === HEAD_KEY_IN_ID) key = first.id.slice(1);
    else {
      const head = new ByteReader(first.block, first.headAt + 1, first.valuesAt);
      if (kind === HEAD_INTERVAL) window = new IntervalWindow(head.readDoubleBE(), head.readDoubleBE());
      key = o.keyCoder.decode(head, "nested");
    }
    let minTimestamp = first.minTimestamp;
    let maxTimestamp = first.maxTimestamp;
    let n = 0;
    for (const p of parts) n += p.count;
    let values: unknown[] = new Array(n);
    let i = 0;
    for (const p of parts) {
      if (p.minTimestamp < minTimestamp) minTimestamp = p.minTimestamp;
      if (p.maxTimestamp > maxTimestamp) maxTimestamp = p.maxTimestamp;
      const r = new ByteReader(p.block, p.valuesAt, p.end);
      for (let k = 0; k < p.count; k++) values[i++] = o.valueCoder.decode(r, "nested");
    }
    if (o.combineFn !== undefined && values.length > 1) values = [o.combineFn.mergeAccumulators(values)];
    return { key, window, minTimestamp, maxTimestamp, values };
  }

  private spillError(e: unknown, what: string): Error {
    if (!(e instanceof Error) || (e as NodeJS.ErrnoException).code === undefined) return e as Error;
    const where = this.options.stepName !== undefined ? ` of ${this.options.stepName}` : "";
    const dir = this.spillDir ?? this.options.spillDirectory ?? spillBase(undefined);
    const err = new Error(
      `The shuffle${where} could not ${what} its spill files in ${dir}: ${e.message}. ` +
        `Free disk space there, point --temp_location (or $TMPDIR) at a disk with room, or raise --direct_shuffle_memory_mb.`,
    );
    (err as Error & { cause?: unknown }).cause = e;
    return err;
  }
}
