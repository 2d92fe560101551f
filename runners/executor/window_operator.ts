/**
 * The window primitives the executor runs.
 *
 * Window.into reassigns each element's windows from its timestamp.
 *
 * An element in several windows (after sliding windows) is several windowed values in Beam's
 * model, and each is re-assigned on its own: after `SlidingWindows(6, 2)` then
 * `Window.into(new FixedWindows(5))`, an element that was in three sliding windows is three
 * elements of its fixed window. Every runner path (batch, streaming, Fn API worker) runs this.
 *
 * The Fn API worker also runs the window primitives a runner asks an SDK to execute
 * (BEAM_PORTABILITY.md §1, "Primitive ... SDK"): `map_windows` maps a main-input window to the
 * side-input window it reads, and `merge_windows` merges the windows of a merging window fn
 * (sessions) for a runner's GroupByKey. Both arrive as their own small stages whose elements are
 * keyed by a runner nonce.
 */
import { FixedWindows, type WindowFn } from "../../lib/model/windowing";
import { BoundedWindow, ElementMeta, IntervalWindow, kv, type KV } from "../../lib/model/window";
import { isMergingWindowFn } from "../../lib/model/sliding_sessions";
import { BasicOperator, wrapUserError } from "./operator";
import { MaybePromise, PendingWork, Receiver, receiveRest } from "./receiver";

export class WindowIntoOperator extends BasicOperator {
  private readonly pending = new PendingWork();
  /**
   * FixedWindows assign one window per timestamp, the same for every timestamp in it: the last
   * window's bounds answer most elements with two comparisons (no modulo of a double, which
   * costs a call to fmod).
   */
  private readonly fixed: boolean;
  private fixedStart = Infinity;
  private fixedEnd = -Infinity;
  private fixedWindows: ElementMeta["windows"] = [];
  /**
   * The last metadata made: consecutive elements of a stream mostly share their timestamp (a
   * batch, or a millisecond at high rates), and then share this (read-only) object too.
   */
  private lastMeta: ElementMeta | undefined;
  /**
   * The input metadata `lastMeta` was made for (FixedWindows): a driver hands a run of elements
   * that share their timestamp one metadata object, and their window is then that of the element
   * before; a compare instead of the window bounds and the checks of `lastMeta`.
   */
  private lastIn: ElementMeta | undefined;

  constructor(
    readonly transformName: string,
    private readonly windowFn: WindowFn,
    private readonly next: Receiver,
    /** The output PCollection's element count (the driver's cell), kept here rather than by a receiver of its own. */
    private readonly count: { n: number } = { n: 0 },
  ) {
    super();
    // Exactly FixedWindows: a subclass may assign otherwise.
    this.fixed = windowFn.constructor === FixedWindows;
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    if (meta === this.lastIn) {
      this.count.n++;
      return this.next.receive(value, this.lastMeta!);
    }
    const timestamp = meta.timestamp;
    let windows: ElementMeta["windows"];
    if (timestamp >= this.fixedStart && timestamp < this.fixedEnd) windows = this.fixedWindows;
    else windows = this.assign(value, timestamp);
    if (meta.windows.length <= 1) {
      this.count.n++;
      const pane = meta.pane;
      const last = this.lastMeta;
      // Every load and compare runs (no short circuit): with FixedWindows this path runs once per
      // run of elements, and a part of it the optimizing compiler has not seen run deoptimizes
      // the whole chain it was inlined into when it first does.
      const differs = last === undefined ? 1 : Number(last.timestamp !== timestamp) | Number(last.windows !== windows) | Number(last.pane !== pane);
      const out = differs !== 0 || last === undefined ? (this.lastMeta = { timestamp, windows, pane }) : last;
      // Other window fns are asked per element, as they always were (they may count calls, say).
      if (this.fixed) this.lastIn = meta;
      return this.next.receive(value, out);
    }
    // One copy per window the element was in (the window fns we have assign by timestamp alone).
    try {
      for (let i = 0; i < meta.windows.length; i++) {
        this.count.n++;
        this.pending.add(this.next.receive(value, { timestamp, windows, pane: meta.pane }));
      }
    } catch (e) {
      // A copy failed downstream: the earlier copies' async work ends first (PendingWork.failAfter).
      return this.pending.failAfter(e);
    }
    return this.pending.take();
  }

  /**
   * A run of elements sharing one metadata object: the first as `receive` takes it; with
   * FixedWindows the others then take the same output metadata, without a call each through
   * `receive` (what its first branch does, written out in the loop), as a run where the next
   * step takes runs.
   */
  receiveRun(values: readonly unknown[], from: number, to: number, meta: ElementMeta): MaybePromise {
    if (from >= to) return undefined;
    const first = this.receive(values[from], meta);
    if (first !== undefined) return receiveRest(this, first, values, from + 1, to, meta);
    if (meta !== this.lastIn) {
      for (let i = from + 1; i < to; i++) {
        const p = this.receive(values[i], meta);
        if (p !== undefined) return receiveRest(this, p, values, i + 1, to, meta);
      }
      return undefined;
    }
    const out = this.lastMeta!;
    const next = this.next;
    const count = this.count;
    if (next.receiveRun !== undefined) {
      // Counted as the run is handed on (see CountingReceiver.receiveRun).
      count.n += to - from - 1;
      return next.receiveRun(values, from + 1, to, out);
    }
    for (let i = from + 1; i < to; i++) {
      count.n++;
      const p = next.receive(values[i], out);
      if (p !== undefined) return receiveRest(this, p, values, i + 1, to, meta);
    }
    return undefined;
  }

  private assign(value: unknown, timestamp: number): ElementMeta["windows"] {
    let windows: ElementMeta["windows"];
    try {
      windows = this.windowFn.assignWindows(timestamp);
    } catch (e) {
      // A WindowFn may be user code: name this step, not the one whose output is being windowed.
      throw wrapUserError(this.transformName, "process", e, value);
    }
    const only = windows[0];
    if (this.fixed && windows.length === 1 && only instanceof IntervalWindow) {
      this.fixedStart = only.start;
      this.fixedEnd = only.end;
      this.fixedWindows = windows;
    }
    return windows;
  }
}

/** `beam:transform:map_windows:v1`: KV<nonce, main window> → KV<nonce, side-input window>. */
export class MapWindowsOperator extends BasicOperator {
  constructor(
    readonly transformName: string,
    private readonly sideWindowFn: WindowFn,
    private readonly next: Receiver,
  ) {
    super();
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const { key, value: window } = value as KV<unknown, BoundedWindow>;
    return this.next.receive(kv(key, this.sideWindowFn.sideInputWindow(window)), meta);
  }
}

/** What merge_windows emits per nonce: windows left as they are, and each merge with its originals. */
export type MergeResult = KV<readonly BoundedWindow[], readonly KV<BoundedWindow, readonly BoundedWindow[]>[]>;

/**
 * `beam:transform:merge_windows:v1`: KV<nonce, iterable<window>> → KV<nonce, KV<unmerged
 * windows, iterable<KV<merged window, the original windows it replaces>>>>, the shape Beam's
 * SDKs produce. Input windows are a set: a window listed twice counts once.
 */
export class MergeWindowsOperator extends BasicOperator {
  private readonly windowFn: WindowFn & { mergeWindows(windows: readonly IntervalWindow[]): { merged: IntervalWindow; from: readonly IntervalWindow[] }[] };

  constructor(
    readonly transformName: string,
    windowFn: WindowFn,
    private readonly next: Receiver,
  ) {
    super();
    if (!isMergingWindowFn(windowFn)) throw new Error(`${transformName}: merge_windows asks to merge windows of '${windowFn.urn}', which does not merge windows`);
    this.windowFn = windowFn;
  }

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const { key, value: windows } = value as KV<unknown, Iterable<BoundedWindow>>;
    const distinct = new Map<string, IntervalWindow>();
    for (const w of windows) {
      if (!(w instanceof IntervalWindow)) throw new Error(`${this.transformName}: merge_windows got a ${w.constructor.name}; merging window fns use interval windows`);
      distinct.set(`${w.start}:${w.end}`, w);
    }
    const merges = this.windowFn.mergeWindows([...distinct.values()]);
    for (const m of merges) for (const w of m.from) distinct.delete(`${w.start}:${w.end}`);
    const result: MergeResult = kv(
      [...distinct.values()],
      merges.map((m) => kv<BoundedWindow, readonly BoundedWindow[]>(m.merged, m.from)),
    );
    return this.next.receive(kv(key, result), meta);
  }
}
