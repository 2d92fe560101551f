/**
 * ToString: elements as strings (Beam Java's `ToString.elements()`, `kvs(delimiter)`,
 * `iterables(delimiter)`; Beam Python's `beam.ToString.Element()`, `Kvs`, `Iterables`), for
 * writing text.
 */
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { KV } from "../model/window";

/**
 * A value as text: `String(value)` (Java's `toString()`, Python's `str`), except that an object
 * whose only `toString` is Object's, which would give "[object Object]", is written as JSON.
 */
export function stringOf(value: unknown): string {
  if (typeof value === "object" && value !== null && value.toString === Object.prototype.toString) return JSON.stringify(value);
  return String(value);
}

/** A step mapping each element to text with `fn`. */
class ToStringTransform<T> extends PTransform<PCollection<T>, PCollection<string>> {
  constructor(
    private readonly step: string,
    private readonly fn: (element: T) => string,
  ) {
    super(`ToString.${step}`);
  }
  expand(input: PCollection<T>): PCollection<string> {
    return input.map(this.step, this.fn);
  }
}

/** Refuses a delimiter that is not a string (a number would be joined as its digits, silently). */
function checkDelimiter(transform: string, delimiter: unknown): string {
  if (typeof delimiter !== "string") throw new PipelineConstructionError(`ToString.${transform}: the delimiter must be a string, got ${String(delimiter)}; pass it as text, e.g. ","`);
  return delimiter;
}

/**
 * Elements as strings: `ToString.elements()` each element, `ToString.kvs(delimiter)` each KV as
 * key, delimiter, value, and `ToString.iterables(delimiter)` each array (or other iterable) as
 * its items joined by the delimiter (no trailing one). The delimiter defaults to ",", as in Beam.
 * Values become text as `String(value)`, plain objects as JSON.
 */
export const ToString = {
  /** Each element as a string (Java `ToString.elements()`, Python `ToString.Element()`). */
  elements<T>(): PTransform<PCollection<T>, PCollection<string>> {
    return new ToStringTransform<T>("Elements", stringOf);
  },

  /** Each KV as `key + delimiter + value` (Java `ToString.kvs(delimiter)`, Python `ToString.Kvs`). */
  kvs<K, V>(delimiter = ","): PTransform<PCollection<KV<K, V>>, PCollection<string>> {
    const d = checkDelimiter("kvs", delimiter);
    return new ToStringTransform<KV<K, V>>("KVs", (e) => stringOf(e.key) + d + stringOf(e.value));
  },

  /** Each iterable's items joined by the delimiter (Java `ToString.iterables(delimiter)`, Python `ToString.Iterables`). */
  iterables<T>(delimiter = ","): PTransform<PCollection<Iterable<T>>, PCollection<string>> {
    const d = checkDelimiter("iterables", delimiter);
    return new ToStringTransform<Iterable<T>>("Iterables", (items) => Array.from(items, stringOf).join(d));
  },
};
