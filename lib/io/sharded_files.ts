/**
 * The parts a sharded, all-or-nothing file write shares (TFRecord and Avro; WriteToText has its
 * own, with headers, footers and size caps): temporary files in a hidden directory beside the
 * output, then one step that names them `<prefix>-SSSSS-of-NNNNN<suffix>` (adding empty files up
 * to a fixed shard count) and commits their renames once the run succeeds.
 */
import { commitOutput } from "../model/commits";
import { DoFn, ProcessContext, RuntimeContext } from "../model/dofn";
import { ValidationError } from "../model/errors";
import type { FailureCleanupContext, ValidationContext } from "../model/transform";
import { checkOutputPrefix } from "./filesystems/output_check";
import { FileSystems } from "./filesystems/registry";
import { abortShards, shardPath, textFilesCommit } from "./text_write";
import { tempDirectoryFor } from "./windowed_files";

/** A temporary file a write step finished. */
export interface WrittenFile {
  readonly tempPath: string;
  /** How many records it holds. */
  readonly records: number;
}

/** Where a write's files go. */
export interface ShardedFilesTarget {
  readonly prefix: string;
  readonly suffix: string;
  /** The write's step name: its temporary directory is named after it. */
  readonly sink: string;
}

/** A temporary file `name` (with the output's suffix) in the run's hidden directory beside the output. */
export function tempPathFor(target: ShardedFilesTarget, runtime: RuntimeContext, name: string): string {
  return FileSystems.forPath(target.prefix).join(tempDirectoryFor(target.prefix, runtime.runId, target.sink), `${name}${target.suffix}`);
}

/**
 * Names the written files (adding empty ones, written by `writeEmpty`, up to the shard count) and
 * commits their renames. Like Beam, an empty input still writes one (empty) file, and a fixed
 * shard count is honoured even when some shards got no records.
 */
export class FinalizeShardedFiles extends DoFn<Uint8Array, string, {}, { written: readonly WrittenFile[] }> {
  constructor(
    private readonly target: ShardedFilesTarget,
    private readonly numShards: number,
    private readonly template: string | undefined,
    private readonly writeEmpty: (tempPath: string) => Promise<void>,
  ) {
    super();
  }

  async process(_: Uint8Array, ctx: ProcessContext<string, {}, { written: readonly WrittenFile[] }>): Promise<void> {
    const { prefix, suffix, sink } = this.target;
    const temps = [...ctx.sideInputs.written].map((w) => w.tempPath).sort();
    for (let i = temps.length; i < Math.max(this.numShards, 1); i++) {
      const empty = tempPathFor(this.target, ctx.runtime, `empty-${i}`);
      await this.writeEmpty(empty);
      temps.push(empty);
    }
    const finals = temps.map((_, i) => shardPath(prefix, i, temps.length, suffix, this.template));
    const tempDir = tempDirectoryFor(prefix, ctx.runtime.runId, sink);
    // Shards of an earlier run are removed by the default names' pattern only; not with a custom template.
    const stale = this.template === undefined ? { prefix, suffix } : {};
    await commitOutput(ctx.runtime, textFilesCommit(sink, temps, finals, { ...stale, tempDir }));
    ctx.runtime.reportOutputs(finals);
    for (const f of finals) ctx.output(f);
  }
}

/** A write's `validate`: the output prefix must be writable, checked before the run. */
export async function validateOutputPrefix(prefix: string, ctx: ValidationContext): Promise<void> {
  try {
    await checkOutputPrefix(prefix);
  } catch (e) {
    throw new ValidationError(`${ctx.transformName}: cannot write output '${prefix}': ${(e as Error).message}`, { cause: e });
  }
}

/** A write's `cleanupAfterFailure`: its temporary files go; nothing was committed. */
export async function abortTempFiles(prefix: string, ctx: FailureCleanupContext): Promise<void> {
  await abortShards(FileSystems.forPath(prefix), tempDirectoryFor(prefix, ctx.runId, ctx.transformName));
}
