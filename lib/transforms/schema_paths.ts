/**
 * Field paths of the schema transforms (select.ts, schema_join.ts), as Beam Java's
 * FieldAccessDescriptor names them: `"a"`, nested `"a.b.c"`, all of a row's fields `"*"` or
 * `"a.*"`. A path through an array or map of rows reaches into every element (`"items.price"`
 * is the array of the items' prices); Java's qualifiers `"items[].price"` and `"m{}.x"` are
 * accepted and mean the same. A path through a null row gives null.
 *
 * This module holds the types that check paths and compute what they select, and the run-time
 * walk over plain-object rows and over Schemas (for the RowCoder of an output).
 */
import { PipelineConstructionError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { FieldType, Schema, ROW_URN, type SchemaField } from "../coders/schema";
import type { RowCoder } from "../coders/row";

// ---- Types ----

/** Values that are leaves, not rows, though JavaScript calls them objects. */
type Leaf = Uint8Array | Date | Map<unknown, unknown> | ReadonlyArray<unknown> | ((...args: never[]) => unknown) | bigint;

/** The row type inside a field's value: through null, arrays and maps; never when it holds no row. */
export type RowIn<V> = V extends null | undefined
  ? never
  : V extends readonly (infer E)[]
    ? RowIn<E>
    : V extends ReadonlyMap<unknown, infer E>
      ? RowIn<E>
      : V extends Leaf
        ? never
        : V extends object
          ? V
          : never;

type Prev = [never, 0, 1, 2, 3];

/** The field paths of rows of type T (nested to 4 levels): `"a"`, `"a.b"`, `"a.*"`. */
export type FieldPath<T, D extends number = 4> = [D] extends [never]
  ? never
  : {
      [K in keyof T & string]: K | ([RowIn<T[K]>] extends [never] ? never : `${K}.*` | `${K}.${FieldPath<RowIn<T[K]>, Prev[D]>}`);
    }[keyof T & string];

/** A path with Java's `[]` and `{}` qualifiers removed: `"a[].b"` → `"a.b"`. */
export type Unqualified<P extends string> = P extends `${infer A}[]${infer B}` ? Unqualified<`${A}${B}`> : P extends `${infer A}{}${infer B}` ? Unqualified<`${A}${B}`> : P;

/** A path of T, with or without Java's qualifiers. */
export type PathOf<T, P extends string> = Unqualified<P> extends FieldPath<T> | "*" ? P : FieldPath<T> | "*";

/** Flattens an intersection into one object type (for readable hovers and exact checks). */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Each field of R nullable, an array, or a map (what a path through a null row, an array or a map of rows gives). */
type NullFields<R> = { [K in keyof R]: R[K] | null };
type ArrayFields<R> = { [K in keyof R]: R[K][] };
type MapFields<MK, R> = { [K in keyof R]: Map<MK, R[K]> };

/** The record a path selects from a value V, named as Java names it (the last segment; `*` all fields), through null, arrays and maps. */
export type SelectAt<V, P extends string> = [V] extends [null | undefined]
  ? never
  : null extends V
    ? NullFields<SelectAt<NonNullable<V>, P>>
    : undefined extends V
      ? NullFields<SelectAt<NonNullable<V>, P>>
      : V extends readonly (infer E)[]
        ? ArrayFields<SelectAt<E, P>>
        : V extends ReadonlyMap<infer MK, infer E>
          ? MapFields<MK, SelectAt<E, P>>
          : P extends "*"
            ? V
            : P extends `${infer H}.${infer R}`
              ? H extends keyof V
                ? SelectAt<V[H], R>
                : never
              : P extends keyof V
                ? { [K in P]: V[P] }
                : never;

/** The value one (non-wildcard) path selects from T. */
export type ValueAt<T, P extends string> = SelectAt<T, Unqualified<P>>[keyof SelectAt<T, Unqualified<P>>];

/** The row that several paths select from T. */
export type Selected<T, P extends readonly string[]> = Simplify<UnionToIntersection<{ [I in keyof P]: SelectAt<T, Unqualified<P[I] & string>> }[number]> & {}>;

type Head<P> = P extends `${infer H}.${string}` ? H : never;
type Tail<P, H extends string> = P extends `${H}.${infer R}` ? R : never;

/** What DropFields leaves of a value: through null, arrays and maps. */
type DropAt<V, P extends string> = null extends V
  ? NullFields<DropAt<NonNullable<V>, P>>
  : undefined extends V
    ? NullFields<DropAt<NonNullable<V>, P>>
    : V extends readonly (infer E)[]
      ? ArrayFields<DropAt<E, P>>
      : V extends ReadonlyMap<infer MK, infer E>
        ? MapFields<MK, DropAt<E, P>>
        : Dropped<V, P>;

/**
 * T without the fields P names (a union of paths). As Java's DropFields, a row field with some of
 * its fields dropped is replaced by the fields that remain, at the top level.
 */
export type Dropped<T, P extends string> = Simplify<
  Omit<T, P | Head<P>> & UnionToIntersection<{ [H in Head<P> & keyof T]: DropAt<T[H], Tail<P, H & string>> }[Head<P> & keyof T]>
>;

/** A value with a rename applied inside it: through null, arrays and maps. */
type RenameIn<V, P extends string, N extends string> = V extends null | undefined
  ? V
  : V extends readonly (infer E)[]
    ? RenameIn<E, P, N>[]
    : V extends ReadonlyMap<infer K, infer E>
      ? Map<K, RenameIn<E, P, N>>
      : Renamed<V, P, N>;

/** T with the field at path P renamed to N (a nested field keeps its place: only its last name changes). */
export type Renamed<T, P extends string, N extends string> = P extends `${infer H}.${infer R}`
  ? { [K in keyof T]: K extends H ? RenameIn<T[K], R, N> : T[K] }
  : { [K in keyof T as K extends P ? N : K]: T[K] };

/** A value with a field added inside it: through null, arrays and maps. */
type AddIn<V, P extends string, X> = V extends null | undefined
  ? V
  : V extends readonly (infer E)[]
    ? AddIn<E, P, X>[]
    : V extends ReadonlyMap<infer K, infer E>
      ? Map<K, AddIn<E, P, X>>
      : Added<V, P, X>;

/** T with a field of type X added at path P (a new nested row is created where P's parent does not exist). */
export type Added<T, P extends string, X> = P extends `${infer H}.${infer R}`
  ? H extends keyof T
    ? Simplify<{ [K in keyof T]: K extends H ? AddIn<T[K], R, X> : T[K] }>
    : Simplify<T & { [K in H]: Added<{}, R, X> }>
  : Simplify<T & { [K in P]: X }>;

// ---- Run time ----

/** A parsed path: its segments; the last may be "*". */
export interface ParsedPath {
  /** The path as written. */
  readonly text: string;
  /** Its field names, qualifiers removed. */
  readonly segments: readonly string[];
}

/** Parses a path, failing at construction on an empty segment. */
export function parsePath(text: string, where: string): ParsedPath {
  const segments = text.replace(/\[\]|\{\}/g, "").split(".");
  if (segments.some((s) => s === "") || segments.slice(0, -1).includes("*")) {
    throw new PipelineConstructionError(`${where}: '${text}' is not a field path; write field names joined by '.', e.g. "location.city", or "location.*" for all of a row's fields`);
  }
  return { text, segments };
}

/** The last name of a path: the name Java gives what it selects. */
export const leafName = (p: ParsedPath): string => p.segments[p.segments.length - 1]!;

/** The value at `segments` from index i: null through null, every element through arrays and maps. */
export function valueAt(v: unknown, segments: readonly string[], i = 0): unknown {
  if (i === segments.length) return v;
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((e) => valueAt(e, segments, i));
  if (v instanceof Map) return new Map([...v].map(([k, e]) => [k, valueAt(e, segments, i)]));
  return valueAt((v as Record<string, unknown>)[segments[i]!], segments, i + 1);
}

/** The first row object inside a value (through arrays and maps), to read field names from when there is no schema. */
export function firstRow(v: unknown): Record<string, unknown> | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    for (const e of v) {
      const r = firstRow(e);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (v instanceof Map) return firstRow([...v.values()]);
  return typeof v === "object" ? (v as Record<string, unknown>) : undefined;
}

/** The schema of an input's rows, when its coder is a RowCoder (else undefined: rows are plain objects of unknown shape). */
export function rowSchemaOf(pc: PCollection<unknown>): Schema<object> | undefined {
  const coder = pc.coder;
  return coder !== undefined && coder.urn === ROW_URN ? (coder as unknown as RowCoder<object>).schema : undefined;
}

/** Sets a RowCoder of `schema` on `out` (rows then cross runners as Beam rows). */
export function setRowCoder(out: PCollection<unknown>, schema: Schema<object>): void {
  // Loaded here, not at the top: the row coder brings the schema proto writer, which programs without schemas never need.
  const { RowCoder } = require("../coders/row") as typeof import("../coders/row");
  out.setCoder(RowCoder.of(schema) as never);
}

/** The row schema inside a field type (through arrays, iterables and maps), or undefined. */
export function rowSchemaIn(t: FieldType<unknown>): Schema<object> | undefined {
  const s = t.spec;
  if (s.kind === "row") return s.schema;
  if (s.kind === "array" || s.kind === "iterable") return rowSchemaIn(s.element);
  if (s.kind === "map") return rowSchemaIn(s.value);
  return undefined;
}

/** `inner` wrapped in the containers and nullability of `outer` down to its row (the type a path through `outer` gives). */
export function wrapLike(outer: FieldType<unknown>, inner: FieldType<unknown>): FieldType<unknown> {
  const s = outer.spec;
  let t: FieldType<unknown>;
  if (s.kind === "array") t = FieldType.array(wrapLike(s.element, inner));
  else if (s.kind === "iterable") t = FieldType.iterable(wrapLike(s.element, inner));
  else if (s.kind === "map") t = FieldType.map(s.key, wrapLike(s.value, inner));
  else t = inner;
  return outer.nullable && !t.nullable ? FieldType.nullable(t) : t;
}

/** The error for a path naming no field of a schema: what, where, the fields there are, how to fix it. */
export function unknownField(where: string, path: ParsedPath, at: number, schema: Schema<object>, fullName: string): PipelineConstructionError {
  const parent = path.segments.slice(0, at).join(".");
  return new PipelineConstructionError(
    `${where}: the input's rows have no field '${path.segments[at]}'${parent ? ` in '${parent}'` : ""}${path.segments.length > 1 ? ` (path '${path.text}')` : ""}; ` +
      `its fields are: ${schema.fieldNames.join(", ") || "(none)"}. Fix the field name, or set the input's RowCoder to a schema that has it`,
    fullName,
  );
}

/** The schema fields a path selects from `schema`, named as Java names them; fails naming the transform on an unknown field. */
export function selectFromSchema(schema: Schema<object>, path: ParsedPath, where: string, fullName: string): SchemaField[] {
  const walk = (s: Schema<object>, i: number): SchemaField[] => {
    const seg = path.segments[i]!;
    if (seg === "*") return [...s.fields];
    const f = s.fields.find((x) => x.name === seg);
    if (f === undefined) throw unknownField(where, path, i, s, fullName);
    if (i === path.segments.length - 1) return [f];
    const inner = rowSchemaIn(f.type);
    if (inner === undefined) {
      throw new PipelineConstructionError(
        `${where}: '${path.segments.slice(0, i + 1).join(".")}' (in path '${path.text}') is not a row, so it has no field '${path.segments[i + 1]}'; select '${path.segments.slice(0, i + 1).join(".")}' itself`,
        fullName,
      );
    }
    return walk(inner, i + 1).map((g) => ({ ...g, type: wrapLike(f.type, g.type) }));
  };
  return walk(schema, 0);
}

/** Fails naming the transform when two selected fields would get one name (Java asks for withFieldNameAs then). */
export function checkUniqueNames(names: readonly string[], where: string, fullName: string | undefined, fix: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new PipelineConstructionError(`${where}: two selected fields would both be named '${n}'; ${fix}`, fullName);
    seen.add(n);
  }
}

