/**
 * Splitting a text file's bytes into records: lines (LineSplitter: `\n`, `\r\n` or a lone `\r`,
 * the hot path of every text read) and records ending in a custom delimiter or keeping their
 * terminators (RecordSplitter: ReadFromText's format options). Each works on one byte range of a
 * file, giving the records that start in it.
 */
import { isUtf8 } from "node:buffer";
import { ValidationError } from "../model/errors";
const LF = 0x0a;
const CR = 0x0d;
const ANY_TERMINATOR = /\r\n|\r|\n/;

/** Index of the first `\n` or `\r` at or after `from`, or -1. */
function firstTerminator(buf: Buffer, from: number): number {
  const n = buf.indexOf(LF, from);
  const c = buf.indexOf(CR, from);
  if (c < 0) return n;
  if (n < 0) return c;
  return c < n ? c : n;
}

/**
 * Splits text that ends with a line terminator and contains `\r`: fast for `\r\n` endings
 * (split on `\n`, trim the `\r`), falling back to a regular expression for lone `\r`.
 * The result ends with the empty string after the last terminator.
 */
function splitWithCR(text: string): string[] {
  const parts = text.split("\n");
  const n = parts.length - 1;
  if (parts[n] !== "") return text.split(ANY_TERMINATOR); // ends with a lone \r
  for (let k = 0; k < n; k++) {
    const part = parts[k];
    const c = part.indexOf("\r");
    if (c < 0) continue;
    if (c !== part.length - 1) return text.split(ANY_TERMINATOR); // a lone \r inside
    parts[k] = part.slice(0, c);
  }
  return parts;
}

/** Lines in buf[a, b) (split on \n; a lone \r never makes bytes valid or invalid UTF-8) that are not valid UTF-8. */
function invalidUtf8Lines(buf: Buffer, a: number, b: number): number {
  let n = 0;
  for (let s = a; s < b; ) {
    let e = buf.indexOf(LF, s);
    if (e < 0 || e >= b) e = b;
    if (!isUtf8(buf.subarray(s, e))) n++;
    s = e + 1;
  }
  return n;
}

/**
 * The byte-level line splitter behind `readLineBatches`: fed consecutive chunks of the file from
 * offset `readStart` (`start - 1` when start > 0, so it can tell whether `start` begins a line),
 * it returns the lines owned by [start, end) as one batch per chunk. Lines are found on bytes;
 * each batch of complete lines is decoded with one `toString` (UTF-8 sequences never contain
 * `\n` or `\r` bytes, so a multi-byte character is never cut).
 */
export class LineSplitter {
  /** True once every owned line has been returned; stop feeding. */
  done = false;
  private offset: number;
  private skipping: boolean;
  private pendingCR = false;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private bomPending: boolean;
  private head: Buffer | undefined;
  /**
   * Lines returned so far whose bytes are not valid UTF-8 (decoded with U+FFFD for the invalid
   * bytes, as TextDecoder does): readers warn and count them rather than replace silently.
   */
  invalidUtf8Lines = 0;

  constructor(
    private readonly start: number,
    private readonly end: number,
  ) {
    this.offset = start > 0 ? start - 1 : 0;
    this.skipping = start > 0;
    this.bomPending = start === 0;
    if (!(end > start)) this.done = true; // an empty range owns no line
  }

  /** Offset at which the caller must start feeding bytes. */
  get readStart(): number {
    return this.start > 0 ? this.start - 1 : 0;
  }

  /** Feeds the next chunk; returns the lines it completes (possibly empty). */
  push(chunk: Buffer): string[] {
    if (this.done || chunk.length === 0) return [];
    let buf = chunk;
    const base = this.offset;
    this.offset += chunk.length;
    if (this.bomPending) {
      if (this.head !== undefined) {
        buf = Buffer.concat([this.head, buf]);
        this.head = undefined;
      }
      if (buf.length < 3) {
        this.head = buf;
        return [];
      }
      this.bomPending = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return this.process(buf, 0, 3);
      return this.process(buf, 0, 0);
    }
    return this.process(buf, base, 0);
  }

  /** Signals the end of the file; returns the last line if it had no terminator. */
  finish(): string[] {
    let out: string[] = [];
    if (this.head !== undefined) {
      const head = this.head;
      this.head = undefined;
      this.bomPending = false;
      out = this.process(head, 0, 0);
    }
    if (!this.done && !this.skipping && this.partialBytes > 0) {
      out.push(this.decodeParts(this.partial, this.partialBytes));
    }
    this.partial = [];
    this.partialBytes = 0;
    this.done = true;
    return out;
  }

  private process(buf: Buffer, base: number, i: number): string[] {
    const len = buf.length;
    if (this.skipping || this.pendingCR) {
      // Find where the first owned line starts: after the first terminator at or after start - 1.
      if (this.pendingCR) {
        this.pendingCR = false; // the previous chunk ended with \r: a following \n belongs to it
        if (buf[0] === LF) i = 1;
      } else {
        const t = firstTerminator(buf, 0);
        if (t < 0) return [];
        if (buf[t] === CR) {
          if (t + 1 === len) {
            this.pendingCR = true;
            return [];
          }
          i = buf[t + 1] === LF ? t + 2 : t + 1;
        } else i = t + 1;
      }
      this.skipping = false;
      if (base + i >= this.end) {
        this.done = true;
        return [];
      }
      if (i >= len) return [];
    }
    // Does the line that contains byte end - 1 end in this chunk? Then we stop after it.
    const endIndex = this.end - 1 - base;
    if (endIndex < len) {
      const t = firstTerminator(buf, endIndex > i ? endIndex : i);
      if (t >= 0) {
        const stop = buf[t] === CR && t + 1 < len && buf[t + 1] === LF ? t + 2 : t + 1;
        const lines = this.region(buf, i, stop);
        this.done = true;
        this.partial = [];
        this.partialBytes = 0;
        return lines;
      }
    }
    return this.region(buf, i, len);
  }

  private decodeParts(parts: Buffer[], bytes: number): string {
    const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes);
    if (!isUtf8(whole)) this.invalidUtf8Lines++;
    return whole.toString("utf8");
  }

  /** Emits the complete lines in buf[i, r) (prefixed by the partial line); keeps the rest. */
  private region(buf: Buffer, i: number, r: number): string[] {
    if (i >= r) return [];
    const firstCR = buf.indexOf(CR, i);
    const hasCR = firstCR >= 0 && firstCR < r;
    let last = buf.lastIndexOf(LF, r - 1);
    if (hasCR) {
      const lastCR = buf.lastIndexOf(CR, r - 1);
      if (lastCR > last) last = lastCR;
    }
    if (last < i) {
      this.partial.push(buf.subarray(i, r));
      this.partialBytes += r - i;
      return [];
    }
    const b = last + 1;
    if (buf[last] === CR && b === buf.length) this.pendingCR = true;
    let first: string | undefined;
    let a = i;
    if (this.partialBytes > 0) {
      const f = hasCR ? firstTerminator(buf, i) : buf.indexOf(LF, i);
      this.partial.push(buf.subarray(i, f));
      first = this.decodeParts(this.partial, this.partialBytes + (f - i));
      this.partial = [];
      this.partialBytes = 0;
      a = buf[f] === CR && f + 1 < buf.length && buf[f + 1] === LF ? f + 2 : f + 1;
    }
    let lines: string[];
    if (a < b) {
      const text = buf.toString("utf8", a, b);
      // One validation of the whole slice (fast, native); lines are checked one by one only when it fails.
      if (!isUtf8(buf.subarray(a, b))) this.invalidUtf8Lines += invalidUtf8Lines(buf, a, b);
      lines = hasCR ? splitWithCR(text) : text.split("\n");
      lines.pop(); // the empty string after the last terminator
      if (first !== undefined) lines.unshift(first);
    } else {
      lines = first !== undefined ? [first] : [];
    }
    if (b < r) {
      this.partial.push(buf.subarray(b, r));
      this.partialBytes += r - b;
    }
    return lines;
  }
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * The record splitter for the options the plain `LineSplitter` does not handle: a custom
 * `delimiter` (an exact byte sequence, as Beam's `withDelimiter` / `delimiter=`), records that keep
 * their terminator (Beam Python's `strip_trailing_newlines=False`), and a cap on the records read
 * (`maxRecords`, to find where a file's header lines end). Same contract as `LineSplitter`: fed
 * from `readStart`, it returns the records whose first byte lies in [start, end), reading past
 * `end` to finish the last one. A record starts at 0 or right after a delimiter; a range not
 * starting at 0 begins at `start - delimiter length` and drops everything up to the first
 * delimiter it finds (as Beam does), which finds the true record boundaries because the delimiter
 * cannot overlap itself (checked by `checkDelimiter`).
 */
export class RecordSplitter {
  done = false;
  invalidUtf8Lines = 0;
  /** Unconsumed bytes; buf[0] is at absolute offset `position`. */
  private buf: Buffer = Buffer.alloc(0);
  /** Absolute offset of buf[0]: once a record is consumed, where the next record starts. */
  position: number;
  /** Index in buf where the next delimiter search starts (earlier bytes were searched). */
  private searchFrom = 0;
  private seeking: boolean;
  private bomPending: boolean;
  private records = 0;
  /** Where reading starts: before `start`, to find the first record boundary in the range. */
  readStart: number;

  constructor(
    private readonly start: number,
    private readonly end: number,
    /** A custom delimiter; undefined: `\n`, `\r\n` or a lone `\r`. */
    private readonly delimiter: Buffer | undefined,
    /** Records keep their terminator (Beam Python's `strip_trailing_newlines=False`). */
    private readonly keepTerminator: boolean,
    private readonly maxRecords = Infinity,
    /** The byte that escapes a terminator (Beam Python's `escapechar`); an escaped one does not end a record. */
    private readonly escape?: number,
  ) {
    const d = delimiter?.length ?? 1;
    this.readStart = start > 0 ? Math.max(0, start - d) : 0;
    this.position = this.readStart;
    this.seeking = start > 0;
    this.bomPending = start === 0;
    if (!(end > start)) this.done = true;
  }

  /**
   * Reads from `n` bytes before `readStart` instead (before any bytes are pushed): the escapes just
   * before it, which tell whether the first terminator after it is escaped.
   */
  startEarlier(n: number): void {
    this.readStart -= n;
    this.position = this.readStart;
  }

  push(chunk: Buffer): string[] {
    if (this.done || chunk.length === 0) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return this.scan(false);
  }

  finish(): string[] {
    if (this.done) return [];
    const out = this.scan(true);
    if (!this.done && !this.seeking && this.buf.length > 0 && this.position < this.end) out.push(this.decode(this.buf));
    this.position += this.buf.length;
    this.buf = Buffer.alloc(0);
    this.done = true;
    return out;
  }

  private scan(eof: boolean): string[] {
    const out: string[] = [];
    if (this.bomPending) {
      if (this.buf.length < 3 && !eof) return out;
      this.bomPending = false;
      if (this.buf.length >= 3 && this.buf[0] === UTF8_BOM[0] && this.buf[1] === UTF8_BOM[1] && this.buf[2] === UTF8_BOM[2]) {
        this.buf = this.buf.subarray(3);
        this.position += 3;
      }
    }
    for (;;) {
      const buf = this.buf;
      let a: number;
      let b: number;
      if (this.delimiter !== undefined) {
        a = buf.indexOf(this.delimiter, this.searchFrom);
        if (a < 0) {
          // A delimiter may have begun in the last bytes: search them again with the next chunk.
          this.searchFrom = Math.max(this.searchFrom, buf.length - this.delimiter.length + 1);
          return out;
        }
        if (this.escape !== undefined && this.isEscaped(buf, a)) {
          this.searchFrom = a + this.delimiter.length;
          continue;
        }
        b = a + this.delimiter.length;
      } else {
        a = firstTerminator(buf, this.searchFrom);
        if (a < 0) {
          this.searchFrom = buf.length;
          return out;
        }
        // An escaped \r or \n ends nothing; an escaped \r before an unescaped \n leaves the \n to end the record alone.
        if (this.escape !== undefined && this.isEscaped(buf, a)) {
          this.searchFrom = a + 1;
          continue;
        }
        if (buf[a] === CR) {
          // A \r as the last byte: only the next byte (or the end of the file) tells \r from \r\n.
          if (a + 1 === buf.length && !eof) {
            this.searchFrom = a;
            return out;
          }
          b = buf[a + 1] === LF ? a + 2 : a + 1;
        } else b = a + 1;
      }
      if (this.seeking) this.seeking = false;
      else {
        out.push(this.decode(buf.subarray(0, this.keepTerminator ? b : a)));
        this.records++;
      }
      this.buf = buf.subarray(b);
      this.position += b;
      this.searchFrom = 0;
      if (this.position >= this.end || this.records >= this.maxRecords) {
        this.done = true;
        return out;
      }
    }
  }

  /** Whether an odd number of escape bytes comes right before `at` (an even number escape each other). */
  private isEscaped(buf: Buffer, at: number): boolean {
    let i = at - 1;
    while (i >= 0 && buf[i] === this.escape) i--;
    return (at - 1 - i) % 2 === 1;
  }

  private decode(bytes: Buffer): string {
    if (!isUtf8(bytes)) this.invalidUtf8Lines++;
    return bytes.toString("utf8");
  }
}

/** A delimiter "self-overlaps" when a proper prefix of it is also a suffix (e.g. `aba`, `\n\n`). */
export function isSelfOverlapping(delimiter: Uint8Array): boolean {
  for (let i = 1; i < delimiter.length; i++) {
    let same = true;
    for (let k = 0; k < i && same; k++) same = delimiter[k] === delimiter[delimiter.length - i + k];
    if (same) return true;
  }
  return false;
}
