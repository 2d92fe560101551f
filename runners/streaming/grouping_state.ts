/**
 * The state of a streaming grouping step (GroupByKey, lifted Combine.perKey) per key and window:
 * buffered values or an accumulator, the trigger's state machine, pane numbering and watermark
 * holds. GroupNode (grouping.ts) runs Beam's ReduceFn logic over a GroupingState, the way Beam's
 * ReduceFnRunner runs over StateInternals; the in-memory table here is what the DirectRunner
 * uses, and it is written into checkpoints with the step's coders (key, window, values).
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import type { BoundedWindow, Instant } from "../../lib/model/window";
import { readOptionalDouble, writeOptionalDouble } from "./checkpoint";
import type { TriggerMachine } from "./trigger_machine";

/** One key's state in one window. */
export interface WindowState {
  readonly key: unknown;
  readonly keyId: string;
  readonly windowId: string;
  window: BoundedWindow;
  /** Values (GroupByKey) or a one-element list holding the accumulator (combine). */
  values: unknown[];
  /** Elements added since the last firing. */
  pending: number;
  /**
   * Earliest and latest timestamps among the pending elements that hold the output watermark
   * (undefined: none). Elements behind the output watermark, or arriving after the input
   * watermark passed the end of their window, hold nothing (as in Beam): they cannot make the
   * output watermark go back, so their pane is stamped with the end of the window instead.
   */
  holdMin: Instant | undefined;
  holdMax: Instant | undefined;
  trigger: TriggerMachine;
  paneIndex: number;
  nonEarlyIndex: number;
  /** A non-early (on-time or late) pane has been emitted. */
  onTimeEmitted: boolean;
  closed: boolean;
  /** Removed from its key (expired or merged away): index entries for it are stale. */
  dead: boolean;
  /** The watermark instant past which this window next needs a visit (its end, then its expiry). */
  wakeAt: Instant;
  /** Its current contribution to the step's watermark hold (Infinity: none). */
  holdAt: Instant;
}

/** Where a grouping step keeps its window states (Beam's StateInternals for the ReduceFnRunner). */
export interface GroupingState {
  get(keyId: string, windowId: string): WindowState | undefined;
  /** The live windows of a key. */
  windowsOf(keyId: string): Iterable<WindowState>;
  /** Adds (or replaces) the state of `ws.keyId` in `ws.windowId`. */
  put(ws: WindowState): void;
  /** Removes a window state (expired, or merged into another). */
  remove(ws: WindowState): void;
  /** Every live window state. */
  all(): Iterable<WindowState>;
  /** Number of live window states. */
  readonly size: number;
}

/**
 * The live windows of one key. Most keys have one at a time (fixed windows, a stream moving
 * forward), so it is held inline and a Map is made only for a second one: with many keys a Map
 * per key would be the largest part of the state.
 */
class KeyWindows {
  private soloId: string | undefined;
  private solo: WindowState | undefined;
  private map: Map<string, WindowState> | undefined;

  get size(): number {
    return this.map !== undefined ? this.map.size : this.solo !== undefined ? 1 : 0;
  }
  get(id: string): WindowState | undefined {
    return this.map !== undefined ? this.map.get(id) : id === this.soloId ? this.solo : undefined;
  }
  set(id: string, ws: WindowState): void {
    if (this.map !== undefined) this.map.set(id, ws);
    else if (this.solo === undefined || id === this.soloId) {
      this.soloId = id;
      this.solo = ws;
    } else {
      this.map = new Map([[this.soloId!, this.solo]]);
      this.map.set(id, ws);
      this.soloId = this.solo = undefined;
    }
  }
  delete(id: string): void {
    if (this.map !== undefined) this.map.delete(id);
    else if (id === this.soloId) this.soloId = this.solo = undefined;
  }
  values(): IterableIterator<WindowState> | readonly WindowState[] {
    return this.map !== undefined ? this.map.values() : this.solo !== undefined ? [this.solo] : [];
  }
}

const NONE: readonly WindowState[] = [];

/** The DirectRunner's grouping state: a table of keys, each with its live windows. */
export class InMemoryGroupingState implements GroupingState {
  private readonly keys = new Map<string, KeyWindows>();
  private count = 0;

  get size(): number {
    return this.count;
  }
  get(keyId: string, windowId: string): WindowState | undefined {
    return this.keys.get(keyId)?.get(windowId);
  }
  windowsOf(keyId: string): Iterable<WindowState> {
    return this.keys.get(keyId)?.values() ?? NONE;
  }
  put(ws: WindowState): void {
    let kw = this.keys.get(ws.keyId);
    if (kw === undefined) this.keys.set(ws.keyId, (kw = new KeyWindows()));
    if (kw.get(ws.windowId) === undefined) this.count++;
    kw.set(ws.windowId, ws);
  }
  remove(ws: WindowState): void {
    const kw = this.keys.get(ws.keyId);
    if (kw === undefined || kw.get(ws.windowId) !== ws) return;
    kw.delete(ws.windowId);
    this.count--;
    if (kw.size === 0) this.keys.delete(ws.keyId);
  }
  *all(): Iterable<WindowState> {
    for (const kw of this.keys.values()) yield* kw.values();
  }
}

/** How a grouping step's window states are written into checkpoints. */
export interface WindowStateCodec {
  readonly keyCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
  /** Of buffered values (GroupByKey) or of the accumulator (combine). */
  readonly valueCoder: Coder<unknown>;
  /** The identity of a key (as the step computes it). */
  keyId(key: unknown): string;
  /** A fresh trigger machine of the step's trigger, to load a saved state into. */
  newTrigger(): TriggerMachine;
}

/** Writes the live window states (`touched`: the ones whose trigger is due for an evaluation). */
export function writeWindowStates(w: ByteWriter, states: Iterable<WindowState>, count: number, codec: WindowStateCodec, touched: ReadonlySet<WindowState>): void {
  w.writeVarInt(count);
  for (const ws of states) {
    codec.keyCoder.encode(ws.key, w, "nested");
    codec.windowCoder.encode(ws.window, w, "nested");
    w.writeVarInt(ws.values.length);
    for (const v of ws.values) codec.valueCoder.encode(v, w, "nested");
    w.writeVarInt(ws.pending);
    writeOptionalDouble(w, ws.holdMin);
    writeOptionalDouble(w, ws.holdMax);
    ws.trigger.save(w);
    w.writeVarInt(ws.paneIndex);
    w.writeVarInt(ws.nonEarlyIndex);
    w.writeByte((ws.onTimeEmitted ? 1 : 0) | (ws.closed ? 2 : 0) | (touched.has(ws) ? 4 : 0));
  }
}

/** Reads what writeWindowStates wrote; `add` receives each state and whether it was touched. */
export function readWindowStates(r: ByteReader, codec: WindowStateCodec, add: (ws: WindowState, touched: boolean) => void): void {
  for (let n = r.readVarInt(); n > 0; n--) {
    const key = codec.keyCoder.decode(r, "nested");
    const window = codec.windowCoder.decode(r, "nested");
    const values: unknown[] = [];
    for (let m = r.readVarInt(); m > 0; m--) values.push(codec.valueCoder.decode(r, "nested"));
    const pending = r.readVarInt();
    const holdMin = readOptionalDouble(r);
    const holdMax = readOptionalDouble(r);
    const trigger = codec.newTrigger();
    trigger.load(r);
    const paneIndex = r.readVarInt();
    const nonEarlyIndex = r.readVarInt();
    const flags = r.readByte();
    const ws: WindowState = {
      key,
      keyId: codec.keyId(key),
      windowId: window.id(),
      window,
      values,
      pending,
      holdMin,
      holdMax,
      trigger,
      paneIndex,
      nonEarlyIndex,
      onTimeEmitted: (flags & 1) !== 0,
      closed: (flags & 2) !== 0,
      dead: false,
      wakeAt: NaN,
      holdAt: Infinity,
    };
    add(ws, (flags & 4) !== 0);
  }
}
