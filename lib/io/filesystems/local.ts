/**
 * The local filesystem (scheme "file"): plain paths (`/abs`, `./rel`, `rel`) and `file:///abs`.
 * Globs are matched by walking directories from the pattern's literal prefix with compiled
 * per-segment matchers, so only directories that can match are listed. Symbolic links are
 * followed (directory cycles under `**` are visited once). Reads and writes are streams.
 */
import { mkdirSync, promises as fsp, type Stats, writeFileSync } from "node:fs";
import * as nodePath from "node:path";
import { Readable, type Writable } from "node:stream";
import {
  errnoCode,
  FileSystemError,
  forEachPath,
  type CreateOptions,
  type FileMetadata,
  type FileSystem,
  type OpenReadOptions,
} from "./filesystem";
import { compileGlob, hasGlobChars, unescapeGlob, type CompiledGlob } from "./glob";

/**
 * Strips a `file:` prefix, as Beam Java's LocalFileSystem: `file:///a/b`, `file://a/b` and
 * `file:/a/b` are all `/a/b` (a `file:` URI names an absolute path; there is no host part).
 * Other paths are returned unchanged.
 */
export function toLocalPath(path: string): string {
  const m = /^file:\/+/i.exec(path);
  return m === null ? path : "/" + path.slice(m[0].length);
}

const WRITE_BUFFER_BYTES = 1 << 20;
const DEFAULT_READ_BUFFER_BYTES = 1 << 16;

/**
 * Why directories cannot be created under `path` (the reason for ENOTDIR / EEXIST): its nearest
 * existing ancestor is a file, or a symbolic link to something that does not exist. Undefined if
 * neither.
 */
async function blockingAncestor(path: string): Promise<string | undefined> {
  let cur = nodePath.dirname(nodePath.resolve(path));
  for (;;) {
    const link = await fsp.lstat(cur).catch(() => undefined);
    if (link !== undefined) {
      const st = await fsp.stat(cur).catch(() => undefined);
      if (st === undefined && link.isSymbolicLink()) {
        const target = await fsp.readlink(cur).catch(() => "?");
        return `${cur} is a symbolic link to ${target}, which does not exist`;
      }
      return st === undefined || st.isDirectory() ? undefined : `${cur} is a file, not a directory`;
    }
    const parent = nodePath.dirname(cur);
    if (parent === cur) return undefined;
    cur = parent;
  }
}

function cwdHint(path: string): string {
  return nodePath.isAbsolute(path) ? "" : ` (relative paths are resolved against the working directory ${process.cwd()})`;
}

/**
 * Turns a Node error into a `FileSystemError` that says what failed and how to fix it.
 * `action` reads like "write /x/y"; `subject` is the path the error is about.
 */
export async function localError(
  action: string,
  subject: string,
  err: unknown,
  kind: "read" | "write" = "read",
): Promise<FileSystemError> {
  if (err instanceof FileSystemError) return err;
  const code = errnoCode(err);
  let reason: string;
  switch (code) {
    case "ENOENT":
      reason = `${subject} does not exist. Check the path${cwdHint(subject)}`;
      break;
    case "EACCES":
    case "EPERM":
      reason =
        kind === "write"
          ? `no permission to write ${subject}. Choose an output location you can write to (e.g. another --output), or change its permissions`
          : `no permission to read ${subject}. Fix its permissions or read a copy you can access`;
      break;
    case "ENOTDIR":
    case "EEXIST": {
      const blocker = await blockingAncestor(subject);
      reason =
        `${blocker ?? "a parent of " + subject + " is a file, not a directory"}. ` +
        `Choose a path whose parent directories are directories or do not exist yet`;
      break;
    }
    case "EISDIR":
      reason =
        kind === "read"
          ? `${subject} is a directory, not a file. To read the files in it use a pattern such as '${nodePath.join(subject, "*")}'`
          : `${subject} is a directory, not a file. Choose a file path or prefix inside it, such as '${nodePath.join(subject, "part")}'`;
      break;
    case "EROFS":
      reason = `${subject} is on a read-only filesystem. Choose a writable location`;
      break;
    case "ENOSPC":
    case "EDQUOT":
      reason = `no space left on the device holding ${subject}. Free some space or choose another location`;
      break;
    case "EMFILE":
    case "ENFILE":
      reason = `too many open files. Raise the limit (ulimit -n) or lower the parallelism`;
      break;
    default:
      reason = err instanceof Error ? err.message : String(err);
  }
  return new FileSystemError(`Cannot ${action}: ${reason}.`, subject, { cause: err });
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === "ENOENT" || code === "ENOTDIR";
}

function metadata(path: string, st: Stats): FileMetadata {
  return { path, sizeBytes: st.size, lastModifiedMillis: st.mtimeMs };
}

function comparePaths(a: FileMetadata, b: FileMetadata): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function checkPairs(sources: readonly string[], destinations: readonly string[], op: string): void {
  if (sources.length !== destinations.length) {
    throw new FileSystemError(
      `Cannot ${op}: got ${sources.length} sources but ${destinations.length} destinations; pass one destination per source.`,
      sources[0] ?? "",
      { code: "INVALID_ARGUMENT" },
    );
  }
}

/** The local filesystem. Stateless; one instance is registered in `FileSystems`. */
export class LocalFileSystem implements FileSystem {
  readonly scheme = "file";

  async match(pattern: string): Promise<FileMetadata[]> {
    const p = toLocalPath(pattern);
    if (!hasGlobChars(p)) {
      const literal = unescapeGlob(p);
      try {
        const st = await fsp.stat(literal);
        return st.isFile() ? [metadata(literal, st)] : [];
      } catch (err) {
        if (isMissing(err)) return [];
        throw await localError(`list ${literal}`, literal, err);
      }
    }
    const glob = compileGlob(p);
    const found: FileMetadata[] = [];
    await this.walk(glob, glob.base === "" ? "." : glob.base, "", 0, found, new Set(), false);
    return found.sort(comparePaths);
  }

  private async walk(
    glob: CompiledGlob,
    dir: string,
    rel: string,
    depth: number,
    found: FileMetadata[],
    visited: Set<string>,
    /** Whether directories the pattern matches are found too (for delete); they are not descended. */
    includeDirs: boolean,
  ): Promise<void> {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw await localError(`list ${dir}`, dir, err);
    }
    const { base, segments, globstarAt } = glob;
    const prefix = base === "" ? "" : base.endsWith("/") ? base : base + "/";
    // Names the pattern rules out are dropped before any async work: an output prefix in a directory of
    // thousands of files would otherwise cost a promise (and, with async hooks on, their bookkeeping) each.
    const candidates = depth < globstarAt ? entries.filter((entry) => segments[depth].regex!.test(entry.name)) : entries;
    await Promise.all(
      candidates.map(async (entry) => {
        const name = entry.name;
        const full = nodePath.join(dir, name);
        const relPath = rel === "" ? name : rel + "/" + name;
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        let st: Stats | undefined;
        if (entry.isSymbolicLink()) {
          try {
            st = await fsp.stat(full);
          } catch {
            return; // dangling link
          }
          isDir = st.isDirectory();
          isFile = st.isFile();
          if (isDir && depth >= globstarAt) {
            const real = await fsp.realpath(full);
            if (visited.has(real)) return;
            visited.add(real);
          }
        }
        const last = depth === segments.length - 1;
        if (isFile) {
          const matches = depth < globstarAt ? last : glob.relative.test(relPath);
          if (!matches) return;
          try {
            found.push(metadata(prefix + relPath, st ?? (await fsp.stat(full))));
          } catch (err) {
            if (!isMissing(err)) throw await localError(`list ${full}`, full, err);
          }
        } else if (isDir && includeDirs && (depth < globstarAt ? last : glob.relative.test(relPath))) {
          found.push({ path: prefix + relPath, sizeBytes: 0 });
        } else if (isDir && (depth >= globstarAt || !last)) {
          await this.walk(glob, full, relPath, depth + 1, found, visited, includeDirs);
        }
      }),
    );
  }

  async openRead(path: string, options: OpenReadOptions = {}): Promise<Readable> {
    const p = toLocalPath(path);
    const start = options.start ?? 0;
    const end = options.end === undefined || options.end === Infinity ? undefined : options.end;
    if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < 0))) {
      throw new FileSystemError(
        `Cannot read ${path}: invalid byte range [${start}, ${options.end}); use non-negative integers.`,
        path,
        { code: "INVALID_ARGUMENT" },
      );
    }
    let handle;
    try {
      handle = await fsp.open(p, "r");
    } catch (err) {
      throw await localError(`read ${path}`, path, err);
    }
    try {
      if ((await handle.stat()).isDirectory()) {
        throw Object.assign(new Error(`EISDIR: ${p} is a directory`), { code: "EISDIR" });
      }
    } catch (err) {
      await handle.close();
      throw await localError(`read ${path}`, path, err);
    }
    if (end !== undefined && end <= start) {
      await handle.close();
      return Readable.from([]);
    }
    return handle.createReadStream({
      start,
      ...(end !== undefined ? { end: end - 1 } : {}),
      highWaterMark: options.bufferSize ?? DEFAULT_READ_BUFFER_BYTES,
    });
  }

  async create(path: string, _options?: CreateOptions): Promise<Writable> {
    const p = toLocalPath(path);
    try {
      await fsp.mkdir(nodePath.dirname(p), { recursive: true });
      const handle = await fsp.open(p, "w");
      return handle.createWriteStream({ highWaterMark: WRITE_BUFFER_BYTES });
    } catch (err) {
      throw await localError(`write ${path}`, path, err, "write");
    }
  }

  /**
   * Synchronous: a stream costs four round trips to the I/O thread pool (mkdir, open, write,
   * close), each waiting for a thread to be scheduled, which on a busy machine takes longer than
   * the write itself. Callers keep this to small files, so the event loop is held well under 1 ms.
   */
  async writeSmallFile(path: string, data: Uint8Array): Promise<void> {
    const p = toLocalPath(path);
    try {
      mkdirSync(nodePath.dirname(p), { recursive: true });
      writeFileSync(p, data);
    } catch (err) {
      throw await localError(`write ${path}`, path, err, "write");
    }
  }

  async rename(sources: readonly string[], destinations: readonly string[]): Promise<void> {
    checkPairs(sources, destinations, "rename");
    await forEachPath(
      "rename",
      sources.map((source, i) => i),
      (i) => ({ path: sources[i], destination: destinations[i] }),
      async (i) => {
        const source = sources[i];
        const from = toLocalPath(source);
        const to = toLocalPath(destinations[i]);
        // The destination's directory is made only when the rename finds it missing: it usually
        // exists, and each call is a round trip to the I/O thread pool.
        const attempt = (): Promise<unknown> => fsp.rename(from, to).then(() => undefined, (e: unknown) => e);
        let err = await attempt();
        if (err === undefined) return;
        if (errnoCode(err) === "ENOENT") {
          try {
            await fsp.mkdir(nodePath.dirname(to), { recursive: true });
          } catch (e) {
            throw await localError(`rename ${source} to ${destinations[i]}`, destinations[i], e, "write");
          }
          err = await attempt();
          if (err === undefined) return;
        }
        if (errnoCode(err) !== "EXDEV") {
          const subject = errnoCode(err) === "ENOENT" ? source : destinations[i];
          throw await localError(`rename ${source} to ${destinations[i]}`, subject, err, "write");
        }
        try {
          await fsp.copyFile(from, to); // across devices
          await fsp.unlink(from);
        } catch (err2) {
          throw await localError(`rename ${source} to ${destinations[i]}`, destinations[i], err2, "write");
        }
      },
    );
  }

  async copy(sources: readonly string[], destinations: readonly string[]): Promise<void> {
    checkPairs(sources, destinations, "copy");
    await forEachPath(
      "copy",
      sources.map((source, i) => i),
      (i) => ({ path: sources[i], destination: destinations[i] }),
      async (i) => {
        const source = sources[i];
        const from = toLocalPath(source);
        const to = toLocalPath(destinations[i]);
        try {
          await fsp.mkdir(nodePath.dirname(to), { recursive: true });
          try {
            await fsp.copyFile(from, to);
          } catch (err) {
            // A directory is copied with what is in it (Beam Python's copy of a directory).
            if (errnoCode(err) !== "EISDIR" || !(await fsp.stat(from)).isDirectory()) throw err;
            await fsp.cp(from, to, { recursive: true, force: true });
          }
        } catch (err) {
          const subject = errnoCode(err) === "ENOENT" ? source : destinations[i];
          throw await localError(`copy ${source} to ${destinations[i]}`, subject, err, "write");
        }
      },
    );
  }

  /**
   * A path that exists is deleted as itself (with everything under it if it is a directory). One
   * that does not but has wildcards is a glob (Beam Python's local delete): every file and directory
   * it matches is deleted. Nothing there is not an error (Beam Java's delete).
   */
  async delete(paths: readonly string[]): Promise<void> {
    const rm = async (path: string, local: string): Promise<void> => {
      try {
        await fsp.rm(local, { recursive: true, force: true });
      } catch (err) {
        if (!isMissing(err)) throw await localError(`delete ${path}`, path, err, "write");
      }
    };
    await forEachPath(
      "delete",
      paths,
      (path) => ({ path }),
      async (path) => {
        const local = toLocalPath(path);
        if (hasGlobChars(local) && !(await fsp.lstat(local).then(() => true, () => false))) {
          const glob = compileGlob(local);
          const found: FileMetadata[] = [];
          try {
            await this.walk(glob, glob.base === "" ? "." : glob.base, "", 0, found, new Set(), true);
          } catch (err) {
            throw await localError(`delete ${path}`, path, err, "write");
          }
          await Promise.all(found.map((f) => rm(path, f.path)));
          return;
        }
        await rm(path, local);
      },
    );
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.stat(toLocalPath(path));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw await localError(`check ${path}`, path, err);
    }
  }

  join(base: string, ...parts: string[]): string {
    return nodePath.join(toLocalPath(base), ...parts);
  }

  dirname(path: string): string {
    const p = toLocalPath(path);
    if (p.length > 1 && p.endsWith("/")) return p.replace(/\/+$/, "") || "/";
    return nodePath.dirname(p);
  }

  /**
   * Finds the nearest existing directory of the output, then creates and removes a probe directory
   * in it: permission bits alone do not tell (root passes every access check, yet cannot create
   * entries in /proc or /sys), and a dangling symbolic link on the way is named as such.
   */
  async checkWritable(dirOrPrefix: string): Promise<void> {
    const p = toLocalPath(dirOrPrefix);
    let target = p;
    if (!p.endsWith("/")) {
      const st = await fsp.stat(p).catch(() => undefined);
      if (!st?.isDirectory()) target = nodePath.dirname(p);
    }
    let cur = nodePath.resolve(target);
    for (;;) {
      let st: Stats;
      try {
        st = await fsp.stat(cur);
      } catch (err) {
        const parent = nodePath.dirname(cur);
        if (!isMissing(err) || parent === cur) throw await localError(`write to ${dirOrPrefix}`, cur, err, "write");
        if ((await fsp.lstat(cur).catch(() => undefined))?.isSymbolicLink() === true) {
          const link = await fsp.readlink(cur).catch(() => "?");
          throw new FileSystemError(
            `Cannot write to ${dirOrPrefix}: ${cur} is a symbolic link to ${link}, which does not exist. Create the link's target or choose another output location.`,
            dirOrPrefix,
            { code: "ENOTDIR" },
          );
        }
        cur = parent; // will be created
        continue;
      }
      if (!st.isDirectory()) {
        throw new FileSystemError(
          `Cannot write to ${dirOrPrefix}: ${cur} is a file, not a directory. ` +
            `Choose an output location (e.g. another --output) whose parent directories are directories or do not exist yet.`,
          dirOrPrefix,
          { code: "ENOTDIR" },
        );
      }
      let probe: string;
      try {
        probe = await fsp.mkdtemp(nodePath.join(cur, ".beamline-probe-"));
      } catch (err) {
        if (isMissing(err)) {
          // ENOENT although the directory exists: a virtual file system (procfs) that takes no new entries.
          throw new FileSystemError(
            `Cannot write to ${dirOrPrefix}: no files can be created in ${cur} (a virtual file system such as /proc or /sys?). Choose another output location.`,
            dirOrPrefix,
            { cause: err, code: "EACCES" },
          );
        }
        throw await localError(`write to ${dirOrPrefix}`, cur, err, "write");
      }
      await fsp.rmdir(probe);
      return;
    }
  }
}
