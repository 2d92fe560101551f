/**
 * The Fn API side of splittable DoFns (BEAM_PORTABILITY.md §3): residuals as Beam's
 * DelayedBundleApplication, and bundle finalization (ProcessBundleResponse.requires_finalization,
 * then FinalizeBundleRequest once the runner committed the bundle).
 */
import type { SplittableResidual } from "../executor/splittable_operator";
import type { fnapi } from "../portable/protos";
import { MIN_TIMESTAMP } from "../../lib/model/window";

/** Milliseconds (fractions are microseconds) as google.protobuf seconds + nanos. */
function secondsAndNanos(ms: number): { seconds: bigint; nanos: number } {
  const micros = Math.round(ms * 1000);
  const seconds = Math.floor(micros / 1_000_000);
  return { seconds: BigInt(seconds), nanos: (micros - seconds * 1_000_000) * 1000 };
}

/**
 * A residual as the runner takes it: the transform and its input to send `element` to (encoded
 * with that input's wire coder), the DoFn's watermark estimate for each output (left out while it
 * has none: the runner then assumes the minimum) and the delay it asked for.
 */
export function residualRoot(transformId: string, inputId: string, element: Uint8Array, outputIds: readonly string[], r: SplittableResidual): fnapi.DelayedBundleApplication {
  const outputWatermarks: Record<string, { seconds: bigint; nanos: number }> = {};
  if (r.outputWatermark > MIN_TIMESTAMP) for (const id of outputIds) outputWatermarks[id] = secondsAndNanos(r.outputWatermark);
  return {
    application: { transformId, inputId, element, outputWatermarks, isBounded: 2 /* UNBOUNDED */ },
    requestedTimeDelay: secondsAndNanos(Math.max(0, r.delayMs)),
  };
}

/**
 * Finalization callbacks of completed bundles, by instruction id, until the runner sends
 * FinalizeBundleRequest. A runner that never finalizes a bundle (it failed, or was lost) leaves its
 * callbacks here; they are dropped after `expireMs`, as Beam Java's harness drops callbacks past
 * their expiry (FinalizeBundleHandler; the SDF's own give-back timer then redelivers the messages).
 */
export class PendingFinalizations {
  private readonly pending = new Map<string, { callbacks: (() => Promise<void>)[]; expires: number }>();

  constructor(private readonly expireMs = 10 * 60_000) {}

  add(instructionId: string, callbacks: (() => Promise<void>)[], now = Date.now()): void {
    for (const [id, p] of this.pending) if (p.expires <= now) this.pending.delete(id);
    if (callbacks.length > 0) this.pending.set(instructionId, { callbacks, expires: now + this.expireMs });
  }

  /** Runs the callbacks of a bundle the runner committed (each once; a failure is reported after all ran). */
  async finalize(instructionId: string): Promise<void> {
    const p = this.pending.get(instructionId);
    this.pending.delete(instructionId);
    if (p === undefined) return;
    const errors: unknown[] = [];
    for (const cb of p.callbacks) await cb().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new Error(`finalizing bundle ${instructionId} failed: ${errors.map((e) => (e as Error).message).join("; ")}`, { cause: errors[0] });
  }

  get size(): number {
    return this.pending.size;
  }
}
