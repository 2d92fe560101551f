/**
 * The byte-level state machine that finds CSV record boundaries, and what it needs to read a file
 * split into byte ranges.
 *
 * A reader that starts in the middle of a file cannot tell by looking whether it is inside a
 * quoted field: `a,"b\nc",d` has a newline that is not a record boundary, and only the quotes
 * before it say so. Beam (Python's `ReadFromCsv` and Java's `CsvIO`) and Spark (`multiLine`) answer
 * this by not splitting such files at all; Spark's default mode splits at newlines and breaks
 * records with quoted newlines. Beamline splits and stays exact, in two passes:
 *
 *  1. Every range [start, end) is scanned in parallel from each possible start state at once
 *     (a handful of states, which converge to two tracks, "inside quotes" and "outside"): its
 *     summary is the function start state → end state, plus the number of line breaks.
 *  2. Composing the summaries in file order gives the exact state (and line number) at every
 *     range's start; each range then reads the records that start inside it, reading past its end
 *     to finish the last one.
 *
 * The price is reading each file twice when it has more than one range (a file of one range, and
 * every gzip file, is read once). The machine follows RFC 4180 with its usual recovery rules, so
 * boundaries are defined for malformed input too and every reader agrees on them: a quote inside
 * an unquoted field is literal (`5" screen`), text after a closing quote continues the field
 * unquoted (`"a"b`), and an unclosed quote runs to the end of the file (one record, reported with
 * the reason; `maxRecordBytes` bounds the memory it takes). Fields themselves are parsed and
 * checked by csv-parse afterwards.
 *
 * Limits: the quote is `"` and is escaped by doubling it (no backslash escapes); the delimiter is
 * one ASCII byte; the encoding must be ASCII-compatible (UTF-8), so that those bytes never occur
 * inside a multi-byte character.
 */

/** Scanner states. RECORD_START and AFTER_CR are the positions where a record may begin. */
export const RECORD_START = 0;
const FIELD_START = 1;
const UNQUOTED = 2;
const QUOTED = 3;
const QUOTE_IN_QUOTED = 4;
/** Just after a `\r` that ended a record: a following `\n` belongs to the same terminator. */
export const AFTER_CR = 5;
export const NUM_STATES = 6;

/** A scanner state (one of the constants above). */
export type ScanState = number;

const OTHER = 0;
const QUOTE = 1;
const DELIMITER = 2;
const LF = 3;
const CR = 4;
const NUM_CLASSES = 5;

/** Transition table: `next[state * NUM_CLASSES + class]`. */
const NEXT = new Uint8Array(NUM_STATES * NUM_CLASSES);
/** Whether the transition ends a record (a terminator outside quotes). */
const ENDS = new Uint8Array(NUM_STATES * NUM_CLASSES);

function define(state: number, cls: number, next: number, ends = false): void {
  NEXT[state * NUM_CLASSES + cls] = next;
  ENDS[state * NUM_CLASSES + cls] = ends ? 1 : 0;
}

for (const s of [RECORD_START, FIELD_START, UNQUOTED, QUOTE_IN_QUOTED, AFTER_CR]) {
  define(s, OTHER, UNQUOTED);
  define(s, DELIMITER, FIELD_START);
  define(s, LF, RECORD_START, true);
  define(s, CR, AFTER_CR, true);
}
// A quote opens a quoted field only at the start of a field; inside an unquoted field it is
// literal; right after a quote inside a quoted field it is an escaped (doubled) quote.
for (const s of [RECORD_START, FIELD_START, AFTER_CR]) define(s, QUOTE, QUOTED);
define(UNQUOTED, QUOTE, UNQUOTED);
define(QUOTE_IN_QUOTED, QUOTE, QUOTED);
// After a \r terminator, \n completes it (no new record).
define(AFTER_CR, LF, RECORD_START, false);
define(QUOTED, OTHER, QUOTED);
define(QUOTED, DELIMITER, QUOTED);
define(QUOTED, LF, QUOTED);
define(QUOTED, CR, QUOTED);
define(QUOTED, QUOTE, QUOTE_IN_QUOTED);

/** Byte → class, for a given delimiter. */
function classTable(delimiter: number): Uint8Array {
  const t = new Uint8Array(256);
  t[0x22] = QUOTE;
  t[0x0a] = LF;
  t[0x0d] = CR;
  t[delimiter] = DELIMITER;
  return t;
}

const tables = new Map<number, Uint8Array>();
function classesFor(delimiter: number): Uint8Array {
  let t = tables.get(delimiter);
  if (t === undefined) tables.set(delimiter, (t = classTable(delimiter)));
  return t;
}

/** The one-byte delimiter of a CSV dialect, checked. */
export function delimiterByte(delimiter: string): number {
  const code = delimiter.length === 1 ? delimiter.charCodeAt(0) : -1;
  if (code <= 0 || code > 0x7f || code === 0x22 || code === 0x0a || code === 0x0d) {
    throw new RangeError(`CSV delimiter must be one ASCII character other than '"', \\r and \\n; got ${JSON.stringify(delimiter)}.`);
  }
  return code;
}

/** Whether a record may begin right after a scanner in `state` (a \n after AFTER_CR is skipped first). */
export function atRecordBoundary(state: ScanState): boolean {
  return state === RECORD_START || state === AFTER_CR;
}

/** What pass 1 learns about one range: its state map and its line breaks. */
export interface RangeSummary {
  /** `endState[s]`: the state after the range for a scanner that entered it in state `s`. */
  readonly endState: readonly ScanState[];
  /** Line breaks (`\n`, `\r\n`, lone `\r`, anywhere) starting inside the range. */
  readonly lineBreaks: number;
}

/**
 * Pass 1: feed the bytes of [start, end) and then the byte at `end` (if any, for `\r\n` across the
 * boundary) with `push`, then `finish()`. Runs one track per distinct state; tracks that reach the
 * same state merge, so well-formed data costs two tracks.
 */
export class RangeScanner {
  private readonly classes: Uint8Array;
  /** trackOf[startState] = index into `states`. */
  private readonly trackOf: number[] = [];
  private states: number[] = [];
  private lineBreaks = 0;
  private pendingCR = false;
  private remaining: number;

  /** @param length bytes in the range (end - start); one more byte may be pushed for lookahead */
  constructor(delimiter: number, length: number) {
    this.classes = classesFor(delimiter);
    for (let s = 0; s < NUM_STATES; s++) {
      this.trackOf.push(s);
      this.states.push(s);
    }
    this.remaining = length;
  }

  /** True once the range and the lookahead byte were consumed. */
  get done(): boolean {
    return this.remaining < 0;
  }

  push(chunk: Buffer): void {
    if (this.remaining < 0 || chunk.length === 0) return;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk[0] !== 0x0a) this.lineBreaks++;
    }
    if (this.remaining === 0) {
      this.remaining = -1; // the lookahead byte was only needed for the \r above
      return;
    }
    const n = Math.min(chunk.length, this.remaining);
    this.countLineBreaks(chunk, n);
    this.advance(chunk, n);
    this.remaining -= n;
    if (this.remaining === 0 && chunk.length > n) this.push(chunk.subarray(n));
  }

  finish(): RangeSummary {
    if (this.pendingCR) this.lineBreaks++;
    this.pendingCR = false;
    return { endState: this.trackOf.map((t) => this.states[t]!), lineBreaks: this.lineBreaks };
  }

  private countLineBreaks(buf: Buffer, n: number): void {
    let i = buf.indexOf(0x0a);
    while (i >= 0 && i < n) {
      this.lineBreaks++;
      i = buf.indexOf(0x0a, i + 1);
    }
    i = buf.indexOf(0x0d);
    while (i >= 0 && i < n) {
      if (i + 1 < buf.length) {
        if (buf[i + 1] !== 0x0a) this.lineBreaks++;
      } else this.pendingCR = true;
      i = buf.indexOf(0x0d, i + 1);
    }
  }

  private advance(buf: Buffer, n: number): void {
    const classes = this.classes;
    let states = this.states;
    if (states.length === 1) {
      let s = states[0]!;
      for (let i = 0; i < n; i++) s = NEXT[s * NUM_CLASSES + classes[buf[i]!]!]!;
      states[0] = s;
      return;
    }
    // Several tracks: step them together, merging tracks that meet every 4 KiB.
    for (let from = 0; from < n; from += 4096) {
      const to = Math.min(n, from + 4096);
      for (let t = 0; t < states.length; t++) {
        let s = states[t]!;
        for (let i = from; i < to; i++) s = NEXT[s * NUM_CLASSES + classes[buf[i]!]!]!;
        states[t] = s;
      }
      if (states.length > 1) states = this.merge();
      if (states.length === 1) {
        this.states = states;
        let s = states[0]!;
        for (let i = to; i < n; i++) s = NEXT[s * NUM_CLASSES + classes[buf[i]!]!]!;
        states[0] = s;
        return;
      }
    }
    this.states = states;
  }

  private merge(): number[] {
    const unique: number[] = [];
    const remap: number[] = [];
    for (const s of this.states) {
      let k = unique.indexOf(s);
      if (k < 0) k = unique.push(s) - 1;
      remap.push(k);
    }
    if (unique.length === this.states.length) return this.states;
    for (let s = 0; s < NUM_STATES; s++) this.trackOf[s] = remap[this.trackOf[s]!]!;
    this.states = unique;
    return unique;
  }
}

/** Where a range's reading starts, from the summaries of the ranges before it (in file order). */
export function composeStarts(summaries: readonly RangeSummary[]): { state: ScanState; line: number }[] {
  const out: { state: ScanState; line: number }[] = [];
  let state: ScanState = RECORD_START;
  let line = 1;
  for (const s of summaries) {
    out.push({ state, line });
    state = s.endState[state]!;
    line += s.lineBreaks;
  }
  return out;
}

/** One record found by the `RecordSplitter`. */
export interface RawRecord {
  /** The record's bytes without its terminator. */
  readonly bytes: Buffer;
  /** Byte offset of the record's first byte in the file. */
  readonly offset: number;
  /** 1-based line of the file on which the record starts. */
  readonly line: number;
  /** Bytes beyond `maxRecordBytes` that were dropped (the record is then rejected). */
  readonly truncatedBytes: number;
  /** True if the file ended inside a quoted field. */
  readonly unclosedQuote: boolean;
}

/**
 * Pass 2: splits the bytes of a file, fed from `start` on, into the records that start in
 * [start, end), given the scanner state and line number at `start` (from `composeStarts`).
 * Blank lines between records are skipped. A record longer than `maxRecordBytes` is returned
 * truncated (with the count of bytes dropped), so memory stays bounded.
 */
export class RecordSplitter {
  /** True once every owned record was returned; stop feeding. */
  done = false;
  private readonly classes: Uint8Array;
  private state: ScanState;
  private line: number;
  private offset: number;
  /** Skipping to the first record start (a reader that began inside a record). */
  private skipping: boolean;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private dropped = 0;
  private recordLine = 0;
  private recordOffset = 0;
  private inRecord = false;
  private pendingCR = false;

  constructor(
    delimiter: number,
    start: number,
    private readonly end: number,
    state: ScanState,
    line: number,
    private readonly maxRecordBytes: number,
  ) {
    this.classes = classesFor(delimiter);
    this.state = state;
    this.line = line;
    this.offset = start;
    this.skipping = !atRecordBoundary(state);
    if (!(end > start)) this.done = true;
  }

  /** Feeds the next chunk; returns the records it completes. */
  push(chunk: Buffer): RawRecord[] {
    const out: RawRecord[] = [];
    if (this.done || chunk.length === 0) return out;
    if (this.pendingCR) {
      // The previous chunk ended with \r: a line break unless this chunk completes a \r\n.
      this.pendingCR = false;
      if (chunk[0] !== 0x0a) this.line++;
    }
    const classes = this.classes;
    const n = chunk.length;
    let s = this.state;
    let i = 0;
    let recordFrom = 0; // where the current record's bytes start in this chunk
    while (i < n) {
      if (!this.skipping && !this.inRecord) {
        // At a boundary: a \n completing a \r\n, a blank line, or the first byte of a record.
        const b = chunk[i]!;
        if (s === AFTER_CR && b === 0x0a) {
          this.countBreak(chunk, i);
          s = RECORD_START;
          i++;
          continue;
        }
        if (this.offset + i >= this.end) {
          this.done = true;
          break;
        }
        if (b === 0x0a || b === 0x0d) {
          this.countBreak(chunk, i);
          s = NEXT[s * NUM_CLASSES + classes[b]!]!; // a blank line: no record
          i++;
          continue;
        }
        this.inRecord = true;
        this.recordLine = this.line;
        this.recordOffset = this.offset + i;
        recordFrom = i;
      }
      // Inside a record (or skipping the rest of one): advance to its terminator.
      let ended = false;
      while (i < n) {
        const cls = classes[chunk[i]!]!;
        const k = s * NUM_CLASSES + cls;
        if (cls === LF || cls === CR) this.countBreak(chunk, i);
        s = NEXT[k]!;
        if (ENDS[k] === 1) {
          ended = true;
          break;
        }
        i++;
      }
      if (this.skipping) {
        if (ended) this.skipping = false;
      } else {
        this.append(chunk, recordFrom, i);
        if (ended) out.push(this.takeRecord(false));
      }
      if (ended) i++; // the terminator
    }
    this.offset += n;
    this.state = s;
    return out;
  }

  /** The end of the file: returns the last record if it had no terminator. */
  finish(): RawRecord[] {
    const out: RawRecord[] = [];
    if (!this.done && this.inRecord) out.push(this.takeRecord(this.state === QUOTED));
    this.done = true;
    return out;
  }

  /** Counts the line break at chunk[i] (\n, or \r not followed by \n). */
  private countBreak(chunk: Buffer, i: number): void {
    if (chunk[i] === 0x0a) this.line++;
    else if (i + 1 < chunk.length) {
      if (chunk[i + 1] !== 0x0a) this.line++;
    } else this.pendingCR = true;
  }

  private append(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const room = this.maxRecordBytes - this.partBytes;
    const take = Math.min(room, to - from);
    if (take > 0) {
      this.parts.push(chunk.subarray(from, from + take));
      this.partBytes += take;
    }
    this.dropped += to - from - Math.max(take, 0);
  }

  private takeRecord(unclosedQuote: boolean): RawRecord {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    const record: RawRecord = { bytes, offset: this.recordOffset, line: this.recordLine, truncatedBytes: this.dropped, unclosedQuote };
    this.parts = [];
    this.partBytes = 0;
    this.dropped = 0;
    this.inRecord = false;
    return record;
  }
}
