/**
 * The legacy .lzma format ("LZMA alone": the LZMA SDK's and `xz --format=lzma`'s files), decoded
 * incrementally, as Beam Python reads it: its `lzma.LZMADecompressor()` (FORMAT_AUTO) takes both
 * .xz and .lzma data, and starts a new decompressor on what follows the end of a stream.
 *
 * Written from the format's description (the LZMA SDK's lzma-specification.txt): a 13-byte header
 * (the lc/lp/pb properties byte, the dictionary size, the uncompressed size or all ones for
 * "unknown, the data ends with an end marker"), then one range-coded LZMA stream. No npm package
 * decodes it incrementally (`lzma`/LZMA-JS and lzma-purejs take the whole input at once), so this
 * decoder is its own: it keeps the decoder's state between chunks and decodes one symbol (a literal
 * or a match) at a time while at least `SYMBOL_INPUT` input bytes are buffered (no symbol reads more,
 * so a symbol never runs out of input halfway) or the input has ended. Memory is the dictionary
 * (grown as output comes, up to the header's dictionary size: 8 MiB for `xz -6`, 64 MiB for
 * `xz -9`) and the input not yet decoded. Like liblzma, distances past the output so far are corrupt.
 */
import { CorruptCompressedDataError } from "./compression";

/** The most input bytes one symbol can read (each of its at most ~50 coded bits reads at most one). */
const SYMBOL_INPUT = 64;
const HEADER_BYTES = 13;
const TOP = 1 << 24;
const NUM_STATES = 12;
const POS_STATES_MAX = 16;
const END_POS_MODEL_INDEX = 14;
const NUM_FULL_DISTANCES = 128;
const MATCH_MIN_LEN = 2;
/** The largest uncompressed size liblzma's .lzma decoder accepts when the header states one (256 GiB). */
const MAX_KNOWN_SIZE = 2 ** 38;

function probs(n: number): Uint16Array {
  return new Uint16Array(n).fill(1024);
}

/** A length decoder (`choice`, `choice2`, low/mid per position state, high). */
class LenProbs {
  readonly choice = probs(2);
  readonly low = probs(POS_STATES_MAX << 3);
  readonly mid = probs(POS_STATES_MAX << 3);
  readonly high = probs(256);
}

/** One LZMA stream's decoder: its header, range coder, probabilities, dictionary and state. */
class LzmaStream {
  private readonly lc: number;
  private readonly lp: number;
  private readonly pb: number;
  private readonly dictSize: number;
  /** Bytes still to come, or -1: unknown (the stream ends with an end marker). */
  private remaining: number;
  private range = 0xffffffff;
  private code = 0;
  private readonly literal: Uint16Array;
  private readonly isMatch = probs(NUM_STATES << 4);
  private readonly isRep = probs(NUM_STATES);
  private readonly isRepG0 = probs(NUM_STATES);
  private readonly isRepG1 = probs(NUM_STATES);
  private readonly isRepG2 = probs(NUM_STATES);
  private readonly isRep0Long = probs(NUM_STATES << 4);
  private readonly posSlot = probs(4 << 6);
  private readonly posDecoders = probs(1 + NUM_FULL_DISTANCES - END_POS_MODEL_INDEX);
  private readonly align = probs(16);
  private readonly lenProbs = new LenProbs();
  private readonly repLenProbs = new LenProbs();
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  /** The dictionary: a buffer grown up to `dictSize`, then circular. */
  private window: Uint8Array;
  private pos = 0;
  private full = false;
  /** Where the output not yet handed out starts in `window`. */
  private flushed = 0;
  /** Bytes output so far. */
  private total = 0;
  /** Input and where the decoder is in it. */
  input: Buffer = Buffer.alloc(0);
  at = 0;
  ended = false;

  constructor(header: Buffer, private readonly out: (b: Buffer) => void) {
    let d = header[0]!;
    if (d >= 9 * 5 * 5) throw new CorruptCompressedDataError(`lzma: not in the .xz or legacy .lzma format (properties byte ${d} is over 224)`);
    this.lc = d % 9;
    d = Math.floor(d / 9);
    this.lp = d % 5;
    this.pb = Math.floor(d / 5);
    this.dictSize = Math.max(4096, header.readUInt32LE(1));
    const lo = header.readUInt32LE(5);
    const hi = header.readUInt32LE(9);
    if (lo === 0xffffffff && hi === 0xffffffff) this.remaining = -1;
    else {
      this.remaining = hi * 2 ** 32 + lo;
      if (this.remaining >= MAX_KNOWN_SIZE) throw new CorruptCompressedDataError(`lzma: not in the .xz or legacy .lzma format (its header's uncompressed size ${this.remaining} is implausible)`);
    }
    this.literal = probs(0x300 << (this.lc + this.lp));
    const initial = this.remaining >= 0 ? Math.min(this.remaining, this.dictSize) : this.dictSize;
    this.window = new Uint8Array(Math.max(4096, Math.min(initial, 1 << 20)));
  }

  private byte(): number {
    if (this.at < this.input.length) return this.input[this.at++]!;
    throw new CorruptCompressedDataError("lzma: the data ends inside a stream (truncated?)");
  }

  /** Reads the range coder's first five bytes (the first is always 0). */
  initRange(): void {
    if (this.byte() !== 0) throw new CorruptCompressedDataError("lzma: corrupt data (the range coder's first byte is not 0)");
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.byte()) >>> 0;
    if (this.code === this.range) throw new CorruptCompressedDataError("lzma: corrupt data (bad range coder start)");
  }

  private bit(p: Uint16Array, i: number): number {
    const prob = p[i]!;
    const bound = (this.range >>> 11) * prob;
    let bit: number;
    if (this.code < bound) {
      p[i] = prob + ((2048 - prob) >>> 5);
      this.range = bound;
      bit = 0;
    } else {
      p[i] = prob - (prob >>> 5);
      this.code -= bound;
      this.range -= bound;
      bit = 1;
    }
    if (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.byte()) >>> 0;
    }
    return bit;
  }

  private direct(n: number): number {
    let res = 0;
    for (; n > 0; n--) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      res = res * 2 + b;
      if (this.range < TOP) {
        this.range = (this.range << 8) >>> 0;
        this.code = ((this.code << 8) | this.byte()) >>> 0;
      }
    }
    return res;
  }

  private tree(p: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(p, base + m);
    return m - (1 << bits);
  }

  private reverse(p: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(p, base + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }

  private len(l: LenProbs, posState: number): number {
    if (this.bit(l.choice, 0) === 0) return this.tree(l.low, posState << 3, 3);
    if (this.bit(l.choice, 1) === 0) return 8 + this.tree(l.mid, posState << 3, 3);
    return 16 + this.tree(l.high, 0, 8);
  }

  private distance(len: number): number {
    const slot = this.tree(this.posSlot, Math.min(len, 3) << 6, 6);
    if (slot < 4) return slot;
    const bits = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** bits;
    if (slot < END_POS_MODEL_INDEX) return dist + this.reverse(this.posDecoders, dist - slot, bits);
    dist += this.direct(bits - 4) * 16;
    return dist + this.reverse(this.align, 0, 4);
  }

  /** The byte `dist` (1 = the last) back in the output. */
  private back(dist: number): number {
    let i = this.pos - dist;
    if (i < 0) i += this.window.length;
    return this.window[i]!;
  }

  private put(b: number): void {
    if (this.pos === this.window.length) {
      if (this.window.length < this.dictSize) {
        const grown = new Uint8Array(Math.min(this.dictSize, this.window.length * 2));
        grown.set(this.window);
        this.window = grown;
      } else {
        this.flush();
        this.pos = 0;
        this.flushed = 0;
        this.full = true;
      }
    }
    this.window[this.pos++] = b;
    this.total++;
  }

  /** Hands out the output not yet handed out. */
  flush(): void {
    if (this.pos > this.flushed) this.out(Buffer.from(this.window.subarray(this.flushed, this.pos)));
    this.flushed = this.pos;
  }

  /** Decodes while input allows: true once the stream has ended (then `at` is where the next begins). */
  decode(): boolean {
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    for (;;) {
      if (this.input.length - this.at < SYMBOL_INPUT && !this.ended) return false;
      // A stated size without an end marker: the stream ends when the range coder's code is 0.
      if (this.remaining === 0 && this.code === 0) return true;
      const posState = this.total & pbMask;
      const s = this.state;
      if (this.bit(this.isMatch, (s << 4) + posState) === 0) {
        this.checkMore();
        const prev = this.total === 0 ? 0 : this.back(1);
        const base = 0x300 * (((this.total & lpMask) << this.lc) + (prev >>> (8 - this.lc)));
        let sym = 1;
        if (s >= 7) {
          let match = this.back(this.rep0 + 1);
          do {
            const matchBit = (match >>> 7) & 1;
            match <<= 1;
            const b = this.bit(this.literal, base + ((1 + matchBit) << 8) + sym);
            sym = (sym << 1) | b;
            if (matchBit !== b) break;
          } while (sym < 0x100);
        }
        while (sym < 0x100) sym = (sym << 1) | this.bit(this.literal, base + sym);
        this.put(sym - 0x100);
        if (this.remaining > 0) this.remaining--;
        this.state = s < 4 ? 0 : s < 10 ? s - 3 : s - 6;
        continue;
      }
      let len: number;
      if (this.bit(this.isRep, s) !== 0) {
        this.checkMore();
        if (this.total === 0) throw new CorruptCompressedDataError("lzma: corrupt data (a repeated match before any output)");
        if (this.bit(this.isRepG0, s) === 0) {
          if (this.bit(this.isRep0Long, (s << 4) + posState) === 0) {
            this.state = s < 7 ? 9 : 11;
            this.put(this.back(this.rep0 + 1));
            if (this.remaining > 0) this.remaining--;
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(this.isRepG1, s) === 0) dist = this.rep1;
          else {
            if (this.bit(this.isRepG2, s) === 0) dist = this.rep2;
            else {
              dist = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = dist;
        }
        len = this.len(this.repLenProbs, posState);
        this.state = s < 7 ? 8 : 11;
      } else {
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        len = this.len(this.lenProbs, posState);
        this.state = s < 7 ? 7 : 10;
        this.rep0 = this.distance(len);
        if (this.rep0 === 0xffffffff) {
          // The end marker.
          if (this.code !== 0) throw new CorruptCompressedDataError("lzma: corrupt data (after the end marker)");
          if (this.remaining > 0) throw new CorruptCompressedDataError(`lzma: the data ends ${this.remaining} bytes before the size its header states`);
          return true;
        }
        this.checkMore();
        if (this.rep0 >= this.dictSize || this.rep0 >= this.total) {
          throw new CorruptCompressedDataError(`lzma: corrupt data (a match ${this.rep0 + 1} bytes back, after ${this.total} bytes of output)`);
        }
      }
      len += MATCH_MIN_LEN;
      if (this.remaining >= 0 && this.remaining < len) throw new CorruptCompressedDataError("lzma: corrupt data (more data than its header states)");
      const dist = this.rep0 + 1;
      for (let i = 0; i < len; i++) this.put(this.back(dist));
      if (this.remaining > 0) this.remaining -= len;
    }
  }

  /** A symbol when the header's size has all been output is corrupt. */
  private checkMore(): void {
    if (this.remaining === 0) throw new CorruptCompressedDataError("lzma: corrupt data (more data than its header states)");
  }
}

/**
 * Decodes concatenated legacy .lzma streams fed in chunks, handing output to `out` as it comes
 * (Beam Python starts a new decompressor on the input after a stream that ends before the input).
 */
export class LzmaAloneDecoder {
  private stream: LzmaStream | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly out: (b: Buffer) => void) {}

  /** Decodes `chunk` as far as possible. */
  write(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.run();
  }

  /** Decodes the rest: the input has ended. */
  end(): void {
    this.ended = true;
    this.run();
    if (this.stream !== undefined || this.pending.length > 0) throw new CorruptCompressedDataError("lzma: the data ends inside a stream (truncated?)");
  }

  private run(): void {
    for (;;) {
      if (this.stream === undefined) {
        if (this.pending.length < HEADER_BYTES + 5) {
          if (this.ended && this.pending.length > 0) throw new CorruptCompressedDataError("lzma: the data ends inside a stream's header (truncated?)");
          return;
        }
        if (isXzMagic(this.pending)) throw new CorruptCompressedDataError("lzma: an .xz stream follows a legacy .lzma stream in one file, which is not read (decompress the two parts separately)");
        this.stream = new LzmaStream(this.pending.subarray(0, HEADER_BYTES), this.out);
        this.stream.input = this.pending;
        this.stream.at = HEADER_BYTES;
        this.stream.initRange();
        this.pending = Buffer.alloc(0);
      } else if (this.pending.length > 0) {
        const s = this.stream;
        s.input = Buffer.concat([s.input.subarray(s.at), this.pending]);
        s.at = 0;
        this.pending = Buffer.alloc(0);
      }
      const s = this.stream;
      s.ended = this.ended;
      const done = s.decode();
      s.flush();
      if (!done) {
        // Keep only the input not decoded yet.
        this.pending = Buffer.from(s.input.subarray(s.at));
        s.input = Buffer.alloc(0);
        s.at = 0;
        return;
      }
      this.pending = s.input.subarray(s.at);
      this.stream = undefined;
      if (this.pending.length === 0) return;
    }
  }
}

/** Whether `head` (a stream's first bytes) starts an .xz stream rather than a legacy .lzma one. */
export function isXzMagic(head: Buffer): boolean {
  return head.length >= 6 && head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00;
}
