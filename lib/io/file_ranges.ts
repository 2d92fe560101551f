/**
 * The steps a splittable record-file read (Avro, Parquet) runs before its own reading: file
 * patterns matched at run time and cut into byte ranges for the workers (ReadFrom*), or each input
 * element (a pattern, a FileMetadata, a ReadableFile) as its files' ranges (ReadAllFrom*), and
 * the checks both do when the pipeline is built. Each format reads the records that start in a
 * range (a block after a sync marker, a row group) from the range's DoFn of its own.
 */
import { DoFn, ProcessContext } from "../model/dofn";
import { ValidationError } from "../model/errors";
import type { ValidationContext } from "../model/transform";
import type { FileMetadata } from "./filesystems/filesystem";
import { FileSystems } from "./filesystems/registry";
import { type EmptyMatchTreatment, matchPattern, ReadableFile } from "./fileio";
import { desiredRangeBytes, splitForReaders, splitIntoRanges } from "./text_read";

/** A byte range of a file, with the file's size (a format whose index is at the end reads it from there). */
export interface FileRange {
  readonly path: string;
  readonly size: number;
  readonly start: number;
  readonly end: number;
}

/** Ranges of at most this many bytes unless a read says otherwise (ReadAllFrom*), as Beam's 64 MiB. */
const DEFAULT_RANGE_BYTES = 64 << 20;

function output(files: readonly FileMetadata[], ranges: readonly { path: string; start: number; end: number }[], ctx: ProcessContext<FileRange>): void {
  const sizes = new Map(files.map((f) => [f.path, f.sizeBytes]));
  for (const r of ranges) ctx.output({ path: r.path, size: sizes.get(r.path)!, start: r.start, end: r.end });
}

/** The files matching `patterns` (at run time) as ranges: `desired` bytes each, or enough for the run's workers. */
export class ExpandPatternsToRanges extends DoFn<Uint8Array, FileRange> {
  constructor(
    private readonly patterns: readonly string[],
    private readonly desired: number | undefined,
    /** The read's validate is false: a pattern matching nothing reads nothing (Beam Python's FileBasedSource). */
    private readonly allowEmpty = false,
    /** No range smaller than this (Beam Python's `min_bundle_size`), whatever the size wanted. */
    private readonly minBundleSize = 0,
  ) {
    super();
  }
  async process(_: Uint8Array, ctx: ProcessContext<FileRange>): Promise<void> {
    const files = await FileSystems.matchAll(this.patterns, { allowEmpty: this.allowEmpty });
    const readers = ctx.runtime.options.directNumWorkers;
    const min = this.minBundleSize;
    // The reader-balancing cuts (smaller first and last ranges) are skipped under a minimum.
    const ranges =
      this.desired !== undefined ? splitIntoRanges(files, Math.max(this.desired, min), "uncompressed") : min > 0 ? splitIntoRanges(files, Math.max(desiredRangeBytes(files, readers, "uncompressed"), min), "uncompressed") : splitForReaders(files, desiredRangeBytes(files, readers, "uncompressed"), readers, "uncompressed");
    output(files, ranges, ctx);
  }
}

/** Each input (a pattern, a FileMetadata or a ReadableFile) as byte ranges of its files. */
export class ExpandFilesToRanges extends DoFn<string | FileMetadata | ReadableFile, FileRange> {
  constructor(private readonly options: { readonly desiredBundleSizeBytes?: number; readonly minBundleSize?: number; readonly emptyMatchTreatment?: EmptyMatchTreatment }) {
    super();
  }
  async process(element: string | FileMetadata | ReadableFile, ctx: ProcessContext<FileRange>): Promise<void> {
    const files = typeof element === "string" ? await matchPattern(element, this.options.emptyMatchTreatment ?? "ALLOW_IF_WILDCARD") : [element instanceof ReadableFile ? element.metadata : element];
    const real = files.filter((f) => !f.path.endsWith("/")); // an object store's folder placeholder
    output(real, splitIntoRanges(real, Math.max(this.options.desiredBundleSizeBytes ?? DEFAULT_RANGE_BYTES, this.options.minBundleSize ?? 0), "uncompressed"), ctx);
  }
}

/** A read's patterns as a list; none, or an empty one, fails naming `transform`. */
export function filePatterns(transform: string, pattern: string | readonly string[]): string[] {
  const patterns = typeof pattern === "string" ? [pattern] : [...pattern];
  if (patterns.length === 0 || patterns.some((p) => typeof p !== "string" || p === "")) throw new ValidationError(`${transform} needs at least one file pattern (a non-empty string)`);
  return patterns;
}

/** Checks the range size and empty-match options a read shares; errors name `transform`. */
export function checkRangeOptions(transform: string, options: { readonly desiredBundleSizeBytes?: number; readonly minBundleSize?: number; readonly emptyMatchTreatment?: EmptyMatchTreatment }): void {
  const m = options.minBundleSize;
  if (m !== undefined && !(Number.isInteger(m) && m >= 0)) throw new ValidationError(`${transform}: minBundleSize must be a non-negative integer (bytes), got ${String(m)}`);
  const d = options.desiredBundleSizeBytes;
  if (d !== undefined && !(Number.isInteger(d) && d >= 1)) throw new ValidationError(`${transform}: desiredBundleSizeBytes must be a positive integer, got ${String(d)}`);
  const t = options.emptyMatchTreatment;
  if (t !== undefined && t !== "ALLOW" && t !== "DISALLOW" && t !== "ALLOW_IF_WILDCARD") throw new ValidationError(`${transform}: unknown emptyMatchTreatment '${String(t)}'; use "ALLOW", "DISALLOW" or "ALLOW_IF_WILDCARD"`);
}

/** Before the run: the patterns must match (unless `validate` is false); the error names the step. */
export async function validatePatterns(patterns: readonly string[], validate: boolean | undefined, ctx: ValidationContext): Promise<void> {
  if (validate === false) return;
  try {
    await FileSystems.matchAll(patterns);
  } catch (e) {
    throw new ValidationError(`${ctx.transformName}: ${(e as Error).message}`, { cause: e });
  }
}
