/**
 * Zstandard data decompressed frame by frame, checking each frame's content checksum when it has
 * one (RFC 8878: the low 32 bits of the XXH64 of the frame's content). fzstd, the decoder, does not
 * check it, and a damaged frame can decode into other bytes without an error; libzstd (Avro Java's
 * and Python's reader) checks it. Avro Java and Python write frames without a checksum by default
 * (nothing to check then); the zstd tool writes one.
 */

const MASK = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
const round = (acc: bigint, input: bigint): bigint => (rotl((acc + input * P2) & MASK, 31n) * P1) & MASK;
const merge = (acc: bigint, v: bigint): bigint => (((acc ^ round(0n, v)) * P1 + P4) & MASK);

/** XXH64 of `data` with seed 0. */
export function xxh64(data: Uint8Array): bigint {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const len = data.length;
  let pos = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (P1 + P2) & MASK;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (MASK + 1n - P1) & MASK;
    for (; pos + 32 <= len; pos += 32) {
      v1 = round(v1, view.getBigUint64(pos, true));
      v2 = round(v2, view.getBigUint64(pos + 8, true));
      v3 = round(v3, view.getBigUint64(pos + 16, true));
      v4 = round(v4, view.getBigUint64(pos + 24, true));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = P5;
  }
  h = (h + BigInt(len)) & MASK;
  for (; pos + 8 <= len; pos += 8) h = (rotl(h ^ round(0n, view.getBigUint64(pos, true)), 27n) * P1 + P4) & MASK;
  if (pos + 4 <= len) {
    h = (rotl(h ^ ((BigInt(view.getUint32(pos, true)) * P1) & MASK), 23n) * P2 + P3) & MASK;
    pos += 4;
  }
  for (; pos < len; pos++) h = (rotl(h ^ ((BigInt(data[pos]!) * P5) & MASK), 11n) * P1) & MASK;
  h = ((h ^ (h >> 33n)) * P2) & MASK;
  h = ((h ^ (h >> 29n)) * P3) & MASK;
  return h ^ (h >> 32n);
}

/** Where one frame ends (RFC 8878 section 3.1.1), and whether it ends in a content checksum. */
function frameEnd(data: Buffer, start: number): { end: number; checksum: boolean } {
  const need = (n: number): void => {
    if (n > data.length) throw new Error(`its zstandard data ends inside a frame (at byte ${start} of ${data.length})`);
  };
  need(start + 8);
  const magic = data.readUInt32LE(start);
  if ((magic & 0xfffffff0) === 0x184d2a50) return { end: start + 8 + data.readUInt32LE(start + 4), checksum: false }; // a skippable frame
  if (magic !== 0xfd2fb528) throw new Error(`a zstandard frame should start at byte ${start}, but its magic number is ${magic.toString(16)}`);
  const fhd = data[start + 4]!;
  const singleSegment = (fhd & 0x20) !== 0;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6]!;
  let pos = start + 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + fcsBytes;
  for (;;) {
    need(pos + 3);
    const header = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16);
    const type = (header >> 1) & 3;
    pos += 3 + (type === 1 ? 1 : header >> 3);
    if ((header & 1) === 1) break;
  }
  const checksum = (fhd & 4) !== 0;
  if (checksum) pos += 4;
  need(pos);
  return { end: pos, checksum };
}

/** `stored` (one or more frames) decompressed by `decompress`, each frame's checksum checked. */
export function decompressZstdFrames(stored: Buffer, decompress: (frame: Uint8Array) => Uint8Array): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0; start < stored.length; ) {
    const { end, checksum } = frameEnd(stored, start);
    if (stored.readUInt32LE(start) === 0xfd2fb528) {
      const content = Buffer.from(decompress(stored.subarray(start, end)));
      if (checksum) {
        const expected = stored.readUInt32LE(end - 4);
        const actual = Number(xxh64(content) & 0xffffffffn);
        if (actual !== expected) throw new Error(`the checksum of a zstandard frame's content is ${actual.toString(16)}, but the frame says ${expected.toString(16)}`);
      }
      parts.push(content);
    }
    start = end;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
