/**
 * Output commits: the step that makes a sink's output visible (renaming finished files into
 * place, running a BigQuery load job, acknowledging the messages a run consumed).
 *
 * A sink writes everything where nobody looks yet (hidden temporary files, staging files), then
 * describes what makes it visible as an `OutputCommit` and hands it to `commitOutput`. Runners
 * decide when it runs:
 *
 * - The DirectRunner, on bounded runs, records the commits and runs them only once every stage
 *   of the run has succeeded (`runCommits`), so a failed run leaves no output; a failure removes
 *   the temporary files through the sinks' `cleanupAfterFailure` hooks instead.
 * - Everywhere else (remote workers, unbounded runs) the commit runs at once, when the sink's own
 *   branch completes, as in Beam.
 *
 * A commit is plain data (its payload is JSON) so that worker threads can hand it to the runner;
 * the code that performs it is registered per `kind` by the sink's module.
 */
import { PipelineError } from "./errors";
import type { RuntimeContext } from "./dofn";
import { type MetricsContainer, runInContainer } from "./metrics";

/** JSON data. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** One sink's commit, described as data. */
export interface OutputCommit {
  /** The registered committer that performs it. */
  readonly kind: string;
  /** Full name of the sink's transform (for errors). */
  readonly sink: string;
  readonly payload: JsonValue;
}

/** Performs the commits of one kind. */
export interface Committer {
  /**
   * Commits run in ascending `order`: the ones most likely to fail first (a load job may reject
   * data; a rename rarely fails), acknowledgements of consumed input last.
   */
  readonly order: number;
  commit(payload: JsonValue, sink: string): Promise<void>;
  /**
   * Drops a commit that will not run because the run went back to a point before it (a streaming
   * run restarted from a snapshot by --direct_bundle_retries, which writes it again): remove what
   * it would have made visible (e.g. its temporary files). Optional: without it nothing is removed.
   */
  discard?(payload: JsonValue, sink: string): Promise<void>;
}

/** Order of BigQuery load jobs. */
export const COMMIT_ORDER_LOAD = 10;
/** Order of file renames. */
export const COMMIT_ORDER_FILES = 20;
/** Order of acknowledgements of consumed input (after the output it produced is visible). */
export const COMMIT_ORDER_ACK = 30;

const committers = new Map<string, Committer>();

/** Registers the committer of `kind` (sink modules do this when loaded). */
export function registerCommitter(kind: string, committer: Committer): void {
  committers.set(kind, committer);
}

function committerOf(c: OutputCommit): Committer {
  const committer = committers.get(c.kind);
  if (committer === undefined) throw new PipelineError(`${c.sink}: no committer is registered for output commits of kind '${c.kind}'; the module defining the sink was not loaded in this process`);
  return committer;
}

/** Runs a commit now, or hands it to the runner when the runner commits at the end of the run. */
export async function commitOutput(runtime: RuntimeContext, commit: OutputCommit): Promise<void> {
  if (runtime.deferCommit !== undefined) {
    committerOf(commit); // fail now, not at the end of the run, if it could never run
    runtime.deferCommit(commit);
    return;
  }
  await committerOf(commit).commit(commit.payload, commit.sink);
}

/** Discards recorded commits that will not run (Committer.discard); the first failure is thrown. */
export async function discardCommits(commits: readonly OutputCommit[]): Promise<void> {
  for (const c of commits) await committerOf(c).discard?.(c.payload, c.sink);
}

/**
 * Runs recorded commits one at a time in commit order (stable within an order); the first failure
 * stops them. With `metricsFor`, metrics a commit updates (e.g. retried client calls) count on its
 * sink's step, as they would have had the commit run inside the step.
 */
export async function runCommits(commits: readonly OutputCommit[], metricsFor?: (step: string) => MetricsContainer): Promise<void> {
  const ordered = commits.map((c, i) => ({ c, i, order: committerOf(c).order })).sort((a, b) => a.order - b.order || a.i - b.i);
  for (const { c } of ordered) {
    try {
      const commit = (): Promise<void> => committerOf(c).commit(c.payload, c.sink);
      await (metricsFor === undefined ? commit() : runInContainer(metricsFor(c.sink), commit));
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      throw new PipelineError(`${c.sink}: committing the output failed after every step had succeeded: ${err.message}`, { cause: err });
    }
  }
}
