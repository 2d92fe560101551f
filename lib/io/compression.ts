/**
 * How files are compressed, for every file IO (text, CSV, FileIO's readable files and writes,
 * TFRecord): Beam Python's compression types (`CompressionTypes`: GZIP, DEFLATE, BZIP2, ZSTD, LZMA)
 * and Beam Java's ZIP, SNAPPY, LZOP and LZO (`org.apache.beam.sdk.io.Compression`): every one of
 * Beam's compressions is read. "auto" picks by suffix as
 * Beam's AUTO does (`apache_beam/io/filesystem.py`, Java's `Compression.detect`): `.gz` gzip,
 * `.deflate`/`.zlib` deflate, `.bz2` bzip2, `.zst`/`.zstd` zstd, `.xz`/`.lzma` lzma, `.zip` zip,
 * `.snappy` snappy, `.lzo` lzop, `.lzo_deflate` lzo. Compressed files are read whole (they cannot
 * be split at byte offsets), as streams: concatenated streams or frames (`cat a.bz2 b.bz2`) are
 * read one after the other, as Beam Python reads them.
 *
 * - DEFLATE is the zlib format (RFC 1950, with its header and Adler-32 check), as Beam Python's
 *   `zlib.decompressobj()` and Java's `Compression.DEFLATE`. GZIP and DEFLATE use node:zlib
 *   (concatenated DEFLATE streams through inflate_stream.ts, as node:zlib's Inflate stops after one).
 * - BZIP2: read with seek-bzip (pure JavaScript, bzip2_stream.ts); not written.
 * - ZSTD: read with fzstd (pure JavaScript), content checksums checked (zstd_stream.ts); written
 *   with @bokuweb/zstd-wasm (WebAssembly in the package), a frame per MiB of data.
 * - LZMA is the .xz container, as Beam Python writes it (`lzma.LZMACompressor()`): read with
 *   xz-decompress (WebAssembly in the package, xz_stream.ts); the legacy .lzma format ("LZMA
 *   alone"), which Beam Python's `LZMADecompressor()` also reads, is told by its first bytes and
 *   read by our own incremental decoder (lzma_alone.ts); not written.
 * - ZIP, as Beam Java reads it: every entry's data in turn, as one stream (zip_stream.ts; stored and
 *   deflated entries, CRCs checked). Not written: Java's ZIP refuses to write too.
 * - SNAPPY, as Beam Java reads it (commons-compress's `SnappyCompressorInputStream`): the raw Snappy
 *   format, a length preamble and one stream of elements (snappy_stream.ts). Not written: Java's
 *   SNAPPY writes the length of the last file that enum read as the preamble (so files it writes
 *   do not read back), and a true preamble needs the whole file's length before its first byte.
 * - LZOP (lzop's file format) and LZO (Hadoop's LZO block format), as Beam Java reads them through
 *   aircompressor: LZO1X decoded by our own decoder (lzo_stream.ts; npm has none in JavaScript),
 *   block and header checksums checked; concatenated lzop files are all read (Java's codec stops
 *   after the first). Written as Java writes them, with our own LZO1X compressor (lzo_write.ts).
 * BZIP2 and LZMA are not written: npm has no bzip2 or xz compressor in pure JavaScript or shipped
 * WebAssembly that is kept up and licensed for us (compressjs is GPL; `lzma` writes only the legacy
 * format); writing them fails before any file is made, naming gzip and zstd instead.
 */
import type { Transform } from "node:stream";
import { FileSystemError } from "./filesystems/filesystem";

/** node:zlib, loaded by the runs that read or write compressed files (its load is a few ms of every start-up otherwise). */
export function zlib(): typeof import("node:zlib") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("node:zlib") as typeof import("node:zlib");
}

/**
 * How a file is compressed: "auto" (default) by its suffix (`.gz` gzip, `.deflate`/`.zlib` deflate,
 * `.bz2` bzip2, `.zst`/`.zstd` zstd, `.xz`/`.lzma` lzma, `.zip` zip, `.snappy` snappy, `.lzo` lzop,
 * `.lzo_deflate` lzo, else uncompressed), or said outright. "lzma" is the .xz format or the legacy .lzma one (Beam Python's
 * `CompressionTypes.LZMA`); "zip", "snappy", "lzop" and "lzo" are Beam Java's ZIP (every entry's data
 * in turn), SNAPPY (raw Snappy), LZOP (lzop files) and LZO (Hadoop's LZO blocks). "bzip2", "lzma",
 * "zip" and "snappy" are read, not written.
 */
export type Compression = "auto" | "uncompressed" | "gzip" | "deflate" | "bzip2" | "zstd" | "lzma" | "zip" | "snappy" | "lzop" | "lzo";

/** A compression resolved for one file. */
export type FileCompression = Exclude<Compression, "auto">;

/** The compressions written (the others are only read). */
export type WriteCompression = Exclude<FileCompression, "bzip2" | "lzma" | "zip" | "snappy">;

const COMPRESSIONS: readonly FileCompression[] = ["uncompressed", "gzip", "deflate", "bzip2", "zstd", "lzma", "zip", "snappy", "lzop", "lzo"];

/** The suffix Beam gives (and "auto" recognises) for each compression. */
export const COMPRESSION_SUFFIX: Readonly<Record<Exclude<FileCompression, "uncompressed">, string>> = {
  gzip: ".gz",
  deflate: ".deflate",
  bzip2: ".bz2",
  zstd: ".zst",
  lzma: ".xz",
  zip: ".zip",
  snappy: ".snappy",
  lzop: ".lzo",
  lzo: ".lzo_deflate",
};

/** Beam Python's `detect_compression_type` and Java's `Compression.detect`: suffix (lower case) to compression. */
const BY_SUFFIX: ReadonlyArray<readonly [string, FileCompression]> = [
  [".bz2", "bzip2"],
  [".deflate", "deflate"],
  [".zlib", "deflate"],
  [".gz", "gzip"],
  [".zst", "zstd"],
  [".zstd", "zstd"],
  [".xz", "lzma"],
  [".lzma", "lzma"],
  [".zip", "zip"],
  [".snappy", "snappy"],
  [".lzo", "lzop"],
  [".lzo_deflate", "lzo"],
];

/** Data that is not valid for its compression (bzip2, zstd and xz decoders; zlib's errors have Z_ codes). */
export class CorruptCompressedDataError extends Error {
  readonly code = "CORRUPT_COMPRESSED_DATA";
  override readonly name = "CorruptCompressedDataError";
}

/** `compression` for the file at `path`, "auto" resolved by its suffix. */
export function resolveCompression(path: string, compression: Compression = "auto"): FileCompression {
  if ((COMPRESSIONS as readonly unknown[]).includes(compression)) return compression as FileCompression;
  if (compression !== "auto") {
    throw new FileSystemError(`Unknown compression '${String(compression)}' for ${path}: use "auto", ${COMPRESSIONS.map((c) => `"${c}"`).join(", ")}.`, path, { code: "INVALID_ARGUMENT" });
  }
  const lower = path.toLowerCase();
  for (const [suffix, c] of BY_SUFFIX) if (lower.endsWith(suffix)) return c;
  return "uncompressed";
}

/** `compression` for a file to write at `path`: as `resolveCompression`, refusing those only read. */
export function resolveWriteCompression(path: string, compression: Compression = "auto"): WriteCompression {
  const resolved = resolveCompression(path, compression);
  if (resolved === "zip" || resolved === "snappy") {
    const why =
      resolved === "zip"
        ? "Beam Java's Compression.ZIP does not write either (\"Writing ZIP files is currently unsupported\")"
        : "raw Snappy starts with the whole file's length, which a stream does not know before its end (Beam Java's SNAPPY writes the length of the last file it read there, so its files do not read back)";
    throw new FileSystemError(
      `Cannot write ${path} as ${resolved} (${COMPRESSION_SUFFIX[resolved]}): ${resolved} files are read but not written: ${why}. Write compression "zstd" (.zst) or "gzip" (.gz) instead` +
        `${compression === "auto" ? "; for an uncompressed file under this name, pass compression: \"uncompressed\"" : ""}.`,
      path,
      { code: "INVALID_ARGUMENT" },
    );
  }
  if (resolved === "bzip2" || resolved === "lzma") {
    const what = resolved === "bzip2" ? "bzip2 (.bz2)" : "lzma (.xz)";
    throw new FileSystemError(
      `Cannot write ${path} as ${what}: ${resolved} files are read but not written (there is no ${resolved === "bzip2" ? "bzip2" : "xz"} compressor for Node.js ` +
        `without native code). Write compression "zstd" (.zst) or "gzip" (.gz) instead, or compress the written files with the ${resolved === "bzip2" ? "bzip2" : "xz"} tool afterwards` +
        `${compression === "auto" ? "; for an uncompressed file under this name, pass compression: \"uncompressed\"" : ""}.`,
      path,
      { code: "INVALID_ARGUMENT" },
    );
  }
  return resolved;
}

/** A stream that decompresses `compression` (undefined: uncompressed, nothing to do). */
export function decompressing(compression: FileCompression, chunkSize = 1 << 16): Transform | undefined {
  switch (compression) {
    case "gzip":
      return zlib().createGunzip({ chunkSize });
    case "deflate":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./inflate_stream") as typeof import("./inflate_stream")).inflateConcatenated(chunkSize);
    case "bzip2":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./bzip2_stream") as typeof import("./bzip2_stream")).bunzip2Stream();
    case "zstd":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./zstd_stream") as typeof import("./zstd_stream")).zstdDecompressStream();
    case "lzma":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./xz_stream") as typeof import("./xz_stream")).unxzStream();
    case "zip":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./zip_stream") as typeof import("./zip_stream")).unzipStream();
    case "snappy":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./snappy_stream") as typeof import("./snappy_stream")).unsnappyStream();
    case "lzop":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./lzo_stream") as typeof import("./lzo_stream")).unlzopStream();
    case "lzo":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./lzo_stream") as typeof import("./lzo_stream")).unlzoBlocksStream();
    default:
      return undefined;
  }
}

/** A stream that compresses as `compression` (undefined: uncompressed). */
export function compressing(compression: WriteCompression, options: { readonly chunkSize?: number; readonly level?: number } = {}): Transform | undefined {
  switch (compression) {
    case "gzip":
      return zlib().createGzip(options);
    case "deflate":
      return zlib().createDeflate(options);
    case "zstd":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./zstd_stream") as typeof import("./zstd_stream")).zstdCompressStream(options.level);
    case "lzop":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./lzo_write") as typeof import("./lzo_write")).lzopCompressStream();
    case "lzo":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./lzo_write") as typeof import("./lzo_write")).lzoBlocksCompressStream();
    default:
      return undefined;
  }
}

/** A whole file's bytes, compressed as `compression` (`level`: the codec's own scale; zstd's default 3). */
export async function compressWhole(data: Buffer, compression: WriteCompression, level?: number): Promise<Buffer> {
  const options = level !== undefined ? { level } : {};
  switch (compression) {
    case "gzip":
      return zlib().gzipSync(data, options);
    case "deflate":
      return zlib().deflateSync(data, options);
    case "zstd": {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { zstdCompressor, FRAME_BYTES, ZSTD_DEFAULT_LEVEL } = require("./zstd_stream") as typeof import("./zstd_stream");
      const z = await zstdCompressor();
      const frames: Buffer[] = [];
      for (let at = 0; at < data.length || at === 0; at += FRAME_BYTES) frames.push(Buffer.from(z.compress(data.subarray(at, at + FRAME_BYTES), level ?? ZSTD_DEFAULT_LEVEL)));
      return frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    }
    case "lzop":
    case "lzo":
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require("./lzo_write") as typeof import("./lzo_write")).lzoCompressWhole(data, compression);
    default:
      return data;
  }
}

/** Whether `err` is a decoder's complaint about its input (corrupt or truncated data). */
export function isCorruptCompressedData(err: unknown): boolean {
  if (err instanceof CorruptCompressedDataError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}
