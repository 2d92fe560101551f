/**
 * The materialized contents of a side-input PCollection in a streaming run, per window.
 *
 * - Without a trigger of its own (the default trigger), a window is read once the side input's
 *   watermark has passed its end (the SideInputGate holds main-input elements until then) and
 *   holds every element of the window.
 * - With a trigger (e.g. the "slowly updating side input": a global window and
 *   `Repeatedly(AfterProcessingTime(...))`), the store materializes the view as Beam does, through
 *   a grouping on a single key with the PCollection's windowing strategy: a window is readable
 *   once its first pane has fired, and reads see the latest pane with elements (with DISCARDING,
 *   the elements since the previous firing; with ACCUMULATING, all of them): an empty pane, such
 *   as a DISCARDING on-time pane after early ones, leaves the view as it was, as in Beam Java.
 *
 * Windows are dropped once no consumer can read them any more (every consumer's watermark past
 * the window's end plus its allowed lateness), so long runs do not keep every window they saw.
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import type { MetricsContainer } from "../../lib/model/metrics";
import { BoundedWindow, ElementMeta, Instant, KV, kv } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { defaultCoder, deterministicKeyCoder } from "../executor/default_coders";
import { windowCoderFor } from "../direct/transfer";
import type { Checkpointable } from "./checkpoint";
import type { MaybePromise, Receiver } from "../executor/receiver";
import type { SideInputContents } from "../executor/side_input_reader";
import { Clocks, GroupNode } from "./grouping";

interface WindowContents {
  readonly window: BoundedWindow;
  values: unknown[];
}

/** Tells the store how far one consumer has got: nothing before `readable()` can be read again. */
export interface SideInputConsumer {
  /** The earliest side-input window end (inclusive max timestamp) the consumer may still read. */
  readable(): Instant;
}

/** Whether a windowing strategy fires panes of its own (anything but the default trigger). */
export function isTriggered(w: WindowingStrategy): boolean {
  return w.trigger !== undefined && w.trigger.kind !== "default";
}

export class SideInputStore implements Receiver, SideInputContents, Checkpointable {
  private readonly windows = new Map<string, WindowContents>();
  private readonly consumers: SideInputConsumer[] = [];
  /** Bumped on every change; readers rebuild a cached view when it moved. */
  private version = 0;
  /** Windows ending before this were dropped (or never held anything by then). */
  private collectedBelow: Instant = -Infinity;
  /** The single-key grouping that fires the panes of a triggered side input (undefined: not triggered). */
  private readonly panes: GroupNode | undefined;
  /** Windows of a triggered side input that have had a pane. */
  private readonly fired = new Set<string>();

  /** Of the side input's elements and windows (for checkpoints). */
  private readonly elementCoder: Coder<unknown>;
  private readonly windowCoder: Coder<BoundedWindow> | undefined;

  constructor(windowing?: WindowingStrategy, metrics?: MetricsContainer, name = "(side input)", now?: () => Instant, elementCoder: Coder<unknown> = defaultCoder()) {
    this.elementCoder = elementCoder;
    this.windowCoder = windowing !== undefined ? windowCoderFor(windowing) : undefined;
    if (windowing !== undefined && metrics !== undefined && isTriggered(windowing)) {
      const latestPane: Receiver = {
        receive: (group: unknown, meta: ElementMeta): MaybePromise => {
          const values = (group as KV<string, unknown[]>).value;
          for (const w of meta.windows) {
            const id = w.id();
            // A pane with no elements (a DISCARDING on-time pane after early ones) leaves the window
            // as the last pane with elements made it: Beam Java's DirectRunner writes a view pane by
            // its elements, so an empty pane writes nothing (SideInputContainer.write).
            if (values.length > 0 || !this.windows.has(id)) this.windows.set(id, { window: w, values: [...values] });
            this.fired.add(id);
          }
          this.version++;
          return undefined;
        },
      };
      this.panes = new GroupNode(`${name}/materialize`, windowing, deterministicKeyCoder(), undefined, latestPane, metrics, undefined, now, elementCoder);
    }
  }

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    if (this.panes !== undefined) return this.panes.receive(kv("", value), meta);
    for (const w of meta.windows) {
      const id = w.id();
      let c = this.windows.get(id);
      if (c === undefined) this.windows.set(id, (c = { window: w, values: [] }));
      c.values.push(value);
    }
    this.version++;
    return undefined;
  }

  /** Lets a triggered side input fire panes at the side input's watermark and the processing time. */
  advance(clocks: Clocks): MaybePromise {
    return this.panes?.advance(clocks);
  }

  /** Whether a pane of this window has fired (always false for a side input without a trigger). */
  hasFired(window: BoundedWindow): boolean {
    return this.fired.has(window.id());
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
        this.fired.delete(id);
        dropped = true;
      }
    }
    if (dropped) this.version++;
  }

  /** Whether the window may still be read: it was not dropped (it may be empty). */
  holds(window: BoundedWindow): boolean {
    return window.maxTimestamp() >= this.collectedBelow;
  }

  /** The windows held (with their values), which have fired, how far collection got, and a triggered input's pending panes. */
  snapshot(w: ByteWriter): void {
    const windowCoder = this.windowCoder!;
    w.writeDoubleBE(this.collectedBelow);
    w.writeVarInt(this.windows.size);
    for (const [id, c] of this.windows) {
      windowCoder.encode(c.window, w, "nested");
      w.writeByte(this.fired.has(id) ? 1 : 0);
      w.writeVarInt(c.values.length);
      for (const v of c.values) this.elementCoder.encode(v, w, "nested");
    }
    w.writeByte(this.panes !== undefined ? 1 : 0);
    this.panes?.snapshot(w);
  }

  restore(r: ByteReader): void {
    const windowCoder = this.windowCoder!;
    this.collectedBelow = r.readDoubleBE();
    for (let n = r.readVarInt(); n > 0; n--) {
      const window = windowCoder.decode(r, "nested");
      const id = window.id();
      if (r.readByte() === 1) this.fired.add(id);
      const values: unknown[] = [];
      for (let m = r.readVarInt(); m > 0; m--) values.push(this.elementCoder.decode(r, "nested"));
      this.windows.set(id, { window, values });
    }
    if (r.readByte() === 1) this.panes?.restore(r);
    this.version++;
  }

  /** Number of windows held (for tests). */
  get windowCount(): number {
    return this.windows.size;
  }
}
