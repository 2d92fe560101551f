/**
 * The block codecs of Avro container files: "null", "deflate" (raw RFC 1951 data, as the
 * specification says) and "snappy" (Snappy's raw format followed by the 4-byte big-endian CRC-32
 * of the uncompressed data, as the specification says; Beam Java's AvroIO writes it by default).
 */
import { crc32 } from "node:zlib";
import { zlib } from "../text_read";

/** The codecs written and read. bzip2, xz and zstandard are not supported. */
export type AvroCodec = "null" | "deflate" | "snappy";

/** The codecs this module reads and writes. */
export const AVRO_CODECS: readonly AvroCodec[] = ["null", "deflate", "snappy"];

/** Whether `name` (a file's `avro.codec`, or an option) is a codec this module reads and writes. */
export function isAvroCodec(name: unknown): name is AvroCodec {
  return (AVRO_CODECS as readonly unknown[]).includes(name);
}

interface Snappy {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}

let snappyModule: Snappy | undefined;
/** snappyjs (pure JavaScript), loaded when a snappy file is first read or written. */
function snappy(): Snappy {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (snappyModule ??= require("snappyjs") as Snappy);
}

/** A block's records, compressed by `codec`. */
export function compressBlock(codec: AvroCodec, raw: Buffer): Buffer {
  switch (codec) {
    case "null":
      return raw;
    case "deflate":
      return zlib().deflateRawSync(raw);
    case "snappy": {
      const checksum = Buffer.alloc(4);
      checksum.writeUInt32BE(crc32(raw) >>> 0);
      return Buffer.concat([Buffer.from(snappy().compress(raw)), checksum]);
    }
  }
}

/** A block's records, decompressed; throws an Error saying what is wrong with the block's data. */
export function decompressBlock(codec: AvroCodec, stored: Buffer): Buffer {
  switch (codec) {
    case "null":
      return Buffer.from(stored);
    case "deflate":
      return zlib().inflateRawSync(stored);
    case "snappy": {
      if (stored.length < 4) throw new Error(`its snappy data is ${stored.length} bytes, shorter than the 4-byte checksum`);
      const data = Buffer.from(snappy().uncompress(stored.subarray(0, stored.length - 4)));
      const expected = stored.readUInt32BE(stored.length - 4);
      const actual = crc32(data) >>> 0;
      if (actual !== expected) throw new Error(`the CRC-32 of its uncompressed data is ${actual.toString(16)}, but the block says ${expected.toString(16)}`);
      return data;
    }
  }
}
