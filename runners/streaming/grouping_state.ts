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
import { keyIdentity } from "../executor/grouping_key";
import { readOptionalDouble, writeOptionalDouble } from "./checkpoint";
import type { TriggerMachine } from "./trigger_machine";

const CLOSED = 1;
const DEAD = 2;
const ON_TIME_EMITTED = 4;
const TOUCHED = 8;

/**
 * One key's state in one window. A streaming grouping step keeps one per live key and window
 * (100,000 keys in a window: 100,000 of these), so it is kept small: flags share one field, the
 * accumulator of a combine is held directly, and the key, window and window id are shared with
 * the step's other states (one key string per key; one window object and id per window).
 */
export class WindowState {
  /** Values (GroupByKey: an array) or the accumulator (combine). */
  buffer: unknown;
  /** Elements added since the last firing. */
  pending = 0;
  /**
   * Earliest and latest timestamps among the pending elements that hold the output watermark
   * (undefined: none; only tracked for the EARLIEST and LATEST timestamp combiners). Elements
   * behind the output watermark, or arriving after the input watermark passed the end of their
   * window, hold nothing (as in Beam): they cannot make the output watermark go back, so their
   * pane is stamped with the end of the window instead.
   */
  holdMin: Instant | undefined = undefined;
  holdMax: Instant | undefined = undefined;
  paneIndex = 0;
  nonEarlyIndex = 0;
  private flags = 0;
  /** The watermark instant past which this window next needs a visit (its end, then its expiry). */
  wakeAt: Instant = NaN;
  /** Its current contribution to the step's watermark hold (Infinity: none). */
  holdAt: Instant = Infinity;

  constructor(
    readonly key: unknown,
    /** The key's identity in the step (stateKeyOf). */
    readonly keyId: string,
    readonly windowId: string,
    public window: BoundedWindow,
    buffer: unknown,
    public trigger: TriggerMachine,
  ) {
    this.buffer = buffer;
  }

  /** A non-early (on-time or late) pane has been emitted. */
  get onTimeEmitted(): boolean {
    return (this.flags & ON_TIME_EMITTED) !== 0;
  }
  set onTimeEmitted(v: boolean) {
    this.flags = v ? this.flags | ON_TIME_EMITTED : this.flags & ~ON_TIME_EMITTED;
  }
  /** Its trigger has finished: late data for it is dropped until it expires. */
  get closed(): boolean {
    return (this.flags & CLOSED) !== 0;
  }
  set closed(v: boolean) {
    this.flags = v ? this.flags | CLOSED : this.flags & ~CLOSED;
  }
  /** Removed from its key (expired or merged away): index entries for it are stale. */
  get dead(): boolean {
    return (this.flags & DEAD) !== 0;
  }
  set dead(v: boolean) {
    this.flags = v ? this.flags | DEAD : this.flags & ~DEAD;
  }
  /** It received elements since its trigger was last evaluated (the step lists it once). */
  get touched(): boolean {
    return (this.flags & TOUCHED) !== 0;
  }
  set touched(v: boolean) {
    this.flags = v ? this.flags | TOUCHED : this.flags & ~TOUCHED;
  }
}

/**
 * The identity of a key in a grouping state: a string key is its own identity (no second string
 * per key), unless it starts with U+0000; every other key is U+0000 followed by its grouping
 * identity (grouping_key.ts), which starts with a type letter, so identities never collide.
 */
export function stateKeyOf(key: unknown, keyCoder: Coder<unknown>): string {
  if (typeof key === "string" && key.charCodeAt(0) !== 0) return key;
  return "\u0000" + keyIdentity(key, keyCoder);
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
 * The live windows of one key. Most keys have one at a time (sessions of a key moving forward),
 * so it is held inline and a Map is made only for a second one.
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

/**
 * The DirectRunner's grouping state for merging windows (sessions): a table of keys, each with
 * its live windows, since merging looks up a key's windows.
 */
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

/**
 * The DirectRunner's grouping state for windows that do not merge: a table of windows, each with
 * its keys. There are few live windows at a time and many keys in each, so a key costs one Map
 * entry in its window (rather than a per-key record as well), and the last window looked up is
 * remembered (consecutive elements mostly share it).
 */
export class WindowMajorGroupingState implements GroupingState {
  private readonly windows = new Map<string, Map<string, WindowState>>();
  private lastId: string | undefined;
  private last: Map<string, WindowState> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }
  private keysIn(windowId: string): Map<string, WindowState> | undefined {
    if (windowId === this.lastId) return this.last;
    const keys = this.windows.get(windowId);
    if (keys !== undefined) {
      this.lastId = windowId;
      this.last = keys;
    }
    return keys;
  }
  get(keyId: string, windowId: string): WindowState | undefined {
    return this.keysIn(windowId)?.get(keyId);
  }
  *windowsOf(keyId: string): Iterable<WindowState> {
    for (const keys of this.windows.values()) {
      const ws = keys.get(keyId);
      if (ws !== undefined) yield ws;
    }
  }
  put(ws: WindowState): void {
    let keys = this.keysIn(ws.windowId);
    if (keys === undefined) {
      this.windows.set(ws.windowId, (keys = new Map()));
      this.lastId = ws.windowId;
      this.last = keys;
    }
    const size = keys.size;
    keys.set(ws.keyId, ws);
    this.count += keys.size - size;
  }
  remove(ws: WindowState): void {
    const keys = this.keysIn(ws.windowId);
    if (keys === undefined || keys.get(ws.keyId) !== ws) return;
    keys.delete(ws.keyId);
    this.count--;
    if (keys.size === 0) {
      this.windows.delete(ws.windowId);
      if (this.lastId === ws.windowId) this.lastId = this.last = undefined;
    }
  }
  *all(): Iterable<WindowState> {
    for (const keys of this.windows.values()) yield* keys.values();
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
  /** Whether a state holds an accumulator (combine) rather than a list of values. */
  readonly combines: boolean;
  /** A fresh trigger machine of the step's trigger, to load a saved state into. */
  newTrigger(): TriggerMachine;
}

/**
 * Writes the live window states (a touched one's trigger is due for an evaluation). A combine's
 * accumulator is written as a list of one value (the format of a list of buffered values).
 */
export function writeWindowStates(w: ByteWriter, states: Iterable<WindowState>, count: number, codec: WindowStateCodec): void {
  w.writeVarInt(count);
  for (const ws of states) {
    codec.keyCoder.encode(ws.key, w, "nested");
    codec.windowCoder.encode(ws.window, w, "nested");
    // A combine's closed window has dropped its accumulator: no values.
    const values = codec.combines ? (ws.buffer === undefined ? [] : [ws.buffer]) : (ws.buffer as unknown[]);
    w.writeVarInt(values.length);
    for (const v of values) codec.valueCoder.encode(v, w, "nested");
    w.writeVarInt(ws.pending);
    writeOptionalDouble(w, ws.holdMin);
    writeOptionalDouble(w, ws.holdMax);
    ws.trigger.save(w);
    w.writeVarInt(ws.paneIndex);
    w.writeVarInt(ws.nonEarlyIndex);
    w.writeByte((ws.onTimeEmitted ? 1 : 0) | (ws.closed ? 2 : 0) | (ws.touched ? 4 : 0));
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
    const ws = new WindowState(key, codec.keyId(key), window.id(), window, codec.combines ? values[0] : values, trigger);
    ws.pending = pending;
    ws.holdMin = holdMin;
    ws.holdMax = holdMax;
    ws.paneIndex = paneIndex;
    ws.nonEarlyIndex = nonEarlyIndex;
    ws.onTimeEmitted = (flags & 1) !== 0;
    ws.closed = (flags & 2) !== 0;
    add(ws, (flags & 4) !== 0);
  }
}
