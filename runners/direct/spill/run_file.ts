/**
 * The files a spilling shuffle writes: sorted runs of group records, written and read in blocks
 * so that reading many runs at once costs a fixed amount of memory per run.
 *
 * A run is a sequence of records, each varint(body length) then the body:
 *
 *   id kind (0: ASCII, 1: UTF-16LE) | varint id length | id bytes
 *   | float64 min timestamp | float64 max timestamp | varint value count
 *   | varint head length | head (the window and the key: see shuffle.ts) | the values, nested, one after another
 *
 * Records are sorted by group id (JS string order, as `Array.prototype.sort` orders them) and
 * each id appears once per run. Ids are stored exactly (UTF-16 when not ASCII), so a key with a
 * lone surrogate keeps its identity through a spill.
 */
import * as fs from "node:fs";
import { varIntSize } from "../../../lib/coders/byte_io";

/**
 * One record of a run, as offsets into the reader's current block (valid until its next
 * `advance`): offsets rather than views, so reading a record allocates nothing but its id.
 */
export interface RunRecord {
  id: string;
  minTimestamp: number;
  maxTimestamp: number;
  /** How many values (or accumulators) the record holds. */
  count: number;
  block: Buffer;
  /** Where the head (the window and the key, see shuffle.ts) starts in `block`. */
  headAt: number;
  /** Where the `count` values, each nested-encoded, start in `block`; they end at `end`. */
  valuesAt: number;
  end: number;
}

/** A record's head, as a view into its block. */
export function recordHead(r: RunRecord): Uint8Array {
  return r.block.subarray(r.headAt, r.valuesAt);
}

/** A record's encoded values, as a view into its block. */
export function recordValues(r: RunRecord): Uint8Array {
  return r.block.subarray(r.valuesAt, r.end);
}

/** Largest buffered output before a run writer writes it to its file. */
const WRITE_BLOCK = 1 << 20;

/** Writes records to a run file; the caller gives them in id order. */
export class RunWriter {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(WRITE_BLOCK + 64 * 1024);
  private pos = 0;
  private closed = false;
  /** Bytes written to the file so far. */
  bytes = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, "wx");
  }

  /** Appends a group: `payload` is its head (`headLength` bytes) then its `count` encoded values. */
  writeGroup(id: string, minTimestamp: number, maxTimestamp: number, count: number, payload: Uint8Array, headLength: number): void {
    let p = this.header(id, minTimestamp, maxTimestamp, count, headLength, payload.length);
    p = copyBytes(payload, this.buf, p);
    this.finishRecord(p);
  }

  /** Appends a record: `values` are encoded values, concatenated in order (parts of one group from several runs). */
  writeRecord(id: string, minTimestamp: number, maxTimestamp: number, count: number, head: Uint8Array, values: readonly Uint8Array[]): void {
    let valueBytes = 0;
    for (const v of values) valueBytes += v.length;
    let p = this.header(id, minTimestamp, maxTimestamp, count, head.length, head.length + valueBytes);
    p = copyBytes(head, this.buf, p);
    for (const v of values) p = copyBytes(v, this.buf, p);
    this.finishRecord(p);
  }

  /**
   * Makes room for a record whose head and values take `tailBytes`, and writes everything before
   * them; returns where they go.
   */
  private header(id: string, minTimestamp: number, maxTimestamp: number, count: number, headLength: number, tailBytes: number): number {
    const ascii = isAscii(id);
    const idBytes = ascii ? id.length : 2 * id.length;
    const body = 1 + varIntSize(id.length) + idBytes + 16 + varIntSize(count) + varIntSize(headLength) + tailBytes;
    const total = varIntSize(body) + body;
    if (this.pos + total > this.buf.length) {
      this.flush();
      if (total > this.buf.length) this.buf = Buffer.allocUnsafe(total);
    }
    const buf = this.buf;
    let p = writeVarInt(buf, this.pos, body);
    buf[p] = ascii ? 0 : 1;
    p = writeVarInt(buf, p + 1, id.length);
    if (!ascii) p += buf.write(id, p, "utf16le");
    else if (id.length > SHORT_COPY) p += buf.write(id, p, "latin1");
    else for (let i = 0; i < id.length; i++) buf[p++] = id.charCodeAt(i);
    p = buf.writeDoubleBE(minTimestamp, p);
    p = buf.writeDoubleBE(maxTimestamp, p);
    p = writeVarInt(buf, p, count);
    return writeVarInt(buf, p, headLength);
  }

  private finishRecord(end: number): void {
    this.pos = end;
    if (end >= WRITE_BLOCK) this.flush();
  }

  /** Writes what is buffered and closes the file. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      fs.closeSync(this.fd);
    }
  }

  /** Closes the file without finishing it (the caller removes it). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private flush(): void {
    let off = 0;
    while (off < this.pos) off += fs.writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }
}

/** Reads a run's records in order, `blockBytes` at a time. */
export class RunReader {
  private fd: number | undefined;
  private block: Buffer = Buffer.alloc(0);
  private pos = 0;
  private eof = false;
  /** The current record (reused: valid until the next `advance`). */
  readonly record: RunRecord = { id: "", minTimestamp: 0, maxTimestamp: 0, count: 0, block: Buffer.alloc(0), headAt: 0, valuesAt: 0, end: 0 };

  constructor(
    readonly file: string,
    private readonly blockBytes: number,
  ) {
    this.fd = fs.openSync(file, "r");
  }

  /** Moves to the next record; false at the end of the run. */
  advance(): boolean {
    let at: number;
    let length: number;
    for (;;) {
      length = readVarIntAt(this.block, this.pos);
      at = varIntEnd;
      if (length >= 0 && at + length <= this.block.length) break;
      if (this.eof) {
        if (this.pos < this.block.length) throw new Error(`The shuffle spill file ${this.file} is truncated (the disk may be full, or it was changed while the run read it)`);
        return false;
      }
      this.refill(length < 0 ? 10 : at - this.pos + length);
    }
    const b = this.block;
    const end = at + length;
    const r = this.record;
    const kind = b[at]!;
    const idLength = readVarIntAt(b, at + 1);
    let p = varIntEnd;
    if (kind === 0) {
      r.id = b.toString("latin1", p, p + idLength);
      p += idLength;
    } else {
      r.id = b.toString("utf16le", p, p + 2 * idLength);
      p += 2 * idLength;
    }
    r.minTimestamp = b.readDoubleBE(p);
    r.maxTimestamp = b.readDoubleBE(p + 8);
    r.count = readVarIntAt(b, p + 16);
    const headLength = readVarIntAt(b, varIntEnd);
    const headAt = varIntEnd;
    r.block = b;
    r.headAt = headAt;
    r.valuesAt = headAt + headLength;
    r.end = end;
    this.pos = end;
    return true;
  }

  /** Reads the next block, keeping the unread bytes (a new buffer: views of the old one stay valid). */
  private refill(needed: number): void {
    const rest = this.block.length - this.pos;
    const next = Buffer.allocUnsafe(rest + Math.max(this.blockBytes, needed));
    this.block.copy(next, 0, this.pos);
    let filled = rest;
    while (filled < next.length) {
      const n = fs.readSync(this.fd!, next, filled, next.length - filled, null);
      if (n === 0) {
        this.eof = true;
        break;
      }
      filled += n;
    }
    this.block = next.subarray(0, filled);
    this.pos = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Up to this many bytes (or characters) are copied by a loop: for the short keys, values and ids
 * of most groups, a loop costs less than a call into Buffer's native code.
 */
const SHORT_COPY = 64;

function isAscii(s: string): boolean {
  if (s.length > SHORT_COPY) return Buffer.byteLength(s, "utf8") === s.length;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Copies `src` into `dst` at `at`; returns the position after it. */
function copyBytes(src: Uint8Array, dst: Buffer, at: number): number {
  const n = src.length;
  if (n > SHORT_COPY) dst.set(src, at);
  else for (let i = 0; i < n; i++) dst[at + i] = src[i]!;
  return at + n;
}

function writeVarInt(buf: Buffer, p: number, n: number): number {
  while (n >= 0x80) {
    buf[p++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[p++] = n;
  return p;
}

/** Where the last `readVarIntAt` stopped (a module variable, so reading a varint allocates nothing). */
let varIntEnd = 0;

/** The varint at `p` (setting `varIntEnd`), or -1 when the buffer ends inside it. */
function readVarIntAt(b: Buffer, p: number): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (p >= b.length) return -1;
    const c = b[p++]!;
    n += (c & 0x7f) * scale;
    if (c < 0x80) {
      varIntEnd = p;
      return n;
    }
    scale *= 128;
  }
  throw new Error("A shuffle spill file holds a length that is not a valid varint (the file is corrupt)");
}
