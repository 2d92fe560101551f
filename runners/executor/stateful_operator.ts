/**
 * A stateful DoFn (state per key and window, timers) run over a state backend and a timer
 * backend: the shape of Beam Java's StatefulDoFnRunner over StateInternals / TimerInternals.
 * The DirectRunner's streaming driver keeps both in memory (in_memory_state.ts); the Fn API
 * worker reads and writes state over the State API and sends timers on the data plane. The rules
 * live here, once, for every driver:
 *
 * - elements are KVs whose key and window address the state; an element of a window that has
 *   expired (its end plus the allowed lateness behind the input watermark) is dropped and counted;
 * - a timer's output timestamp, which holds the output watermark until it fires and stamps what
 *   onTimer outputs, is its firing time for event-time timers, and for processing-time timers
 *   the event time of the element (or timer) that set it, so outputs stay inside their window;
 *   a timer set `withNoOutputTimestamp()` has none (NO_OUTPUT_TIMESTAMP): it holds nothing, and its
 *   onTimer may not output (the ParDo operator refuses such outputs); `withOutputTimestamp(t)` sets
 *   it, checked as Beam checks it;
 * - a processing-time timer whose window has expired does not fire (its state is gone);
 * - `offset(d)` counts from the element's event time (event-time timers) or from the current
 *   processing time; in onTimer `ctx.timestamp` is the timer's output timestamp (as Beam Java's
 *   `@Timestamp`; its firing time when it has none), `ctx.fireTimestamp` its firing time,
 *   `ctx.key` its key, `ctx.timeDomain` its domain and `ctx.timerTag` its tag;
 * - a timer family's timers are told apart by their tag: backends address every timer by
 *   (key, window, timer or family name, tag), a plain timer's tag being "" (as on the Fn API,
 *   where every timer belongs to a family and carries a dynamic_timer_tag);
 * - state and timers belong to the element or timer being processed: used anywhere else
 *   (startBundle, finishBundle) they fail with one message.
 *
 * Fired timers travel the element path as TimerFiring values, so outputs, metrics, errors and the
 * one-call-at-a-time rule apply to onTimer exactly as to process.
 */
import { BundleContext, DoFn, OutputTags, ProcessContext, RuntimeContext } from "../../lib/model/dofn";
import { TransformError } from "../../lib/model/errors";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import { isTimerFamily, NO_OUTPUT_TIMESTAMP, type AnyTimerSpec, type BagState, type ValueState, type StatefulDoFn, type StatefulProcessContext, type StateSpec, type TimeDomain, type Timer, type TimerContext, type TimerFamilySpec, type TimerSpec } from "../../lib/model/state";
import { BoundedWindow, ElementMeta, Instant, KV, MAX_TIMESTAMP, MIN_TIMESTAMP, NO_FIRING, windowExpiry } from "../../lib/model/window";
import type { Coder } from "../../lib/coders/coder";
import { CheckSampler, checkKeyDeterministic } from "./checks";
import { asKv } from "./combine_operator";
import { InputChecks, ParDoOperator } from "./pardo_operator";
import type { MaybePromise, Receiver } from "./receiver";
import type { SideInputReader } from "./side_input_reader";

export type AnyStatefulDoFn = StatefulDoFn<unknown, unknown, unknown, OutputTags>;

/** Counter (namespace "beamline") of elements dropped because their window had expired. */
export const DROPPED_LATE = "droppedDueToLateness";

/**
 * Where a stateful DoFn's state lives (Beam's StateInternals): cells per key and window.
 * `KeyId` is how the backend addresses a key (an identity string, the key's encoded bytes).
 */
export interface StateBackend<KeyId> {
  /** The backend's identity of a key. */
  keyId(key: unknown): KeyId;
  /** Makes the cells of a key in these windows readable synchronously; a promise when they must be fetched first. */
  prepare(keyId: KeyId, key: unknown, windows: readonly BoundedWindow[]): Promise<void> | undefined;
  /** What `ctx.state(spec)` returns for the key in the window. */
  cell<S>(spec: StateSpec<S>, keyId: KeyId, key: unknown, window: BoundedWindow): S;
  startBundle(): void;
  /** After the DoFn's finishBundle: makes the bundle's changes durable (e.g. writes them back to the runner). */
  finishBundle(): MaybePromise;
  /**
   * Exception handling (`withExceptionHandling`): the element about to be processed may fail, and
   * a failed element must have no effect (as in Beam). From here until `endElement`, changes are
   * recorded so that `endElement(false)` can undo them (state and timers).
   */
  beginElement?(): void;
  /** Keeps (`succeeded`) or undoes the changes made since `beginElement`. */
  endElement?(succeeded: boolean): void;
}

/** A timer as set: when it fires, and the output timestamp that holds the watermark until then. */
export interface TimerSetting {
  readonly domain: TimeDomain;
  readonly fireAt: Instant;
  readonly outputTimestamp: Instant;
}

/** Where a stateful DoFn's timers live and what time it is (Beam's TimerInternals). */
export interface TimerBackend<KeyId> {
  /** Sets (or resets) the timer `tag` of `spec` ("" for a plain timer) of the key in the window; fails if the backend cannot hold it. */
  setTimer(keyId: KeyId, key: unknown, window: BoundedWindow, spec: AnyTimerSpec, tag: string, timer: TimerSetting): void;
  deleteTimer(keyId: KeyId, key: unknown, window: BoundedWindow, spec: AnyTimerSpec, tag: string): void;
  /** Fails at once if the DoFn may not use `spec` (e.g. the runner was not told of it). */
  checkTimer?(spec: AnyTimerSpec): void;
  currentProcessingTime(): Instant;
  /** Elements of windows expired before this are late; MIN_TIMESTAMP where the runner drops late data itself. */
  currentInputWatermark(): Instant;
  /**
   * The runner itself sorts each key's input by timestamp for a DoFn with
   * `requiresTimeSortedInput` (the Fn API: ParDoPayload.requires_time_sorted_input); otherwise the
   * operator buffers and sorts it over this backend's state and timers.
   */
  readonly runnerSortsInput?: boolean;
  startBundle(): void;
  /** After the DoFn's finishBundle: hands the bundle's timers over (e.g. to the runner). */
  finishBundle(): MaybePromise;
}

/** The two backends of one stateful ParDo (one object may be both). */
export interface StatefulBackends<KeyId> {
  readonly state: StateBackend<KeyId>;
  readonly timers: TimerBackend<KeyId>;
}

/** Strict-check settings of a stateful ParDo. */
export interface StatefulChecks {
  /** Mutation checks of input elements (timer firings are not elements and are not checked). */
  readonly input?: InputChecks;
  /** Samples keys for deterministic encoding with `keyCoder`. */
  readonly keys?: { readonly sampler: CheckSampler; readonly keyCoder: Coder<unknown> };
}

/**
 * `requiresTimeSortedInput` where the runner does not sort (Beam Java's StatefulDoFnRunner): each
 * element waits in a per key and window buffer; an event-time flush timer at the earliest
 * buffered timestamp (plus the allowed lateness, at most the window's expiry), holding the output
 * watermark there, processes the buffered elements the input watermark has passed, in timestamp
 * order. The names are reserved: a DoFn's own cannot start with "__beamline".
 */
interface SortBuffered {
  readonly value: unknown;
  readonly timestamp: Instant;
  readonly pane: ElementMeta["pane"];
}
const SORT_BUFFER: StateSpec<BagState<SortBuffered>> = { kind: "bag", name: "__beamline_sortBuffer" };
const SORT_BUFFER_MIN: StateSpec<ValueState<Instant>> = { kind: "value", name: "__beamline_sortBufferMinStamp" };
const SORT_FLUSH: TimerSpec = { name: "__beamline_sortFlush", domain: "EVENT_TIME" };

/** A due timer, delivered to the DoFn in place of an element. */
export class TimerFiring {
  constructor(
    readonly name: string,
    /** The timer's tag within its family ("" for a plain timer). */
    readonly tag: string,
  ) {}
}

/** The user's DoFn as the ParDoOperator sees it: TimerFiring values go to onTimer. */
class StatefulAdapter extends DoFn<unknown, unknown, OutputTags> {
  constructor(
    readonly wrapped: AnyStatefulDoFn,
    private readonly transformName: string,
  ) {
    super();
    // The user's DoFn says how far back its outputs (in process and onTimer) may be placed.
    if (wrapped.allowedTimestampSkewMillis !== undefined) this.allowedTimestampSkewMillis = wrapped.allowedTimestampSkewMillis;
  }
  setup(runtime: RuntimeContext): void | Promise<void> {
    return this.wrapped.setup?.(runtime);
  }
  startBundle(ctx: BundleContext<unknown, OutputTags>): void | Promise<void> {
    return this.wrapped.startBundle?.(ctx);
  }
  finishBundle(ctx: BundleContext<unknown, OutputTags>): void | Promise<void> {
    return this.wrapped.finishBundle?.(ctx);
  }
  teardown(): void | Promise<void> {
    return this.wrapped.teardown?.();
  }
  process(value: unknown, ctx: ProcessContext<unknown, OutputTags>): void | Promise<void> {
    if (value instanceof TimerFiring) {
      if (this.wrapped.onTimer === undefined) {
        throw new TransformError(this.transformName, `Timer '${value.name}' fired for transform '${this.transformName}', whose DoFn has no onTimer method; add onTimer(timer, ctx) to the DoFn`);
      }
      return this.wrapped.onTimer(value.name, ctx as TimerContext<unknown, unknown, OutputTags>);
    }
    return this.wrapped.process(value as KV<unknown, unknown>, ctx as StatefulProcessContext<unknown, OutputTags>);
  }
}

/** Samples elements only: skips the timer firings that travel the same path. */
class ElementSampler extends CheckSampler {
  skip = false;
  constructor(private readonly inner: CheckSampler) {
    super(false);
  }
  resetForBundle(): void {
    this.inner.resetForBundle();
  }
  shouldCheck(): boolean {
    return !this.skip && this.inner.shouldCheck();
  }
}

export class StatefulParDoOperator<KeyId = unknown> extends ParDoOperator {
  private currentKey: unknown;
  private currentKeyId: KeyId | undefined;
  private firingDomain: TimeDomain = "EVENT_TIME";
  /** The firing time of the timer being delivered (`ctx.fireTimestamp` in onTimer). */
  private firingAt: Instant | undefined;
  /** The tag of the timer being delivered (`ctx.timerTag` in onTimer). */
  private firingTag = "";
  private readonly elementSampler: ElementSampler | undefined;
  private readonly stateBackend: StateBackend<KeyId>;
  private readonly timerBackend: TimerBackend<KeyId>;
  /** Buffers and sorts each key's input here (requiresTimeSortedInput, on a runner that does not). */
  private readonly sortsInput: boolean;

  constructor(
    transformName: string,
    doFn: AnyStatefulDoFn,
    outputs: ReadonlyMap<string, Receiver>,
    /** Side inputs `process` and `onTimer` read (the driver makes them ready first). */
    sideInputs: SideInputReader | undefined,
    private readonly stepMetrics: MetricsContainer,
    runtime: RuntimeContext,
    backends: StatefulBackends<KeyId>,
    /** The input's allowed lateness: how long after its end a window still takes elements. */
    private readonly allowedLatenessMillis: number,
    private readonly statefulChecks: StatefulChecks = {},
  ) {
    const sampler = statefulChecks.input !== undefined ? new ElementSampler(statefulChecks.input.sampler) : undefined;
    super(transformName, new StatefulAdapter(doFn, transformName), outputs, sideInputs, stepMetrics, runtime, sampler !== undefined ? { inputCoder: statefulChecks.input!.inputCoder, sampler } : undefined);
    this.elementSampler = sampler;
    this.stateBackend = backends.state;
    this.timerBackend = backends.timers;
    this.sortsInput = doFn.requiresTimeSortedInput === true && backends.timers.runnerSortsInput !== true;
  }

  /** onTimer's errors fail the run; only elements go to a dead-letter output. */
  protected handlesExceptionsOf(value: unknown): boolean {
    return !(value instanceof TimerFiring);
  }

  /** A failed element's state writes and timers are undone, like its outputs (see StateBackend.beginElement). */
  protected beginCatching(): void {
    this.stateBackend.beginElement?.();
    if ((this.timerBackend as unknown) !== this.stateBackend) (this.timerBackend as Partial<StateBackend<KeyId>>).beginElement?.();
  }

  protected endCatching(succeeded: boolean): void {
    this.stateBackend.endElement?.(succeeded);
    if ((this.timerBackend as unknown) !== this.stateBackend) (this.timerBackend as Partial<StateBackend<KeyId>>).endElement?.(succeeded);
  }

  protected openBundle(): MaybePromise {
    this.statefulChecks.keys?.sampler.resetForBundle();
    this.stateBackend.startBundle();
    this.timerBackend.startBundle();
    this.currentKeyId = undefined;
    return super.openBundle();
  }

  protected closeBundle(): MaybePromise {
    this.currentKeyId = undefined;
    const r = super.closeBundle();
    if (r === undefined) return this.persist();
    return r.then(() => this.persist());
  }

  private persist(): MaybePromise {
    const s = this.stateBackend.finishBundle();
    if (s === undefined) return this.timerBackend.finishBundle();
    return s.then(() => this.timerBackend.finishBundle());
  }

  /** An element: its live windows, with the state of its key loaded. */
  protected processElement(value: unknown, meta: ElementMeta): MaybePromise {
    const key = asKv(this.transformName, value).key;
    const watermark = this.timerBackend.currentInputWatermark();
    let windows = meta.windows;
    if (windows.some((w) => this.isExpired(w, watermark))) {
      windows = windows.filter((w) => !this.isExpired(w, watermark));
      this.stepMetrics.incCounter(systemCounterKey(DROPPED_LATE), meta.windows.length - windows.length);
      if (windows.length === 0) return undefined;
      meta = { timestamp: meta.timestamp, windows, pane: meta.pane };
    }
    const keys = this.statefulChecks.keys;
    if (typeof key === "object" && key !== null && keys?.sampler.shouldCheck()) checkKeyDeterministic(this.transformName, key, keys.keyCoder, value);
    if (this.sortsInput && meta.timestamp + this.allowedLatenessMillis < watermark) {
      // Beam's StatefulDoFnRunner: sorted input drops what is behind the watermark by more than
      // the allowed lateness (its place in the order has passed).
      this.stepMetrics.incCounter(systemCounterKey(DROPPED_LATE), windows.length);
      return undefined;
    }
    const keyId = this.stateBackend.keyId(key);
    const loading = this.stateBackend.prepare(keyId, key, windows);
    const run = (): MaybePromise => {
      this.currentKey = key;
      this.currentKeyId = keyId;
      this.firingDomain = "EVENT_TIME";
      this.firingAt = undefined;
      this.firingTag = "";
      if (this.sortsInput) return this.buffer(keyId, key, value, meta);
      return super.processElement(value, meta);
    };
    return loading === undefined ? run() : loading.then(run);
  }

  /** Keeps an element of sorted input until the watermark passes it (see SortBuffered). */
  private buffer(keyId: KeyId, key: unknown, value: unknown, meta: ElementMeta): undefined {
    for (const window of meta.windows) {
      this.stateBackend.cell(SORT_BUFFER, keyId, key, window).add({ value, timestamp: meta.timestamp, pane: meta.pane });
      const min = this.stateBackend.cell(SORT_BUFFER_MIN, keyId, key, window);
      const earliest = min.read();
      if (earliest === undefined || meta.timestamp < earliest) {
        min.write(meta.timestamp);
        this.setSortFlush(keyId, key, window, meta.timestamp);
      }
    }
    return undefined;
  }

  private setSortFlush(keyId: KeyId, key: unknown, window: BoundedWindow, earliest: Instant): void {
    const fireAt = Math.min(earliest + this.allowedLatenessMillis, windowExpiry(window, this.allowedLatenessMillis));
    this.timerBackend.setTimer(keyId, key, window, SORT_FLUSH, "", { domain: "EVENT_TIME", fireAt, outputTimestamp: Math.min(earliest, fireAt) });
  }

  /** The sort flush timer fired: processes, in timestamp order, the buffered elements the input watermark has passed. */
  private flushSorted(keyId: KeyId, key: unknown, window: BoundedWindow): MaybePromise {
    const watermark = this.timerBackend.currentInputWatermark();
    const buffer = this.stateBackend.cell(SORT_BUFFER, keyId, key, window);
    const due: SortBuffered[] = [];
    const keep: SortBuffered[] = [];
    for (const e of buffer.read()) (e.timestamp <= watermark ? due : keep).push(e);
    buffer.clear();
    const min = this.stateBackend.cell(SORT_BUFFER_MIN, keyId, key, window);
    if (keep.length === 0) min.clear();
    else {
      let earliest = keep[0]!.timestamp;
      for (const e of keep) {
        buffer.add(e);
        if (e.timestamp < earliest) earliest = e.timestamp;
      }
      min.write(earliest);
      this.setSortFlush(keyId, key, window, earliest);
    }
    due.sort((a, b) => a.timestamp - b.timestamp); // stable: equal timestamps keep their arrival order
    const next = (i: number): MaybePromise => {
      for (; i < due.length; i++) {
        const e = due[i]!;
        this.currentKey = key;
        this.currentKeyId = keyId;
        const r = super.processElement(e.value, { timestamp: e.timestamp, windows: [window], pane: e.pane });
        if (r !== undefined) return r.then(() => next(i + 1));
      }
      return undefined;
    };
    return next(0);
  }

  /**
   * Delivers a due timer of `key` in `windows` (timer or family `name`, its `tag` within the
   * family, "" for a plain timer) to onTimer, after the calls already queued.
   * `before` (e.g. fetching the side inputs onTimer may read) runs first; `stillDue`, checked
   * when the timer's turn comes, drops the windows where the timer was changed meanwhile.
   */
  fireTimer(
    key: unknown,
    windows: readonly BoundedWindow[],
    name: string,
    tag: string,
    domain: TimeDomain,
    fireAt: Instant,
    outputTimestamp: Instant,
    before?: () => Promise<void> | undefined,
    stillDue?: (window: BoundedWindow) => boolean,
  ): MaybePromise {
    return this.serialized(() => {
      const fire = (): MaybePromise => {
        const due = stillDue === undefined ? windows : windows.filter(stillDue);
        return due.length === 0 ? undefined : this.fireNow(key, due, name, tag, domain, fireAt, outputTimestamp);
      };
      const ready = before?.();
      return ready === undefined ? fire() : ready.then(fire);
    });
  }

  private fireNow(key: unknown, windows: readonly BoundedWindow[], name: string, tag: string, domain: TimeDomain, fireAt: Instant, outputTimestamp: Instant): MaybePromise {
    if (domain === "PROCESSING_TIME") {
      // As Beam Java's StatefulDoFnRunner: a processing-time timer of an expired window (its state
      // collected, or about to be in this same advance of the clocks) is ignored, not counted.
      // Event-time timers cannot be set past a window's expiry (checkBeforeExpiry).
      const watermark = this.timerBackend.currentInputWatermark();
      if (windows.some((w) => this.isExpired(w, watermark))) windows = windows.filter((w) => !this.isExpired(w, watermark));
      if (windows.length === 0) return undefined;
    }
    const keyId = this.stateBackend.keyId(key);
    const loading = this.stateBackend.prepare(keyId, key, windows);
    if (this.sortsInput && name === SORT_FLUSH.name) {
      const flush = (i: number): MaybePromise => {
        for (; i < windows.length; i++) {
          const r = this.flushSorted(keyId, key, windows[i]!);
          if (r !== undefined) return r.then(() => flush(i + 1));
        }
        return undefined;
      };
      return loading === undefined ? flush(0) : loading.then(() => flush(0));
    }
    const run = (): MaybePromise => {
      this.currentKey = key;
      this.currentKeyId = keyId;
      this.firingDomain = domain;
      this.firingAt = fireAt;
      this.firingTag = tag;
      if (this.elementSampler !== undefined) this.elementSampler.skip = true;
      let r: MaybePromise;
      try {
        r = super.processElement(new TimerFiring(name, tag), { timestamp: outputTimestamp, windows, pane: NO_FIRING });
      } catch (e) {
        this.afterFiring();
        throw e;
      }
      if (r === undefined) {
        this.afterFiring();
        return undefined;
      }
      return r.finally(() => this.afterFiring());
    };
    return loading === undefined ? run() : loading.then(run);
  }

  private afterFiring(): void {
    if (this.elementSampler !== undefined) this.elementSampler.skip = false;
    this.firingDomain = "EVENT_TIME";
    this.firingAt = undefined;
    this.firingTag = "";
  }

  /**
   * Beam's rule (Java's SimpleDoFnRunner): an event-time timer may not be set after its window
   * expires (end of window plus allowed lateness). The window's state is collected then, and what
   * onTimer outputs, stamped with the firing time, would lie outside its window.
   */
  private checkBeforeExpiry(spec: AnyTimerSpec, tag: string, window: BoundedWindow, fireAt: Instant): void {
    const expiry = windowExpiry(window, this.allowedLatenessMillis);
    if (fireAt > expiry) {
      throw new TransformError(
        this.transformName,
        `Transform '${this.transformName}' set event-time timer ${timerLabel(spec, tag)} for ${fireAt}, after the expiration of its window ${window.id()} at ${expiry} ` +
          `(the window's end plus the allowed lateness of ${this.allowedLatenessMillis} ms); Beam does not allow that. Set it no later than ` +
          `ctx.window.maxTimestamp() (plus the allowed lateness), or window the input so the window lasts long enough.`,
      );
    }
  }

  /**
   * Beam's checks of a timer's own output timestamp (Java's FnApiDoFnRunner and SimpleDoFnRunner):
   * not before the input's timestamp minus the allowed skew (an output there could be late), not
   * after the firing time (event time: the timer could not hold its own output) or the window's
   * expiry (processing time).
   */
  private checkTimerOutputTimestamp(spec: AnyTimerSpec, tag: string, window: BoundedWindow, fireAt: Instant, outputTimestamp: Instant, inputTimestamp: Instant): Instant {
    const fail = (why: string, fix: string): never => {
      throw new TransformError(this.transformName, `Transform '${this.transformName}' set timer ${timerLabel(spec, tag)} with output timestamp ${String(outputTimestamp)}, ${why}. ${fix}`);
    };
    if (!(Number.isInteger(outputTimestamp) && outputTimestamp >= MIN_TIMESTAMP && outputTimestamp <= MAX_TIMESTAMP)) {
      fail(`which is not a Beam timestamp (whole milliseconds from ${MIN_TIMESTAMP} to ${MAX_TIMESTAMP})`, "Round it, and clamp it to that range.");
    }
    if (outputTimestamp < inputTimestamp - this.allowedSkewMillis) {
      fail(`earlier than the current input's timestamp ${inputTimestamp} minus the allowed skew (${this.allowedSkewMillis} ms)`, "Output timestamps may not go back past the input's: use a later one, or raise allowedTimestampSkewMillis on the DoFn.");
    }
    if (spec.domain === "EVENT_TIME" && outputTimestamp > fireAt) {
      fail(`after the timer's firing time ${fireAt}`, "An event-time timer's output timestamp must be no later than when it fires.");
    }
    const expiry = windowExpiry(window, this.allowedLatenessMillis);
    if (spec.domain === "PROCESSING_TIME" && outputTimestamp > expiry) {
      fail(`after the expiration of its window ${window.id()} at ${expiry}`, "A processing-time timer's output timestamp must fall inside its window (plus the allowed lateness).");
    }
    return outputTimestamp;
  }

  private isExpired(window: BoundedWindow, watermark: Instant): boolean {
    return windowExpiry(window, this.allowedLatenessMillis) < watermark;
  }

  // ---- the stateful context ----

  get key(): unknown {
    return this.currentKey;
  }

  get processingTime(): Instant {
    return this.timerBackend.currentProcessingTime();
  }

  /** The element's timestamp; in onTimer, the timer's output timestamp (its firing time when it has none). */
  get timestamp(): Instant {
    const t = super.timestamp;
    return t === NO_OUTPUT_TIMESTAMP && this.firingAt !== undefined ? this.firingAt : t;
  }

  /** In onTimer, when the timer fired (in its own clock). */
  get fireTimestamp(): Instant {
    if (this.firingAt === undefined) {
      throw new TransformError(this.transformName, `Transform '${this.transformName}' read ctx.fireTimestamp outside onTimer; only a timer has a firing time (use ctx.timestamp for the element's)`);
    }
    return this.firingAt;
  }

  get timeDomain(): TimeDomain {
    return this.firingDomain;
  }

  /** In onTimer, the fired timer's tag within its family ("" for a plain timer). */
  get timerTag(): string {
    return this.firingTag;
  }

  private requireKey(what: string): KeyId {
    if (this.currentKeyId === undefined) {
      throw new TransformError(this.transformName, `Transform '${this.transformName}' used ${what} outside process/onTimer; state and timers belong to the current key and window`);
    }
    return this.currentKeyId;
  }

  state<S>(spec: StateSpec<S>): S {
    const keyId = this.requireKey(`state '${spec.name}'`);
    return this.stateBackend.cell(spec, keyId, this.currentKey, this.window);
  }

  timer(spec: TimerSpec): Timer;
  timer(spec: TimerFamilySpec, tag: string): Timer;
  timer(spec: AnyTimerSpec, tagArg?: string): Timer {
    const tag = this.checkTag(spec, tagArg);
    const keyId = this.requireKey(`timer ${timerLabel(spec, tag)}`);
    this.timerBackend.checkTimer?.(spec);
    const key = this.currentKey;
    const window = this.window;
    const timers = this.timerBackend;
    // The event time of the element (or timer) being processed: what outputs are stamped with.
    const eventTime = super.timestamp;
    // What the next set holds the watermark at: the default, none, or a time the DoFn chose.
    let hold: "default" | "none" | Instant = "default";
    const set = (fireAt: Instant): void => {
      if (spec.domain === "EVENT_TIME") this.checkBeforeExpiry(spec, tag, window, fireAt);
      let outputTimestamp: Instant;
      if (hold === "none") outputTimestamp = NO_OUTPUT_TIMESTAMP;
      else if (hold === "default") outputTimestamp = spec.domain === "EVENT_TIME" ? fireAt : eventTime;
      else outputTimestamp = this.checkTimerOutputTimestamp(spec, tag, window, fireAt, hold, eventTime);
      timers.setTimer(keyId, key, window, spec, tag, { domain: spec.domain, fireAt, outputTimestamp });
    };
    const handle: Timer = {
      set,
      // Beam's setRelative: an event-time target past the window's expiry becomes the expiry
      // (minTargetAndGcTime), where an absolute set past it fails.
      offset: (delay) => set(spec.domain === "EVENT_TIME" ? Math.min(eventTime + delay, windowExpiry(window, this.allowedLatenessMillis)) : timers.currentProcessingTime() + delay),
      clear: () => timers.deleteTimer(keyId, key, window, spec, tag),
      withNoOutputTimestamp: () => {
        hold = "none";
        return handle;
      },
      withOutputTimestamp: (timestamp) => {
        hold = timestamp;
        return handle;
      },
    };
    return handle;
  }

  /** A family's timer needs a string tag, a plain timer none (the types say so; this catches untyped callers). */
  private checkTag(spec: AnyTimerSpec, tag: string | undefined): string {
    if (isTimerFamily(spec)) {
      if (typeof tag !== "string") {
        throw new TransformError(
          this.transformName,
          `Transform '${this.transformName}' used timer family '${spec.name}' without a tag; each timer of a family is told apart by its tag: ctx.timer(spec, tag)`,
        );
      }
      return tag;
    }
    if (tag !== undefined) {
      throw new TransformError(
        this.transformName,
        `Transform '${this.transformName}' gave timer '${spec.name}' the tag '${String(tag)}', but it is a single timer; declare it with TimerSpec.eventTimeFamily/processingTimeFamily to have one timer per tag`,
      );
    }
    return "";
  }
}

/** How messages name a timer: 'flush', or 'perId' tag 'x' for a family's. */
function timerLabel(spec: AnyTimerSpec, tag: string): string {
  return isTimerFamily(spec) ? `'${spec.name}' (tag '${tag}')` : `'${spec.name}'`;
}
