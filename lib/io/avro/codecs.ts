/**
 * The block codecs of Avro container files, the specification's six:
 * - "null", "deflate" (raw RFC 1951 data) and "snappy" (Snappy's raw format followed by the
 *   4-byte big-endian CRC-32 of the uncompressed data; Beam Java's AvroIO writes it by default):
 *   read and written;
 * - "zstandard" (Zstandard frames): read with fzstd (pure JavaScript; frames without a content
 *   size too, as Avro Java's streaming writer makes them; content checksums checked here,
 *   zstd_frames.ts), written with @bokuweb/zstd-wasm
 *   (WebAssembly shipped in the package; level 3, Avro Java's and Python's default);
 * - "bzip2" (a bzip2 stream) and "xz" (an .xz stream): read with seek-bzip (pure JavaScript) and
 *   xz-decompress (WebAssembly shipped in the package), not written: no bzip2 or xz compressor in
 *   pure JavaScript or shipped WebAssembly, with a license the project can take, installs from
 *   npm alone (compressjs, the pure-JavaScript bzip2 one, is GPL).
 * Beam Java's CodecFactory writes all six; Beam Python (fastavro) reads bzip2 and xz too.
 * Each library is loaded when a file with its codec is first read or written.
 */
import { crc32 } from "node:zlib";
import { zlib } from "../text_read";
import { decompressZstdFrames } from "./zstd_frames";

/** The codecs written (and read): Avro's codec names. */
export type AvroCodec = "null" | "deflate" | "snappy" | "zstandard";

/** The codecs read: those written, and bzip2 and xz. */
export type AvroReadCodec = AvroCodec | "bzip2" | "xz";

/** The codecs this module writes. */
export const AVRO_CODECS: readonly AvroCodec[] = ["null", "deflate", "snappy", "zstandard"];

/** The codecs this module reads. */
export const AVRO_READ_CODECS: readonly AvroReadCodec[] = [...AVRO_CODECS, "bzip2", "xz"];

/** Whether `name` (an option) is a codec this module writes. */
export function isAvroCodec(name: unknown): name is AvroCodec {
  return (AVRO_CODECS as readonly unknown[]).includes(name);
}

/** Whether `name` (a file's `avro.codec`) is a codec this module reads. */
export function isAvroReadCodec(name: unknown): name is AvroReadCodec {
  return (AVRO_READ_CODECS as readonly unknown[]).includes(name);
}

interface Snappy {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
interface ZstdWasm {
  init(): Promise<void>;
  compress(input: Uint8Array, level?: number): Uint8Array;
}

let snappyModule: Snappy | undefined;
/** snappyjs (pure JavaScript), loaded when a snappy file is first read or written. */
function snappy(): Snappy {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (snappyModule ??= require("snappyjs") as Snappy);
}

let zstdWasm: ZstdWasm | undefined;
let zstdReady: Promise<void> | undefined;

/**
 * Makes `codec` ready to compress: zstandard's WebAssembly module is instantiated once (an
 * asynchronous step), so `compressBlock` can then run synchronously. Call before writing.
 */
export function prepareCodec(codec: AvroCodec): Promise<void> {
  if (codec !== "zstandard") return Promise.resolve();
  return (zstdReady ??= (async () => {
    // The one instance the compressed file writes use too: a second `init` of @bokuweb/zstd-wasm
    // swaps in a new WebAssembly instance under the first, whose compressions then come out wrong.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    zstdWasm = await (require("../zstd_stream") as typeof import("../zstd_stream")).zstdCompressor();
  })());
}

/** A block's records, compressed by `codec` (zstandard after `prepareCodec`). */
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
    case "zstandard":
      if (zstdWasm === undefined) throw new Error("the zstandard codec was not prepared (await prepareCodec first)");
      return Buffer.from(zstdWasm.compress(raw, 3));
  }
}

/** A block's records, decompressed; throws an Error saying what is wrong with the block's data. */
export async function decompressBlock(codec: AvroReadCodec, stored: Buffer): Promise<Buffer> {
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
    case "zstandard": {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fzstd = require("fzstd") as { decompress(input: Uint8Array): Uint8Array };
      return decompressZstdFrames(stored, (frame) => fzstd.decompress(frame));
    }
    case "bzip2": {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bunzip = require("seek-bzip") as { decode(input: Buffer): Buffer };
      // A block is one bzip2 stream (Avro Java's and Python's writers make one per block).
      try {
        return Buffer.from(bunzip.decode(stored));
      } catch (e) {
        // seek-bzip says "Not bzip data" for a stream that is cut short too.
        const truncated = stored.subarray(0, 3).toString("latin1") === "BZh" && /^Not bzip data$/.test((e as Error).message);
        throw new Error(truncated ? "its bzip2 stream ends too early (truncated?)" : `bzip2: ${(e as Error).message}`, { cause: e });
      }
    }
    case "xz":
      return unxz(stored);
  }
}

/** xz-decompress's error codes (xz-embedded's `enum xz_ret`), as words. */
const XZ_ERRORS: Readonly<Record<string, string>> = {
  "2": "the integrity check type is not supported",
  "3": "out of memory",
  "4": "it needs more memory than the decoder allows",
  "5": "it is not in the .xz format",
  "6": "its compression options are not supported",
  "7": "its compressed data is corrupt",
  "8": "it ends too early (truncated?)",
};

/** An .xz stream decompressed (xz-decompress has only a streaming, web-streams interface). */
async function unxz(stored: Buffer): Promise<Buffer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { XzReadableStream } = require("xz-decompress") as { XzReadableStream: new (input: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(stored.buffer, stored.byteOffset, stored.length));
      controller.close();
    },
  });
  const chunks: Buffer[] = [];
  const reader = new XzReadableStream(input).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }
  } catch (e) {
    const code = /error code (\d+)/.exec((e as Error).message)?.[1];
    throw new Error(code !== undefined && XZ_ERRORS[code] !== undefined ? `${XZ_ERRORS[code]} (xz error ${code})` : (e as Error).message, { cause: e });
  }
  return Buffer.concat(chunks);
}
