/**
 * Windowed writes for WriteToText, on the shared mechanism of windowed_files.ts (one GroupByKey
 * per window and shard, each file written under a hidden name and renamed into place).
 *
 * File names carry the window (ISO 8601 start and end) and, for panes after the first, the pane:
 *   <prefix>-2026-11-23T10:00:00.000Z-2026-11-23T10:01:00.000Z-00000-of-00001<suffix>
 *   <prefix>-2026-11-23T10:00:00.000Z-2026-11-23T10:01:00.000Z-pane-1-00000-of-00001<suffix>
 * The global window has no window part (an unbounded input there needs a trigger, as for any
 * GroupByKey: with the default trigger it would only fire at drain, so Beam refuses it).
 */
import { BoundedWindow, IntervalWindow, PaneInfo } from "../model/window";
import { FileSystems } from "./filesystems/registry";
import { Compression, shardPath, TextShardWriter } from "./text_files";
import { type WindowedFileFormat, WriteWindowedFiles } from "./windowed_files";

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

/** WriteToText's files: lines with the header and footer, named by `windowedShardPath`. */
class TextFiles implements WindowedFileFormat<string> {
  readonly suffix: string;
  constructor(
    private readonly prefix: string,
    private readonly options: WindowedWriteOptions,
  ) {
    this.suffix = options.suffix ?? "";
  }
  fileName(window: BoundedWindow, pane: PaneInfo, shard: number, numShards: number): string {
    return windowedShardPath(this.prefix, window, pane, shard, numShards, this.suffix);
  }
  async writeFile(path: string, lines: readonly string[]): Promise<void> {
    const { header, footer, lineSeparator } = this.options;
    await TextShardWriter.writeWhole(FileSystems.forPath(this.prefix), path, lines, { header, compression: this.options.compression ?? "auto", ...(footer !== undefined ? { footer } : {}), ...(lineSeparator !== undefined ? { lineSeparator } : {}) });
  }
}

/** Writes each window's lines as `numShards` files (default 1) once the window's pane fires; produces the file names. */
export class WriteWindowedText extends WriteWindowedFiles<string> {
  /** @param sink full name of the WriteToText this writes for (names its temporary files) */
  constructor(prefix: string, options: WindowedWriteOptions, sink: string) {
    super(new TextFiles(prefix, options), options.numShards, sink);
  }
}
