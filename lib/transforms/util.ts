/** Everyday transforms: Create, Reshuffle, Distinct, WithKeys, Keys, Values, Partition. */
import { DoFn, ProcessContext } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";
import { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Flatten, GroupByKey, Impulse } from "../model/primitives";
import { PTransform } from "../model/transform";
import { Instant, KV, kv } from "../model/window";

/** A value with an event timestamp, for `Create.timestamped`. */
export interface TimestampedValue<T> {
  readonly value: T;
  readonly timestamp: Instant;
}

/** A bounded PCollection of the given values (in the global window). */
export class Create<T> extends PTransform<PBegin, PCollection<T>> {
  constructor(readonly values: readonly T[]) {
    super("Create");
  }
  expand(input: PBegin): PCollection<T> {
    const values = this.values;
    return input.apply("Impulse", new Impulse()).flatMap("Values", () => values);
  }

  /** `Create.of(1, 2, 3)`. */
  static of<T>(...values: T[]): Create<T> {
    return new Create(values);
  }

  /** Values with event timestamps (for windowing tests). */
  static timestamped<T>(values: readonly TimestampedValue<T>[]): PTransform<PBegin, PCollection<T>> {
    return new (class CreateTimestamped extends PTransform<PBegin, PCollection<T>> {
      expand(input: PBegin): PCollection<T> {
        return input.apply("Impulse", new Impulse()).apply(
          "Values",
          ParDo.of((_: Uint8Array, ctx: ProcessContext<T>) => {
            for (const v of values) ctx.outputWithTimestamp(v.value, v.timestamp);
          }),
        );
      }
    })("Create");
  }
}

/**
 * Redistributes elements across workers and breaks fusion (so a slow step after a fan-out runs
 * in parallel). Elements keep their timestamps and windows.
 */
export class Reshuffle<T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor() {
    super("Reshuffle");
  }
  expand(input: PCollection<T>): PCollection<T> {
    const node = input.pipeline.currentNode();
    node.composite = { urn: "beam:transform:reshuffle:v1" };
    let counter = 0;
    const out = input
      .map("AddRandomKey", (x: T) => kv((counter = (counter * 1103515245 + 12345) & 0x7fffffff) % 1024, x))
      .apply("GroupByKey", new GroupByKey<number, T>())
      .flatMap("DropKey", (group: KV<number, T[]>) => group.value);
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}

/** The distinct elements (compared by their deterministic encoding). */
export class Distinct<T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor() {
    super("Distinct");
  }
  expand(input: PCollection<T>): PCollection<T> {
    return input
      .map("PairWithNull", (x: T) => kv(x, null))
      .apply("GroupByKey", new GroupByKey<T, null>())
      .map("Key", (g: KV<T, null[]>) => g.key);
  }
}

/** Keys each element: by a function of the element, or by a constant. */
export function WithKeys<T, K>(keyFn: (element: T) => K): PTransform<PCollection<T>, PCollection<KV<K, T>>> {
  return new (class WithKeysTransform extends PTransform<PCollection<T>, PCollection<KV<K, T>>> {
    expand(input: PCollection<T>): PCollection<KV<K, T>> {
      return input.map("AddKeys", (x: T) => kv(keyFn(x), x));
    }
  })("WithKeys");
}

/** The keys of a KV collection. */
export function Keys<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<K>> {
  return new (class KeysTransform extends PTransform<PCollection<KV<K, V>>, PCollection<K>> {
    expand(input: PCollection<KV<K, V>>): PCollection<K> {
      return input.map("Keys", (e: KV<K, V>) => e.key);
    }
  })("Keys");
}

/** The values of a KV collection. */
export function Values<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<V>> {
  return new (class ValuesTransform extends PTransform<PCollection<KV<K, V>>, PCollection<V>> {
    expand(input: PCollection<KV<K, V>>): PCollection<V> {
      return input.map("Values", (e: KV<K, V>) => e.value);
    }
  })("Values");
}

class PartitionDoFn<T> extends DoFn<T, T, Record<string, T>> {
  constructor(
    private readonly n: number,
    private readonly fn: (element: T, numPartitions: number) => number,
  ) {
    super();
  }
  process(element: T, ctx: ProcessContext<T, Record<string, T>>): void {
    const i = this.fn(element, this.n);
    if (!(Number.isInteger(i) && i >= 0 && i < this.n)) {
      throw new RangeError(`Partition function returned ${i}; it must return an integer in [0, ${this.n})`);
    }
    ctx.outputTo(`p${i}`, element);
  }
}

/** Splits a collection into `n` by a function returning the partition index of each element. */
export function Partition<T>(n: number, fn: (element: T, numPartitions: number) => number): PTransform<PCollection<T>, PCollection<T>[]> {
  if (!(Number.isInteger(n) && n > 0)) throw new PipelineConstructionError(`Partition needs a positive number of partitions, got ${n}`);
  return new (class PartitionTransform extends PTransform<PCollection<T>, PCollection<T>[]> {
    expand(input: PCollection<T>): PCollection<T>[] {
      const tags = Array.from({ length: n }, (_, i) => `p${i}`);
      const outs = input.apply("ParDo", ParDo.of(new PartitionDoFn<T>(n, fn)).withOutputs(...tags)) as unknown as Record<string, PCollection<T>>;
      return tags.map((t) => outs[t]!);
    }
  })("Partition");
}

/** `flatten([a, b, c])`: applies Flatten under the name "Flatten" (or a label). */
export function flatten<T>(inputs: readonly PCollection<T>[], label = "Flatten"): PCollection<T> {
  if (inputs.length === 0) throw new PipelineConstructionError("flatten needs at least one PCollection");
  return inputs[0]!.pipeline.applyTransform(label, new Flatten<T>(), inputs);
}
