/**
 * The window primitives a runner asks the SDK to execute (BEAM_PORTABILITY.md §1, "Primitive ...
 * SDK"): `map_windows` maps a main-input window to the side-input window it reads, and
 * `merge_windows` merges the windows of a merging window fn (sessions) for a runner's
 * GroupByKey. Both arrive as their own small stages whose elements are keyed by a runner nonce.
 */
import type { ElementMeta } from "../../lib/model/window";
import { BoundedWindow, IntervalWindow, kv, type KV } from "../../lib/model/window";
import { FixedWindows, GlobalWindows, WindowFn } from "../../lib/model/windowing";
import { isMergingWindowFn, Sessions, SlidingWindows } from "../../lib/model/sliding_sessions";
import { BasicOperator } from "../executor/operator";
import type { MaybePromise, Receiver } from "../executor/receiver";
import { rapi, runnerApi, windowFnsApi } from "../portable/protos";
import { URNS } from "../portable/urns";
import { millisOf } from "../portable/windowing_proto";

/** A standard window fn from its FunctionSpec; `where` names the transform for the error. */
export function windowFnFromSpec(fn: rapi.FunctionSpec | undefined, where: string): WindowFn {
  switch (fn?.urn) {
    case URNS.globalWindows:
      return new GlobalWindows();
    case URNS.fixedWindows: {
      const p = windowFnsApi.FixedWindowsPayload.fromBinary(fn.payload);
      return new FixedWindows(millisOf(p.size), millisOf(p.offset));
    }
    case URNS.slidingWindows: {
      const p = windowFnsApi.SlidingWindowsPayload.fromBinary(fn.payload);
      return new SlidingWindows(millisOf(p.size), millisOf(p.period), millisOf(p.offset));
    }
    case URNS.sessionWindows:
      return new Sessions(millisOf(windowFnsApi.SessionWindowsPayload.fromBinary(fn.payload).gapSize));
    default:
      throw new Error(`${where}: window fn '${fn?.urn ?? "(none)"}' is not one the Beamline harness can build (global, fixed, sliding or session windows)`);
  }
}

/**
 * The window fn of a side input's window mapping fn: Beamline's mapping fn carries the side
 * input's own window fn spec, whose `sideInputWindow` does the mapping (as on the DirectRunner).
 */
export function windowMappingFnFromSpec(spec: rapi.FunctionSpec | undefined, where: string): WindowFn {
  if (spec?.urn !== URNS.windowMappingFn) throw new Error(`${where}: window mapping fn '${spec?.urn ?? "(none)"}' is not Beamline's (${URNS.windowMappingFn})`);
  if (spec.payload.length === 0) {
    throw new Error(`${where}: the window mapping fn has no window fn; the pipeline was translated by an older Beamline — submit it again`);
  }
  return windowFnFromSpec(runnerApi.FunctionSpec.fromBinary(spec.payload), where);
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
