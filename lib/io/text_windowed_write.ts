/**
 * Windowed writes for WriteToText: what an unbounded PCollection needs, since it never ends and
 * a single set of shards could only be written at drain. Lines are grouped per window (and shard)
 * with a GroupByKey in the input's windowing, so each window's files appear once its pane fires
 * (by default when the watermark passes the end of the window). Each shard is written to a hidden
 * file beside its final name and renamed into place (an output commit: at once on unbounded runs,
 * when the run succeeds on the DirectRunner's bounded runs), so a file either is complete or does
 * not exist; a failed run deletes the hidden files it left (`windowedTempPattern`).
 *
 * File names carry the window (ISO 8601 start and end) and, for panes after the first, the pane:
 *   <prefix>-2026-11-23T10:00:00.000Z-2026-11-23T10:01:00.000Z-00000-of-00001<suffix>
 *   <prefix>-2026-11-23T10:00:00.000Z-2026-11-23T10:01:00.000Z-pane-1-00000-of-00001<suffix>
 * The global window has no window part (an unbounded input there needs a trigger, as for any
 * GroupByKey: with the default trigger it would only fire at drain, so Beam refuses it).
 */
import { randomId, stableDigest } from "../model/ids";
import { commitOutput } from "../model/commits";
import { DoFn, ProcessContext } from "../model/dofn";
import type { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { GroupByKey } from "../model/primitives";
import { PTransform } from "../model/transform";
import { BoundedWindow, IntervalWindow, KV, kv, PaneInfo } from "../model/window";
import { FileSystems } from "./filesystems/registry";
import { Compression, shardPath, TextShardWriter, textFilesCommit } from "./text_files";

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

/** The final name of one shard of one window's pane. */
export function windowedShardPath(prefix: string, window: BoundedWindow, pane: PaneInfo, shard: number, numShards: number, suffix = ""): string {
  let name = prefix;
  if (window instanceof IntervalWindow) name += `-${new Date(window.start).toISOString()}-${new Date(window.end).toISOString()}`;
  if (pane.index > 0) name += `-pane-${pane.index}`;
  return shardPath(name, shard, numShards, suffix);
}

/** What the windowed writer needs of WriteToText's options. */
export interface WindowedWriteOptions {
  readonly suffix?: string;
  readonly numShards?: number;
  readonly header?: string;
  readonly compression?: Compression;
  readonly footer?: string;
  /** Written after each line, the header and the footer (default "\n"). */
  readonly lineSeparator?: string;
}

class WriteWindowShard extends DoFn<KV<number, string[]>, string> {
  constructor(
    private readonly prefix: string,
    private readonly options: WindowedWriteOptions,
    private readonly numShards: number,
    private readonly sink: string,
  ) {
    super();
  }

  async process(group: KV<number, string[]>, ctx: ProcessContext<string>): Promise<void> {
    const fs = FileSystems.forPath(this.prefix);
    const suffix = this.options.suffix ?? "";
    const finalPath = windowedShardPath(this.prefix, ctx.window, ctx.pane, group.key, this.numShards, suffix);
    const tempPath = windowedTempPath(finalPath, ctx.runtime.runId, this.sink, suffix);
    const { header, footer, lineSeparator } = this.options;
    await TextShardWriter.writeWhole(fs, tempPath, group.value, { header, compression: this.options.compression ?? "auto", ...(footer !== undefined ? { footer } : {}), ...(lineSeparator !== undefined ? { lineSeparator } : {}) });
    await commitOutput(ctx.runtime, textFilesCommit(this.sink, [tempPath], [finalPath]));
    ctx.runtime.reportOutputs([finalPath]);
    ctx.output(finalPath);
  }
}

/** Writes each window's lines as `numShards` files (default 1) once the window's pane fires; produces the file names. */
export class WriteWindowedText extends PTransform<PCollection<string>, PCollection<string>> {
  /** @param sink full name of the WriteToText this writes for (names its temporary files) */
  constructor(
    private readonly prefix: string,
    private readonly options: WindowedWriteOptions,
    private readonly sink: string,
  ) {
    super("WriteWindowedText");
  }

  expand(input: PCollection<string>): PCollection<string> {
    const n = Math.max(this.options.numShards ?? 0, 1);
    let next = 0;
    return input
      .map("AssignShard", (line: string) => kv((next = (next + 1) % n), line))
      .apply("GroupByWindowAndShard", GroupByKey.create())
      .apply("WriteShards", ParDo.of(new WriteWindowShard(this.prefix, this.options, n, this.sink)));
  }
}
