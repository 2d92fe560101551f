/** Runs the root elements of a stage through one or more instances of its operators. */
import type { WindowedValue } from "../../lib/model/window";
import type { Operator } from "../executor/operator";
import type { StageInstance } from "./stage_builder";

/** Something that may interrupt a long synchronous loop (live progress: a turn of the event loop, cancellation). */
export interface Pauser {
  pause(): Promise<void>;
}

/** Root elements as they arrive: all at once, or chunk by chunk (a bundle fed while it runs). */
export type StageInput = Iterable<WindowedValue<unknown>> | AsyncIterable<Iterable<WindowedValue<unknown>>>;

/**
 * Lifecycle per instance: setup, startBundle (downstream first), elements (round robin over the
 * instances, each awaiting its own async work before its next element), finishBundle (upstream
 * first), teardown (of every operator set up, best effort). The first error wins.
 */
export async function runStageInstances(instances: readonly StageInstance[], elements: StageInput, slots = instances.length, pauser?: Pauser): Promise<void> {
  let failure: unknown;
  // Every operator whose setup succeeded is torn down, also when a later one's setup fails (an
  // operator whose own setup throws tears itself down, as Beam's ParDoLifecycleTest requires).
  const setUp: Operator[] = [];
  let feed: Feed | undefined;
  try {
    for (const inst of instances) {
      for (const op of inst.operators) {
        await op.setup();
        setUp.push(op);
      }
      for (let i = inst.operators.length - 1; i >= 0; i--) await inst.operators[i]!.startBundle();
    }
    feed = new Feed(instances, slots, pauser);
    if (Symbol.asyncIterator in elements) {
      // Each chunk's work (async work included) ends before the next chunk is taken: a thread
      // sharing a stage's chunks with others takes one only when it can start on it at once.
      for await (const chunk of elements) {
        await feed.all(chunk);
        await feed.drain();
      }
    } else {
      await feed.all(elements);
    }
    await feed.drain();
    for (const inst of instances) for (const op of inst.operators) await op.finishBundle();
  } catch (e) {
    failure = e;
    // What other instances (or this one, before its input failed to read) still run ends before
    // teardown, which Beam makes an instance's last call.
    await feed?.settle();
  }
  for (const op of setUp) {
    try {
      await op.teardown();
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
}

/** Hands elements to the instances round robin; an instance with async work pending gets its next element once that work is done. */
class Feed {
  private readonly inflight: (Promise<void> | undefined)[];
  private n = 0;
  private sincePause = 0;

  constructor(
    private readonly instances: readonly StageInstance[],
    private readonly slots: number,
    private readonly pauser: Pauser | undefined,
  ) {
    this.inflight = new Array<Promise<void> | undefined>(slots).fill(undefined);
  }

  async all(elements: Iterable<WindowedValue<unknown>>): Promise<void> {
    const slots = this.slots;
    const inflight = this.inflight;
    const pauser = this.pauser;
    for (const wv of elements) {
      // Only when monitored: every 1,024 elements, let the monitor give the event loop a turn.
      if (pauser !== undefined && ++this.sincePause === 1024) {
        this.sincePause = 0;
        await pauser.pause();
      }
      const slot = slots === 1 ? 0 : this.n++ % slots;
      const busy = inflight[slot];
      if (busy !== undefined) {
        inflight[slot] = undefined;
        await busy;
      }
      const r = this.instances[slot]!.input.receive(wv.value, wv);
      if (r !== undefined) {
        // Handled here so a rejection is not "unhandled" while another slot is awaited.
        r.catch(() => undefined);
        inflight[slot] = r;
      }
    }
  }

  /** Waits for every instance's work in flight, whatever its outcome (the stage failed already). */
  async settle(): Promise<void> {
    const inflight = this.inflight.filter((p): p is Promise<void> => p !== undefined);
    this.inflight.fill(undefined);
    await Promise.allSettled(inflight);
  }

  async drain(): Promise<void> {
    for (let i = 0; i < this.inflight.length; i++) {
      const p = this.inflight[i];
      this.inflight[i] = undefined;
      if (p !== undefined) await p;
    }
  }
}
