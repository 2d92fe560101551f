/**
 * An LZ4 block compressor (the LZ4_RAW Parquet codec: one raw LZ4 block per page, no framing),
 * for WriteToParquet's "lz4" codec: Node has no LZ4 and hyparquet-writer only reads it. Greedy
 * matching over a hash of the next 4 bytes, as the reference "fast" mode; the format rules that
 * every decoder relies on are kept (the last 5 bytes are literals, no match starts within the
 * last 12 bytes, offsets below 65536).
 */
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const HASH_BITS = 16;
const MAX_OFFSET = 65535;

function hash(v: number): number {
  return Math.imul(v, 2654435761) >>> (32 - HASH_BITS);
}

function read32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** `input` as one LZ4 block. */
export function lz4CompressBlock(input: Uint8Array): Uint8Array {
  const n = input.length;
  // Worst case: all literals, plus one length byte per 255 and the token.
  const out = new Uint8Array(n + Math.ceil(n / 255) + 16);
  let o = 0;
  let anchor = 0;
  const writeLength = (len: number): void => {
    while (len >= 255) {
      out[o++] = 255;
      len -= 255;
    }
    out[o++] = len;
  };
  const emit = (literalEnd: number, offset: number, matchLength: number): void => {
    const literals = literalEnd - anchor;
    const tokenAt = o++;
    let token = (literals >= 15 ? 15 : literals) << 4;
    if (literals >= 15) writeLength(literals - 15);
    out.set(input.subarray(anchor, literalEnd), o);
    o += literals;
    if (matchLength > 0) {
      out[o++] = offset & 0xff;
      out[o++] = offset >> 8;
      const m = matchLength - MIN_MATCH;
      token |= m >= 15 ? 15 : m;
      if (m >= 15) writeLength(m - 15);
    }
    out[tokenAt] = token;
  };
  if (n >= MF_LIMIT + 1) {
    const table = new Int32Array(1 << HASH_BITS).fill(-1);
    const matchLimit = n - LAST_LITERALS;
    let i = 0;
    while (i < n - MF_LIMIT) {
      const v = read32(input, i);
      const h = hash(v);
      const candidate = table[h]!;
      table[h] = i;
      if (candidate >= 0 && i - candidate <= MAX_OFFSET && read32(input, candidate) === v) {
        let len = MIN_MATCH;
        while (i + len < matchLimit && input[candidate + len] === input[i + len]) len++;
        emit(i, i - candidate, len);
        i += len;
        anchor = i;
      } else {
        i++;
      }
    }
  }
  emit(n, 0, 0);
  return out.subarray(0, o);
}
