/**
 * A stateful ParDo in the SDK harness: the executor's ParDoOperator, extended with user state
 * over the State API (user_state.ts) and timers over the data plane (timers.ts). The operator is
 * the context handed to the DoFn, so it also answers `ctx.state(spec)`, `ctx.timer(spec)`,
 * `ctx.key`, `ctx.timeDomain` and `ctx.processingTime`. Fired timers travel the element path as
 * TimerFiring values, so outputs, metrics and errors are handled exactly as for elements.
 *
 * Per bundle: elements and fired timers first load the state of their key and window; at the
 * end, after the DoFn's finishBundle, changed state is written back and the timers set in the
 * bundle go out, one stream per timer family, each ended with is_last.
 */
import { AnyStatefulDoFn, StatefulAdapter, TimerFiring } from "../executor/stateful_adapter";
import type { Coder } from "../../lib/coders/coder";
import { encodeToBytes, Timer as WireTimer } from "../../lib/coders/index";
import type { RuntimeContext } from "../../lib/model/dofn";
import { TransformError } from "../../lib/model/errors";
import type { MetricsContainer } from "../../lib/model/metrics";
import type { StateSpec, TimeDomain, Timer, TimerSpec } from "../../lib/model/state";
import { BoundedWindow, ElementMeta, Instant, KV, NO_FIRING } from "../../lib/model/window";
import { notKv } from "../executor/combine_operator";
import { ParDoOperator } from "../executor/pardo_operator";
import type { MaybePromise, Receiver } from "../executor/receiver";
import type { SideInputReader } from "../executor/side_input_reader";
import type { DataChannel } from "./data_channel";
import type { SideInputLoader } from "./side_inputs";
import { TimerOutputs } from "./timers";
import type { UserStateStore } from "./user_state";

/** Where the operator's timers go and how keys and windows are encoded. */
export interface StatefulWiring {
  readonly transformId: string;
  readonly keyCoder: Coder<unknown>;
  readonly windowCoder: Coder<unknown>;
  readonly store: UserStateStore;
  readonly timers: TimerOutputs;
  /** The data channel of the PBD's timer API endpoint (only called when there are timer families). */
  readonly timerChannel: () => DataChannel;
  readonly instructionId: () => string;
  /** The runner's user-state cache token for the running bundle (undefined: none). */
  readonly userStateCacheToken: () => string | undefined;
  /** Side inputs: the reader the DoFn reads, and the loader that fetches a fired timer's windows first. */
  readonly sideInputs?: { readonly reader: SideInputReader; readonly loader: SideInputLoader };
}

export class FnStatefulParDoOperator extends ParDoOperator {
  private currentKey: unknown;
  private currentKeyBytes: Uint8Array | undefined;
  private firingDomain: TimeDomain = "EVENT_TIME";
  /** The firing time of the processing-time timer being delivered (`ctx.timestamp` in onTimer). */
  private firingAt: Instant | undefined;
  private readonly windowBytes = new Map<string, Uint8Array>();

  constructor(
    transformName: string,
    doFn: AnyStatefulDoFn,
    outputs: ReadonlyMap<string, Receiver>,
    metrics: MetricsContainer,
    runtime: RuntimeContext,
    private readonly wiring: StatefulWiring,
  ) {
    super(transformName, new StatefulAdapter(doFn, transformName), outputs, wiring.sideInputs?.reader, metrics, runtime, undefined);
  }

  startBundle(): MaybePromise {
    this.wiring.store.beginBundle(this.wiring.userStateCacheToken());
    this.wiring.timers.reset();
    this.windowBytes.clear();
    this.currentKeyBytes = undefined;
    return super.startBundle();
  }

  private encodeWindow(w: BoundedWindow): Uint8Array {
    let b = this.windowBytes.get(w.id());
    if (b === undefined) this.windowBytes.set(w.id(), (b = encodeToBytes(this.wiring.windowCoder, w, "nested")));
    return b;
  }

  /** Loads the state of `keyBytes` in every window, then runs `then`. */
  private withState(keyBytes: Uint8Array, windows: readonly BoundedWindow[], then: () => MaybePromise): MaybePromise {
    let loads: Promise<void>[] | undefined;
    for (const w of windows) {
      const p = this.wiring.store.ensureLoaded(keyBytes, this.encodeWindow(w));
      if (p !== undefined) (loads ??= []).push(p);
    }
    if (loads === undefined) return then();
    return Promise.all(loads).then(then);
  }

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    if (typeof value !== "object" || value === null || !("key" in value)) throw notKv(this.transformName, value);
    const key = (value as KV<unknown, unknown>).key;
    const keyBytes = encodeToBytes(this.wiring.keyCoder, key, "nested");
    return this.withState(keyBytes, meta.windows, () => {
      this.currentKey = key;
      this.currentKeyBytes = keyBytes;
      this.firingDomain = "EVENT_TIME";
      return super.receive(value, meta);
    });
  }

  /**
   * Fires a timer the runner delivered (cleared ones are ignored). As on the DirectRunner,
   * onTimer's outputs carry the timer's hold (output) timestamp, which for event-time timers is
   * the firing time; `ctx.timestamp` is the firing time.
   */
  fire(family: string, domain: TimeDomain, timer: WireTimer<unknown>): MaybePromise {
    if (timer.clearBit) return undefined;
    const keyBytes = encodeToBytes(this.wiring.keyCoder, timer.userKey, "nested");
    const meta: ElementMeta = { timestamp: timer.holdTimestamp ?? timer.fireTimestamp!, windows: timer.windows, pane: NO_FIRING };
    const loading = this.wiring.sideInputs?.loader.ensureLoaded(timer.windows);
    if (loading !== undefined) return loading.then(() => this.fireLoaded(family, domain, timer, keyBytes, meta));
    return this.fireLoaded(family, domain, timer, keyBytes, meta);
  }

  private fireLoaded(family: string, domain: TimeDomain, timer: WireTimer<unknown>, keyBytes: Uint8Array, meta: ElementMeta): MaybePromise {
    return this.withState(keyBytes, timer.windows, () => {
      this.currentKey = timer.userKey;
      this.currentKeyBytes = keyBytes;
      this.firingDomain = domain;
      this.firingAt = domain === "PROCESSING_TIME" ? timer.fireTimestamp : undefined;
      const done = (): void => {
        this.firingDomain = "EVENT_TIME";
        this.firingAt = undefined;
      };
      let r: MaybePromise;
      try {
        r = super.receive(new TimerFiring(family), meta);
      } catch (e) {
        done();
        throw e;
      }
      if (r === undefined) {
        done();
        return undefined;
      }
      return r.finally(done);
    });
  }

  finishBundle(): MaybePromise {
    const r = super.finishBundle();
    const done = async (): Promise<void> => {
      if (r !== undefined) await r;
      this.currentKeyBytes = undefined;
      await this.wiring.store.flush();
      if (this.wiring.timers.families.size > 0) this.wiring.timers.close(this.wiring.timerChannel(), this.wiring.instructionId());
    };
    return done();
  }

  // ---- the stateful context ----

  get key(): unknown {
    return this.currentKey;
  }

  get processingTime(): Instant {
    return Date.now();
  }

  /** The element's timestamp; in onTimer, the timer's time (its firing time, for processing-time timers). */
  get timestamp(): Instant {
    return this.firingAt ?? super.timestamp;
  }

  get timeDomain(): TimeDomain {
    return this.firingDomain;
  }

  private keyBytes(what: string): Uint8Array {
    if (this.currentKeyBytes === undefined) {
      throw new TransformError(this.transformName, `Transform '${this.transformName}' used ${what} outside process/onTimer; state and timers belong to the current key and window`);
    }
    return this.currentKeyBytes;
  }

  state<S>(spec: StateSpec<S>): S {
    const keyBytes = this.keyBytes(`state '${spec.name}'`);
    return this.wiring.store.view(spec, keyBytes, this.encodeWindow(this.window));
  }

  timer(spec: TimerSpec): Timer {
    const keyBytes = this.keyBytes(`timer '${spec.name}'`);
    if (!this.wiring.timers.families.has(spec.name)) {
      throw new TransformError(
        this.transformName,
        `Transform '${this.transformName}' used timer '${spec.name}', which its ParDoPayload does not declare (declared: ${[...this.wiring.timers.families.keys()].map((t) => `'${t}'`).join(", ") || "none"}); declare every TimerSpec as a field of the DoFn`,
      );
    }
    const window = this.window;
    const windowBytes = this.encodeWindow(window);
    const slot = `${Buffer.from(keyBytes).toString("hex")}|${Buffer.from(windowBytes).toString("hex")}`;
    const userKey = this.currentKey;
    // The event time of the element (or timer) being processed: what outputs are stamped with.
    const elementTimestamp = super.timestamp;
    const set = (fireTimestamp: Instant): void => {
      // Event-time timers hold the output watermark at their firing time; processing-time
      // timers at the event time of the element (or timer) that set them, so outputs stay in
      // their window (the DirectRunner's rule).
      const holdTimestamp = spec.domain === "EVENT_TIME" ? fireTimestamp : elementTimestamp;
      this.wiring.timers.set(spec.name, slot, { userKey, dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp, holdTimestamp, pane: NO_FIRING });
    };
    return {
      set,
      offset: (delay) => set((spec.domain === "EVENT_TIME" ? elementTimestamp : Date.now()) + delay),
      clear: () => this.wiring.timers.set(spec.name, slot, { userKey, dynamicTimerTag: "", windows: [window], clearBit: true }),
    };
  }
}
