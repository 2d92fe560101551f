/**
 * The batches a bundle is building, one per window (Beam Python's `_WindowAwareBatchingDoFn`
 * state): a batch never holds elements of two windows. Shared by BatchElements and RunInference,
 * which batch within a bundle alike: each element adds its size (1, or BatchElements'
 * `elementSizeFn`) to its window's batch, and once more than MAX_LIVE_WINDOWS windows have a
 * batch waiting (sparse windows that never fill one), the fullest is handed on rather than every
 * element being held until the bundle ends.
 */
import type { BoundedWindow } from "../model/window";

/** Windows with a batch waiting before the fullest is handed on anyway (Beam's `_MAX_LIVE_WINDOWS`). */
export const MAX_LIVE_WINDOWS = 10;

/** One window's batch: its items, oldest first, and their total size. */
export interface WindowBatch<T> {
  readonly window: BoundedWindow;
  readonly items: T[];
  size: number;
}

export class WindowBatches<T> {
  private readonly batches = new Map<string, WindowBatch<T>>();

  constructor(private readonly sizeOf: (item: T) => number = () => 1) {}

  /** How many windows have a batch waiting. */
  get liveWindows(): number {
    return this.batches.size;
  }

  /** The batch of a window, if one is waiting. */
  get(window: BoundedWindow): WindowBatch<T> | undefined {
    return this.batches.get(window.id());
  }

  /** Adds an item (of `size`, by default the size function's) to its window's batch, which it returns. */
  add(window: BoundedWindow, item: T, size = this.sizeOf(item)): WindowBatch<T> {
    const id = window.id();
    let batch = this.batches.get(id);
    if (batch === undefined) this.batches.set(id, (batch = { window, items: [], size: 0 }));
    batch.items.push(item);
    batch.size += size;
    return batch;
  }

  /**
   * Takes items from the front of a window's batch: all of them, or as many as fit in `maxSize`
   * (at least one). The window's entry goes once it is empty.
   */
  take(window: BoundedWindow, maxSize = Infinity): T[] {
    const id = window.id();
    const batch = this.batches.get(id);
    if (batch === undefined) return [];
    let n = 0;
    let size = 0;
    while (n < batch.items.length) {
      const s = this.sizeOf(batch.items[n]!);
      if (n > 0 && size + s > maxSize) break;
      size += s;
      n++;
    }
    const taken = batch.items.splice(0, n);
    batch.size -= size;
    if (batch.items.length === 0) this.batches.delete(id);
    return taken;
  }

  /** The waiting batch with the largest size (the first such, in the order the windows came). */
  fullest(): WindowBatch<T> | undefined {
    let best: WindowBatch<T> | undefined;
    for (const b of this.batches.values()) if (best === undefined || b.size > best.size) best = b;
    return best;
  }

  /** The waiting batches, in the order their windows came. */
  all(): WindowBatch<T>[] {
    return [...this.batches.values()];
  }
}
