/**
 * The lifted half of a CombinePerKey that runs before the shuffle: one accumulator per key and
 * window per bundle, flushed to the shuffle at the end of the bundle (or when the table grows
 * past a bound, so memory stays flat for huge key spaces). Each accumulator carries the
 * timestamp its window's timestamp combiner needs (the earliest or latest of its inputs, or the
 * end of the window), as Beam's precombine does, so the grouping after it stamps the result
 * as a GroupByKey would.
 */
import type { Coder } from "../../lib/coders/coder";
import type { TimestampCombiner } from "../../lib/model/windowing";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { activeMetrics, MetricsContainer, setActiveContainer } from "../../lib/model/metrics";
import { BoundedWindow, ElementMeta, GLOBAL_WINDOWS, GlobalWindow, Instant, KV } from "../../lib/model/window";
import { previewValue, TransformError } from "../../lib/model/errors";
import { CheckSampler, checkKeyDeterministic } from "./checks";
import { groupIdentity, keyIdentity } from "./grouping_key";
import { BasicOperator, StepMark, wrapUserError } from "./operator";
import type { MaybePromise } from "./receiver";

/** Where grouped data goes: the shuffle of a GroupByKey or lifted combine. */
export interface GroupingSink {
  /** Adds a value (or an accumulator, for combines) to the group `groupId`. */
  add(groupId: string, key: unknown, window: BoundedWindow, timestamp: Instant, value: unknown): void;
}

/** How many distinct keys a bundle may hold before flushing early. */
export const PRECOMBINE_MAX_KEYS = 50_000;

interface Entry {
  key: unknown;
  window: BoundedWindow;
  timestamp: Instant;
  acc: unknown;
}

export class PrecombineOperator extends BasicOperator {
  /** String keys in the global window: the hot case, keyed by the string itself (no concatenation). */
  private byString = new Map<string, Entry>();
  /** Everything else, keyed by group identity. */
  private byGroup = new Map<string, Entry>();
  /** Keep the latest input timestamp per accumulator (LATEST) rather than the earliest. */
  private readonly latest: boolean;
  /** Stamp accumulators with the end of their window (END_OF_WINDOW). */
  private readonly endOfWindow: boolean;

  constructor(
    readonly transformName: string,
    private readonly combineFn: CombineFnLike,
    private readonly keyCoder: Coder<unknown>,
    private readonly sink: GroupingSink,
    private readonly metrics: MetricsContainer,
    private readonly keyChecks: CheckSampler | undefined,
    /** The input's timestamp combiner (default EARLIEST: the earliest input timestamp). */
    timestampCombiner: TimestampCombiner = "EARLIEST",
    /** The monitor's step register, written here rather than by a receiver in front of this operator. */
    private readonly mark: StepMark | undefined = undefined,
  ) {
    super();
    this.latest = timestampCombiner === "LATEST";
    this.endOfWindow = timestampCombiner === "END_OF_WINDOW";
  }

  startBundle(): MaybePromise {
    this.keyChecks?.resetForBundle();
    return undefined;
  }

  receive(element: unknown, wv: ElementMeta): MaybePromise {
    const { key, value } = asKv(this.transformName, element);
    // Strings, numbers and booleans always encode deterministically: only other keys are sampled.
    if (typeof key === "object" && this.keyChecks !== undefined && this.keyChecks.shouldCheck()) checkKeyDeterministic(this.transformName, key, this.keyCoder);
    const previous = activeMetrics.container;
    activeMetrics.container = this.metrics;
    // The monitor's step (written out: no helper call on the hot path).
    let previousStep = -1;
    if (this.mark !== undefined) {
      previousStep = this.mark.register[0]!;
      this.mark.register[0] = this.mark.step;
    }
    try {
      const windows = wv.windows;
      // The shared GLOBAL_WINDOWS array by identity first: it is frozen, and TurboFan (Node 20's
      // V8) compiles an index into a frozen array as a generic keyed-load call (~100 instructions
      // per word in wordcount); other arrays holding just the global window take the index.
      if (typeof key === "string" && (windows === GLOBAL_WINDOWS || (windows.length === 1 && windows[0] === GlobalWindow.INSTANCE))) {
        let entry = this.byString.get(key);
        if (entry === undefined) {
          entry = { key, window: GlobalWindow.INSTANCE, timestamp: wv.timestamp, acc: this.combineFn.createAccumulator() };
          this.byString.set(key, entry);
        } else if (this.latest ? wv.timestamp > entry.timestamp : wv.timestamp < entry.timestamp) entry.timestamp = wv.timestamp;
        entry.acc = this.combineFn.addInput(entry.acc, value);
      } else {
        const keyId = keyIdentity(key, this.keyCoder);
        for (let i = 0; i < windows.length; i++) {
          const window = windows[i]!;
          const id = groupIdentity(keyId, window);
          let entry = this.byGroup.get(id);
          if (entry === undefined) {
            entry = { key, window, timestamp: wv.timestamp, acc: this.combineFn.createAccumulator() };
            this.byGroup.set(id, entry);
          } else if (this.latest ? wv.timestamp > entry.timestamp : wv.timestamp < entry.timestamp) entry.timestamp = wv.timestamp;
          entry.acc = this.combineFn.addInput(entry.acc, value);
        }
      }
    } catch (e) {
      throw wrapUserError(this.transformName, "combine", e, element);
    } finally {
      activeMetrics.container = previous;
      if (this.mark !== undefined) this.mark.register[0] = previousStep;
    }
    if (this.byString.size + this.byGroup.size >= PRECOMBINE_MAX_KEYS) this.flush();
    return undefined;
  }

  finishBundle(): MaybePromise {
    this.flush();
    return undefined;
  }

  private flush(): void {
    const previous = setActiveContainer(this.metrics);
    const fn = this.combineFn;
    try {
      const stamp = (e: Entry): Instant => (this.endOfWindow ? e.window.maxTimestamp() : e.timestamp);
      for (const [key, e] of this.byString) this.sink.add(groupIdentity(keyIdentity(key, this.keyCoder), e.window), e.key, e.window, stamp(e), fn.compact ? fn.compact(e.acc) : e.acc);
      for (const [id, e] of this.byGroup) this.sink.add(id, e.key, e.window, stamp(e), fn.compact ? fn.compact(e.acc) : e.acc);
    } catch (e) {
      throw wrapUserError(this.transformName, "combine", e);
    } finally {
      setActiveContainer(previous);
    }
    this.byString = new Map();
    this.byGroup = new Map();
  }
}

/** The element as a KV, or the error for a keyed step (grouping, stateful ParDo) that received something else. */
export function asKv(transformName: string, element: unknown): KV<unknown, unknown> {
  if (typeof element !== "object" || element === null || !("key" in element)) throw notKv(transformName, element);
  return element as KV<unknown, unknown>;
}

/** The error for a non-KV element reaching a grouping. */
export function notKv(transformName: string, element: unknown): TransformError {
  return new TransformError(
    transformName,
    `Transform '${transformName}' groups by key, but received ${previewValue(element)}, which is not a KV. ` +
      `Turn elements into { key, value } first, e.g. pcoll.map(x => kv(keyOf(x), x)) or WithKeys.of(...)`,
  );
}

/** Feeds a GroupByKey's shuffle from its input PCollection. */
export class GroupingWriter extends BasicOperator {
  constructor(
    readonly transformName: string,
    private readonly keyCoder: Coder<unknown>,
    private readonly sink: GroupingSink,
    private readonly keyChecks: CheckSampler | undefined,
    /** The monitor's step register, written here rather than by a receiver in front of this operator. */
    private readonly mark: StepMark | undefined = undefined,
  ) {
    super();
  }
  startBundle(): MaybePromise {
    this.keyChecks?.resetForBundle();
    return undefined;
  }
  receive(element: unknown, wv: ElementMeta): MaybePromise {
    // The monitor's step, as in PrecombineOperator.receive.
    let previousStep = -1;
    if (this.mark !== undefined) {
      previousStep = this.mark.register[0]!;
      this.mark.register[0] = this.mark.step;
    }
    try {
      const { key, value } = asKv(this.transformName, element);
      if (typeof key === "object" && this.keyChecks !== undefined && this.keyChecks.shouldCheck()) checkKeyDeterministic(this.transformName, key, this.keyCoder);
      const keyId = keyIdentity(key, this.keyCoder);
      for (const window of wv.windows) this.sink.add(groupIdentity(keyId, window), key, window, wv.timestamp, value);
    } finally {
      if (this.mark !== undefined) this.mark.register[0] = previousStep;
    }
    return undefined;
  }
}
