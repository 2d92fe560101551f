/**
 * The Parquet library (hyparquet, hyparquet-writer and hyparquet-compressors: pure JavaScript,
 * no dependencies of their own besides a WebAssembly snappy and a JS zstd decoder), loaded on first
 * use: they are ES modules, loaded with Node's require of ES modules (Node >= 20.19), and only a
 * pipeline that reads or writes Parquet pays for them. Also the codecs and a hyparquet AsyncBuffer
 * over Beamline's FileSystems (so gs:// and every registered scheme read by byte ranges).
 */
import * as zlib from "node:zlib";
import { gzipSync, brotliCompressSync, constants as zlibConstants } from "node:zlib";
import type { AsyncBuffer, CompressionCodec } from "hyparquet" with { "resolution-mode": "import" };
import type * as Hyparquet from "hyparquet" with { "resolution-mode": "import" };
import type * as HyparquetWriter from "hyparquet-writer" with { "resolution-mode": "import" };
import type * as HyparquetCompressors from "hyparquet-compressors" with { "resolution-mode": "import" };
import { FileSystems } from "../filesystems/registry";
import { lz4CompressBlock } from "./lz4";

let reader: typeof Hyparquet | undefined;
let writer: typeof HyparquetWriter | undefined;
let decompressors: typeof HyparquetCompressors | undefined;

export function hyparquet(): typeof Hyparquet {
  return (reader ??= require("hyparquet") as typeof Hyparquet);
}
export function hyparquetWriter(): typeof HyparquetWriter {
  return (writer ??= require("hyparquet-writer") as typeof HyparquetWriter);
}
/** Decompressors of every codec Parquet files use (snappy, gzip, brotli, zstd, lz4). */
export function readCompressors(): typeof HyparquetCompressors.compressors {
  return (decompressors ??= require("hyparquet-compressors") as typeof HyparquetCompressors).compressors;
}

/** The codecs WriteToParquet writes (Beam Python's `codec` names; "zstd" needs a Node with zlib's zstd, 22.15 or later). */
export type ParquetCodec = "none" | "snappy" | "gzip" | "brotli" | "lz4" | "zstd";
export const PARQUET_CODECS: readonly ParquetCodec[] = ["none", "snappy", "gzip", "brotli", "lz4", "zstd"];

type ZstdSync = (b: Uint8Array) => Buffer;
/** Node's zstd compressor (zlib.zstdCompressSync, Node >= 22.15), or undefined on older Nodes. */
export function zstdCompressor(): ZstdSync | undefined {
  return (zlib as unknown as { zstdCompressSync?: ZstdSync }).zstdCompressSync;
}

/** The codec's Parquet name and the compressor hyparquet-writer needs for it (snappy is built in). */
export function writeCodec(codec: ParquetCodec): { codec: CompressionCodec; compressors: Partial<Record<CompressionCodec, (input: Uint8Array) => Uint8Array>> } {
  switch (codec) {
    case "none":
      return { codec: "UNCOMPRESSED", compressors: {} };
    case "snappy":
      return { codec: "SNAPPY", compressors: {} };
    case "gzip":
      return { codec: "GZIP", compressors: { GZIP: (b) => gzipSync(b) } };
    case "brotli":
      return { codec: "BROTLI", compressors: { BROTLI: (b) => brotliCompressSync(b, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } }) } };
    case "lz4":
      // pyarrow's "lz4" writes LZ4_RAW (the Hadoop-framed LZ4 codec is deprecated by the Parquet spec).
      return { codec: "LZ4_RAW", compressors: { LZ4_RAW: lz4CompressBlock } };
    case "zstd": {
      const zstd = zstdCompressor();
      if (zstd === undefined) throw new Error(`the zstd codec needs Node's zstd (Node 22.15 or later; this is ${process.version}); use "snappy", "gzip", "brotli" or "lz4"`);
      return { codec: "ZSTD", compressors: { ZSTD: (b) => zstd(b) } };
    }
  }
}

/** A file read by byte ranges through FileSystems, as hyparquet's AsyncBuffer. */
export function fileBuffer(path: string, sizeBytes: number): AsyncBuffer {
  const fs = FileSystems.forPath(path);
  return {
    byteLength: sizeBytes,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? sizeBytes, sizeBytes);
      const out = new Uint8Array(Math.max(stop - start, 0));
      if (out.length === 0) return out.buffer;
      let at = 0;
      for await (const chunk of await fs.openRead(path, { start, end: stop })) {
        const bytes = chunk as Uint8Array;
        out.set(bytes.subarray(0, out.length - at), at);
        at += bytes.length;
        if (at >= out.length) break;
      }
      if (at < out.length) throw new Error(`${path} ended at byte ${start + at}, before byte ${stop} (the file changed or is truncated)`);
      return out.buffer;
    },
  };
}
