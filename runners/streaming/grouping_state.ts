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
import type { WindowingStrategy } from "../../lib/model/windowing";
import { keyIdentity } from "../executor/grouping_key";
import { readOptionalDouble, writeOptionalDouble } from "./checkpoint";
import type { TriggerMachine } from "./trigger_machine";

/** WindowState.flags bits (read directly on per-element paths: a getter is a call until it is inlined). */
export const CLOSED = 1;
const DEAD = 2;
const ON_TIME_EMITTED = 4;
export const TOUCHED = 8;
export const REMOVED = 16;
/** Bits 5-6 of the flags: wakePhase; bits 7-8: where the hold is (HOLD_*). */
const WAKE_SHIFT = 5;
const HOLD_SHIFT = 7;
const TWO_BITS = 3;

/**
 * What a window state keeps only once it is needed: element timestamps (only the EARLIEST and
 * LATEST timestamp combiners keep them, see WindowState.holdMin), a hold elsewhere than the end
 * of the window, and pane numbers once a pane has fired (most states fire one pane, as they
 * expire, and are gone).
 */
interface StateExtras {
  min: Instant | undefined;
  max: Instant | undefined;
  /** The window's hold when it is neither none nor the end of the window. */
  at: Instant;
  paneIndex: number;
  nonEarlyIndex: number;
}

/** Where a window state's watermark hold is: none, at the end of its window, or in StateExtras.at. */
const HOLD_NONE = 0;
const HOLD_END = 1;
const HOLD_OTHER = 2;

/**
 * One key's state in one window. A streaming grouping step keeps one per live key and window
 * (100,000 keys in a window: 100,000 of these), so it is kept small: flags share one field; the
 * accumulator of a combine is held directly; the key and window objects are shared with the
 * step's other states (their ids are derived when needed); instants are kept as small codes
 * (a number field would hold a boxed double per state) and element timestamps only for the
 * timestamp combiners that read them.
 */
export class WindowState {
  /** Values (GroupByKey: an array) or the accumulator (combine; undefined once a closed window dropped it). */
  buffer: unknown;
  /** Elements added since the last firing. */
  pending = 0;
  /**
   * The flags above, the wake phase and the hold's kind, in one small integer (a field less per
   * state). Written only through the accessors below; read directly where a per-element path tests
   * a flag (CLOSED, REMOVED).
   */
  flags = 0;
  private extra: StateExtras | undefined = undefined;

  constructor(
    /** Fixed while the state is live (reuse() changes it for the key's next window). */
    public key: unknown,
    /** Fixed while the state is live (its hold at the end of the window is kept as a code). */
    public window: BoundedWindow,
    buffer: unknown,
    public trigger: TriggerMachine,
  ) {
    this.buffer = buffer;
  }

  /**
   * Makes a removed state (see GroupingState.recycled) the fresh state of its key in another
   * window, as a new WindowState would be. The key keeps its object when it is a string (the
   * same characters: the element's copy of it then dies young instead of being kept).
   */
  reuse(key: unknown, window: BoundedWindow, buffer: unknown, trigger: TriggerMachine): void {
    if (typeof key !== "string" || key !== this.key) this.key = key;
    this.window = window;
    this.buffer = buffer;
    this.trigger = trigger;
    this.pending = 0;
    this.flags = 0;
    this.extra = undefined;
  }

  /**
   * Earliest and latest timestamps among the pending elements that hold the output watermark
   * (undefined: none; only tracked for the EARLIEST and LATEST timestamp combiners). Elements
   * behind the output watermark, or arriving after the input watermark passed the end of their
   * window, hold nothing (as in Beam): they cannot make the output watermark go back, so their
   * pane is stamped with the end of the window instead.
   */
  get holdMin(): Instant | undefined {
    return this.extra?.min;
  }
  set holdMin(t: Instant | undefined) {
    if (t !== undefined || this.extra !== undefined) this.extras().min = t;
  }
  get holdMax(): Instant | undefined {
    return this.extra?.max;
  }
  set holdMax(t: Instant | undefined) {
    if (t !== undefined || this.extra !== undefined) this.extras().max = t;
  }
  /** Index of the window's next pane (0-based). */
  get paneIndex(): number {
    return this.extra !== undefined ? this.extra.paneIndex : 0;
  }
  set paneIndex(n: number) {
    if (n !== 0 || this.extra !== undefined) this.extras().paneIndex = n;
  }
  /** Index of the window's next non-early pane. */
  get nonEarlyIndex(): number {
    return this.extra !== undefined ? this.extra.nonEarlyIndex : 0;
  }
  set nonEarlyIndex(n: number) {
    if (n !== 0 || this.extra !== undefined) this.extras().nonEarlyIndex = n;
  }
  private extras(): StateExtras {
    return (this.extra ??= { min: undefined, max: undefined, at: Infinity, paneIndex: 0, nonEarlyIndex: 0 });
  }

  /** Which timer of the window is set (0: none yet; the step turns it into an instant: its end, then its expiry). */
  get wakePhase(): number {
    return (this.flags >> WAKE_SHIFT) & TWO_BITS;
  }
  set wakePhase(phase: number) {
    this.flags = (this.flags & ~(TWO_BITS << WAKE_SHIFT)) | ((phase & TWO_BITS) << WAKE_SHIFT);
  }
  private get holdKind(): number {
    return (this.flags >> HOLD_SHIFT) & TWO_BITS;
  }
  private set holdKind(kind: number) {
    this.flags = (this.flags & ~(TWO_BITS << HOLD_SHIFT)) | (kind << HOLD_SHIFT);
  }

  /** Its current contribution to the step's watermark hold (Infinity: none). */
  get holdAt(): Instant {
    return this.holdKind === HOLD_NONE ? Infinity : this.holdKind === HOLD_END ? this.window.maxTimestamp() : this.extra!.at;
  }
  set holdAt(t: Instant) {
    if (t === Infinity) this.holdKind = HOLD_NONE;
    else if (t === this.window.maxTimestamp()) this.holdKind = HOLD_END;
    else {
      this.holdKind = HOLD_OTHER;
      this.extras().at = t;
    }
  }

  private setFlag(bit: number, v: boolean): void {
    // Without a branch: flags are set long before any is cleared, and optimized code that only
    // ever saw one branch would be thrown away when the other first runs.
    this.flags = (this.flags & ~bit) | (v ? bit : 0);
  }

  /** A non-early (on-time or late) pane has been emitted. */
  get onTimeEmitted(): boolean {
    return (this.flags & ON_TIME_EMITTED) !== 0;
  }
  set onTimeEmitted(v: boolean) {
    this.setFlag(ON_TIME_EMITTED, v);
  }
  /** Its trigger has finished: late data for it is dropped until it expires. */
  get closed(): boolean {
    return (this.flags & CLOSED) !== 0;
  }
  set closed(v: boolean) {
    this.setFlag(CLOSED, v);
  }
  /** No longer in the step's state (expired, merged away or replaced): index entries for it are stale. */
  get dead(): boolean {
    return (this.flags & DEAD) !== 0;
  }
  set dead(v: boolean) {
    this.setFlag(DEAD, v);
  }
  /** Removed from a table that keeps removed states until their window is gone (WindowMajorGroupingState). */
  get removed(): boolean {
    return (this.flags & REMOVED) !== 0;
  }
  set removed(v: boolean) {
    this.setFlag(REMOVED, v);
  }
  /**
   * Flags it touched (see `touched`); whether it was not before (the step then lists it). One
   * call per element rather than a getter and a setter.
   */
  touch(): boolean {
    const flags = this.flags;
    if ((flags & TOUCHED) !== 0) return false;
    this.flags = flags | TOUCHED;
    return true;
  }
  /** It received elements since its trigger was last evaluated (the step lists it once). */
  get touched(): boolean {
    return (this.flags & TOUCHED) !== 0;
  }
  set touched(v: boolean) {
    this.setFlag(TOUCHED, v);
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
  /** Adds (or replaces) the state of key `keyId` (stateKeyOf) in window `windowId`. */
  put(keyId: string, windowId: string, ws: WindowState): void;
  /** Removes a window state (expired, or merged into another): `ws`, the state put under (keyId, windowId). */
  remove(keyId: string, windowId: string, ws: WindowState): void;
  /** Every live window state. */
  all(): Iterable<WindowState>;
  /** Number of live window states. */
  readonly size: number;
  /**
   * A removed state of key `keyId` that nothing refers to any more, for the step to reuse (see
   * WindowState.reuse) as the key's state in a new window; undefined if there is none.
   */
  recycled(keyId: string): WindowState | undefined;
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
  put(keyId: string, windowId: string, ws: WindowState): void {
    let kw = this.keys.get(keyId);
    if (kw === undefined) this.keys.set(keyId, (kw = new KeyWindows()));
    if (kw.get(windowId) === undefined) this.count++;
    kw.set(windowId, ws);
  }
  remove(keyId: string, windowId: string, ws: WindowState): void {
    const kw = this.keys.get(keyId);
    if (kw === undefined || kw.get(windowId) !== ws) return;
    kw.delete(windowId);
    this.count--;
    if (kw.size === 0) this.keys.delete(keyId);
  }
  *all(): Iterable<WindowState> {
    for (const kw of this.keys.values()) yield* kw.values();
  }
  /** Merging windows come and go per key: no state is kept for reuse. */
  recycled(): WindowState | undefined {
    return undefined;
  }
}

/** The keys of one window (WindowMajorGroupingState). */
class WindowKeys {
  /** Its keys' states; also removed states of earlier windows, free for reuse, when the Map was handed on. */
  keys = new Map<string, WindowState>();
  /** States in `keys` that are live in this window. */
  live = 0;
  /** The most it had live (keys that did not come back are dropped from a Map much bigger than that). */
  peak = 0;
  /** Removed states in `keys` when it was handed the Map, and how many of them it reused. */
  available = 0;
  reused = 0;
}

/** At most this many windows in a row start with a new Map after handed-on Maps went unused (keys that do not come back). */
const MAX_HAND_ON_BACKOFF = 64;

/**
 * The DirectRunner's grouping state for windows that do not merge: a table of windows, each with
 * its keys. There are few live windows at a time and many keys in each, so a key costs one Map
 * entry in its window (rather than a per-key record as well), and the last window looked up is
 * remembered (consecutive elements mostly share it).
 *
 * The states of a window expire together (at its end plus the allowed lateness): a removed state
 * stays in its window's Map, marked removed, until the window has no live state left. Deleting
 * 100,000 keys one by one would shrink and rehash the Map again and again, and leave that garbage
 * to the collector.
 *
 * A window's Map is then handed on, with its removed states, to the newest live window (or the
 * next window to come): the same keys mostly come back in the next window, and a key's new state
 * there is its removed state, reset (see recycled), under the same key string in the same Map.
 * With 100,000 keys, every window's states, key strings and Map would otherwise be allocated
 * afresh (the Map in large-object space) while the last window's, garbage in the old generation,
 * wait for the next full collection: two windows in the heap instead of one. Keys that do not come
 * back are dropped from the Map as it is handed on (see handOn).
 */
/** `lastId` when no window is cached: no window has this id (ids are "global" or formatted instants). */
const NO_WINDOW = "\u0000";

export class WindowMajorGroupingState implements GroupingState {
  private readonly windows = new Map<string, WindowKeys>();
  /**
   * Always a string (NO_WINDOW when none): compared per element with a window id, a comparison
   * the optimizing compiler specialises to strings (undefined here would deoptimize it).
   */
  private lastId = NO_WINDOW;
  private last: WindowKeys | undefined;
  /** The window put last that is still live: a Map handed on goes to it. */
  private newest: WindowKeys | undefined;
  /** A Map handed on while no window was live (all its states removed), for the next window. */
  private spare: Map<string, WindowState> | undefined;
  /**
   * When a window reused less than half of the states handed on to it, the next Maps are not
   * handed on (their states are garbage at once, rather than kept through the next window for
   * keys that do not come back): `skip` windows, then one is tried again; `backoff` doubles
   * with each try that fails.
   */
  private skip = 0;
  private backoff = 1;
  private count = 0;
  /**
   * The last `get` that found no live state: its key, the keys of its window, and the entry
   * found (removed, or none). A missing state is looked up, then put: the put takes the entry
   * from here instead of a second lookup of the key (with many keys, a hash lookup and cache
   * misses per new state); a removed one found is the one to reuse.
   */
  private probeKey: string | undefined;
  private probeIn: WindowKeys | undefined;
  private probeFound: WindowState | undefined;

  get size(): number {
    return this.count;
  }
  private keysIn(windowId: string): WindowKeys | undefined {
    if (windowId === this.lastId) return this.last;
    const keys = this.windows.get(windowId);
    if (keys !== undefined) {
      this.lastId = windowId;
      this.last = keys;
    }
    return keys;
  }
  /**
   * The live state of key `keyId` in window `windowId` if that is the window looked in last, else
   * undefined (then ask `get`). Nothing else: no other window, no note for a `put` (a grouping
   * step's short path, where code that has not run yet would deoptimize it).
   */
  peek(keyId: string, windowId: string): WindowState | undefined {
    if (windowId !== this.lastId) return undefined;
    const ws = this.last!.keys.get(keyId);
    return ws !== undefined && (ws.flags & REMOVED) === 0 ? ws : undefined;
  }
  get(keyId: string, windowId: string): WindowState | undefined {
    // Elements mostly go to the window of the one before: that check without a call.
    const w = windowId === this.lastId ? this.last : this.keysIn(windowId);
    // A window not yet in the table starts with the spare Map, if any (see put).
    const ws = w !== undefined ? w.keys.get(keyId) : this.spare?.get(keyId);
    if (ws !== undefined && (ws.flags & REMOVED) === 0) return ws;
    // A miss: the put that follows takes the entry from here.
    this.probeKey = keyId;
    this.probeIn = w;
    this.probeFound = ws;
    return undefined;
  }
  /**
   * The removed state the last get found in the window's Map (see the class comment): removed as
   * its window expired, so no index of the step refers to it; the put that follows keeps it there.
   */
  recycled(keyId: string): WindowState | undefined {
    const ws = keyId === this.probeKey ? this.probeFound : undefined;
    return ws !== undefined && ws.removed && !ws.touched ? ws : undefined;
  }
  *windowsOf(keyId: string): Iterable<WindowState> {
    for (const w of this.windows.values()) {
      const ws = w.keys.get(keyId);
      if (ws !== undefined && !ws.removed) yield ws;
    }
  }
  put(keyId: string, windowId: string, ws: WindowState): void {
    let w = this.keysIn(windowId);
    if (w === undefined) {
      this.windows.set(windowId, (w = new WindowKeys()));
      if (this.spare !== undefined) {
        w.keys = this.spare;
        w.available = w.keys.size;
        this.spare = undefined;
        // The get that missed looked in the spare Map.
        if (this.probeIn === undefined) this.probeIn = w;
      }
      this.lastId = windowId;
      this.last = w;
      this.newest = w;
    }
    const previous = keyId === this.probeKey && w === this.probeIn ? this.probeFound : w.keys.get(keyId);
    // A reused state stays under its key string (the same characters): the element's dies young.
    if (previous !== ws) w.keys.set(keyId, ws);
    this.probeKey = this.probeIn = this.probeFound = undefined;
    if (previous === undefined || previous.removed || previous === ws) {
      if (++w.live > w.peak) w.peak = w.live;
      if (previous === ws) w.reused++;
      this.count++;
    }
  }
  remove(keyId: string, windowId: string, ws: WindowState): void {
    const w = this.keysIn(windowId);
    // No lookup of the key (with many keys, a cache miss per state): `ws` is the state put under
    // (keyId, windowId), as GroupNode guarantees; one already removed is ignored.
    if (w === undefined || ws.removed) return;
    ws.removed = true;
    this.probeKey = this.probeIn = this.probeFound = undefined;
    this.count--;
    if (--w.live === 0) {
      this.windows.delete(windowId);
      if (this.lastId === windowId) {
        this.lastId = NO_WINDOW;
        this.last = undefined;
      }
      if (this.newest === w) this.newest = undefined;
      this.handOn(w, windowId, ws.window);
    }
  }
  /**
   * A window's Map, all its states removed, goes to the newest live window or is kept for the next
   * one. Keys that did not come back in the window (their states removed in an earlier one) are
   * dropped from it first once there are many of them, so that the Map holds at most about as
   * many keys as the windows had live. Where keys do not come back at all, Maps are not handed
   * on (see `skip`).
   */
  private handOn(gone: WindowKeys, goneId: string, goneWindow: BoundedWindow): void {
    if (gone.available > 0) {
      if (2 * gone.reused >= gone.available) this.backoff = 1;
      else this.skip = this.backoff = Math.min(2 * this.backoff, MAX_HAND_ON_BACKOFF);
    }
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    const keys = gone.keys;
    if (keys.size > gone.peak + (gone.peak >> 2) + 1024) {
      for (const [k, ws] of keys) if (ws.window !== goneWindow && ws.window.id() !== goneId) keys.delete(k);
    }
    const to = this.newest;
    if (to === undefined) {
      this.spare = keys;
      return;
    }
    // The newest window mostly has just started: its few keys move into the big Map.
    if (to.keys.size > keys.size) return;
    for (const [k, ws] of to.keys) if (!ws.removed) keys.set(k, ws);
    to.keys = keys;
    to.available = keys.size - to.live;
  }
  *all(): Iterable<WindowState> {
    for (const w of this.windows.values()) for (const ws of w.keys.values()) if (!ws.removed) yield ws;
  }
}

/** How a grouping step's window states are written into checkpoints. */
export interface WindowStateCodec {
  readonly keyCoder: Coder<unknown>;
  readonly windowCoder: Coder<BoundedWindow>;
  /** Of buffered values (GroupByKey) or of the accumulator (combine). */
  readonly valueCoder: Coder<unknown>;
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
    const ws = new WindowState(key, window, codec.combines ? values[0] : values, trigger);
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

/**
 * The window coder of checkpoints. The coders' modules (runners/direct/transfer and lib/coders)
 * load only for a run that checkpoints: a streaming run without checkpoints starts ~7 ms sooner.
 */
export function windowCoderOf(windowing: WindowingStrategy): Coder<BoundedWindow> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../direct/transfer") as typeof import("../direct/transfer")).windowCoderFor(windowing);
}
