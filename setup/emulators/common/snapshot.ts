/**
 * Optional persistence for an emulator's state: one JSON snapshot file per service in `--data_dir`.
 *
 * Stores call `changed()` after every mutation; the snapshot is written shortly after (changes in
 * the same burst are coalesced into one write) and once more, synchronously, on `close()`. Writes go
 * to a temporary file that is then renamed over the old one, so a crash never leaves half a file.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** How long to wait after a change before writing, to coalesce bursts of mutations. */
const WRITE_DELAY_MS = 100;

export class SnapshotFile<T> {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param file where the snapshot lives; `undefined` means in-memory only (every method is a no-op).
   * @param capture produces the current state to write.
   */
  constructor(
    private readonly file: string | undefined,
    private readonly capture: () => T,
  ) {}

  /** Builds the snapshot for `service` in `dataDir`, or an in-memory-only one without a dir. */
  static inDir<T>(dataDir: string | undefined, service: string, capture: () => T): SnapshotFile<T> {
    if (dataDir === undefined) return new SnapshotFile<T>(undefined, capture);
    fs.mkdirSync(dataDir, { recursive: true });
    return new SnapshotFile<T>(path.join(dataDir, `${service}.json`), capture);
  }

  /** The previously written state, or `undefined` if there is none (or persistence is off). */
  load(): T | undefined {
    if (this.file === undefined || !fs.existsSync(this.file)) return undefined;
    return JSON.parse(fs.readFileSync(this.file, "utf8")) as T;
  }

  changed(): void {
    if (this.file === undefined || this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeNow();
    }, WRITE_DELAY_MS);
    // A pending write must not keep a process (e.g. a test run) alive on its own.
    this.timer.unref();
  }

  /** Writes any pending change now and stops further writes. */
  close(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.writeNow();
    this.closed = true;
  }

  private writeNow(): void {
    if (this.file === undefined) return;
    const tmp = `${this.file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(this.capture()));
    fs.renameSync(tmp, this.file);
  }
}
