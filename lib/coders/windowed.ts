/**
 * Beam's standard coders for windows, windowed values and timers (BEAM_PORTABILITY.md
 * §4.9–4.13): global_window, interval_window, windowed_value, param_windowed_value and timer,
 * plus the pane-info encoding they share.
 */
import {
  BoundedWindow,
  ElementMeta,
  GLOBAL_WINDOWS,
  GlobalWindow,
  Instant,
  IntervalWindow,
  NO_FIRING,
  ON_TIME_AND_ONLY_FIRING,
  PaneInfo,
  PaneTiming,
  WindowedValue,
} from "../model/window";
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext, decodeFromBytes, encodeToBytes } from "./coder";
import { CoderError, describeValue } from "./errors";
import { BytesCoder } from "./primitive";
import { readIterableElements, writeIterable } from "./structural";
import { BEAM_MAX_TIMESTAMP_MILLIS, int64ToTimestamp, readTimestamp, readTimestampExact, timestampToInt64, writeTimestamp } from "./timestamp";

export const GLOBAL_WINDOW_URN = "beam:coder:global_window:v1";
export const INTERVAL_WINDOW_URN = "beam:coder:interval_window:v1";
export const WINDOWED_VALUE_URN = "beam:coder:windowed_value:v1";
export const PARAM_WINDOWED_VALUE_URN = "beam:coder:param_windowed_value:v1";
export const TIMER_URN = "beam:coder:timer:v1";

const NO_COMPONENTS: readonly Coder<unknown>[] = Object.freeze([]);

/** `beam:coder:global_window:v1`: zero bytes. Decodes to `GlobalWindow.INSTANCE`. */
export class GlobalWindowCoder implements Coder<GlobalWindow> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new GlobalWindowCoder();
  readonly urn = GLOBAL_WINDOW_URN;
  readonly components = NO_COMPONENTS;
  readonly deterministic = true;

  encode(value: GlobalWindow, _out: ByteWriter, _context: CoderContext): void {
    if (value !== GlobalWindow.INSTANCE) {
      throw new CoderError(`GlobalWindowCoder can only encode GlobalWindow.INSTANCE, got ${describeValue(value)}; the PCollection's window coder does not match its windowing`);
    }
  }

  decode(_input: ByteReader, _context: CoderContext): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }
}

/**
 * `beam:coder:interval_window:v1`: the window end (exclusive) as an 8-byte shifted timestamp,
 * then varint(end − start). Windows touching MIN/MAX_TIMESTAMP are encoded exactly.
 */
export class IntervalWindowCoder implements Coder<IntervalWindow> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new IntervalWindowCoder();
  readonly urn = INTERVAL_WINDOW_URN;
  readonly components = NO_COMPONENTS;
  readonly deterministic = true;

  encode(value: IntervalWindow, out: ByteWriter, _context: CoderContext): void {
    if (!(value instanceof IntervalWindow)) {
      throw new CoderError(`IntervalWindowCoder can only encode IntervalWindow instances, got ${describeValue(value)}; the PCollection's window coder does not match its windowing`);
    }
    const { start, end } = value;
    if (Number.isSafeInteger(start) && Number.isSafeInteger(end) && end >= start) {
      const span = end - start;
      if (Number.isSafeInteger(span)) {
        writeTimestamp(out, end);
        out.writeVarInt(span);
        return;
      }
    }
    const exactStart = timestampToInt64(start);
    const exactEnd = timestampToInt64(end);
    if (exactEnd < exactStart) throw new CoderError(`IntervalWindow ${value.id()} ends before it starts; windows must have start <= end`);
    writeTimestamp(out, end);
    out.writeVarInt64(exactEnd - exactStart);
  }

  decode(input: ByteReader, _context: CoderContext): IntervalWindow {
    const end = readTimestampExact(input);
    const span = input.readVarIntOrBigInt();
    if (typeof end === "number" && typeof span === "number") {
      const start = end - span;
      if (Number.isSafeInteger(start)) return new IntervalWindow(start, end);
    }
    const exactEnd = BigInt(end);
    return new IntervalWindow(int64ToTimestamp(exactEnd - BigInt(span)), int64ToTimestamp(exactEnd));
  }
}

const TIMINGS: readonly PaneTiming[] = ["EARLY", "ON_TIME", "LATE", "UNKNOWN"];
const TIMING_CODES: Readonly<Record<PaneTiming, number>> = { EARLY: 0, ON_TIME: 1, LATE: 2, UNKNOWN: 3 };

/** The 16 panes expressible by a header byte alone (encoding 0), indexed by its low nibble. */
const HEADER_ONLY_PANES: readonly PaneInfo[] = Array.from({ length: 16 }, (_, b) => {
  if (b === 0x0f) return NO_FIRING;
  if (b === 0x07) return ON_TIME_AND_ONLY_FIRING;
  return Object.freeze({ isFirst: (b & 1) !== 0, isLast: (b & 2) !== 0, timing: TIMINGS[(b >> 2) & 3], index: 0, onTimeIndex: 0 });
});

/**
 * Writes a pane: header byte (0x01 first, 0x02 last, timing in bits 2–3, encoding in bits 4–7)
 * then 0, 1 or 2 varints. Encoding 0 when index = onTimeIndex = 0; 1 (index only) when
 * onTimeIndex = index, or onTimeIndex = -1 for an EARLY pane; else 2.
 */
export function writePane(out: ByteWriter, pane: PaneInfo): void {
  if (pane === NO_FIRING) {
    out.writeByte(0x0f);
    return;
  }
  const timing = TIMING_CODES[pane.timing];
  if (timing === undefined) throw new CoderError(`Pane timing ${describeValue(pane.timing)} is not one of EARLY, ON_TIME, LATE, UNKNOWN`);
  const header = (pane.isFirst ? 1 : 0) | (pane.isLast ? 2 : 0) | (timing << 2);
  const { index, onTimeIndex } = pane;
  if (index === 0 && onTimeIndex === 0) {
    out.writeByte(header);
  } else if (onTimeIndex === index || (timing === 0 && onTimeIndex === -1)) {
    out.writeByte(header | 0x10);
    out.writeVarInt(index);
  } else {
    out.writeByte(header | 0x20);
    out.writeVarInt(index);
    out.writeVarInt(onTimeIndex);
  }
}

/** Reads a pane in any of the three encodings; header-only panes are shared frozen objects. */
export function readPane(input: ByteReader): PaneInfo {
  const b = input.readByte();
  const encoding = b >> 4;
  if (encoding === 0) return HEADER_ONLY_PANES[b];
  const isFirst = (b & 1) !== 0;
  const isLast = (b & 2) !== 0;
  const timing = TIMINGS[(b >> 2) & 3];
  if (encoding === 1) {
    const index = input.readVarInt();
    return { isFirst, isLast, timing, index, onTimeIndex: timing === "EARLY" ? -1 : index };
  }
  if (encoding === 2) {
    const index = input.readVarInt();
    const onTimeIndex = input.readVarInt();
    return { isFirst, isLast, timing, index, onTimeIndex };
  }
  throw new CoderError(`Pane header 0x${b.toString(16)} at offset ${input.offset - 1} has unknown encoding ${encoding} (expected 0, 1 or 2): the data is corrupt or was written by another coder`);
}

function readWindows(input: ByteReader, windowCoder: Coder<BoundedWindow>): readonly BoundedWindow[] {
  const at = input.offset;
  const n = input.readInt32BE();
  // Fast path: the common single global window needs no allocation.
  if (n === 1 && windowCoder instanceof GlobalWindowCoder) return GLOBAL_WINDOWS;
  return readIterableElements(input, windowCoder, n, at);
}

/**
 * `beam:coder:windowed_value:v1`: timestamp (8-byte shifted), windows (known-length iterable),
 * pane, then the element in the windowed value's own context.
 */
export class WindowedValueCoder<T> implements Coder<WindowedValue<T>> {
  readonly urn = WINDOWED_VALUE_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder of each element. */
    readonly elementCoder: Coder<T>,
    /** The coder of the windows. */
    readonly windowCoder: Coder<BoundedWindow>,
  ) {
    this.components = [elementCoder, windowCoder];
    this.deterministic = elementCoder.deterministic && windowCoder.deterministic;
  }

  encode(value: WindowedValue<T>, out: ByteWriter, context: CoderContext): void {
    writeTimestamp(out, value.timestamp);
    writeIterable(out, value.windows, this.windowCoder);
    writePane(out, value.pane);
    this.elementCoder.encode(value.value, out, context);
  }

  decode(input: ByteReader, context: CoderContext): WindowedValue<T> {
    const timestamp = readTimestamp(input);
    const windows = readWindows(input, this.windowCoder);
    const pane = readPane(input);
    const value = this.elementCoder.decode(input, context);
    return { value, timestamp, windows, pane };
  }
}

/** The timestamp, windows and pane a ParamWindowedValueCoder fixes for every element. */
export type WindowedValueParams = ElementMeta;

/**
 * `beam:coder:param_windowed_value:v1`: only the element goes on the wire; the timestamp, windows
 * and pane are constants carried in the payload (a windowed_value<bytes, window> encoding of an
 * empty byte string). Encoding ignores the value's own timestamp, windows and pane.
 */
export class ParamWindowedValueCoder<T> implements Coder<WindowedValue<T>> {
  readonly urn = PARAM_WINDOWED_VALUE_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  readonly payload: Uint8Array;
  /** The constants decoded from the payload. */
  readonly params: WindowedValueParams;

  /** Builds the coder from its proto payload. */
  constructor(
    /** The coder of each element. */
    readonly elementCoder: Coder<T>,
    /** The coder of the windows. */
    readonly windowCoder: Coder<BoundedWindow>,
    payload: Uint8Array,
  ) {
    this.components = [elementCoder, windowCoder];
    this.deterministic = elementCoder.deterministic;
    this.payload = payload;
    let params: WindowedValue<Uint8Array>;
    try {
      params = decodeFromBytes(new WindowedValueCoder(BytesCoder.INSTANCE, windowCoder), payload, "nested");
    } catch (e) {
      throw new CoderError(`Invalid param_windowed_value payload: ${(e as Error).message}`, { cause: e });
    }
    this.params = Object.freeze({ timestamp: params.timestamp, windows: Object.freeze(params.windows.slice()), pane: params.pane });
  }

  /** Builds the coder (and its payload) from the constant timestamp, windows and pane. */
  static of<T>(elementCoder: Coder<T>, windowCoder: Coder<BoundedWindow>, params: WindowedValueParams): ParamWindowedValueCoder<T> {
    const payload = encodeToBytes(new WindowedValueCoder(BytesCoder.INSTANCE, windowCoder), { ...params, value: new Uint8Array(0) }, "nested");
    return new ParamWindowedValueCoder(elementCoder, windowCoder, payload);
  }

  encode(value: WindowedValue<T>, out: ByteWriter, context: CoderContext): void {
    this.elementCoder.encode(value.value, out, context);
  }

  decode(input: ByteReader, context: CoderContext): WindowedValue<T> {
    const { timestamp, windows, pane } = this.params;
    return { value: this.elementCoder.decode(input, context), timestamp, windows, pane };
  }
}

/**
 * A timer as the Fn API carries it. When `clearBit` is false, `fireTimestamp` and
 * `holdTimestamp` are required and `pane` defaults to NO_FIRING; when true they are absent.
 */
export interface Timer<K> {
  /** The key of the timer's element. */
  readonly userKey: K;
  /** The tag of a timer in a timer family ("" for a plain timer). */
  readonly dynamicTimerTag: string;
  /** The windows the timer is set in. */
  readonly windows: readonly BoundedWindow[];
  /** Whether this clears the timer rather than setting it. */
  readonly clearBit: boolean;
  /** When the timer fires (set timers only). */
  readonly fireTimestamp?: Instant;
  /** The output watermark hold while the timer is set: its output timestamp (set timers only). */
  readonly holdTimestamp?: Instant;
  /** The pane of what set the timer (default NO_FIRING). */
  readonly pane?: PaneInfo;
}

/**
 * A timer that holds no watermark (Beam Java's `withNoOutputTimestamp`) has the hold timestamp
 * MAX + 1 ms on the wire, which Beam's runners read as no hold; here it is `Infinity`.
 */
const NO_HOLD_MILLIS = BEAM_MAX_TIMESTAMP_MILLIS + 1n;

function writeHoldTimestamp(out: ByteWriter, hold: Instant): void {
  if (hold === Infinity) out.writeUint64BE(NO_HOLD_MILLIS ^ -(1n << 63n));
  else writeTimestamp(out, hold);
}

function readHoldTimestamp(input: ByteReader): Instant {
  const v = readTimestampExact(input);
  return typeof v === "bigint" && v > BEAM_MAX_TIMESTAMP_MILLIS ? Infinity : typeof v === "number" ? v : int64ToTimestamp(v);
}

/**
 * `beam:coder:timer:v1`: user key (nested), dynamic timer tag (nested string), windows (iterable),
 * clear bit (bool), then, if not cleared, fire timestamp, hold timestamp and pane.
 */
export class TimerCoder<K> implements Coder<Timer<K>> {
  readonly urn = TIMER_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder of the keys. */
    readonly keyCoder: Coder<K>,
    /** The coder of the windows. */
    readonly windowCoder: Coder<BoundedWindow>,
  ) {
    this.components = [keyCoder, windowCoder];
    this.deterministic = keyCoder.deterministic && windowCoder.deterministic;
  }

  encode(value: Timer<K>, out: ByteWriter, _context: CoderContext): void {
    this.keyCoder.encode(value.userKey, out, "nested");
    if (typeof value.dynamicTimerTag !== "string") {
      throw new CoderError(`Timer dynamicTimerTag must be a string (use "" for none), got ${describeValue(value.dynamicTimerTag)}`);
    }
    out.writeUtf8Nested(value.dynamicTimerTag);
    writeIterable(out, value.windows, this.windowCoder);
    if (value.clearBit) {
      out.writeByte(1);
      return;
    }
    if (value.fireTimestamp === undefined || value.holdTimestamp === undefined) {
      throw new CoderError(`A timer that is set (clearBit false) needs fireTimestamp and holdTimestamp; set both, or set clearBit to clear the timer`);
    }
    out.writeByte(0);
    writeTimestamp(out, value.fireTimestamp);
    writeHoldTimestamp(out, value.holdTimestamp);
    writePane(out, value.pane ?? NO_FIRING);
  }

  decode(input: ByteReader, _context: CoderContext): Timer<K> {
    const userKey = this.keyCoder.decode(input, "nested");
    const dynamicTimerTag = input.readUtf8Nested();
    const windows = readWindows(input, this.windowCoder);
    const clear = input.readByte();
    if (clear === 1) return { userKey, dynamicTimerTag, windows, clearBit: true };
    if (clear !== 0) throw new CoderError(`Timer clear bit at offset ${input.offset - 1} is 0x${clear.toString(16)}; expected 00 or 01`);
    const fireTimestamp = readTimestamp(input);
    const holdTimestamp = readHoldTimestamp(input);
    const pane = readPane(input);
    return { userKey, dynamicTimerTag, windows, clearBit: false, fireTimestamp, holdTimestamp, pane };
  }
}
