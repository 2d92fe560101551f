/**
 * MurmurHash3, x64 128-bit variant (Austin Appleby's public-domain algorithm): the hash Beam
 * takes of an element's encoded bytes in ApproximateUnique. Beam Java uses Guava's
 * `Hashing.murmur3_128()` and keeps `asLong()`, the first 64 bits (h1, as a signed long); Beam
 * Python uses `mmh3.hash64(bytes, seed=0, signed=False)[0]`, the same 64 bits unsigned. So do we,
 * unsigned, as a bigint: equal bytes hash as they do in Beam.
 *
 * The 64-bit arithmetic runs on pairs of unsigned 32-bit halves (no BigInt per operation: this
 * runs once per element); only the result becomes a bigint.
 */

// Result registers of the 64-bit helpers (high and low halves), so no pair is allocated per step.
let rh = 0;
let rl = 0;

/** (ah:al) × (bh:bl) mod 2^64 into rh:rl. Each partial product stays below 2^53, so exact. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const low = a0 * b0 + (mid % 0x10000) * 0x10000;
  rl = low >>> 0;
  rh = (a1 * b1 + Math.floor(mid / 0x10000) + Math.floor(low / 0x100000000) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (ah:al) + (bh:bl) mod 2^64 into rh:rl. */
function add64(ah: number, al: number, bh: number, bl: number): void {
  const low = al + bl;
  rl = low >>> 0;
  rh = (ah + bh + (low > 0xffffffff ? 1 : 0)) >>> 0;
}

/** (h:l) rotated left by r bits (0 < r < 64, r ≠ 32) into rh:rl. */
function rotl64(h: number, l: number, r: number): void {
  if (r > 32) {
    const t = h;
    h = l;
    l = t;
    r -= 32;
  }
  rh = ((h << r) | (l >>> (32 - r))) >>> 0;
  rl = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** MurmurHash3's finalization mix of (h:l), into rh:rl. */
function fmix64(h: number, l: number): void {
  l = (l ^ (h >>> 1)) >>> 0; // k ^= k >>> 33
  mul64(h, l, 0xff51afd7, 0xed558ccd);
  h = rh;
  l = (rl ^ (h >>> 1)) >>> 0;
  mul64(h, l, 0xc4ceb9fe, 0x1a85ec53);
  h = rh;
  l = (rl ^ (h >>> 1)) >>> 0;
  rh = h;
  rl = l;
}

const C1H = 0x87c37b91;
const C1L = 0x114253d5;
const C2H = 0x4cf5ad43;
const C2L = 0x2745937f;

/** Little-endian 32-bit word at `o`. */
function word(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

// The two 64-bit halves of the last hash (h1 and h2), as 32-bit halves.
let h1h = 0;
let h1l = 0;
let h2h = 0;
let h2l = 0;

/** k1 mixed as MurmurHash3 mixes a block's first half: (k × c1) rotl 31 × c2, into rh:rl. */
function mixK1(h: number, l: number): void {
  mul64(h, l, C1H, C1L);
  rotl64(rh, rl, 31);
  mul64(rh, rl, C2H, C2L);
}

/** k2 mixed as MurmurHash3 mixes a block's second half: (k × c2) rotl 33 × c1, into rh:rl. */
function mixK2(h: number, l: number): void {
  mul64(h, l, C2H, C2L);
  rotl64(rh, rl, 33);
  mul64(rh, rl, C1H, C1L);
}

/** Runs MurmurHash3_x64_128 over `bytes`, leaving h1 and h2 in h1h:h1l and h2h:h2l. */
function hash128(bytes: Uint8Array, seed: number): void {
  const len = bytes.length;
  h1h = 0;
  h1l = seed >>> 0;
  h2h = 0;
  h2l = seed >>> 0;
  const blocks = len - (len % 16);
  for (let o = 0; o < blocks; o += 16) {
    mixK1(word(bytes, o + 4), word(bytes, o));
    h1h = (h1h ^ rh) >>> 0;
    h1l = (h1l ^ rl) >>> 0;
    rotl64(h1h, h1l, 27);
    add64(rh, rl, h2h, h2l);
    mul64(rh, rl, 0, 5);
    add64(rh, rl, 0, 0x52dce729);
    h1h = rh;
    h1l = rl;

    mixK2(word(bytes, o + 12), word(bytes, o + 8));
    h2h = (h2h ^ rh) >>> 0;
    h2l = (h2l ^ rl) >>> 0;
    rotl64(h2h, h2l, 31);
    add64(rh, rl, h1h, h1l);
    mul64(rh, rl, 0, 5);
    add64(rh, rl, 0, 0x38495ab5);
    h2h = rh;
    h2l = rl;
  }
  // The tail (up to 15 bytes): bytes 8.. into k2, bytes 0..7 into k1, little-endian.
  const tail = len - blocks;
  if (tail > 8) {
    let kh = 0;
    let kl = 0;
    for (let i = tail - 1; i >= 8; i--) {
      const p = i - 8;
      if (p < 4) kl ^= bytes[blocks + i]! << (8 * p);
      else kh ^= bytes[blocks + i]! << (8 * (p - 4));
    }
    mixK2(kh >>> 0, kl >>> 0);
    h2h = (h2h ^ rh) >>> 0;
    h2l = (h2l ^ rl) >>> 0;
  }
  if (tail > 0) {
    let kh = 0;
    let kl = 0;
    for (let i = Math.min(tail, 8) - 1; i >= 0; i--) {
      if (i < 4) kl ^= bytes[blocks + i]! << (8 * i);
      else kh ^= bytes[blocks + i]! << (8 * (i - 4));
    }
    mixK1(kh >>> 0, kl >>> 0);
    h1h = (h1h ^ rh) >>> 0;
    h1l = (h1l ^ rl) >>> 0;
  }
  // Finalization: mix in the length, cross-add the halves, fmix each, cross-add again.
  const lenHigh = Math.floor(len / 0x100000000) >>> 0;
  h1h = (h1h ^ lenHigh) >>> 0;
  h1l = (h1l ^ len) >>> 0;
  h2h = (h2h ^ lenHigh) >>> 0;
  h2l = (h2l ^ len) >>> 0;
  add64(h1h, h1l, h2h, h2l);
  h1h = rh;
  h1l = rl;
  add64(h2h, h2l, h1h, h1l);
  h2h = rh;
  h2l = rl;
  fmix64(h1h, h1l);
  h1h = rh;
  h1l = rl;
  fmix64(h2h, h2l);
  h2h = rh;
  h2l = rl;
  add64(h1h, h1l, h2h, h2l);
  h1h = rh;
  h1l = rl;
  add64(h2h, h2l, h1h, h1l);
  h2h = rh;
  h2l = rl;
}

const TWO_32 = BigInt(0x100000000);

/** An unsigned 64-bit value from its halves. */
function u64(h: number, l: number): bigint {
  return BigInt(h) * TWO_32 + BigInt(l);
}

/**
 * The first 64 bits (h1) of MurmurHash3_x64_128 of `bytes`, unsigned: Beam Python's
 * `mmh3.hash64(bytes, seed=0, signed=False)[0]`, and Beam Java's `murmur3_128().hashBytes(bytes)
 * .asLong()` read as unsigned.
 */
export function murmur3Hash64(bytes: Uint8Array, seed = 0): bigint {
  hash128(bytes, seed);
  return u64(h1h, h1l);
}

/** Both 64-bit halves (h1, h2) of MurmurHash3_x64_128 of `bytes`, unsigned (for tests against published vectors). */
export function murmur3Hash128(bytes: Uint8Array, seed = 0): [bigint, bigint] {
  hash128(bytes, seed);
  return [u64(h1h, h1l), u64(h2h, h2l)];
}
