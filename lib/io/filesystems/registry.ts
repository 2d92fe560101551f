/**
 * `FileSystems`: picks the filesystem for a path by its URI scheme and offers the filesystem
 * operations on any path (`FileSystems.match("gs://b/*.txt")`, `FileSystems.create("out/x")`).
 *
 *   `gs://bucket/x` → the filesystem registered for "gs"
 *   `/x`, `./x`, `x`, `file:///x` → the local filesystem ("file", registered by default)
 *
 * New schemes plug in with `FileSystems.register(fs)`. Tests can build an isolated
 * `new FileSystemRegistry()`.
 */
import * as nodePath from "node:path";
import type { Readable, Writable } from "node:stream";
import {
  failureError,
  failuresOf,
  FileSystemError,
  type FileOperationFailure,
  type FileSystemsMatchOptions,
  type MoveOptions,
  type CreateOptions,
  type FileMetadata,
  type FileOperations,
  type FileSystem,
  type OpenReadOptions,
} from "./filesystem";
import { hasGlobChars } from "./glob";
import type { GcsFileSystem } from "./gcs";
import { LocalFileSystem, toLocalPath } from "./local";
import { type MetricsContainer, runInContainer } from "../../model/metrics";

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/** The scheme of a path: `gs://b/x` → "gs"; local paths (no scheme, `file://`) → "file". */
export function schemeOf(path: string): string {
  const m = SCHEME.exec(path);
  return m ? m[1].toLowerCase() : "file";
}

/**
 * Runs a read of `path` for a DoFn called without a metrics scope (`OWN_METRICS_ATTRIBUTION`):
 * directly for a local file (nothing under it updates a metric after an await), in a scope of
 * `step` for other filesystems, whose clients count their retries on the step through the async
 * context (e.g. Cloud Storage's `beamline/gcsRetries`).
 */
export function readInScopeUnlessLocal(path: string, step: MetricsContainer | undefined, read: () => Promise<void>): Promise<void> {
  return step === undefined || schemeOf(path) === "file" ? read() : runInContainer(step, read);
}

/**
 * A form of `path` that is equal for equal files: local paths are made absolute and normalised
 * (`./out/a` and `out/a` compare equal); other schemes are returned unchanged.
 */
export function comparablePath(path: string): string {
  return schemeOf(path) === "file" ? nodePath.resolve(toLocalPath(path)) : path;
}

/** Filesystems by scheme; implements the filesystem operations by delegating per path. */
export class FileSystemRegistry implements FileOperations {
  private readonly bySchemes = new Map<string, FileSystem>();
  /** Filesystems created on first use (Cloud Storage's client is costly to load). */
  private readonly deferred = new Map<string, () => FileSystem>();

  /** Adds (or replaces) the filesystem for `fs.scheme`. */
  register(fs: FileSystem): void {
    this.deferred.delete(fs.scheme.toLowerCase());
    this.bySchemes.set(fs.scheme.toLowerCase(), fs);
  }

  /** @internal Registers the filesystem for `scheme`, created by `create` when a path first needs it. */
  registerDeferred(scheme: string, create: () => FileSystem): void {
    this.bySchemes.delete(scheme.toLowerCase());
    this.deferred.set(scheme.toLowerCase(), create);
  }

  /** Removes the filesystem for a scheme (for tests). */
  unregister(scheme: string): void {
    this.deferred.delete(scheme.toLowerCase());
    this.bySchemes.delete(scheme.toLowerCase());
  }

  /** The registered schemes, sorted. */
  schemes(): string[] {
    return [...this.bySchemes.keys(), ...this.deferred.keys()].sort();
  }

  /** The filesystem for a path's scheme; throws a `FileSystemError` naming the registered ones. */
  forPath(path: string): FileSystem {
    if (typeof path !== "string") {
      // Beam Python: "Unable to get the Filesystem" for a None path; untyped callers get here.
      throw new FileSystemError(
        `Expected a file path or pattern (a string), got ${String(path)}. Pass the path of a file, directory or glob.`,
        String(path),
        { code: "INVALID_ARGUMENT" },
      );
    }
    const scheme = schemeOf(path);
    const fs = this.bySchemes.get(scheme);
    if (fs) return fs;
    const create = this.deferred.get(scheme);
    if (create !== undefined) {
      const created = create();
      this.register(created);
      return created;
    }
    const known = this.schemes();
    throw new FileSystemError(
      `No filesystem is registered for scheme '${scheme}' (in path '${path}'). ` +
        `Registered schemes: ${known.length ? known.map((s) => `'${s}'`).join(", ") : "none"} ` +
        `('file' means local paths). Use a path with a registered scheme, or register a filesystem for ` +
        `'${scheme}' with FileSystems.register(...).`,
      path,
      { code: "UNKNOWN_SCHEME" },
    );
  }

  /**
   * The files matching a glob (or the one file at a plain path), sorted by path. A pattern that
   * matches nothing gives `[]`, or with `emptyMatchTreatment` "DISALLOW" (or "ALLOW_IF_WILDCARD"
   * and no wildcard) a `FileSystemError` with code "NO_MATCH" (Java's `FileSystems.match(spec,
   * EmptyMatchTreatment)`).
   */
  async match(pattern: string, options: FileSystemsMatchOptions = {}): Promise<FileMetadata[]> {
    const files = await this.forPath(pattern).match(pattern);
    const treatment = options.emptyMatchTreatment ?? "ALLOW";
    if (files.length === 0 && !(treatment === "ALLOW" || (treatment === "ALLOW_IF_WILDCARD" && hasGlobChars(pattern)))) {
      throw new FileSystemError(
        `No file matches '${pattern}', and empty matches are not allowed here (emptyMatchTreatment ${treatment}). ` +
          `Check the pattern, or pass { emptyMatchTreatment: "ALLOW" } to let it match nothing.`,
        pattern,
        { code: "NO_MATCH" },
      );
    }
    return files;
  }

  /**
   * The files matching every pattern, in pattern order (each pattern's files sorted by path),
   * without duplicates. Throws a `FileSystemError` (code "NO_MATCH") naming the pattern that
   * matches no file and what to check (several: each in `failures`, as Beam's per-pattern match
   * results), unless `allowEmpty` (a read whose `validate` is false reads nothing of such a
   * pattern, as Beam Python's FileBasedSource).
   */
  async matchAll(patterns: readonly string[], options: { readonly allowEmpty?: boolean } = {}): Promise<FileMetadata[]> {
    const results = await Promise.all(patterns.map((p) => this.match(p)));
    if (options.allowEmpty !== true) {
      const empty = patterns.filter((_, i) => results[i].length === 0);
      const failures = await Promise.all(empty.map(async (path) => ({ path, error: await this.noMatchError(path) })));
      const err = failureError("match", patterns.length, failures);
      if (err !== undefined) throw err;
    }
    const seen = new Set<string>();
    const out: FileMetadata[] = [];
    for (let i = 0; i < patterns.length; i++) {
      for (const file of results[i]) {
        const key = comparablePath(file.path);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(file);
      }
    }
    return out;
  }

  private async noMatchError(pattern: string): Promise<FileSystemError> {
    let hint: string;
    const isLocal = schemeOf(pattern) === "file";
    const local = isLocal ? toLocalPath(pattern) : pattern;
    if (!hasGlobChars(pattern) && (await this.exists(pattern).catch(() => false))) {
      hint = `'${pattern}' is a directory: to read the files in it use '${this.join(pattern, "*")}'.`;
    } else {
      hint =
        `Check that the files exist and the pattern is spelled correctly` +
        (isLocal && !nodePath.isAbsolute(local)
          ? ` (relative paths are resolved against the working directory ${process.cwd()})`
          : "") +
        `; wildcards: * and ? stay within one directory, ** also matches subdirectories.`;
    }
    return new FileSystemError(`No files match '${pattern}'. ${hint}`, pattern, { code: "NO_MATCH" });
  }

  openRead(path: string, options?: OpenReadOptions): Promise<Readable> {
    return this.forPath(path).openRead(path, options);
  }

  create(path: string, options?: CreateOptions): Promise<Writable> {
    return this.forPath(path).create(path, options);
  }

  /**
   * Renames `sources[i]` to `destinations[i]`. All are attempted; if any fail, one
   * `FileSystemError` lists each failure in `failures`. `ignoreMissingFiles` skips missing sources.
   */
  rename(sources: readonly string[], destinations: readonly string[], options: MoveOptions = {}): Promise<void> {
    return this.pairwise("rename", sources, destinations, options, (fs, s, d) => fs.rename(s, d));
  }

  /** Copies `sources[i]` to `destinations[i]`; failures and `ignoreMissingFiles` as `rename`. */
  copy(sources: readonly string[], destinations: readonly string[], options: MoveOptions = {}): Promise<void> {
    return this.pairwise("copy", sources, destinations, options, (fs, s, d) => fs.copy(s, d));
  }

  /** Deletes paths (see `FileSystem.delete`). All are attempted; failures as `rename`. */
  async delete(paths: readonly string[]): Promise<void> {
    const groups = new Map<FileSystem, string[]>();
    for (const p of paths) {
      const fs = this.forPath(p);
      const group = groups.get(fs) ?? [];
      group.push(p);
      groups.set(fs, group);
    }
    await settleGroups("delete", paths.length, [...groups].map(([fs, group]) => fs.delete(group)));
  }

  exists(path: string): Promise<boolean> {
    return this.forPath(path).exists(path);
  }

  join(base: string, ...parts: string[]): string {
    return this.forPath(base).join(base, ...parts);
  }

  dirname(path: string): string {
    return this.forPath(path).dirname(path);
  }

  checkWritable(dirOrPrefix: string): Promise<void> {
    return this.forPath(dirOrPrefix).checkWritable(dirOrPrefix);
  }

  private async pairwise(
    op: "rename" | "copy",
    sources: readonly string[],
    destinations: readonly string[],
    options: MoveOptions,
    run: (fs: FileSystem, sources: string[], destinations: string[]) => Promise<void>,
  ): Promise<void> {
    if (sources.length !== destinations.length) {
      throw new FileSystemError(
        `Cannot ${op}: got ${sources.length} sources but ${destinations.length} destinations; pass one destination per source.`,
        sources[0] ?? "",
        { code: "INVALID_ARGUMENT" },
      );
    }
    const groups = new Map<FileSystem, [string[], string[]]>();
    for (let i = 0; i < sources.length; i++) {
      const fs = this.forPath(sources[i]);
      if (this.forPath(destinations[i]) !== fs) {
        throw new FileSystemError(
          `Cannot ${op} ${sources[i]} to ${destinations[i]}: they are on different filesystems ` +
            `('${schemeOf(sources[i])}' and '${schemeOf(destinations[i])}'). Keep temporary and final files on the same filesystem.`,
          sources[i],
          { code: "INVALID_ARGUMENT" },
        );
      }
      const group = groups.get(fs) ?? [[], []];
      group[0].push(sources[i]);
      group[1].push(destinations[i]);
      groups.set(fs, group);
    }
    if (options.ignoreMissingFiles === true) {
      // As Beam Java's FileSystems: look the sources up first and leave out those that are not there.
      for (const [fs, group] of groups) {
        const present = await Promise.all(group[0].map((s) => fs.exists(s)));
        groups.set(fs, [group[0].filter((_, i) => present[i]), group[1].filter((_, i) => present[i])]);
      }
    }
    await settleGroups(
      op,
      sources.length,
      [...groups].filter(([, [s]]) => s.length > 0).map(([fs, [s, d]]) => run(fs, s, d)),
    );
  }
}

/** Waits for every filesystem's part of an operation, then throws one error listing all failures. */
async function settleGroups(op: string, total: number, parts: readonly Promise<void>[]): Promise<void> {
  const failures: FileOperationFailure[] = [];
  for (const r of await Promise.allSettled(parts)) {
    if (r.status === "fulfilled") continue;
    if (!(r.reason instanceof FileSystemError)) throw r.reason;
    failures.push(...failuresOf(r.reason));
  }
  const err = failureError(op, total, failures);
  if (err !== undefined) throw err;
}

/** The process-wide registry, with the local filesystem and Cloud Storage (gs://) registered. */
export const FileSystems = new FileSystemRegistry();
FileSystems.register(new LocalFileSystem());
FileSystems.registerDeferred("gs", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { GcsFileSystem: Gcs } = require("./gcs") as { GcsFileSystem: typeof GcsFileSystem };
  return new Gcs();
});
