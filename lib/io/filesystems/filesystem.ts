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
 *   `[abc]` `[a-z]` `[!abc]` `[^abc]`  one character from (or not from) a set
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
  /** Renames `sources[i]` to `destinations[i]`, replacing existing destinations. */
  rename(sources: readonly string[], destinations: readonly string[]): Promise<void>;
  /** Copies `sources[i]` to `destinations[i]`, replacing existing destinations. */
  copy(sources: readonly string[], destinations: readonly string[]): Promise<void>;
  /**
   * Deletes files. A path that names a directory (locally) or a prefix ending in `/` (object
   * stores) is removed with everything under it. Missing paths are not an error.
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

/** Machine-readable kind of a `FileSystemError`: a Node errno code (`ENOENT`, ...) or one of ours. */
export type FileSystemErrorCode = "NO_MATCH" | "UNKNOWN_SCHEME" | "INVALID_ARGUMENT" | "CORRUPT_DATA" | (string & {});

/**
 * A filesystem operation failed. The message says what happened, to which path, and how to fix
 * it; the underlying error is kept as `cause`.
 */
export class FileSystemError extends Error {
  readonly path: string;
  readonly code: FileSystemErrorCode | undefined;
  constructor(message: string, path: string, options?: { cause?: unknown; code?: FileSystemErrorCode }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "FileSystemError";
    this.path = path;
    this.code = options?.code ?? errnoCode(options?.cause);
  }
}

/** The `code` of a Node system error (`ENOENT`, ...), if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}
