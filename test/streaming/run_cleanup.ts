/**
 * For tests that start streaming runs and Pub/Sub subscribers: whatever a test pushed onto the
 * returned lists is cancelled or closed after it, even when it failed part way.
 */
import type { StreamingPipelineResult } from "../../runners/streaming";

/** Registers an afterEach that cancels the runs still going and closes the subscribers; call inside a describe. */
export function useRunCleanup(): { running: StreamingPipelineResult[]; subscribers: { close(): Promise<void> }[] } {
  const running: StreamingPipelineResult[] = [];
  const subscribers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) if (r.state === "RUNNING" || r.state === "DRAINING") await r.cancel().catch(() => undefined);
    for (const s of subscribers.splice(0)) await s.close().catch(() => undefined);
  });
  return { running, subscribers };
}
