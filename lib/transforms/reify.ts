/**
 * Reify: an element's timestamp, or its timestamp, window and pane, as data (Beam Java's
 * `Reify.timestamps()`, `timestampsInValue()`, `windows()`, `windowsInValue()`,
 * `extractTimestampsFromValues()`; Beam Python's `Reify.Timestamp`, `Reify.TimestampInValue`,
 * `Reify.Window`, `Reify.WindowInValue`). Elements keep their timestamps and windows.
 */
import type { Coder } from "../coders/coder";
import { DeterministicJsValueCoder, JsValueCoder } from "../coders/js_value";
import { KVCoder } from "../coders/structural";
import { ValueInSingleWindow, ValueInSingleWindowCoder } from "../coders/value_in_single_window";
import { GlobalWindowCoder, IntervalWindowCoder } from "../coders/windowed";
import { DoFn, ProcessContext } from "../model/dofn";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { PTransform } from "../model/transform";
import { BoundedWindow, KV, kv } from "../model/window";
import type { TimestampedValue } from "./util";

/** A step of one ParDo. */
class ReifyTransform<In, Out> extends PTransform<PCollection<In>, PCollection<Out>> {
  constructor(
    private readonly step: string,
    private readonly doFn: () => ParDo<In, Out>,
  ) {
    super(`Reify.${step}`);
  }
  expand(input: PCollection<In>): PCollection<Out> {
    return input.apply(this.step, this.doFn());
  }
}

/** The coder of the windows of `pc`'s windowing. */
function windowCoderOf(pc: PCollection<unknown>): Coder<BoundedWindow> {
  return (pc.windowing.windowFn.windowCoderUrn === "beam:coder:global_window:v1" ? GlobalWindowCoder.INSTANCE : IntervalWindowCoder.INSTANCE) as Coder<BoundedWindow>;
}

/** Pairs each element with its window, as data that survives encoding (windows are class instances the default coder refuses). */
class ReifyWindows<T> extends PTransform<PCollection<T>, PCollection<ValueInSingleWindow<T>>> {
  constructor() {
    super("Reify.Windows");
  }
  expand(input: PCollection<T>): PCollection<ValueInSingleWindow<T>> {
    const out = input.apply(
      "Windows",
      ParDo.into<ValueInSingleWindow<T>>().of((value: T, ctx) => ctx.output({ value, timestamp: ctx.timestamp, window: ctx.window, pane: ctx.pane })),
    );
    return out.setCoder(new ValueInSingleWindowCoder(input.coder ?? (new JsValueCoder() as Coder<T>), windowCoderOf(input)));
  }
}

/** Pairs each KV's value with the element's window, keeping the key. */
class ReifyWindowsInValue<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, ValueInSingleWindow<V>>>> {
  constructor() {
    super("Reify.WindowsInValue");
  }
  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, ValueInSingleWindow<V>>> {
    const out = input.apply(
      "WindowsInValue",
      ParDo.into<KV<K, ValueInSingleWindow<V>>>().of((e: KV<K, V>, ctx) => ctx.output(kv(e.key, { value: e.value, timestamp: ctx.timestamp, window: ctx.window, pane: ctx.pane }))),
    );
    // The input's key and value coders when it has a KV coder; otherwise the defaults (a
    // deterministic one for the key, which a grouping after this needs).
    const inputCoder = input.coder;
    const keyCoder = (inputCoder instanceof KVCoder ? inputCoder.keyCoder : new DeterministicJsValueCoder()) as Coder<K>;
    const valueCoder = (inputCoder instanceof KVCoder ? inputCoder.valueCoder : new JsValueCoder()) as Coder<V>;
    return out.setCoder(new KVCoder(keyCoder, new ValueInSingleWindowCoder(valueCoder, windowCoderOf(input))));
  }
}

/**
 * Sets each element's timestamp from its value's, as Beam Java's ExtractTimestampsFromValues:
 * any timestamp, earlier ones included (an unbounded allowed skew), so a value that was
 * reified and later re-timestamped gets its own time back.
 */
class ExtractTimestampsFn<K, V> extends DoFn<KV<K, TimestampedValue<V>>, KV<K, V>> {
  constructor() {
    super();
    this.allowedTimestampSkewMillis = Infinity;
  }
  process(e: KV<K, TimestampedValue<V>>, ctx: ProcessContext<KV<K, V>>): void {
    ctx.outputWithTimestamp(kv(e.key, e.value.value), e.value.timestamp);
  }
}

/** The Reify transforms. */
export const Reify = {
  /** Each element paired with its timestamp: `T` → `{ value, timestamp }` (Java `Reify.timestamps()`, Python `Reify.Timestamp()`). */
  timestamps<T>(): PTransform<PCollection<T>, PCollection<TimestampedValue<T>>> {
    return new ReifyTransform<T, TimestampedValue<T>>("Timestamps", () =>
      ParDo.into<TimestampedValue<T>>().of((value: T, ctx) => ctx.output({ value, timestamp: ctx.timestamp })),
    );
  },

  /** Each KV's value paired with the element's timestamp: `KV<K, V>` → `KV<K, { value, timestamp }>` (Java `timestampsInValue()`). */
  timestampsInValue<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, TimestampedValue<V>>>> {
    return new ReifyTransform<KV<K, V>, KV<K, TimestampedValue<V>>>("TimestampsInValue", () =>
      ParDo.into<KV<K, TimestampedValue<V>>>().of((e: KV<K, V>, ctx) => ctx.output(kv(e.key, { value: e.value, timestamp: ctx.timestamp }))),
    );
  },

  /**
   * Each element with its timestamp, window and pane: `T` → `{ value, timestamp, window, pane }`
   * (Java `Reify.windows()`, Python `Reify.Window()`, which gives a tuple). An element in several
   * windows (sliding) comes out once per window.
   */
  windows<T>(): PTransform<PCollection<T>, PCollection<ValueInSingleWindow<T>>> {
    return new ReifyWindows<T>();
  },

  /** Each KV's value with the element's timestamp, window and pane: `KV<K, V>` → `KV<K, { value, timestamp, window, pane }>` (Java `windowsInValue()`). */
  windowsInValue<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, ValueInSingleWindow<V>>>> {
    return new ReifyWindowsInValue<K, V>();
  },

  /**
   * The inverse of `timestampsInValue()`: `KV<K, { value, timestamp }>` → `KV<K, V>` at that
   * timestamp (Java `Reify.extractTimestampsFromValues()`). Earlier timestamps are allowed, so
   * such an element may be late downstream.
   */
  extractTimestampsFromValues<K, V>(): PTransform<PCollection<KV<K, TimestampedValue<V>>>, PCollection<KV<K, V>>> {
    return new ReifyTransform<KV<K, TimestampedValue<V>>, KV<K, V>>("ExtractTimestampsFromValues", () => ParDo.of(new ExtractTimestampsFn<K, V>()));
  },
};
