/**
 * Deduplicate: drops repeats of an element (or of a key, or of a representative value) seen within
 * a duration, per window, as Beam Java's `Deduplicate` and Beam Python's `Deduplicate` /
 * `DeduplicatePerKey`. Unlike Distinct, nothing is grouped: the first occurrence goes out at once,
 * which suits unbounded input (e.g. Pub/Sub's at-least-once redeliveries).
 *
 * A stateful DoFn keyed by the element (or key, or representative value) remembers that it has seen
 * it, and an expiry timer, `duration` after the first occurrence in its time domain, forgets it
 * (processing time, 10 minutes, by default). The timer is set without an output timestamp, so it
 * holds no watermark: the output is not delayed by the duration.
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
  readonly timeDomain: TimeDomain;
  readonly durationMillis: number;
}

function checkSettings(s: DeduplicateSettings): DeduplicateSettings {
  if (s.timeDomain !== "PROCESSING_TIME" && s.timeDomain !== "EVENT_TIME") {
    throw new ValidationError(`Deduplicate: unknown time domain '${String(s.timeDomain)}'; use "PROCESSING_TIME" or "EVENT_TIME"`);
  }
  if (!(Number.isFinite(s.durationMillis) && s.durationMillis >= 0)) {
    throw new ValidationError(`Deduplicate: the duration must be a finite number of milliseconds, 0 or more; got ${String(s.durationMillis)}`);
  }
  return s;
}

/** Outputs a key's first element and drops the rest until the expiry timer forgets the key. */
class DeduplicateFn<K, V> extends StatefulDoFn<K, V, KV<K, V>> {
  readonly seen = StateSpec.value<boolean>("seen");
  readonly expiry: TimerSpec;

  constructor(private readonly settings: DeduplicateSettings) {
    super();
    this.expiry = settings.timeDomain === "EVENT_TIME" ? TimerSpec.eventTime("expiry") : TimerSpec.processingTime("expiry");
  }

  process(element: KV<K, V>, ctx: StatefulProcessContext<KV<K, V>>): void {
    const seen = ctx.state(this.seen);
    if (seen.read() !== undefined) return;
    // The timer only forgets: it must not hold the watermark back for the whole duration.
    ctx.timer(this.expiry).withNoOutputTimestamp().offset(this.settings.durationMillis);
    seen.write(true);
    ctx.output(element);
  }

  onTimer(_timer: string, ctx: TimerContext<K, KV<K, V>>): void {
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
  /** Remembers occurrences by this clock (default processing time). */
  withTimeDomain(timeDomain: TimeDomain): DeduplicateKeyedValues<K, V> {
    return new DeduplicateKeyedValues({ ...this.settings, timeDomain });
  }
  /** Remembers occurrences this long (milliseconds; default 10 minutes). */
  withDuration(durationMillis: number): DeduplicateKeyedValues<K, V> {
    return new DeduplicateKeyedValues({ ...this.settings, durationMillis });
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
  /** Remembers occurrences by this clock (default processing time). */
  withTimeDomain(timeDomain: TimeDomain): DeduplicateValues<T, Id> {
    return new DeduplicateValues({ ...this.settings, timeDomain }, this.representative);
  }
  /** Remembers occurrences this long (milliseconds; default 10 minutes). */
  withDuration(durationMillis: number): DeduplicateValues<T, Id> {
    return new DeduplicateValues({ ...this.settings, durationMillis }, this.representative);
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
 * `Deduplicate.keyedValues().withTimeDomain("EVENT_TIME")`. Repeats are detected per window.
 */
export const Deduplicate = {
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
