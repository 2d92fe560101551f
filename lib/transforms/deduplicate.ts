/**
 * Deduplicate: drops repeats of an element (or of a key, or of a representative value) seen within
 * a duration, per window, as Beam Java's `Deduplicate` and Beam Python's `Deduplicate` /
 * `DeduplicatePerKey`. Unlike Distinct, nothing is grouped: the first occurrence goes out at once,
 * which suits unbounded input (e.g. Pub/Sub's at-least-once redeliveries).
 *
 * A stateful DoFn keyed by the element (or key, or representative value) remembers that it has seen
 * it, and an expiry timer, `duration` after the first occurrence in its time domain, forgets it
 * (processing time, 10 minutes, by default). Beam Python's form takes a processing-time and/or an
 * event-time duration (`Deduplicate.of({ processingTimeDuration, eventTimeDuration })`); given both,
 * two timers are set and the first to fire forgets. The timers are set without an output
 * timestamp, so they hold no watermark: the output is not delayed by the duration.
 */
import { ValidationError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { StatefulDoFn, StateSpec, TimerSpec, type StatefulProcessContext, type TimeDomain, type TimerContext } from "../model/state";
import { PTransform } from "../model/transform";
import { KV, kv } from "../model/window";

/** Beam's default: how long an occurrence is remembered. */
export const DEFAULT_DEDUPLICATE_DURATION_MILLIS = 10 * 60 * 1000;
/** Beam's default time domain of the duration. */
export const DEFAULT_DEDUPLICATE_TIME_DOMAIN: TimeDomain = "PROCESSING_TIME";

/** How long occurrences are remembered, and by which clock. */
export interface DeduplicateSettings {
  /** The clock of `durationMillis`. */
  readonly timeDomain: TimeDomain;
  /** How long after the first occurrence (milliseconds) repeats are dropped. */
  readonly durationMillis: number;
  /**
   * A second duration by the other clock (milliseconds; Beam Python's `Deduplicate` given both
   * `processing_time_duration` and `event_time_duration`): an occurrence is forgotten when either
   * passes. Undefined: one clock only.
   */
  readonly otherDomainDurationMillis?: number;
}

/** Beam Python's durations of `Deduplicate` / `DeduplicatePerKey`, in milliseconds; at least one. */
export interface DeduplicateDurations {
  /** Repeats within this long of processing time after the first occurrence are dropped (Python's `processing_time_duration`). */
  readonly processingTimeDuration?: number;
  /** Repeats within this long of event time after the first occurrence's timestamp are dropped (Python's `event_time_duration`). */
  readonly eventTimeDuration?: number;
}

function checkDuration(what: string, ms: unknown): void {
  if (!(typeof ms === "number" && Number.isFinite(ms) && ms >= 0)) {
    throw new ValidationError(`Deduplicate: ${what} must be a finite number of milliseconds, 0 or more; got ${String(ms)}`);
  }
}

function checkSettings(s: DeduplicateSettings): DeduplicateSettings {
  if (s.timeDomain !== "PROCESSING_TIME" && s.timeDomain !== "EVENT_TIME") {
    throw new ValidationError(`Deduplicate: unknown time domain '${String(s.timeDomain)}'; use "PROCESSING_TIME" or "EVENT_TIME"`);
  }
  checkDuration("the duration", s.durationMillis);
  if (s.otherDomainDurationMillis !== undefined) checkDuration("the other time domain's duration", s.otherDomainDurationMillis);
  return s;
}

/** Settings from Python's durations: processing time first if given (then event time as the other). */
function settingsOf(transform: string, d: DeduplicateDurations): DeduplicateSettings {
  const { processingTimeDuration: p, eventTimeDuration: e } = d ?? {};
  if (p === undefined && e === undefined) {
    throw new ValidationError(
      `${transform} needs at least one of processingTimeDuration or eventTimeDuration (milliseconds), as Beam Python's; ` +
        `e.g. ${transform}({ processingTimeDuration: 10 * 60_000 })`,
    );
  }
  if (p !== undefined) checkDuration("processingTimeDuration", p);
  if (e !== undefined) checkDuration("eventTimeDuration", e);
  return p !== undefined
    ? { timeDomain: "PROCESSING_TIME", durationMillis: p, ...(e !== undefined ? { otherDomainDurationMillis: e } : {}) }
    : { timeDomain: "EVENT_TIME", durationMillis: e! };
}

/** Outputs a key's first element and drops the rest until the expiry timer forgets the key. */
class DeduplicateFn<K, V> extends StatefulDoFn<K, V, KV<K, V>> {
  readonly seen = StateSpec.value<boolean>("seen");
  /** The expiry timer of the settings' time domain. */
  readonly expiry: TimerSpec;
  /** With both durations: the expiry timer of the other domain. */
  readonly otherExpiry: TimerSpec | undefined;

  constructor(private readonly settings: DeduplicateSettings) {
    super();
    const event = settings.timeDomain === "EVENT_TIME";
    this.expiry = event ? TimerSpec.eventTime("expiry") : TimerSpec.processingTime("expiry");
    if (settings.otherDomainDurationMillis !== undefined) {
      this.otherExpiry = event ? TimerSpec.processingTime("otherExpiry") : TimerSpec.eventTime("otherExpiry");
    }
  }

  process(element: KV<K, V>, ctx: StatefulProcessContext<KV<K, V>>): void {
    const seen = ctx.state(this.seen);
    if (seen.read() !== undefined) return;
    // The timers only forget: they must not hold the watermark back for the whole duration.
    ctx.timer(this.expiry).withNoOutputTimestamp().offset(this.settings.durationMillis);
    if (this.otherExpiry !== undefined) ctx.timer(this.otherExpiry).withNoOutputTimestamp().offset(this.settings.otherDomainDurationMillis!);
    seen.write(true);
    ctx.output(element);
  }

  onTimer(_timer: string, ctx: TimerContext<K, KV<K, V>>): void {
    // With two clocks the first to pass forgets; the other's timer is left, as in Beam Python: a
    // later occurrence sets both again (replacing it), and if none comes it clears nothing.
    ctx.state(this.seen).clear();
  }
}

/** `Deduplicate.keyedValues()`: KVs, deduplicated by key (the first KV of a key goes out). */
export class DeduplicateKeyedValues<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V>>> {
  constructor(
    /** How long occurrences are remembered, and by which clock. */
    readonly settings: DeduplicateSettings,
  ) {
    super("Deduplicate");
    checkSettings(settings);
  }
  /** Remembers occurrences by this clock (default processing time), one clock only. */
  withTimeDomain(timeDomain: TimeDomain): DeduplicateKeyedValues<K, V> {
    return new DeduplicateKeyedValues({ timeDomain, durationMillis: this.settings.durationMillis });
  }
  /** Remembers occurrences this long (milliseconds; default 10 minutes). */
  withDuration(durationMillis: number): DeduplicateKeyedValues<K, V> {
    return new DeduplicateKeyedValues({ ...this.settings, durationMillis });
  }
  /** Python's durations (milliseconds), replacing the time domain and duration. */
  withDurations(durations: DeduplicateDurations): DeduplicateKeyedValues<K, V> {
    return new DeduplicateKeyedValues(settingsOf("Deduplicate.withDurations", durations));
  }
  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, V>> {
    return input.apply("DeduplicatePerKey", ParDo.of(new DeduplicateFn<K, V>(this.settings)));
  }
}

/** `Deduplicate.values()` and `withRepresentativeValueFn(fn)`: elements, deduplicated by themselves or by `fn`. */
export class DeduplicateValues<T, Id = T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor(
    /** How long occurrences are remembered, and by which clock. */
    readonly settings: DeduplicateSettings,
    private readonly representative: ((element: T) => Id) | undefined,
  ) {
    super("Deduplicate");
    checkSettings(settings);
  }
  /** Remembers occurrences by this clock (default processing time), one clock only. */
  withTimeDomain(timeDomain: TimeDomain): DeduplicateValues<T, Id> {
    return new DeduplicateValues({ timeDomain, durationMillis: this.settings.durationMillis }, this.representative);
  }
  /** Remembers occurrences this long (milliseconds; default 10 minutes). */
  withDuration(durationMillis: number): DeduplicateValues<T, Id> {
    return new DeduplicateValues({ ...this.settings, durationMillis }, this.representative);
  }
  /** Python's durations (milliseconds), replacing the time domain and duration. */
  withDurations(durations: DeduplicateDurations): DeduplicateValues<T, Id> {
    return new DeduplicateValues(settingsOf("Deduplicate.withDurations", durations), this.representative);
  }
  expand(input: PCollection<T>): PCollection<T> {
    const fn = this.representative;
    const keyed =
      fn === undefined
        ? input.map("KeyByElement", (x: T) => kv(x, null))
        : input.map("KeyByRepresentativeValue", (x: T) => kv(fn(x), x));
    const unique = (keyed as PCollection<KV<unknown, unknown>>).apply("Deduplicate", new DeduplicateKeyedValues<unknown, unknown>(this.settings));
    return fn === undefined ? unique.map("Keys", (e: KV<unknown, unknown>) => e.key as T) : unique.map("Values", (e: KV<unknown, unknown>) => e.value as T);
  }
}

/**
 * Drops repeats seen within a duration (Beam's `Deduplicate`): `events.apply(Deduplicate.values())`,
 * `Deduplicate.withRepresentativeValueFn((m) => m.id).withDuration(60_000)`,
 * `Deduplicate.keyedValues().withTimeDomain("EVENT_TIME")`, or with Beam Python's names
 * `Deduplicate.of({ eventTimeDuration: 60_000 })`, `Deduplicate.perKey({ processingTimeDuration })`.
 * Repeats are detected per window.
 */
export const Deduplicate = {
  /**
   * Beam Python's `Deduplicate(processing_time_duration=..., event_time_duration=...)`: each
   * distinct element once per duration (milliseconds; at least one; given both, an occurrence is
   * forgotten when either passes).
   */
  of<T>(durations: DeduplicateDurations): DeduplicateValues<T> {
    return new DeduplicateValues<T>(settingsOf("Deduplicate.of", durations), undefined);
  },
  /** Beam Python's `DeduplicatePerKey(...)`: the first KV of each key once per duration (as `of`). */
  perKey<K, V>(durations: DeduplicateDurations): DeduplicateKeyedValues<K, V> {
    return new DeduplicateKeyedValues<K, V>(settingsOf("Deduplicate.perKey", durations));
  },
  /** Each distinct element once per duration (elements compared by encoding). */
  values<T>(): DeduplicateValues<T> {
    return new DeduplicateValues<T>({ timeDomain: DEFAULT_DEDUPLICATE_TIME_DOMAIN, durationMillis: DEFAULT_DEDUPLICATE_DURATION_MILLIS }, undefined);
  },
  /** The first KV of each key once per duration (Beam Python's `DeduplicatePerKey`). */
  keyedValues<K, V>(): DeduplicateKeyedValues<K, V> {
    return new DeduplicateKeyedValues<K, V>({ timeDomain: DEFAULT_DEDUPLICATE_TIME_DOMAIN, durationMillis: DEFAULT_DEDUPLICATE_DURATION_MILLIS });
  },
  /** The first element of each value of `fn` once per duration (values compared by encoding). */
  withRepresentativeValueFn<T, Id>(fn: (element: T) => Id): DeduplicateValues<T, Id> {
    if (typeof fn !== "function") throw new ValidationError(`Deduplicate.withRepresentativeValueFn needs a function of the element, got ${String(fn)}`);
    return new DeduplicateValues<T, Id>({ timeDomain: DEFAULT_DEDUPLICATE_TIME_DOMAIN, durationMillis: DEFAULT_DEDUPLICATE_DURATION_MILLIS }, fn);
  },
} as const;
