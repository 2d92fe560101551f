/**
 * The side-input gate of the streaming driver: holds the main input of a ParDo with side inputs
 * until the side inputs are complete for the element's windows.
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import type { SideInput } from "../../lib/model/side_inputs";
import { watermarkThatGuaranteesFiring } from "../../lib/model/triggers";
import { type BoundedWindow, type ElementMeta, type Instant, MAX_TIMESTAMP, type WindowedValue } from "../../lib/model/window";
import { MaybePromise, PendingWork, Receiver } from "../executor/receiver";
import { Clocks, DROPPED_LATE, TimeAware } from "./grouping";
import type { SideInputStore } from "./side_input_store";
import type { Checkpointable } from "./checkpoint";

/** What the gate needs from the driver. */
export interface GateEnvironment {
  /** The current watermark of a PCollection. */
  watermarkOf(pcollId: string): Instant;
}

/**
 * Holds the main input of a ParDo with side inputs until the side inputs are complete for the
 * element's windows (their watermark has passed the side-input window), then releases it. An
 * element of a window whose side-input window was already dropped (data later than the allowed
 * lateness) is dropped and counted, as a GroupByKey drops it.
 */
export class SideInputGate implements Receiver, TimeAware, Checkpointable {
  private buffered: WindowedValue<unknown>[] = [];
  /** Held elements released so far (they reach the ParDo without passing its input's counter again). */
  released = 0;
  private readonly pending = new PendingWork();
  constructor(
    private readonly sideInputs: readonly SideInput<unknown>[],
    private readonly env: GateEnvironment,
    private readonly next: Receiver,
    /** The store of each side input (collected after each advance). */
    private readonly stores: ReadonlyMap<SideInput<unknown>, SideInputStore>,
    private readonly metrics: MetricsContainer,
    /** Collect the stores after each advance (false: the owner calls `collect()` later, e.g. after timers). */
    private readonly collectOnAdvance = true,
    /** Of the held elements with their windows (for checkpoints). */
    private readonly heldCoder?: Coder<WindowedValue<unknown>>,
  ) {}
  /**
   * Every side-input window the element reads has a fired pane, or can have none: its watermark
   * has passed where the side input's trigger is sure to have fired (the window's end for the
   * default and watermark triggers; for a trigger of counts, processing time or Never(), the end
   * of the input), as in Beam Java's DirectRunner. Until then an empty window may still fill.
   */
  private ready(meta: ElementMeta): boolean {
    return this.sideInputs.every((s) =>
      meta.windows.every((w) => {
        const sideWindow = s.pcoll.windowing.windowFn.sideInputWindow(w);
        if (this.stores.get(s)!.hasFired(sideWindow)) return true;
        const watermark = this.env.watermarkOf(s.pcoll.id);
        const guarantee = watermarkThatGuaranteesFiring(s.pcoll.windowing.trigger, sideWindow.maxTimestamp());
        return guarantee !== undefined ? watermark > guarantee : watermark >= MAX_TIMESTAMP;
      }),
    );
  }
  /** The element's windows whose side-input windows are all still held (all of them, usually). */
  private readable(meta: ElementMeta): readonly BoundedWindow[] {
    const keep = (w: BoundedWindow): boolean => this.sideInputs.every((s) => this.stores.get(s)!.holds(s.pcoll.windowing.windowFn.sideInputWindow(w)));
    return meta.windows.every(keep) ? meta.windows : meta.windows.filter(keep);
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const windows = this.readable(meta);
    if (windows.length < meta.windows.length) {
      this.metrics.incCounter(systemCounterKey(DROPPED_LATE), meta.windows.length - windows.length);
      if (windows.length === 0) return undefined;
      meta = { timestamp: meta.timestamp, windows, pane: meta.pane };
    }
    if (this.buffered.length === 0 && this.ready(meta)) return this.next.receive(value, meta);
    this.buffered.push({ value, timestamp: meta.timestamp, windows: meta.windows, pane: meta.pane });
    return undefined;
  }
  async advance(clocks: Clocks): Promise<void> {
    // Triggered side inputs fire their panes first (at their own watermark), then held elements may go.
    for (const [side, store] of this.stores) await store.advance({ inputWatermark: this.env.watermarkOf(side.pcoll.id), processingTime: clocks.processingTime });
    const waiting = this.buffered;
    this.buffered = [];
    for (const wv of waiting) {
      if (this.ready(wv)) {
        this.released++;
        this.pending.add(this.next.receive(wv.value, wv));
      } else this.buffered.push(wv);
    }
    // Collect only once what was released has read its side inputs.
    await this.pending.take();
    if (this.collectOnAdvance) this.collect();
  }
  /** Drops the side-input windows no element or timer can read any more. */
  collect(): undefined {
    for (const store of new Set(this.stores.values())) store.collect();
    return undefined;
  }
  /** The elements held, and how many were released so far. */
  snapshot(w: ByteWriter): void {
    w.writeVarInt(this.released);
    w.writeVarInt(this.buffered.length);
    for (const wv of this.buffered) this.heldCoder!.encode(wv, w, "nested");
  }

  restore(r: ByteReader): void {
    this.released = r.readVarInt();
    for (let n = r.readVarInt(); n > 0; n--) this.buffered.push(this.heldCoder!.decode(r, "nested"));
  }

  hold(): Instant {
    let h = Infinity;
    for (const wv of this.buffered) if (wv.timestamp < h) h = wv.timestamp;
    return h;
  }
}
