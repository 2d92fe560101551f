/**
 * Windowed file writes, shared by WriteToText and WriteToAvro: what an unbounded PCollection
 * needs, since it never ends and a single set of shards could only be written at drain. Elements
 * are grouped per window (and shard) with a GroupByKey in the input's windowing, so each window's
 * files appear once its pane fires (by default when the watermark passes the end of the window).
 * Each shard is written to a hidden file beside its final name and renamed into place (an output
 * commit: at once on unbounded runs, when the run succeeds on the DirectRunner's bounded runs), so
 * a file either is complete or does not exist; a failed run deletes the hidden files it left
 * (`removeWindowedLeftovers`).
 *
 * What a file holds is the format's (`WindowedFileFormat`); text and Avro files are both named
 * as Beam Java's DefaultFilenamePolicy names them (`defaultPolicyWindowedName`).
 */
import { commitOutput } from "../model/commits";
import { PipelineConstructionError } from "../model/errors";
import { DoFn, ProcessContext } from "../model/dofn";
import { randomId, stableDigest } from "../model/ids";
import type { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { GroupByKey } from "../model/primitives";
import { PTransform } from "../model/transform";
import { BoundedWindow, GlobalWindow, IntervalWindow, KV, kv, PaneInfo } from "../model/window";
import { FileSystems } from "./filesystems/registry";
import { textFilesCommit } from "./text_files";

/** Identifies one sink in one run: the run id and a digest of the sink's full name. */
function sinkRunId(runId: string, sink: string): string {
  return `${runId}-${stableDigest(sink).slice(0, 12)}`;
}

/**
 * The hidden directory beside the output where one sink (by its full name) writes its files in
 * one run, before their rename. Per sink: two sinks writing into one folder never share it.
 */
export function tempDirectoryFor(prefix: string, runId: string, sink: string): string {
  const fs = FileSystems.forPath(prefix);
  return fs.join(fs.dirname(prefix), `.temp-beamline-${sinkRunId(runId, sink)}`);
}

/** The hidden name a windowed shard is written under before its rename. */
export function windowedTempPath(finalPath: string, runId: string, sink: string, suffix: string): string {
  const fs = FileSystems.forPath(finalPath);
  return fs.join(fs.dirname(finalPath), `.beamline-tmp-${sinkRunId(runId, sink)}-${randomId()}${suffix}`);
}

/** A glob of the hidden files a sink's windowed writes under `prefix` may leave if the run fails. */
export function windowedTempPattern(prefix: string, runId: string, sink: string): string {
  const fs = FileSystems.forPath(prefix);
  return fs.join(fs.dirname(prefix), `.beamline-tmp-${sinkRunId(runId, sink)}-*`);
}

/**
 * A failed run's hidden windowed files under `prefix` go; shards of panes already committed stay
 * (unbounded runs commit each pane as it fires).
 */
export async function removeWindowedLeftovers(prefix: string, runId: string, sink: string): Promise<void> {
  const fs = FileSystems.forPath(prefix);
  const leftovers = await fs.match(windowedTempPattern(prefix, runId, sink));
  if (leftovers.length > 0) await fs.delete(leftovers.map((f) => f.path));
}

/** How one kind of file is written per window: its final names and its contents. */
export interface WindowedFileFormat<T> {
  /** Ends the hidden temporary names too (so `.gz` files are compressed there alike). */
  readonly suffix: string;
  /** The final name of shard `shard` of `numShards` of one pane of `window`. */
  fileName(window: BoundedWindow, pane: PaneInfo, shard: number, numShards: number): string;
  /** Writes a whole file of `elements` at `path`. */
  writeFile(path: string, elements: readonly T[]): Promise<void>;
}

class WriteWindowShard<T> extends DoFn<KV<number, T[]>, string> {
  constructor(
    private readonly format: WindowedFileFormat<T>,
    private readonly numShards: number,
    private readonly sink: string,
  ) {
    super();
  }

  async process(group: KV<number, T[]>, ctx: ProcessContext<string>): Promise<void> {
    const finalPath = this.format.fileName(ctx.window, ctx.pane, group.key, this.numShards);
    const tempPath = windowedTempPath(finalPath, ctx.runtime.runId, this.sink, this.format.suffix);
    await this.format.writeFile(tempPath, group.value);
    await commitOutput(ctx.runtime, textFilesCommit(this.sink, [tempPath], [finalPath]));
    ctx.runtime.reportOutputs([finalPath]);
    ctx.output(finalPath);
  }
}

/** Writes each window's elements as `numShards` files (default 1) once the window's pane fires; produces the file names. */
export class WriteWindowedFiles<T> extends PTransform<PCollection<T>, PCollection<string>> {
  /** @param sink full name of the write this is part of (names its temporary files) */
  constructor(
    private readonly format: WindowedFileFormat<T>,
    private readonly numShards: number | undefined,
    private readonly sink: string,
  ) {
    super("WriteWindowedFiles");
  }

  expand(input: PCollection<T>): PCollection<string> {
    const n = Math.max(this.numShards ?? 0, 1);
    let next = 0;
    return input
      .map("AssignShard", (element: T) => kv((next = (next + 1) % n), element))
      .apply("GroupByWindowAndShard", GroupByKey.create())
      .apply("WriteShards", ParDo.of(new WriteWindowShard<T>(this.format, n, this.sink)));
  }
}

/** Beam Java's default shard name template for windowed writes (DefaultFilenamePolicy's): window, pane, shard. */
export const DEFAULT_WINDOWED_SHARD_TEMPLATE = "W-P-SSSSS-of-NNNNN";

/**
 * `template` (default `W-P-SSSSS-of-NNNNN`) checked for a windowed write: it must name the window
 * and the pane, or files of two windows or panes would replace each other (Beam Java: "unique
 * windows and triggers must produce unique filenames").
 */
export function windowedShardTemplate(sink: string, template: string = DEFAULT_WINDOWED_SHARD_TEMPLATE): string {
  const missing = [/W/.test(template) ? "" : "W (the window)", /P/.test(template) ? "" : "P (the pane)"].filter((m) => m !== "");
  if (missing.length > 0) {
    throw new PipelineConstructionError(
      `${sink}: windowed writes name one set of files per window and pane, but shardNameTemplate "${template}" lacks ${missing.join(" and ")}, so files of different windows or panes would replace each other; add it (Beam Java's default is "${DEFAULT_WINDOWED_SHARD_TEMPLATE}"), or leave shardNameTemplate unset.`,
    );
  }
  return template;
}

/**
 * A windowed file's name as Beam Java's DefaultFilenamePolicy makes it (AvroIO's and TextIO's
 * `withWindowedWrites()`): `prefix + template + suffix`, where in the template (default
 * `W-P-SSSSS-of-NNNNN`) `W` is the window (`<start>-<end>` in ISO 8601, or `GlobalWindow`), `P`
 * the pane (`pane-<index>`, then `-late` for a late pane and `-last` for the window's last), and
 * runs of `S` and `N` the zero-padded shard number and count. Note there is no separator between
 * the prefix and the window, as in Beam: `out/users2026-11-23T10:00:00.000Z-2026-11-23T10:01:00.000Z-pane-0-last-00000-of-00001.avro`.
 */
export function defaultPolicyWindowedName(prefix: string, template: string, suffix: string, window: BoundedWindow, pane: PaneInfo, shard: number, numShards: number): string {
  const windowString =
    window instanceof IntervalWindow ? `${new Date(window.start).toISOString()}-${new Date(window.end).toISOString()}` : window instanceof GlobalWindow ? "GlobalWindow" : String(window);
  let paneString = `pane-${pane.index}`;
  if (pane.timing === "LATE") paneString += "-late";
  if (pane.isLast) paneString += "-last";
  const name = template.replace(/S+|N+|W|P/g, (run) => {
    if (run === "W") return windowString;
    if (run === "P") return paneString;
    return String(run[0] === "S" ? shard : numShards).padStart(run.length, "0");
  });
  return prefix + name + suffix;
}
