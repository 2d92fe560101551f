/**
 * State and timers for stateful DoFns: per key and window storage that survives across
 * elements, and callbacks at an event time or a processing time.
 *
 * A stateful DoFn reads a keyed PCollection (`KV<K, V>`), declares its state and timers as
 * fields, and reaches them through the context. The runner keeps one copy of each state cell per
 * key and window, and clears it when the window expires (end of window + allowed lateness).
 *
 *     class BufferUntilEndOfWindow extends StatefulDoFn<string, number, KV<string, number[]>> {
 *       readonly buffer = StateSpec.bag<number>("buffer");
 *       readonly flush = TimerSpec.eventTime("flush");
 *       process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number[]>>) {
 *         ctx.state(this.buffer).add(e.value);
 *         ctx.timer(this.flush).set(ctx.window.maxTimestamp());
 *       }
 *       onTimer(timer: string, ctx: TimerContext<string, KV<string, number[]>>) {
 *         ctx.output(kv(ctx.key, [...ctx.state(this.buffer).read()]));
 *         ctx.state(this.buffer).clear();
 *       }
 *     }
 *
 * Stateful DoFns run on every runner, in batch and streaming pipelines (the DirectRunner runs
 * pipelines that have them with its streaming driver).
 *
 * @category State and timers
 */
import { withCombineLifecycle } from "./combine_lifecycle";
import type { CombineFn } from "./combine_fn";
import { DoFn, OutputTags, ProcessContext, SideInputTypes } from "./dofn";
import { PipelineConstructionError } from "./errors";
import type { Instant, KV } from "./window";
import type { TimestampedValue } from "../transforms/util";

/** A single value. */
export interface ValueState<T> {
  /** The value, or undefined if never written (or cleared). */
  read(): T | undefined;
  /** Replaces the value. */
  write(value: T): void;
  /** Forgets the value. */
  clear(): void;
}

/** An unordered collection of values, appended to. */
export interface BagState<T> {
  /** Appends a value. */
  add(value: T): void;
  /** Every value added (in no guaranteed order). */
  read(): readonly T[];
  /** Whether nothing has been added since the last clear. */
  isEmpty(): boolean;
  /** Empties the bag. */
  clear(): void;
}

/** A value aggregated with a CombineFn as inputs are added. */
export interface CombiningState<In, Out> {
  /** Adds an input to the accumulator. */
  add(value: In): void;
  /** The CombineFn's output for everything added (its empty output if nothing was). */
  read(): Out;
  /** Resets the accumulator. */
  clear(): void;
}

/** A map from keys to values (keys compared like Map keys: use strings or numbers). */
export interface MapState<K, V> {
  /** The value of `key`, or undefined. */
  get(key: K): V | undefined;
  /** Sets the value of `key`. */
  put(key: K, value: V): void;
  /** Removes `key`. */
  remove(key: K): void;
  /** Every entry. */
  entries(): readonly (readonly [K, V])[];
  /** Removes every entry. */
  clear(): void;
}

/**
 * A set of values (Beam's SetState). As in Beam, elements are compared by their encoded bytes
 * (the deterministic JS value encoding), not by JS identity: two equal objects built separately
 * are the same element.
 */
export interface SetState<T> {
  /** Adds `value` (nothing changes if an equal element is there). */
  add(value: T): void;
  /** Whether an equal element is in the set. */
  contains(value: T): boolean;
  /** Adds `value` unless an equal element is there; returns whether it was added. */
  addIfAbsent(value: T): boolean;
  /** Removes the equal element, if any. */
  remove(value: T): void;
  /** Every element (in no guaranteed order). */
  read(): readonly T[];
  /** Whether the set has no element. */
  isEmpty(): boolean;
  /** Empties the set. */
  clear(): void;
}

/**
 * Values kept sorted by a timestamp (Beam's OrderedListState). Ranges are half-open: `from`
 * included, `to` excluded. Values of equal timestamps all stay, in no guaranteed order.
 */
export interface OrderedListState<T> {
  /** Adds a value at its timestamp. */
  add(value: TimestampedValue<T>): void;
  /** Every value, by ascending timestamp. */
  read(): readonly TimestampedValue<T>[];
  /** The values with `from <= timestamp < to`, by ascending timestamp. */
  readRange(from: Instant, to: Instant): readonly TimestampedValue<T>[];
  /** Removes the values with `from <= timestamp < to`. */
  clearRange(from: Instant, to: Instant): void;
  /** Whether there is no value. */
  isEmpty(): boolean;
  /** Removes every value. */
  clear(): void;
}

/** Describes a state cell of a DoFn; `S` is what `ctx.state(spec)` returns. */
export interface StateSpec<S> {
  /** Which kind of cell. */
  readonly kind: StateKind;
  /** Unique among the DoFn's state cells. */
  readonly name: string;
  /** For combining state. */
  readonly combineFn?: CombineFn<unknown, unknown, unknown>;
  /** Phantom field carrying the state type. */
  readonly __stateType?: S;
}

/** The kinds of state cell. */
export type StateKind = "value" | "bag" | "combining" | "map" | "set" | "orderedList";

/** Declares state cells: `readonly count = StateSpec.value<number>("count")`. */
export const StateSpec = {
  /** A single value: `ctx.state(spec)` is a `ValueState<T>`. */
  value<T>(name: string): StateSpec<ValueState<T>> {
    return { kind: "value", name };
  },
  /** An unordered collection that is appended to: a `BagState<T>`. */
  bag<T>(name: string): StateSpec<BagState<T>> {
    return { kind: "bag", name };
  },
  /** A value aggregated by `combineFn` as inputs are added: a `CombiningState<In, Out>`. */
  combining<In, Acc, Out>(name: string, combineFn: CombineFn<In, Acc, Out>): StateSpec<CombiningState<In, Out>> {
    return { kind: "combining", name, combineFn: withCombineLifecycle(combineFn as unknown as CombineFn<unknown, unknown, unknown>) };
  },
  /** A map: a `MapState<K, V>`. */
  map<K, V>(name: string): StateSpec<MapState<K, V>> {
    return { kind: "map", name };
  },
  /** A set, its elements compared by encoded bytes: a `SetState<T>` (Beam's StateSpecs.set). */
  set<T>(name: string): StateSpec<SetState<T>> {
    return { kind: "set", name };
  },
  /** Values sorted by timestamp: an `OrderedListState<T>` (Beam's StateSpecs.orderedList). */
  orderedList<T>(name: string): StateSpec<OrderedListState<T>> {
    return { kind: "orderedList", name };
  },
};

/** The clock a timer follows. */
export type TimeDomain = "EVENT_TIME" | "PROCESSING_TIME";

/** Describes a timer of a DoFn: one timer per key and window (`ctx.timer(spec)`). */
export interface TimerSpec {
  /** Unique among the DoFn's state cells, timers and timer families; `onTimer` receives it. */
  readonly name: string;
  /** The clock it follows. */
  readonly domain: TimeDomain;
  /** Not a family: `ctx.timer(spec)` takes no tag (see TimerFamilySpec). */
  readonly family?: false;
}

/**
 * Describes a timer family of a DoFn (Beam Java's `@TimerFamily` with `TimerSpecs.timerMap`,
 * Beam Python's dynamic timers): per key and window, any number of independent timers told apart
 * by a string tag chosen at run time, `ctx.timer(spec, tag)`. Each (key, window, family, tag) is
 * set, reset and cleared on its own, like a TimerSpec's one timer; `onTimer` receives the family's
 * name and `ctx.timerTag` the tag of the timer that fired.
 */
export interface TimerFamilySpec {
  /** Unique among the DoFn's state cells, timers and timer families; `onTimer` receives it. */
  readonly name: string;
  /** The clock every timer of the family follows. */
  readonly domain: TimeDomain;
  /** A family: `ctx.timer(spec, tag)` needs the tag. */
  readonly family: true;
}

/**
 * Declares timers, `readonly flush = TimerSpec.eventTime("flush")`, and timer families,
 * `readonly perId = TimerSpec.eventTimeFamily("perId")`.
 */
export const TimerSpec = {
  /** Fires when the input watermark passes the set time. */
  eventTime(name: string): TimerSpec {
    return { name, domain: "EVENT_TIME" };
  },
  /** Fires when processing time reaches the set time. */
  processingTime(name: string): TimerSpec {
    return { name, domain: "PROCESSING_TIME" };
  },
  /** A family of event-time timers, one per tag (Beam Java's `TimerSpecs.timerMap(EVENT_TIME)`). */
  eventTimeFamily(name: string): TimerFamilySpec {
    return { name, domain: "EVENT_TIME", family: true };
  },
  /** A family of processing-time timers, one per tag (Beam Java's `TimerSpecs.timerMap(PROCESSING_TIME)`). */
  processingTimeFamily(name: string): TimerFamilySpec {
    return { name, domain: "PROCESSING_TIME", family: true };
  },
};

/** @internal A timer or a timer family, as runners handle both (on the Fn API each is a timer family, a plain timer's tag being ""). */
export type AnyTimerSpec = TimerSpec | TimerFamilySpec;

/** A timer of the current key and window. Setting it again replaces the previous time. */
export interface Timer {
  /** Fires at this time (event time, or processing time, per the timer's domain). */
  set(timestamp: Instant): void;
  /** Fires `delayMillis` after the current time of the timer's domain. */
  offset(delayMillis: number): void;
  /** Cancels the timer. */
  clear(): void;
  /**
   * The timer set next by this handle holds no watermark (Beam's `withNoOutputTimestamp`): by
   * default a pending timer holds the step's output watermark at its output timestamp (its time,
   * or for processing-time timers the event time of what set it). Use it for timers that only
   * clean up, whose onTimer outputs nothing; an output there fails, as it has no timestamp.
   */
  withNoOutputTimestamp(): Timer;
  /**
   * The timer set next by this handle holds the output watermark at `timestamp`, and its onTimer's
   * outputs get that timestamp (Beam's `withOutputTimestamp`), instead of the default (the firing
   * time for event-time timers, the event time of what set it for processing-time timers). It must
   * be no earlier than the current element's timestamp (minus the DoFn's allowed skew), and no later
   * than the firing time (event-time timers) or the window's expiry (processing-time timers).
   */
  withOutputTimestamp(timestamp: Instant): Timer;
}

export { NO_OUTPUT_TIMESTAMP } from "./window";

/** The context of a stateful DoFn's `process`. */
export interface StatefulProcessContext<Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> extends ProcessContext<Out, Tags, Sides> {
  /** The state cell of the current key and window. */
  state<S>(spec: StateSpec<S>): S;
  /** The timer of the current key and window. */
  timer(spec: TimerSpec): Timer;
  /**
   * The timer `tag` of the family, for the current key and window (Beam Java's
   * `TimerMap.get(tag)`; `TimerMap.set(tag, t)` is `ctx.timer(spec, tag).set(t)`). Each tag is an
   * independent timer: setting or clearing one leaves the family's others as they are.
   */
  timer(spec: TimerFamilySpec, tag: string): Timer;
  /** The current processing time (virtual under TestStream). */
  readonly processingTime: Instant;
}

/**
 * The context of `onTimer`: the timer's key, window and times. As in Beam Java (`@Timestamp` and
 * `fireTimestamp()` in `@OnTimer`), `ctx.timestamp` is the timer's output timestamp, the timestamp
 * its outputs get: the firing time of an event-time timer unless `withOutputTimestamp` set another,
 * and for a processing-time timer the event time of the element that set it (or that
 * `withOutputTimestamp` set). A timer set `withNoOutputTimestamp()` has none, and its
 * `ctx.timestamp` is its firing time. `ctx.fireTimestamp` is when it fired: an event time, or a
 * processing time (virtual under TestStream).
 */
export interface TimerContext<K, Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> extends StatefulProcessContext<Out, Tags, Sides> {
  /** The key whose timer fired. */
  readonly key: K;
  /** The fired timer's clock. */
  readonly timeDomain: TimeDomain;
  /**
   * When the timer fired, in its clock (Beam Java's `OnTimerContext.fireTimestamp()`). Prism
   * sends a processing-time timer's output timestamp here instead of its processing time.
   */
  readonly fireTimestamp: Instant;
  /**
   * The tag of the timer that fired, within its family (Beam Java's `@TimerId String` in
   * `@OnTimerFamily`, Beam Python's `DynamicTimerTagParam`); "" for a timer of a TimerSpec.
   */
  readonly timerTag: string;
}

/**
 * A DoFn over keyed input with state and timers. Runners process each key's elements one at a
 * time and call `onTimer` when one of its timers fires.
 */
export abstract class StatefulDoFn<K, V, Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> extends DoFn<KV<K, V>, Out, Tags, Sides> {
  /** Marks the DoFn as stateful for runners. */
  readonly isStateful = true as const;
  /**
   * Each key's elements reach `process` in timestamp order (Beam Java's
   * `@RequiresTimeSortedInput`), window by window. Runners buffer the elements until the input
   * watermark passes their timestamp (plus the allowed lateness), so results wait for the
   * watermark; an element later than that is dropped and counted (`droppedDueToLateness`), as in
   * Beam. Portable runners are told through the ParDoPayload (`requires_time_sorted_input`) and
   * the pipeline's requirements; one that cannot honour it refuses the job.
   */
  declare requiresTimeSortedInput?: boolean;
  abstract process(element: KV<K, V>, ctx: StatefulProcessContext<Out, Tags, Sides>): void | Promise<void>;
  /** Called when a timer fires, with the name of its TimerSpec or TimerFamilySpec (the tag is `ctx.timerTag`). */
  onTimer?(timer: string, ctx: TimerContext<K, Out, Tags, Sides>): void | Promise<void>;
}

/** Whether a DoFn uses state and timers. */
export function isStatefulDoFn(fn: unknown): fn is StatefulDoFn<unknown, unknown, unknown, OutputTags> {
  return fn instanceof StatefulDoFn || (typeof fn === "object" && fn !== null && (fn as { isStateful?: unknown }).isStateful === true);
}

// ---- the declared state and timers of a DoFn ----
//
// A stateful DoFn declares its cells and timers as fields (`readonly buffer =
// StateSpec.bag("buffer")`), so every own property whose value is a StateSpec or a TimerSpec
// counts. ParDo validates them at construction (as Beam's DoFnSignatures does), translation
// writes them into the ParDoPayload, and the SDK harness uses the same list to know which cells
// to load for a key.

/** The declared state and timers of one DoFn, in declaration order. */
export interface DeclaredStateAndTimers {
  readonly states: readonly StateSpec<unknown>[];
  readonly timers: readonly AnyTimerSpec[];
}

const STATE_KINDS: ReadonlySet<string> = new Set<StateKind>(["value", "bag", "combining", "map", "set", "orderedList"]);

function isStateSpec(v: unknown): v is StateSpec<unknown> {
  if (typeof v !== "object" || v === null) return false;
  const s = v as { kind?: unknown; name?: unknown };
  return typeof s.kind === "string" && STATE_KINDS.has(s.kind) && typeof s.name === "string";
}

function isTimerSpec(v: unknown): v is AnyTimerSpec {
  if (typeof v !== "object" || v === null) return false;
  const t = v as { domain?: unknown; name?: unknown };
  return typeof t.name === "string" && (t.domain === "EVENT_TIME" || t.domain === "PROCESSING_TIME");
}

/** @internal Whether a timer spec declares a family (its timers told apart by tag). */
export function isTimerFamily(spec: AnyTimerSpec): spec is TimerFamilySpec {
  return spec.family === true;
}

/**
 * @internal The state and timers of `doFn` (empty lists when it is not stateful); fails if two
 * share a name.
 */
export function declaredStateAndTimers(doFn: unknown, transformName: string): DeclaredStateAndTimers {
  if (!isStatefulDoFn(doFn)) return { states: [], timers: [] };
  const states: StateSpec<unknown>[] = [];
  const timers: AnyTimerSpec[] = [];
  const names = new Map<string, string>();
  const claim = (name: string, field: string): void => {
    if (name.startsWith("__beamline")) {
      throw new PipelineConstructionError(`Stateful DoFn field '${field}' declares the state or timer name '${name}'; names starting with "__beamline" are reserved for the runner's own state and timers`, transformName);
    }
    const other = names.get(name);
    if (other !== undefined) {
      throw new PipelineConstructionError(
        `Stateful DoFn fields '${other}' and '${field}' both declare the state or timer name '${name}'; give each StateSpec and TimerSpec its own name`,
        transformName,
      );
    }
    names.set(name, field);
  };
  for (const [field, value] of Object.entries(doFn as object)) {
    if (isStateSpec(value)) {
      claim(value.name, field);
      if (value.kind === "combining" && value.combineFn === undefined) {
        throw new PipelineConstructionError(`Combining state '${value.name}' has no CombineFn; declare it with StateSpec.combining(name, combineFn)`, transformName);
      }
      states.push(value);
    } else if (isTimerSpec(value)) {
      claim(value.name, field);
      timers.push(value);
    }
  }
  return { states, timers };
}
