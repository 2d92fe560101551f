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

/** One record of a run, as views into the reader's current block (valid until its next `advance`). */
export interface RunRecord {
  id: string;
  minTimestamp: number;
  maxTimestamp: number;
  /** How many values (or accumulators) `values` holds. */
  count: number;
  /** The window and the key (see shuffle.ts). */
  head: Uint8Array;
  /** `count` values, each nested-encoded. */
  values: Uint8Array;
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
    this.writeRecord(id, minTimestamp, maxTimestamp, count, payload.subarray(0, headLength), [payload.subarray(headLength)]);
  }

  /** Appends a record: `values` are encoded values, concatenated in order (parts of one group from several runs). */
  writeRecord(id: string, minTimestamp: number, maxTimestamp: number, count: number, head: Uint8Array, values: readonly Uint8Array[]): void {
    let valueBytes = 0;
    for (const v of values) valueBytes += v.length;
    const ascii = isAscii(id);
    const idBytes = ascii ? id.length : 2 * id.length;
    const body = 1 + varIntSize(id.length) + idBytes + 16 + varIntSize(count) + varIntSize(head.length) + head.length + valueBytes;
    const total = varIntSize(body) + body;
    if (this.pos + total > this.buf.length) {
      this.flush();
      if (total > this.buf.length) this.buf = Buffer.allocUnsafe(total);
    }
    const buf = this.buf;
    let p = writeVarInt(buf, this.pos, body);
    buf[p] = ascii ? 0 : 1;
    p = writeVarInt(buf, p + 1, id.length);
    p += buf.write(id, p, ascii ? "latin1" : "utf16le");
    p = buf.writeDoubleBE(minTimestamp, p);
    p = buf.writeDoubleBE(maxTimestamp, p);
    p = writeVarInt(buf, p, count);
    p = writeVarInt(buf, p, head.length);
    buf.set(head, p);
    p += head.length;
    for (const v of values) {
      buf.set(v, p);
      p += v.length;
    }
    this.pos = p;
    if (p >= WRITE_BLOCK) this.flush();
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
  readonly record: RunRecord = { id: "", minTimestamp: 0, maxTimestamp: 0, count: 0, head: new Uint8Array(0), values: new Uint8Array(0) };

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
    r.head = b.subarray(headAt, headAt + headLength);
    r.values = b.subarray(headAt + headLength, end);
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

function isAscii(s: string): boolean {
  return Buffer.byteLength(s, "utf8") === s.length;
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
