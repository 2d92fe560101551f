/**
 * The state and timer backends of a stateful ParDo in the SDK harness (the executor's
 * StatefulParDoOperator runs the DoFn over them): user state over the State API (user_state.ts)
 * and timers over the data plane (timers.ts).
 *
 * Per bundle: an element or fired timer first loads the state of its key and window; after the
 * DoFn's finishBundle, changed state is written back and the timers set in the bundle go out,
 * one stream per timer family, each ended with is_last. Keys and windows are addressed by their
 * encoded bytes, with the coders of the ProcessBundleDescriptor.
 */
import type { Coder } from "../../lib/coders/coder";
import { encodeToBytes, Timer as WireTimer } from "../../lib/coders/index";
import { TransformError } from "../../lib/model/errors";
import type { AnyTimerSpec, StateSpec, TimeDomain } from "../../lib/model/state";
import { BoundedWindow, Instant, MIN_TIMESTAMP, NO_FIRING } from "../../lib/model/window";
import type { MaybePromise } from "../executor/receiver";
import { UndoJournal } from "../executor/undo_journal";
import type { StatefulParDoOperator, StateBackend, TimerBackend, TimerSetting } from "../executor/stateful_operator";
import type { DataChannel } from "./data_channel";
import type { SideInputLoader } from "./side_inputs";
import type { TimerFamily, TimerOutputs } from "./timers";
import type { UserStateStore } from "./user_state";

/** Encoded windows, cached per bundle. */
export class WindowBytes {
  private readonly cache = new Map<string, Uint8Array>();
  constructor(private readonly coder: Coder<unknown>) {}
  of(w: BoundedWindow): Uint8Array {
    let b = this.cache.get(w.id());
    if (b === undefined) this.cache.set(w.id(), (b = encodeToBytes(this.coder, w, "nested")));
    return b;
  }
  clear(): void {
    this.cache.clear();
  }
}

/** User state over the State API, cached per bundle (and across bundles while the runner's cache token holds). */
export class FnStateBackend implements StateBackend<Uint8Array> {
  readonly windows: WindowBytes;

  constructor(
    private readonly keyCoder: Coder<unknown>,
    windowCoder: Coder<unknown>,
    private readonly store: UserStateStore,
    /** The runner's user-state cache token for the running bundle (undefined: none). */
    private readonly userStateCacheToken: () => string | undefined,
  ) {
    this.windows = new WindowBytes(windowCoder);
  }

  keyId(key: unknown): Uint8Array {
    return encodeToBytes(this.keyCoder, key, "nested");
  }

  prepare(keyBytes: Uint8Array, _key: unknown, windows: readonly BoundedWindow[]): Promise<void> | undefined {
    let loads: Promise<void>[] | undefined;
    for (const w of windows) {
      const p = this.store.ensureLoaded(keyBytes, this.windows.of(w));
      if (p !== undefined) (loads ??= []).push(p);
    }
    return loads === undefined ? undefined : Promise.all(loads).then(() => undefined);
  }

  cell<S>(spec: StateSpec<S>, keyBytes: Uint8Array, _key: unknown, window: BoundedWindow): S {
    return this.store.view(spec, keyBytes, this.windows.of(window));
  }

  beginElement(): void {
    this.store.beginElement();
  }

  endElement(succeeded: boolean): void {
    this.store.endElement(succeeded);
  }

  startBundle(): void {
    this.store.beginBundle(this.userStateCacheToken());
    this.windows.clear();
  }

  finishBundle(): MaybePromise {
    return this.store.flush();
  }
}

/** Timers set in a bundle, sent to the runner on the data plane when it ends. */
export class FnTimerBackend implements TimerBackend<Uint8Array> {
  /** The runner sorts a requiresTimeSortedInput DoFn's input (ParDoPayload.requires_time_sorted_input). */
  readonly runnerSortsInput = true;

  constructor(
    private readonly transformName: string,
    private readonly windows: WindowBytes,
    private readonly timers: TimerOutputs,
    /** The data channel of the PBD's timer API endpoint (only called when there are timer families). */
    private readonly timerChannel: () => DataChannel,
    private readonly instructionId: () => string,
  ) {}

  private slot(keyBytes: Uint8Array, window: BoundedWindow): string {
    return `${Buffer.from(keyBytes).toString("hex")}|${Buffer.from(this.windows.of(window)).toString("hex")}`;
  }

  checkTimer(spec: AnyTimerSpec): void {
    if (!this.timers.families.has(spec.name)) {
      throw new TransformError(
        this.transformName,
        `Transform '${this.transformName}' used timer '${spec.name}', which its ParDoPayload does not declare (declared: ${[...this.timers.families.keys()].map((t) => `'${t}'`).join(", ") || "none"}); declare every TimerSpec as a field of the DoFn`,
      );
    }
  }

  /** While an element runs under exception handling: how to put back each timer it set or deleted. */
  private readonly journal = new UndoJournal();

  beginElement(): void {
    this.journal.begin();
  }

  endElement(succeeded: boolean): void {
    this.journal.end(succeeded);
  }

  private changing(family: string, slot: string, tag: string): void {
    if (!this.journal.recording) return;
    const before = this.timers.get(family, slot, tag);
    this.journal.record(() => this.timers.restore(family, slot, tag, before));
  }

  setTimer(keyBytes: Uint8Array, key: unknown, window: BoundedWindow, spec: AnyTimerSpec, tag: string, timer: TimerSetting): void {
    this.changing(spec.name, this.slot(keyBytes, window), tag);
    this.timers.set(spec.name, this.slot(keyBytes, window), {
      userKey: key,
      dynamicTimerTag: tag,
      windows: [window],
      clearBit: false,
      fireTimestamp: timer.fireAt,
      holdTimestamp: timer.outputTimestamp,
      pane: NO_FIRING,
    });
  }

  deleteTimer(keyBytes: Uint8Array, key: unknown, window: BoundedWindow, spec: AnyTimerSpec, tag: string): void {
    this.changing(spec.name, this.slot(keyBytes, window), tag);
    this.timers.set(spec.name, this.slot(keyBytes, window), { userKey: key, dynamicTimerTag: tag, windows: [window], clearBit: true });
  }

  /**
   * Whether a timer the runner delivered is still as the runner knows it in `window`: not set to
   * another time or cleared earlier in this bundle (the runner learns of those changes only from
   * the timer streams sent when the bundle ends). Beam Java's FnApiDoFnRunner fires a delivered
   * timer only then, so a timer the user replaced or cancelled never fires at its old time.
   */
  unchanged(family: string, keyBytes: Uint8Array, window: BoundedWindow, delivered: WireTimer<unknown>): boolean {
    const now = this.timers.get(family, this.slot(keyBytes, window), delivered.dynamicTimerTag);
    return now === undefined || (!now.clearBit && now.fireTimestamp === delivered.fireTimestamp && now.holdTimestamp === delivered.holdTimestamp);
  }

  /**
   * The earliest timer this bundle set for (key, window) in `domain`, of any family and tag, that
   * is due no later than `delivered` (by firing time, then hold), with its family. Beam Java's FnApiDoFnRunner fires
   * such timers before the delivered one: the runner, which does not know of them yet, would
   * otherwise deliver them in a later bundle, after a later timer of the same key.
   */
  dueNoLaterThan(keyBytes: Uint8Array, window: BoundedWindow, domain: TimeDomain, delivered: WireTimer<unknown>): { family: TimerFamily; timer: WireTimer<unknown> } | undefined {
    const slot = this.slot(keyBytes, window);
    const order = (a: WireTimer<unknown>, b: WireTimer<unknown>): number => a.fireTimestamp! - b.fireTimestamp! || a.holdTimestamp! - b.holdTimestamp!;
    let best: { family: TimerFamily; timer: WireTimer<unknown> } | undefined;
    for (const family of this.timers.families.values()) {
      if (family.domain !== domain) continue;
      for (const t of this.timers.inSlot(family.id, slot)) {
        if (t.clearBit || order(t, delivered) > 0) continue;
        if (best === undefined || order(t, best.timer) < 0) best = { family, timer: t };
      }
    }
    return best;
  }

  /** A timer of this bundle fires in it: the runner is told it is cleared (unless onTimer sets it again). */
  firingInBundle(family: string, keyBytes: Uint8Array, window: BoundedWindow, timer: WireTimer<unknown>): void {
    this.timers.set(family, this.slot(keyBytes, window), { userKey: timer.userKey, dynamicTimerTag: timer.dynamicTimerTag, windows: [window], clearBit: true });
  }

  currentProcessingTime(): Instant {
    return Date.now();
  }

  /** The runner drops late data and collects expired state itself. */
  currentInputWatermark(): Instant {
    return MIN_TIMESTAMP;
  }

  startBundle(): void {
    this.timers.reset();
  }

  finishBundle(): MaybePromise {
    if (this.timers.families.size > 0) this.timers.close(this.timerChannel(), this.instructionId());
    return undefined;
  }
}

/**
 * Delivers a timer the runner sent (cleared ones are ignored), window by window: first the
 * timers this bundle set for the key and window that are due no later than it
 * (FnTimerBackend.dueNoLaterThan), earliest first, then the delivered timer itself where this
 * bundle has not changed it since (FnTimerBackend.unchanged), as Beam Java's FnApiDoFnRunner
 * does. onTimer's outputs carry a timer's hold (output) timestamp, which for event-time timers is
 * the firing time; the side inputs of the timer's windows are fetched first.
 */
export async function fireRunnerTimer(
  operator: StatefulParDoOperator,
  backends: { readonly state: FnStateBackend; readonly timers: FnTimerBackend },
  family: TimerFamily,
  timer: WireTimer<unknown>,
  sideInputs: SideInputLoader | undefined,
): Promise<void> {
  if (timer.clearBit) return;
  const keyBytes = backends.state.keyId(timer.userKey);
  const fire = (f: TimerFamily, t: WireTimer<unknown>, windows: readonly BoundedWindow[], stillDue?: (w: BoundedWindow) => boolean): MaybePromise => {
    const fireAt = t.fireTimestamp!;
    const ready = sideInputs !== undefined ? () => sideInputs.ensureLoaded(windows) : undefined;
    return operator.fireTimer(t.userKey, windows, f.id, t.dynamicTimerTag, f.domain, fireAt, t.holdTimestamp ?? fireAt, ready, stillDue);
  };
  for (const window of timer.windows) {
    for (;;) {
      const earlier = backends.timers.dueNoLaterThan(keyBytes, window, family.domain, timer);
      if (earlier === undefined) break;
      backends.timers.firingInBundle(earlier.family.id, keyBytes, window, earlier.timer);
      await fire(earlier.family, earlier.timer, [window]);
    }
    await fire(family, timer, [window], (w) => backends.timers.unchanged(family.id, keyBytes, w, timer));
  }
}
