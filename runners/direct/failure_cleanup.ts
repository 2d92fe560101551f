/**
 * After a failed run, every transform that declared `cleanupAfterFailure` gets to undo what the
 * run left behind (temporary files, leased messages, created subscriptions). Shared by the batch
 * and streaming drivers. Its counterpart on success is `runCommits` (lib/model/commits.ts): sinks
 * make their output visible only then, so the cleanup finds nothing committed by a failed run.
 */
import type { Pipeline } from "../../lib/model/pipeline";

/** Runs the cleanup hooks; their own errors are attached to the run's error as `cleanupErrors`, never replacing it. */
export async function cleanupAfterFailure(pipeline: Pipeline, runId: string, cause: Error): Promise<void> {
  for (const node of pipeline.transforms()) {
    const t = node.transform;
    if (t?.cleanupAfterFailure === undefined) continue;
    try {
      await t.cleanupAfterFailure({ options: pipeline.options, runId, transformName: node.fullName });
    } catch (e) {
      const withCleanup = cause as Error & { cleanupErrors?: unknown[] };
      withCleanup.cleanupErrors = [...(withCleanup.cleanupErrors ?? []), e];
    }
  }
}
