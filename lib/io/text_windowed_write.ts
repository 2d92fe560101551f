/**
 * Windowed writes for WriteToText (Beam Java's `TextIO.write().withWindowedWrites()`; Beam
 * Python's WriteToText has none), on the shared mechanism of windowed_files.ts (one GroupByKey per
 * window and shard, each file written under a hidden name and renamed into place).
 *
 * Files are named as Java's DefaultFilenamePolicy names them: `prefix + template + suffix`, the
 * template `W-P-SSSSS-of-NNNNN` by default (no separator after the prefix, as in Beam):
 *   <prefix>2026-11-23T10:00:00.000Z-2026-11-23T10:01:00.000Z-pane-0-last-00000-of-00001<suffix>
 */
import type { BoundedWindow, PaneInfo } from "../model/window";
import { FileSystems } from "./filesystems/registry";
import { Compression, TextShardWriter } from "./text_files";
import { defaultPolicyWindowedName, type WindowedFileFormat, WriteWindowedFiles } from "./windowed_files";

/** What the windowed writer needs of WriteToText's options. */
export interface WindowedWriteOptions {
  readonly suffix?: string;
  readonly numShards?: number;
  /** Checked by `windowedShardTemplate`: it names the window (W) and the pane (P). */
  readonly shardNameTemplate: string;
  readonly header?: string;
  readonly compression?: Compression;
  readonly footer?: string;
  /** Written after each line, the header and the footer (default "\n"). */
  readonly lineSeparator?: string;
}

/** WriteToText's files: lines with the header and footer, named by DefaultFilenamePolicy. */
class TextFiles implements WindowedFileFormat<string> {
  readonly suffix: string;
  constructor(
    private readonly prefix: string,
    private readonly options: WindowedWriteOptions,
  ) {
    this.suffix = options.suffix ?? "";
  }
  fileName(window: BoundedWindow, pane: PaneInfo, shard: number, numShards: number): string {
    return defaultPolicyWindowedName(this.prefix, this.options.shardNameTemplate, this.suffix, window, pane, shard, numShards);
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
