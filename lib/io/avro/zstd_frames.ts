/**
 * Zstandard data decompressed frame by frame, checking each frame's content checksum when it has
 * one (RFC 8878: the low 32 bits of the XXH64 of the frame's content). fzstd, the decoder, does not
 * check it, and a damaged frame can decode into other bytes without an error; libzstd (Avro Java's
 * and Python's reader) checks it. Avro Java and Python write frames without a checksum by default
 * (nothing to check then); the zstd tool writes one.
 */

import { xxh64 } from "../xxh64";

export { xxh64 };

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
