/**
 * How files are compressed, for every file IO (text, CSV, FileIO's readable files and writes,
 * TFRecord): Beam's compression types where Node has the codec. "auto" picks by suffix as Beam's
 * AUTO does (`.gz` gzip, `.deflate` deflate); a suffix Beam would decompress with a codec we do not
 * have fails, rather than reading compressed bytes as records. Compressed files are read whole
 * (they cannot be split at byte offsets).
 *
 * DEFLATE is the zlib format (RFC 1950, with its header and Adler-32 check), as Beam Python's
 * `CompressionTypes.DEFLATE` (`zlib.decompressobj()`) and Java's `Compression.DEFLATE`.
 */
import type { Transform } from "node:stream";
import { FileSystemError } from "./filesystems/filesystem";

/** node:zlib, loaded by the runs that read or write compressed files (its load is a few ms of every start-up otherwise). */
export function zlib(): typeof import("node:zlib") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("node:zlib") as typeof import("node:zlib");
}

/** How a file is compressed: "auto" (default) by its suffix (`.gz` gzip, `.deflate` deflate, else uncompressed), or said outright. */
export type Compression = "auto" | "uncompressed" | "gzip" | "deflate";

/** A compression resolved for one file. */
export type FileCompression = Exclude<Compression, "auto">;

/** The suffix Beam gives (and "auto" recognises) for each compression. */
export const COMPRESSION_SUFFIX: Readonly<Record<Exclude<FileCompression, "uncompressed">, string>> = { gzip: ".gz", deflate: ".deflate" };

/** Compressions Beam's AUTO infers from a suffix that we do not read or write, by suffix. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  bz2: "BZIP2",
  zip: "ZIP",
  zst: "ZSTD",
  zstd: "ZSTD",
  xz: "LZMA",
  lzma: "LZMA",
  lzo: "LZOP",
  lzo_deflate: "LZO",
  snappy: "SNAPPY",
};
const UNSUPPORTED_SUFFIX = /\.(bz2|zip|zstd?|xz|lzma|lzo|lzo_deflate|snappy)$/i;

/** `compression` for the file at `path`, "auto" resolved by its suffix. */
export function resolveCompression(path: string, compression: Compression = "auto"): FileCompression {
  if (compression === "uncompressed" || compression === "gzip" || compression === "deflate") return compression;
  if (compression !== "auto") {
    throw new FileSystemError(`Unknown compression '${String(compression)}' for ${path}: use "auto", "uncompressed", "gzip" or "deflate".`, path, { code: "INVALID_ARGUMENT" });
  }
  if (/\.gz$/i.test(path)) return "gzip";
  if (/\.deflate$/i.test(path)) return "deflate";
  // Beam's AUTO decompresses these too; read as records their bytes would become garbage, and
  // files written under such a name could not be opened by the tools it names.
  const other = UNSUPPORTED_SUFFIX.exec(path);
  if (other !== null) {
    throw new FileSystemError(
      `Cannot read or write ${path} with compression "auto": its suffix .${other[1]} means ${UNSUPPORTED[other[1]!.toLowerCase()]}, which is not supported (gzip .gz and deflate .deflate are). ` +
        `Decompress it (or recompress it with gzip) first, or pass compression: "uncompressed" to treat its bytes as they are.`,
      path,
      { code: "INVALID_ARGUMENT" },
    );
  }
  return "uncompressed";
}

/** A stream that decompresses `compression` (undefined: uncompressed, nothing to do). */
export function decompressing(compression: FileCompression, chunkSize = 1 << 16): Transform | undefined {
  switch (compression) {
    case "gzip":
      return zlib().createGunzip({ chunkSize });
    case "deflate":
      return zlib().createInflate({ chunkSize });
    default:
      return undefined;
  }
}

/** A stream that compresses as `compression` (undefined: uncompressed). */
export function compressing(compression: FileCompression, options: { readonly chunkSize?: number; readonly level?: number } = {}): Transform | undefined {
  switch (compression) {
    case "gzip":
      return zlib().createGzip(options);
    case "deflate":
      return zlib().createDeflate(options);
    default:
      return undefined;
  }
}

/** Whether `err` is zlib's complaint about its input (corrupt or truncated data). */
export function isCorruptCompressedData(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}
