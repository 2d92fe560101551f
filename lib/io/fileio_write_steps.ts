/**
 * The steps of `FileIO.writeDynamic` (lib/io/fileio_write.ts) and Beam Java's file naming: each
 * element's destination, sharding per destination, writing into the sink's temporary directory
 * (bounded) or hidden files (windowed), and the output commit that renames the files into place.
 */
import { COMPRESSION_SUFFIX, type WriteCompression } from "./compression";
import { randomId } from "../model/ids";
import { commitOutput } from "../model/commits";
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../model/dofn";
import { ValidationError } from "../model/errors";
import { BoundedWindow, GlobalWindow, IntervalWindow, KV, kv, ON_TIME_AND_ONLY_FIRING, PaneInfo } from "../model/window";
import { FileSystems } from "./filesystems/registry";
import { TextShardWriter, textFilesCommit } from "./text_files";
import { tempDirectoryFor, windowedTempPath } from "./windowed_files";

/** What a FileNaming is told about one file (Beam Java's `FileNaming.getFilename` arguments). */
export interface FileNamingContext {
  /** The window of the file's elements (the global window for bounded, non-windowed writes). */
  readonly window: BoundedWindow;
  /** The pane of the window that produced the file. */
  readonly pane: PaneInfo;
  /** This file's index among its destination's (window's, pane's) files. */
  readonly shardIndex: number;
  /** The number of files of its destination (in this window and pane). */
  readonly numShards: number;
  /** How the file is compressed. */
  readonly compression: WriteCompression;
}

/** Names one file, relative to the write's directory (Beam Java's `FileIO.Write.FileNaming`). */
export type FileNaming = (file: FileNamingContext) => string;

/**
 * Beam Java's `FileIO.Write.defaultNaming(prefix, suffix)`:
 * `<prefix>[-<windowStart>-<windowEnd>][-<paneIndex>]-SSSSS-of-NNNNN<suffix>[.gz|.deflate]`. The window is left out
 * in the global window, the pane when it is the window's only firing; shard numbers have 5 digits
 * (more if the count needs them); the compression's suffix (`.gz`, `.deflate`, as Java's
 * `Compression.getSuggestedSuffix()`) is added unless the suffix has it.
 */
export function defaultNaming(prefix: string, suffix = ""): FileNaming {
  return ({ window, pane, shardIndex, numShards, compression }) => {
    const parts: string[] = prefix === "" ? [] : [prefix];
    if (window instanceof IntervalWindow) parts.push(`${new Date(window.start).toISOString()}-${new Date(window.end).toISOString()}`);
    else if (!(window instanceof GlobalWindow)) throw new ValidationError(`FileIO defaultNaming supports interval and global windows only, got ${window.constructor.name}; pass withNaming(...) for other windows.`);
    if (!(pane.isFirst && pane.isLast)) parts.push(String(pane.index));
    const width = Math.max(5, String(numShards).length);
    parts.push(`${String(shardIndex).padStart(width, "0")}-of-${String(numShards).padStart(width, "0")}`);
    const extension = compression === "uncompressed" ? "" : COMPRESSION_SUFFIX[compression];
    const added = extension !== "" && !suffix.toLowerCase().endsWith(extension) ? extension : "";
    return parts.join("-") + suffix + added;
  };
}

/** A file written into the temporary directory, waiting for its final name. */
export interface TempFile {
  readonly destination: string;
  /** Its shard, with a fixed shard count; -1 when the runner decided (one file per bundle). */
  readonly shard: number;
  readonly tempPath: string;
}

/** A short, readable preview of an element for error messages. */
function preview(element: unknown): string {
  let text: string;
  try {
    text = typeof element === "string" ? JSON.stringify(element) : (JSON.stringify(element) ?? String(element));
  } catch {
    text = String(element);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Computes each element's destination and its line; refuses a destination that is not a string. */
export class AssignDestinations<T> extends DoFn<T, KV<string, string>> {
  constructor(
    private readonly destinationFn: (element: T) => string,
    private readonly formatFn: ((element: T) => string) | undefined,
  ) {
    super();
  }
  process(element: T, ctx: ProcessContext<KV<string, string>>): void {
    // The runner adds the step's full name (and a preview of the element) to the error.
    const where = "FileIO.writeDynamic";
    let destination: unknown;
    try {
      destination = this.destinationFn(element);
    } catch (e) {
      throw new ValidationError(`${where}: the destination function (.by) threw for element ${preview(element)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (typeof destination !== "string") {
      throw new ValidationError(`${where}: the destination function (.by) returned ${preview(destination)} (${destination === null ? "null" : typeof destination}) for element ${preview(element)}; it must return a string naming the destination.`);
    }
    const line: unknown = this.formatFn !== undefined ? this.formatFn(element) : element;
    if (typeof line !== "string") {
      throw new ValidationError(`${where}: element ${preview(element)} is not a string; format elements as lines with .via((element) => string).`);
    }
    ctx.output(kv(destination, line));
  }
}

/** The key of one destination's shard in a GroupByKey: `<shard>/<destination>` (the shard has no "/"). */
function shardKey(shard: number, destination: string): string {
  return `${shard}/${destination}`;
}
function parseShardKey(key: string): { shard: number; destination: string } {
  const slash = key.indexOf("/");
  return { shard: Number(key.slice(0, slash)), destination: key.slice(slash + 1) };
}

/** Assigns each line a shard of its destination, round robin from a random start per destination (as Beam Python). */
export class AssignShards extends DoFn<KV<string, string>, KV<string, string>> {
  private next = new Map<string, number>();
  constructor(private readonly numShards: number) {
    super();
  }
  process(line: KV<string, string>, ctx: ProcessContext<KV<string, string>>): void {
    const shard = ((this.next.get(line.key) ?? Math.floor(Math.random() * this.numShards)) + 1) % this.numShards;
    this.next.set(line.key, shard);
    ctx.output(kv(shardKey(shard, line.key), line.value));
  }
}

/** Writes each (destination, shard) group as one file in the temporary directory. */
export class WriteShardGroups extends DoFn<KV<string, string[]>, TempFile> {
  constructor(
    private readonly base: string,
    private readonly compression: WriteCompression,
    private readonly sink: string,
  ) {
    super();
  }
  async process(group: KV<string, string[]>, ctx: ProcessContext<TempFile>): Promise<void> {
    const { shard, destination } = parseShardKey(group.key);
    const fs = FileSystems.forPath(this.base);
    const tempPath = fs.join(tempDirectoryFor(this.base, ctx.runtime.runId, this.sink), `shard-${shard}-${randomId()}`);
    await TextShardWriter.writeWhole(fs, tempPath, group.value, { compression: this.compression });
    ctx.output({ destination, shard, tempPath });
  }
}

/**
 * Runner-decided sharding: one file per destination per bundle. Lines are buffered per destination
 * and streamed to a file once 8192 are waiting; at most `maxWriters` files are open at once (Beam's
 * max_writers_per_bundle, default 20): opening one more first closes the oldest, whose destination
 * then gets another file if more of its lines come.
 */
export class WriteDestinationBundles extends DoFn<KV<string, string>, TempFile> {
  private buffers = new Map<string, string[]>();
  private writers = new Map<string, TextShardWriter>();
  private closed: TempFile[] = [];

  constructor(
    private readonly base: string,
    private readonly compression: WriteCompression,
    private readonly sink: string,
    private readonly maxWriters: number,
  ) {
    super();
  }

  startBundle(): void {
    this.buffers = new Map();
    this.writers = new Map();
    this.closed = [];
  }

  private tempPath(runtime: RuntimeContext): string {
    const fs = FileSystems.forPath(this.base);
    return fs.join(tempDirectoryFor(this.base, runtime.runId, this.sink), randomId());
  }

  process(line: KV<string, string>, ctx: ProcessContext<TempFile>): void | Promise<void> {
    let buffer = this.buffers.get(line.key);
    if (buffer === undefined) this.buffers.set(line.key, (buffer = []));
    buffer.push(line.value);
    // Synchronous until a batch is full: most elements only join a buffer.
    if (buffer.length < 8192) return undefined;
    this.buffers.set(line.key, []);
    return this.flush(line.key, buffer, ctx.runtime);
  }

  private async flush(destination: string, buffer: string[], runtime: RuntimeContext): Promise<void> {
    let writer = this.writers.get(destination);
    if (writer === undefined) {
      if (this.writers.size >= this.maxWriters) {
        const [oldest, open] = this.writers.entries().next().value as [string, TextShardWriter];
        this.writers.delete(oldest);
        await open.close();
        this.closed.push({ destination: oldest, shard: -1, tempPath: open.path });
      }
      writer = await TextShardWriter.open(FileSystems.forPath(this.base), this.tempPath(runtime), { compression: this.compression });
      this.writers.set(destination, writer);
    }
    await writer.writeLines(buffer);
  }

  async finishBundle(ctx: BundleContext<TempFile>): Promise<void> {
    const fs = FileSystems.forPath(this.base);
    for (const [destination, writer] of this.writers) {
      const rest = this.buffers.get(destination) ?? [];
      if (rest.length > 0) await writer.writeLines(rest);
      await writer.close();
      this.closed.push({ destination, shard: -1, tempPath: writer.path });
      this.buffers.delete(destination);
    }
    this.writers.clear();
    for (const [destination, lines] of this.buffers) {
      if (lines.length === 0) continue;
      const tempPath = this.tempPath(ctx.runtime);
      await TextShardWriter.writeWhole(fs, tempPath, lines, { compression: this.compression });
      this.closed.push({ destination, shard: -1, tempPath });
    }
    this.buffers.clear();
    for (const f of this.closed) ctx.output(f);
    this.closed = [];
  }

  /** A failed bundle leaves open files: close them so the runner's cleanup can remove them. */
  async teardown(): Promise<void> {
    const open = [...this.writers.values()];
    this.writers.clear();
    await Promise.all(open.map((w) => w.abort()));
  }
}

/** Names every destination's files and renames them into place in one output commit. */
export class FinalizeDestinations extends DoFn<Uint8Array, KV<string, string>, {}, { written: readonly TempFile[] }> {
  constructor(private readonly spec: ResolvedSpec) {
    super();
  }
  async process(_: Uint8Array, ctx: ProcessContext<KV<string, string>, {}, { written: readonly TempFile[] }>): Promise<void> {
    const { base, directory, numShards, compression, sink } = this.spec;
    const fs = FileSystems.forPath(base);
    const tempDir = tempDirectoryFor(base, ctx.runtime.runId, sink);
    const byDestination = new Map<string, TempFile[]>();
    for (const f of ctx.sideInputs.written) {
      let files = byDestination.get(f.destination);
      if (files === undefined) byDestination.set(f.destination, (files = []));
      files.push(f);
    }
    const temps: string[] = [];
    const finals: string[] = [];
    const outputs: KV<string, string>[] = [];
    // An empty input has no destination: Beam Java then writes its empty shards for the one set by withEmptyGlobalWindowDestination.
    if (byDestination.size === 0 && this.spec.emptyDestination !== undefined) byDestination.set(this.spec.emptyDestination, []);
    for (const destination of [...byDestination.keys()].sort()) {
      const files = byDestination.get(destination)!;
      let ordered: string[];
      if (numShards > 0 || files.length === 0) {
        // A fixed shard count is honoured per destination, as in Beam: shards that got no lines are written empty.
        ordered = [];
        for (let shard = 0; shard < Math.max(numShards, 1); shard++) {
          const file = files.find((f) => f.shard === shard);
          if (file !== undefined) ordered.push(file.tempPath);
          else {
            const empty = fs.join(tempDir, `empty-${shard}-${randomId()}`);
            await TextShardWriter.writeWhole(fs, empty, [], { compression });
            ordered.push(empty);
          }
        }
      } else {
        ordered = files.map((f) => f.tempPath).sort();
      }
      ordered.forEach((tempPath, shardIndex) => {
        const name = fileName(this.spec, destination, { window: GlobalWindow.INSTANCE, pane: ON_TIME_AND_ONLY_FIRING, shardIndex, numShards: ordered.length, compression });
        const finalPath = fs.join(directory, name);
        temps.push(tempPath);
        finals.push(finalPath);
        outputs.push(kv(destination, finalPath));
      });
    }
    // One commit for all destinations: two destinations named alike are refused before any rename.
    await commitOutput(ctx.runtime, textFilesCommit(sink, temps, finals, { tempDir }));
    ctx.runtime.reportOutputs(finals);
    for (const o of outputs) ctx.output(o);
  }
}

/** Windowed writes: each (destination, shard) group of a window's pane is named and committed as it fires. */
export class WriteWindowedGroups extends DoFn<KV<string, string[]>, KV<string, string>> {
  constructor(
    private readonly spec: ResolvedSpec,
    private readonly numShards: number,
  ) {
    super();
  }
  async process(group: KV<string, string[]>, ctx: ProcessContext<KV<string, string>>): Promise<void> {
    const { shard, destination } = parseShardKey(group.key);
    const { base, directory, compression, sink } = this.spec;
    const fs = FileSystems.forPath(base);
    const name = fileName(this.spec, destination, { window: ctx.window, pane: ctx.pane, shardIndex: shard, numShards: this.numShards, compression });
    const finalPath = fs.join(directory, name);
    // Hidden beside the directory's other files (not the final name's, which may be in a subfolder), where a failed run's cleanup finds it.
    const tempPath = windowedTempPath(base, ctx.runtime.runId, sink, "");
    await TextShardWriter.writeWhole(fs, tempPath, group.value, { compression });
    await commitOutput(ctx.runtime, textFilesCommit(sink, [tempPath], [finalPath]));
    ctx.runtime.reportOutputs([finalPath]);
    ctx.output(kv(destination, finalPath));
  }
}

/** The name of one file of a destination by its FileNaming, checked: a non-empty string. */
function fileName(spec: ResolvedSpec, destination: string, file: FileNamingContext): string {
  const name: unknown = spec.naming(destination)(file);
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(
      `FileIO.writeDynamic: the file naming of destination ${JSON.stringify(destination)} returned ${preview(name)} (${name === null ? "null" : typeof name}) for shard ${file.shardIndex} of ${file.numShards}; ` +
        `it must return a non-empty file name (relative to the directory). Check the function passed to withNaming.`,
    );
  }
  return name;
}

/** What the write's steps need, resolved at expansion. */
export interface ResolvedSpec {
  readonly directory: string;
  /** A name inside the directory: the temporary files go beside it. */
  readonly base: string;
  readonly naming: (destination: string) => FileNaming;
  readonly numShards: number;
  readonly compression: WriteCompression;
  readonly sink: string;
  readonly emptyDestination?: string;
}
