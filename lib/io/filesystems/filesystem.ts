/**
 * The one filesystem abstraction every file-based IO uses.
 *
 * A `FileSystem` serves one URI scheme: `"file"` for local paths (written with no scheme or as
 * `file:///abs/path`), `"gs"` for Cloud Storage later. All operations are async and stream-based;
 * nothing here reads a whole file into memory. Paths are strings in the filesystem's own syntax
 * (`/a/b`, `rel/b`, `gs://bucket/a/b`); patterns accepted by `match` are globs:
 *
 *   `*`     any run of characters inside one path segment (never `/`)
 *   `?`     one character inside a segment
 *   `[abc]` `[a-z]` `[!abc]`  one character from (or, with `!`, not from) a set; as in Beam,
 *           `^` does not negate (`[^a]` is `^` or `a`)
 *   `**`    any run of characters, crossing `/`; as a whole segment it stands for zero or more
 *           directories (`a/` `**` `/b` matches `a/b`, `a/x/b`, `a/x/y/b`)
 *   `\x`    the character x literally (use `escapeGlob` to quote a literal path)
 *
 * Like Beam (Python's fnmatch and object stores), `*` also matches names starting with a dot.
 *
 * Use the `FileSystems` registry (./registry) to pick the filesystem for a path by its scheme.
 */
import type { Readable, Writable } from "node:stream";

/** One file found by `match`. */
export interface FileMetadata {
  /** The path, in the same form (relative/absolute, scheme) as the pattern that found it. */
  readonly path: string;
  /** The file's size. */
  readonly sizeBytes: number;
  /** When it was last modified (epoch milliseconds), if the file system says. */
  readonly lastModifiedMillis?: number;
}

/** Options of `openRead`. */
export interface OpenReadOptions {
  /** First byte to read (default 0). */
  readonly start?: number;
  /** One past the last byte to read (default: end of file). The range read is [start, end). */
  readonly end?: number;
  /** Read size hint in bytes (local: the stream's highWaterMark). Filesystems may ignore it. */
  readonly bufferSize?: number;
}

/** Options of `create`. */
export interface CreateOptions {
  /** Content type for object stores; ignored locally. */
  readonly mimeType?: string;
}

/**
 * What a pattern that matches no file does: `"ALLOW"` yields nothing, `"DISALLOW"` fails the step,
 * `"ALLOW_IF_WILDCARD"` yields nothing for a pattern with a wildcard (`*`, `?`, `[`) and fails for
 * a plain path (Beam's EmptyMatchTreatment).
 */
export type EmptyMatchTreatment = "ALLOW" | "DISALLOW" | "ALLOW_IF_WILDCARD";

/** Options of `FileSystems.match`. */
export interface FileSystemsMatchOptions {
  /** What a pattern that matches no file does (default `"ALLOW"`: nothing is returned). */
  readonly emptyMatchTreatment?: EmptyMatchTreatment;
}

/** Options of `FileSystems.rename` and `FileSystems.copy` (Beam's `MoveOptions`). */
export interface MoveOptions {
  /**
   * Skip sources that do not exist instead of failing (Beam's `IGNORE_MISSING_FILES`): for retried
   * finalisations, where an earlier attempt may have moved some files already. Default false.
   */
  readonly ignoreMissingFiles?: boolean;
}

/** One path that an operation on several paths failed for (an entry of Beam Python's `BeamIOError`). */
export interface FileOperationFailure {
  /** The path (for rename and copy: the source). */
  readonly path: string;
  /** For rename and copy: the destination. */
  readonly destination?: string;
  /** Why it failed. */
  readonly error: FileSystemError;
}

/** A filesystem for one URI scheme. Errors are thrown as `FileSystemError`. */
export interface FileSystem {
  /** `"file"` for local paths, `"gs"` for `gs://...`. */
  readonly scheme: string;
  /** Files matching a glob (or the one file at a plain path), sorted by path. No match → `[]`. */
  match(pattern: string): Promise<FileMetadata[]>;
  /** A byte stream of the range [start, end). Fails (rejects) if the file cannot be opened. */
  openRead(path: string, options?: OpenReadOptions): Promise<Readable>;
  /** A stream writing a new file (replacing any existing one); parent directories are created. */
  create(path: string, options?: CreateOptions): Promise<Writable>;
  /**
   * Optional: writes a small file whole (replacing any existing one; parent directories are
   * created), where that costs less than a stream. Writers use it for outputs of about 1 MiB or
   * less and `create` otherwise, or when a file system does not offer it.
   */
  writeSmallFile?(path: string, data: Uint8Array): Promise<void>;
  /**
   * Renames `sources[i]` to `destinations[i]`, replacing existing destinations. Every pair is
   * attempted; failures are thrown together as one `FileSystemError` listing each in `failures`.
   */
  rename(sources: readonly string[], destinations: readonly string[]): Promise<void>;
  /** Copies `sources[i]` to `destinations[i]`, replacing existing destinations; failures as `rename`. */
  copy(sources: readonly string[], destinations: readonly string[]): Promise<void>;
  /**
   * Deletes files. A path that names a directory (locally) or a prefix ending in `/` (object
   * stores) is removed with everything under it. Missing paths are not an error. Locally, a path
   * that does not exist but has wildcards is a glob: what it matches is deleted. Failures as `rename`.
   */
  delete(paths: readonly string[]): Promise<void>;
  /** Whether a file exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** Joins path parts the way this file system does (`/` for both local paths and gs://). */
  join(base: string, ...parts: string[]): string;
  /** The directory containing `path`; a path ending in `/` is itself the directory. */
  dirname(path: string): string;
  /**
   * Throws a `FileSystemError` saying why if files cannot be created in `dirOrPrefix` (a directory
   * ending in `/` or existing, else an output prefix whose directory is checked). Creates nothing.
   */
  checkWritable(dirOrPrefix: string): Promise<void>;
}

/** The operations of a filesystem without its scheme: what the `FileSystems` registry offers too. */
export type FileOperations = Omit<FileSystem, "scheme">;

/**
 * Machine-readable kind of a `FileSystemError`: a Node errno code (`ENOENT`, ...) or one of ours:
 * `NO_MATCH` (a pattern, or a path given to `FileIO.readMatches`, names no file), `UNKNOWN_SCHEME`
 * (no file system for the path's scheme), `INVALID_ARGUMENT` (a bad argument: a directory where
 * files are required, an unknown compression, ...), `CORRUPT_DATA` (a file that cannot be read as
 * its format or compression).
 */
export type FileSystemErrorCode = "NO_MATCH" | "UNKNOWN_SCHEME" | "INVALID_ARGUMENT" | "CORRUPT_DATA" | (string & {});

/**
 * A filesystem operation failed. The message says what happened, to which path, and how to fix
 * it; the underlying error is kept as `cause`.
 */
export class FileSystemError extends Error {
  /** The path the error is about (for a failure of several paths: the first). */
  readonly path: string;
  /** What kind of failure (`ENOENT`, `NO_MATCH`, ...); for several failures, their code if they share one. */
  readonly code: FileSystemErrorCode | undefined;
  /**
   * For `rename`, `copy` and `delete` of several paths: every path that failed, with its own error
   * (Beam Python's `BeamIOError.exception_details`). The paths not listed were done.
   */
  readonly failures: readonly FileOperationFailure[] | undefined;
  constructor(
    message: string,
    path: string,
    options?: { cause?: unknown; code?: FileSystemErrorCode; failures?: readonly FileOperationFailure[] },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "FileSystemError";
    this.path = path;
    this.code = options?.code ?? errnoCode(options?.cause);
    this.failures = options?.failures;
  }
}

/**
 * The failures an error of an operation on several paths stands for: those it lists, else itself,
 * about `where` (the source and destination attempted; the error's own `path` may name either).
 */
export function failuresOf(err: FileSystemError, where?: { path: string; destination?: string }): readonly FileOperationFailure[] {
  return err.failures ?? [{ path: where?.path ?? err.path, ...(where?.destination !== undefined ? { destination: where.destination } : {}), error: err }];
}

/**
 * One error for every failure of an operation on `total` paths, each with its own message; throws
 * nothing when there are none. A single failure keeps its message; several are listed.
 */
export function failureError(op: string, total: number, failures: readonly FileOperationFailure[]): FileSystemError | undefined {
  if (failures.length === 0) return undefined;
  const first = failures[0].error;
  if (failures.length === 1) return new FileSystemError(first.message, first.path, { cause: first.cause ?? first, code: first.code, failures });
  const codes = new Set(failures.map((f) => f.error.code));
  const shown = failures.slice(0, 10).map((f, i) => `(${i + 1}) ${f.error.message}`);
  if (failures.length > shown.length) shown.push(`... and ${failures.length - shown.length} more (see the error's failures)`);
  return new FileSystemError(`Cannot ${op} ${failures.length} of ${total} paths: ${shown.join(" ")}`, failures[0].path, {
    cause: first,
    ...(codes.size === 1 && first.code !== undefined ? { code: first.code } : {}),
    failures,
  });
}

/**
 * Runs `run` on every item at once and waits for all, so one failure does not hide the others nor
 * leave them half done; then throws one error listing every failure (see `failureError`).
 */
export async function forEachPath<T>(
  op: string,
  items: readonly T[],
  describe: (item: T) => { path: string; destination?: string },
  run: (item: T) => Promise<void>,
): Promise<void> {
  const settled = await Promise.allSettled(items.map(run));
  const failures: FileOperationFailure[] = [];
  settled.forEach((r, i) => {
    if (r.status === "fulfilled") return;
    const where = describe(items[i]);
    const err =
      r.reason instanceof FileSystemError ? r.reason : new FileSystemError(`Cannot ${op} ${where.path}: ${String((r.reason as Error)?.message ?? r.reason)}`, where.path, { cause: r.reason });
    failures.push(...failuresOf(err, where));
  });
  const err = failureError(op, items.length, failures);
  if (err !== undefined) throw err;
}

/** The `code` of a Node system error (`ENOENT`, ...), if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}
