/**
 * K-way merging of sorted shuffle runs with a bounded fan-in: at most `fanIn` runs are read at
 * once (each through one block-sized buffer), so a shuffle with thousands of runs is first merged
 * down in passes, each pass merging consecutive runs into one, until `fanIn` remain.
 *
 * Parts of one group from several runs come out in run order, so a GroupByKey's values keep the
 * order they were added in, as they do when nothing spilled.
 */
import * as fs from "node:fs";
import { recordHead, recordValues, RunReader, RunRecord, RunWriter } from "./run_file";

/** Reads several runs as one sorted sequence of groups. */
export class RunMerger {
  private readonly readers: RunReader[] = [];
  /** Reader indices ordered as a binary min-heap by (current id, index). */
  private readonly heap: number[] = [];
  /** Readers whose records the last `next()` returned: advanced on the following call. */
  private readonly taken: number[] = [];
  private readonly parts: RunRecord[] = [];

  constructor(files: readonly string[], blockBytes: number) {
    try {
      for (const f of files) this.readers.push(new RunReader(f, blockBytes));
      for (let i = 0; i < this.readers.length; i++) if (this.readers[i]!.advance()) this.push(i);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * The records of the next group id, one per run that holds it, in run order; undefined at the
   * end. They are views, valid until the next call.
   */
  next(): readonly RunRecord[] | undefined {
    const readers = this.readers;
    for (const i of this.taken) if (readers[i]!.advance()) this.push(i);
    this.taken.length = 0;
    this.parts.length = 0;
    if (this.heap.length === 0) return undefined;
    const id = readers[this.heap[0]!]!.record.id;
    while (this.heap.length > 0 && readers[this.heap[0]!]!.record.id === id) {
      const i = this.pop();
      this.taken.push(i);
      this.parts.push(readers[i]!.record);
    }
    return this.parts;
  }

  close(): void {
    for (const r of this.readers) r.close();
  }

  private less(a: number, b: number): boolean {
    const x = this.readers[a]!.record.id;
    const y = this.readers[b]!.record.id;
    return x < y || (x === y && a < b);
  }

  private push(i: number): void {
    const h = this.heap;
    let c = h.length;
    h.push(i);
    while (c > 0) {
      const parent = (c - 1) >> 1;
      if (!this.less(h[c]!, h[parent]!)) break;
      [h[c], h[parent]] = [h[parent]!, h[c]!];
      c = parent;
    }
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const m = r < h.length && this.less(h[r]!, h[l]!) ? r : l;
        if (!this.less(h[m]!, h[c]!)) break;
        [h[c], h[m]] = [h[m]!, h[c]!];
        c = m;
      }
    }
    return top;
  }
}

/** Merges runs into one file: a group found in several runs becomes one record, values in run order. */
export function mergeToFile(files: readonly string[], target: string, blockBytes: number): number {
  const merger = new RunMerger(files, blockBytes);
  let writer: RunWriter | undefined;
  const values: Uint8Array[] = [];
  try {
    writer = new RunWriter(target);
    for (let parts = merger.next(); parts !== undefined; parts = merger.next()) {
      const first = parts[0]!;
      let min = first.minTimestamp;
      let max = first.maxTimestamp;
      let count = 0;
      values.length = 0;
      for (const p of parts) {
        if (p.minTimestamp < min) min = p.minTimestamp;
        if (p.maxTimestamp > max) max = p.maxTimestamp;
        count += p.count;
        values.push(recordValues(p));
      }
      writer.writeRecord(first.id, min, max, count, recordHead(first), values);
    }
    writer.close();
    return writer.bytes;
  } catch (e) {
    writer?.abort();
    fs.rmSync(target, { force: true });
    throw e;
  } finally {
    merger.close();
  }
}

/**
 * Merges consecutive runs, fewest first, until at most `fanIn` remain; returns the runs left, in
 * order. Each pass merges only as many runs as needed, so little is written twice.
 */
export function mergeDown(runs: readonly string[], fanIn: number, blockBytes: number, newFile: () => string, onMerged: (bytes: number) => void): string[] {
  const files = [...runs];
  let at = 0;
  while (files.length > fanIn) {
    const k = Math.min(fanIn, files.length - fanIn + 1);
    if (at + k > files.length) at = 0;
    const group = files.slice(at, at + k);
    const merged = newFile();
    onMerged(mergeToFile(group, merged, blockBytes));
    for (const f of group) fs.rmSync(f, { force: true });
    files.splice(at, k, merged);
    at++;
  }
  return files;
}
