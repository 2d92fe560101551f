/**
 * Text file primitives under ReadFromText / WriteToText: splitting files into byte ranges,
 * reading a range as batches of lines, writing shards, and naming and atomically finalising them.
 *
 * Reading follows Beam's TextIO:
 *  - lines end at `\n`, `\r\n` or a lone `\r`; terminators are not part of the line; a last line
 *    without terminator is a line; an empty file has no lines; a UTF-8 BOM at the start of the file
 *    is dropped; bytes are decoded as UTF-8 (invalid sequences become U+FFFD).
 *  - a range [start, end) of an uncompressed file owns exactly the lines whose first byte lies in
 *    [start, end). A reader starting inside a line skips to the next line start; a reader reads
 *    past `end` to finish its last line. So the ranges of a file together yield every line once.
 *  - gzip files cannot be split: one range covers the whole file.
 *
 * Writing: shards are written to a hidden temporary directory beside the output and renamed to
 * `<prefix>-SSSSS-of-NNNNN<suffix>` only once all of them are complete (`finalizeShards`, run as
 * the sink's output commit, `textFilesCommit`); `abortShards` removes everything a failed attempt
 * wrote.
 */
export { resolveCompression, splitIntoRanges, splitForReaders, desiredRangeBytes, LineSplitter, RecordSplitter, isSelfOverlapping, resolveTextFormat, readLineBatches, readAllLines } from "./text_read";
export type { Compression, TextRange, ReadLinesOptions, TextFormat, TextFormatOptions } from "./text_read";
export { TextShardWriter, DEFAULT_SHARD_TEMPLATE, shardPath, shardGlob, planTempDirectory, finalizeShards, abortShards, writeTextShards, textFilesCommit, TEXT_FILES_COMMIT } from "./text_write";
export type { TextShardWriterOptions, ShardWriteResult, FinalizeOptions, WriteTextShardsOptions } from "./text_write";
