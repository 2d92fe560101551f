/**
 * The materialized contents of a side-input PCollection in a streaming run, per window. A
 * window's contents are read once the side input's watermark has passed its end (the SideInputGate
 * holds main-input elements until then), and dropped once no consumer can read that window any
 * more: every consumer's input watermark is past the window's end plus the consumer's allowed
 * lateness. Without that, a long-running pipeline with windowed side inputs would keep every
 * window it ever saw.
 */
import type { BoundedWindow, ElementMeta, Instant } from "../../lib/model/window";
import type { SideInputContents } from "../executor/side_input_reader";
import type { MaybePromise, Receiver } from "../executor/receiver";

interface WindowContents {
  readonly window: BoundedWindow;
  readonly values: unknown[];
}

/** Tells the store how far one consumer has got: nothing before `readable()` can be read again. */
export interface SideInputConsumer {
  /** The earliest side-input window end (inclusive max timestamp) the consumer may still read. */
  readable(): Instant;
}

export class SideInputStore implements Receiver, SideInputContents {
  private readonly windows = new Map<string, WindowContents>();
  private readonly consumers: SideInputConsumer[] = [];
  /** Bumped on every change; readers rebuild a cached view when it moved. */
  private version = 0;
  /** Windows ending before this were dropped (or never held anything by then). */
  private collectedBelow: Instant = -Infinity;

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    for (const w of meta.windows) {
      const id = w.id();
      let c = this.windows.get(id);
      if (c === undefined) this.windows.set(id, (c = { window: w, values: [] }));
      c.values.push(value);
    }
    this.version++;
    return undefined;
  }

  valuesIn(windowId: string): readonly unknown[] {
    return this.windows.get(windowId)?.values ?? [];
  }

  versionOf(): number {
    return this.version;
  }

  addConsumer(consumer: SideInputConsumer): void {
    this.consumers.push(consumer);
  }

  /** Drops the windows no consumer can read any more. */
  collect(): void {
    if (this.consumers.length === 0) return;
    const horizon = Math.min(...this.consumers.map((c) => c.readable()));
    if (horizon <= this.collectedBelow) return;
    this.collectedBelow = horizon;
    let dropped = false;
    for (const [id, c] of this.windows) {
      if (c.window.maxTimestamp() < horizon) {
        this.windows.delete(id);
        dropped = true;
      }
    }
    if (dropped) this.version++;
  }

  /** Whether the window may still be read: it was not dropped (it may be empty). */
  holds(window: BoundedWindow): boolean {
    return window.maxTimestamp() >= this.collectedBelow;
  }

  /** Number of windows held (for tests). */
  get windowCount(): number {
    return this.windows.size;
  }
}
