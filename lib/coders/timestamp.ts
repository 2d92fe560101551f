/**
 * Beam's 8-byte timestamp encoding, shared by interval windows, windowed values and timers.
 *
 * A timestamp is int64 milliseconds, written big-endian after flipping the sign bit (so byte order
 * is numeric order). JS Instants are doubles: safe integers take a fast path; the three sentinel
 * constants of lib/model/window.ts (which are the nearest doubles to Beam's values, not the values
 * themselves) map to Beam's exact int64 values and back.
 */
import { GLOBAL_WINDOW_MAX_TIMESTAMP, Instant, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../model/window";
import { ByteReader, ByteWriter } from "./byte_io";
import { CoderError } from "./errors";

const TWO_32 = 4294967296;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Beam's exact minimum timestamp in millis (-2^63 / 1000, truncated). */
export const BEAM_MIN_TIMESTAMP_MILLIS = -9223372036854775n;
/** Beam's exact maximum timestamp in millis. */
export const BEAM_MAX_TIMESTAMP_MILLIS = 9223372036854775n;
/**
 * Beam's exact global-window maximum timestamp in millis: one day (86 400 000 ms) before the
 * maximum, as Java's GlobalWindow.maxTimestamp() and Python's GlobalWindow.max_timestamp() give
 * (bytes 80 20 c4 9b a0 bc f7 f7). GLOBAL_WINDOW_MAX_TIMESTAMP in lib/model/window.ts encodes
 * to this value whatever double it holds.
 */
export const BEAM_GLOBAL_WINDOW_MAX_TIMESTAMP_MILLIS = 9223371950454775n;

/** The exact int64 millis Beam uses for `ts` (sentinels mapped; other values must be integers). */
export function timestampToInt64(ts: Instant): bigint {
  if (ts === MIN_TIMESTAMP) return BEAM_MIN_TIMESTAMP_MILLIS;
  if (ts === MAX_TIMESTAMP) return BEAM_MAX_TIMESTAMP_MILLIS;
  if (ts === GLOBAL_WINDOW_MAX_TIMESTAMP) return BEAM_GLOBAL_WINDOW_MAX_TIMESTAMP_MILLIS;
  if (!Number.isInteger(ts)) {
    throw new CoderError(
      `Timestamp ${ts} is not an integer number of milliseconds. Beam timestamps are int64 millis: ` +
        `round it (e.g. Math.floor) before emitting, or use MIN_TIMESTAMP/MAX_TIMESTAMP for the extremes`,
    );
  }
  const v = BigInt(ts);
  if (v < INT64_MIN || v > INT64_MAX) {
    throw new CoderError(`Timestamp ${ts} is outside the int64 range of Beam timestamps; use MIN_TIMESTAMP/MAX_TIMESTAMP`);
  }
  return v;
}

/**
 * The Instant for exact int64 millis `v`: Beam's sentinels become the model constants; other
 * values beyond ±2^53 become the nearest double (exact for even values below 2^54).
 */
export function int64ToTimestamp(v: bigint): Instant {
  if (v === BEAM_MIN_TIMESTAMP_MILLIS) return MIN_TIMESTAMP;
  if (v === BEAM_MAX_TIMESTAMP_MILLIS) return MAX_TIMESTAMP;
  if (v === BEAM_GLOBAL_WINDOW_MAX_TIMESTAMP_MILLIS) return GLOBAL_WINDOW_MAX_TIMESTAMP;
  return Number(v);
}

/** Writes `ts` as 8 bytes big-endian with the sign bit flipped. */
export function writeTimestamp(out: ByteWriter, ts: Instant): void {
  if (Number.isSafeInteger(ts)) {
    const hi = Math.floor(ts / TWO_32);
    out.writeInt32BE(hi ^ 0x80000000);
    out.writeInt32BE(ts - hi * TWO_32);
    return;
  }
  out.writeUint64BE(timestampToInt64(ts) ^ INT64_MIN);
}

/** Reads an 8-byte shifted timestamp: a number when safe, else the exact int64 as a bigint. */
export function readTimestampExact(input: ByteReader): number | bigint {
  const hi = (input.readUint32BE() ^ 0x80000000) | 0;
  const lo = input.readUint32BE();
  const v = hi * TWO_32 + lo;
  if (Number.isSafeInteger(v)) return v;
  return (BigInt(hi) << 32n) + BigInt(lo);
}

/** Reads an 8-byte shifted timestamp as an Instant (sentinels mapped to the model constants). */
export function readTimestamp(input: ByteReader): Instant {
  const v = readTimestampExact(input);
  return typeof v === "number" ? v : int64ToTimestamp(v);
}
