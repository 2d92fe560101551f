/** Runs the root elements of a stage through one or more instances of its operators. */
import type { WindowedValue } from "../../lib/model/window";
import type { StageInstance } from "./stage_builder";

/** Something that may interrupt a long synchronous loop (live progress: a turn of the event loop, cancellation). */
export interface Pauser {
  pause(): Promise<void>;
}

/**
 * Lifecycle per instance: setup, startBundle (downstream first), elements (round robin over the
 * instances, each awaiting its own async work before its next element), finishBundle (upstream
 * first), teardown (always, best effort). The first error wins.
 */
export async function runStageInstances(instances: readonly StageInstance[], elements: Iterable<WindowedValue<unknown>>, slots = instances.length, pauser?: Pauser): Promise<void> {
  let failure: unknown;
  const started: StageInstance[] = [];
  try {
    for (const inst of instances) {
      for (const op of inst.operators) await op.setup();
      started.push(inst);
      for (let i = inst.operators.length - 1; i >= 0; i--) await inst.operators[i]!.startBundle();
    }
    const inflight: (Promise<void> | undefined)[] = new Array(slots).fill(undefined);
    let n = 0;
    let sincePause = 0;
    for (const wv of elements) {
      // Only when monitored: every 1,024 elements, let the monitor give the event loop a turn.
      if (pauser !== undefined && ++sincePause === 1024) {
        sincePause = 0;
        await pauser.pause();
      }
      const slot = slots === 1 ? 0 : n++ % slots;
      const busy = inflight[slot];
      if (busy !== undefined) {
        inflight[slot] = undefined;
        await busy;
      }
      const r = instances[slot]!.input.receive(wv.value, wv);
      if (r !== undefined) {
        // Handled here so a rejection is not "unhandled" while another slot is awaited.
        r.catch(() => undefined);
        inflight[slot] = r;
      }
    }
    for (let i = 0; i < inflight.length; i++) {
      const p = inflight[i];
      inflight[i] = undefined;
      if (p !== undefined) await p;
    }
    for (const inst of instances) for (const op of inst.operators) await op.finishBundle();
  } catch (e) {
    failure = e;
  }
  for (const inst of started) {
    for (const op of inst.operators) {
      try {
        await op.teardown();
      } catch (e) {
        failure ??= e;
      }
    }
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
}
