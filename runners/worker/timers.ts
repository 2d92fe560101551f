/**
 * Timers of a stateful ParDo on the Fn API data plane (BEAM_PORTABILITY.md §3.5, §3.6): the
 * runner sends due timers on one `Elements.Timers` stream per (transform, timer family), ended
 * by `is_last`, interleaved with the bundle's data (read in arrival order, data_source.ts
 * readInputs); the SDK sends the timers set or cleared in the bundle on the same kind of stream,
 * one per family, always closed with `is_last`. Values use the family's
 * `beam:coder:timer:v1(key, window)` coder from the PBD.
 */
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter, Timer } from "../../lib/coders/index";
import type { TimeDomain } from "../../lib/model/state";
import { DataChannel, withTail } from "./data_channel";
import type { InboundTimerStream } from "./data_source";

/** One timer family of a ParDo, as the PBD describes it. */
export interface TimerFamily {
  readonly id: string;
  readonly domain: TimeDomain;
  readonly coder: Coder<Timer<unknown>>;
}

/**
 * One inbound timer stream of a bundle: decodes the timers of each chunk as it arrives and hands
 * them to `fire` in order. A timer may span chunks: undecodable bytes at the end of a chunk wait
 * for the next one; the stream must end with `is_last`.
 */
export class TimerStreamReader implements InboundTimerStream {
  private tail: Uint8Array | undefined;

  constructor(
    readonly url: string,
    readonly transformId: string,
    readonly family: TimerFamily,
    /** The execution-time slot (state_sampler.ts) firing the timers counts to. */
    readonly slot: number,
    private readonly fire: (timer: Timer<unknown>) => Promise<void> | void,
  ) {}

  get familyId(): string {
    return this.family.id;
  }

  reset(): void {
    this.tail = undefined;
  }

  async consume(data: Uint8Array, isLast: boolean): Promise<void> {
    const buf = withTail(this.tail, data);
    this.tail = undefined;
    const r = new ByteReader(buf);
    while (!r.atEnd()) {
      const start = r.offset;
      let timer: Timer<unknown>;
      try {
        timer = this.family.coder.decode(r, "nested");
      } catch (e) {
        if (isLast) throw new Error(`timer stream ${this.family.id} of ${this.transformId} has bytes that do not decode: ${(e as Error).message}`, { cause: e });
        this.tail = buf.subarray(start); // the rest of this timer comes in the next chunk
        break;
      }
      const p = this.fire(timer);
      if (p !== undefined) await p;
    }
  }
}

/**
 * The timers a bundle sets or clears, per family, key and window, and dynamic timer tag (a plain
 * timer's tag is ""); the last call per (key, window, tag) wins.
 */
export class TimerOutputs {
  /** family -> key and window (`slot`) -> tag -> timer. */
  private readonly pending = new Map<string, Map<string, Map<string, Timer<unknown>>>>();

  constructor(
    private readonly transformId: string,
    readonly families: ReadonlyMap<string, TimerFamily>,
  ) {}

  /** Records a timer; `slot` identifies its key and window, `timer.dynamicTimerTag` its tag. */
  set(family: string, slot: string, timer: Timer<unknown>): void {
    let bySlot = this.pending.get(family);
    if (bySlot === undefined) this.pending.set(family, (bySlot = new Map()));
    let byTag = bySlot.get(slot);
    if (byTag === undefined) bySlot.set(slot, (byTag = new Map()));
    byTag.set(timer.dynamicTimerTag, timer);
  }

  /** The timer recorded for (family, slot, tag) in this bundle, if any. */
  get(family: string, slot: string, tag: string): Timer<unknown> | undefined {
    return this.pending.get(family)?.get(slot)?.get(tag);
  }

  /** Every timer recorded for (family, slot) in this bundle, whatever its tag. */
  inSlot(family: string, slot: string): Iterable<Timer<unknown>> {
    return this.pending.get(family)?.get(slot)?.values() ?? [];
  }

  /** Puts back what `get` returned before a change (undefined: nothing recorded). */
  restore(family: string, slot: string, tag: string, timer: Timer<unknown> | undefined): void {
    if (timer !== undefined) this.set(family, slot, timer);
    else this.pending.get(family)?.get(slot)?.delete(tag);
  }

  /** Sends every family's timers and closes each stream with is_last (also when empty). */
  close(channel: DataChannel, instructionId: string): void {
    for (const [id, family] of this.families) {
      const w = new ByteWriter();
      for (const byTag of this.pending.get(id)?.values() ?? []) for (const t of byTag.values()) family.coder.encode(t, w, "nested");
      channel.sendTimers(instructionId, this.transformId, id, w.finish(), true);
    }
    this.pending.clear();
  }

  reset(): void {
    this.pending.clear();
  }
}
