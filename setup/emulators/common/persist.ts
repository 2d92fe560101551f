/**
 * Persistence for the emulators' `--data_dir`: each service keeps a directory of small files
 * (a catalog, one file per table or subscription, object bytes as their own files) instead of one
 * snapshot of everything, so a change rewrites only what it touched and no file has to be built as
 * one giant string.
 *
 * - Files are written atomically: to a temporary file, flushed to disk, then renamed over the old
 *   one; a crash leaves the old or the new version, never half of one.
 * - Records are written one JSON line at a time (NDJSON), and read back line by line.
 * - Writes are scheduled, not done per change: changes in a burst are coalesced, and the next write
 *   waits at least four times as long as the previous one took, so persisting a large state can
 *   never take more than a fifth of the event loop. A write that fails is reported on stderr and
 *   retried at the next change; it never crashes the emulator.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Minimum delay after a change before writing, to coalesce bursts of mutations. */
const MIN_WRITE_DELAY_MS = 100;
/** The next write waits at least this many times the duration of the previous one. */
const BACKOFF_FACTOR = 4;
/** Lines are buffered up to this size before each write call. */
const WRITE_BUFFER_BYTES = 1 << 20;

/** Builds a file's content one piece at a time. */
export class LineWriter {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  /** Writes `value` as one JSON line. */
  line(value: unknown): void {
    this.push(Buffer.from(`${JSON.stringify(value)}\n`, "utf8"));
  }

  push(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.size += chunk.length;
    if (this.size >= WRITE_BUFFER_BYTES) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    const data = Buffer.concat(this.buffered);
    this.buffered = [];
    this.size = 0;
    for (let off = 0; off < data.length; ) off += fs.writeSync(this.fd, data, off);
  }
}

/** Replaces `file` atomically with what `fill` writes. */
export function writeFileAtomic(file: string, fill: (out: LineWriter) => void): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, "w");
  try {
    const out = new LineWriter(fd);
    fill(out);
    out.flush();
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** Replaces `file` atomically with `value` as JSON. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, (out) => out.line(value));
}

/** Deletes the files in `dir` whose names are not in `keep` (data of deleted tables, subscriptions...). */
export function removeFilesExcept(dir: string, keep: ReadonlySet<string>): void {
  for (const name of fs.readdirSync(dir)) if (!keep.has(name)) fs.rmSync(path.join(dir, name), { force: true });
}

/** Appends JSON lines to `file` (not atomic: a torn last line is skipped by `readLines`). */
export function appendLines(file: string, values: Iterable<unknown>): void {
  const fd = fs.openSync(file, "a");
  try {
    const out = new LineWriter(fd);
    for (const v of values) out.line(v);
    out.flush();
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a file of JSON lines, in chunks (a file may be larger than a string can be). A last line
 * without its newline is a torn append and is skipped.
 */
export function* readLines<T>(file: string): Generator<T> {
  const fd = fs.openSync(file, "r");
  try {
    const chunk = Buffer.alloc(WRITE_BUFFER_BYTES);
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      let data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        if (nl > start) yield JSON.parse(data.toString("utf8", start, nl)) as T;
        start = nl + 1;
      }
      // Copy the partial line: `chunk` is reused by the next read.
      data = data.subarray(start);
      carry = Buffer.from(data);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a whole JSON file, or `undefined` if it does not exist. */
export function readJsonFile<T>(file: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

/** A service's directory under `--data_dir` (created if needed), or `undefined` for memory only. */
export function serviceDir(dataDir: string | undefined, service: string, ...sub: string[]): string | undefined {
  if (dataDir === undefined) return undefined;
  const dir = path.join(dataDir, service);
  for (const s of ["", ...sub]) fs.mkdirSync(path.join(dir, s), { recursive: true });
  return dir;
}

/**
 * The state file of an older emulator version (`<dataDir>/<service>.json`, one snapshot of
 * everything), if present and not yet migrated: the caller loads it and `retireLegacySnapshot`
 * renames it once the new layout is written.
 */
export function legacySnapshot<T>(dataDir: string | undefined, service: string): T | undefined {
  return dataDir === undefined ? undefined : readJsonFile<T>(path.join(dataDir, `${service}.json`));
}

export function retireLegacySnapshot(dataDir: string, service: string): void {
  const file = path.join(dataDir, `${service}.json`);
  if (fs.existsSync(file)) fs.renameSync(file, `${file}.migrated`);
}

/** Schedules a store's `persist()` after changes (see the module comment); a no-op without a data dir. */
export class PersistScheduler {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastDurationMs = 0;
  private reportedError: string | undefined;

  constructor(
    private readonly persist: (() => void) | undefined,
    private readonly service: string,
  ) {}

  changed(): void {
    if (this.persist === undefined || this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, Math.max(MIN_WRITE_DELAY_MS, BACKOFF_FACTOR * this.lastDurationMs));
    // A pending write must not keep a process (e.g. a test run) alive on its own.
    this.timer.unref();
  }

  /** Writes now. A failure is reported (once per distinct message) and the write retried a little later. */
  flush(): void {
    if (this.persist === undefined) return;
    const started = Date.now();
    let failed = false;
    try {
      this.persist();
      this.reportedError = undefined;
    } catch (e) {
      failed = true;
      const message = e instanceof Error ? e.message : String(e);
      if (message !== this.reportedError) process.stderr.write(`${this.service} emulator: could not save its state in --data_dir (will retry): ${message}\n`);
      this.reportedError = message;
    }
    this.lastDurationMs = Math.max(Date.now() - started, failed ? 250 : 0);
    if (failed) this.changed();
  }

  /** Writes any pending change now and stops further writes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
