/**
 * The TypeScript type of an Avro schema written as a `const` value: what ReadFromAvro gives
 * (`AvroValue<S>`) and WriteToAvro takes (`AvroValue<S, number | bigint>`), with ./schema's
 * mapping. A schema of type `string`, or `unknown` parts (a reference to a named type by its name),
 * type as `unknown`. A union avsc cannot unwrap (two branches of the same JS kind, e.g. two
 * records, or int and double) types as `null` or `{ [branch: string]: unknown }`, as avsc wraps it;
 * a long (our own avsc type) never makes a union ambiguous.
 */

type Primitive<N, L> = N extends "null"
  ? null
  : N extends "boolean"
    ? boolean
    : N extends "int" | "float" | "double"
      ? number
      : N extends "long"
        ? L
        : N extends "string"
          ? string
          : N extends "bytes"
            ? Buffer
            : unknown;

/** avsc's bucket of a branch: unions with two branches in one bucket are wrapped (a long, a custom avsc type, has a bucket of its own). */
type Bucket<S> = S extends "null"
  ? "null"
  : S extends "boolean"
    ? "boolean"
    : S extends "long"
      ? "long"
      : S extends "int" | "float" | "double"
      ? "number"
      : S extends "string"
        ? "string"
        : S extends "bytes"
          ? "buffer"
          : S extends { readonly type: "enum" }
            ? "string"
            : S extends { readonly type: "fixed" }
              ? "buffer"
              : S extends { readonly type: "array" }
                ? "array"
                : S extends { readonly type: "map" | "record" | "error" }
                  ? "object"
                  : S extends { readonly type: infer P }
                    ? Bucket<P>
                    : "unknown";

type Ambiguous<T extends readonly unknown[], Seen = never> = T extends readonly [infer H, ...infer R] ? (Bucket<H> extends "unknown" ? true : [Bucket<H>] extends [Seen] ? true : Ambiguous<R, Seen | Bucket<H>>) : false;

type RecordValue<Fields, L> = Fields extends readonly unknown[] ? { -readonly [F in Fields[number] as F extends { readonly name: infer N extends string } ? N : never]: F extends { readonly type: infer T } ? Value<T, L> : unknown } : unknown;

/** AvroValue's mapping (a plain alias, so that its object shapes stay out of the API reference). */
type Value<S, L> = string extends S
  ? unknown
  : S extends string
    ? Primitive<S, L>
    : S extends readonly unknown[]
      ? Ambiguous<S> extends true
        ? ("null" extends S[number] ? null : never) | { [branch: string]: unknown }
        : Value<S[number], L>
      : S extends { readonly type: "record" | "error"; readonly fields: infer F }
        ? RecordValue<F, L>
        : S extends { readonly type: "array"; readonly items: infer I }
          ? Value<I, L>[]
          : S extends { readonly type: "map"; readonly values: infer V }
            ? Record<string, Value<V, L>>
            : S extends { readonly type: "enum"; readonly symbols: readonly (infer E)[] }
              ? E
              : S extends { readonly type: "fixed" }
                ? Buffer
                : S extends { readonly type: infer P }
                  ? Value<P, L>
                  : unknown;

/** The JS value of Avro schema S (S given `as const`); L is how longs type (number by default). */
export type AvroValue<S, L = number> = Value<S, L>;
