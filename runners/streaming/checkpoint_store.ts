/**
 * Where the streaming driver keeps its checkpoints: plain files in `--checkpoint_dir`, one per
 * checkpoint, written whole and atomically.
 *
 * Why plain files: a checkpoint is one snapshot of the driver's whole state, written every few
 * seconds and read only after a crash, so what the store must give is atomicity and durability of
 * one blob, not queries or in-place updates. A file written under a temporary name, flushed
 * (fsync), renamed into place and its directory flushed gives exactly that on every POSIX file
 * system, with nothing to install (an embedded database would add a native module for the same
 * guarantee). Each file ends with a SHA-256 of its contents, so a file torn by a crash of the
 * machine (rename before the data reached the disk, on a file system that allows that) is
 * recognised and skipped for the previous one. The last two checkpoints are kept.
 *
 * Layout of `checkpoint-<seq, 12 digits>.ckpt`: the magic `BEAMLINE-CKPT`, a format version
 * byte, the body (see checkpoint.ts), then the 32-byte SHA-256 of everything before it.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const MAGIC = Buffer.from("BEAMLINE-CKPT", "ascii");
const FORMAT_VERSION = 1;
const DIGEST_BYTES = 32;
const NAME = /^checkpoint-(\d{12})\.ckpt$/;
/** Checkpoints kept: the newest, and the one before it in case the newest turns out unreadable. */
const KEEP = 2;

/** A checkpoint as read back. */
export interface StoredCheckpoint {
  readonly seq: number;
  readonly file: string;
  readonly body: Uint8Array;
}

export class CheckpointStore {
  readonly durable = true;
  constructor(readonly dir: string) {}

  /** Creates the directory if needed; fails with a clear message if it cannot be written. */
  prepare(): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.accessSync(this.dir, fs.constants.W_OK);
    } catch (e) {
      throw new Error(`--checkpoint_dir ${this.dir} cannot be created or written: ${(e as Error).message}`);
    }
  }

  private files(): { seq: number; file: string }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .map((n) => ({ m: NAME.exec(n), n }))
      .filter((x): x is { m: RegExpExecArray; n: string } => x.m !== null)
      .map(({ m, n }) => ({ seq: Number(m[1]), file: path.join(this.dir, n) }))
      .sort((a, b) => b.seq - a.seq);
  }

  /**
   * The newest intact checkpoint, or undefined if there is none. A damaged newer file is
   * reported through `warn` and skipped.
   */
  latest(warn: (message: string) => void): StoredCheckpoint | undefined {
    for (const { seq, file } of this.files()) {
      const bytes = fs.readFileSync(file);
      const body = verify(bytes);
      if (body !== undefined) return { seq, file, body };
      warn(`Checkpoint ${file} is damaged (incomplete or its checksum does not match); trying an earlier one.`);
    }
    return undefined;
  }

  /** Writes checkpoint `seq` atomically and durably, then drops all but the newest KEEP. */
  async write(seq: number, body: Uint8Array): Promise<string> {
    const final = path.join(this.dir, `checkpoint-${String(seq).padStart(12, "0")}.ckpt`);
    const temp = path.join(this.dir, `.checkpoint-${String(seq).padStart(12, "0")}.tmp`);
    const header = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION])]);
    const digest = createHash("sha256").update(header).update(body).digest();
    const handle = await fs.promises.open(temp, "w");
    try {
      await handle.writev([header, body, digest]);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, final);
    await syncDirectory(this.dir);
    for (const old of this.files().slice(KEEP)) await fs.promises.rm(old.file, { force: true });
    return final;
  }

  /**
   * Removes every checkpoint (after a drain: nothing is left to resume), the oldest first: dying
   * part-way leaves the newest (a drain's), never an older one alone to resume from.
   */
  async clear(): Promise<void> {
    for (const { file } of this.files().reverse()) await fs.promises.rm(file, { force: true });
    let names: string[] = [];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch {
      return;
    }
    for (const n of names) if (/^\.checkpoint-\d{12}\.tmp$/.test(n)) await fs.promises.rm(path.join(this.dir, n), { force: true });
  }
}

/** The body of a checkpoint file, or undefined if it is not an intact checkpoint of this format. */
function verify(bytes: Buffer): Uint8Array | undefined {
  const headerLength = MAGIC.length + 1;
  if (bytes.length < headerLength + DIGEST_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC) || bytes[MAGIC.length] !== FORMAT_VERSION) return undefined;
  const end = bytes.length - DIGEST_BYTES;
  const digest = createHash("sha256").update(bytes.subarray(0, end)).digest();
  if (!digest.equals(bytes.subarray(end))) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset + headerLength, end - headerLength);
}

/** Flushes a directory's entries (the rename), where the platform allows opening a directory. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, "r");
    await handle.sync();
  } catch {
    // Windows cannot open a directory for fsync; the rename is as durable as the platform makes it.
  } finally {
    await handle?.close();
  }
}
