/**
 * Beam schemas in TypeScript (Beam's schema.proto; Java's Schema/FieldType, Python's NamedTuple
 * schemas): a Schema is an ordered list of named, typed fields, and `Schema.of({...})` infers the
 * TypeScript type of its rows. RowCoder (row.ts) encodes such rows as `beam:coder:row:v1`.
 *
 * Row values (what each field type holds in TypeScript):
 * - BYTE, INT16, INT32: number (range-checked); INT64: bigint (the full int64 range, as
 *   BigIntVarIntCoder); FLOAT (float32), DOUBLE: number; STRING: string; BOOLEAN: boolean;
 *   BYTES: Uint8Array.
 * - nullable(t): t's value or null (undefined is encoded as null).
 * - array(t), iterable(t): t[] (any iterable when encoding); map(k, v): Map<k, v>; row(schema):
 *   that schema's row object.
 * - Logical types: MILLIS_INSTANT a number of epoch milliseconds (Beamline's timestamps);
 *   MICROS_INSTANT a bigint of epoch microseconds; DECIMAL a decimal string ("-100.123"; the
 *   scale is the number of fraction digits written, so "1.0" and "1" differ, as in Java's
 *   BigDecimal); fixedChar(n)/varChar(n) strings of at most n UTF-16 units (fixedChar pads with
 *   spaces to n); fixedBytes(n)/varBytes(n) Uint8Arrays of at most n bytes (fixedBytes pads with
 *   zeros to n). A logical type this SDK does not know holds its representation's value.
 */

declare const VALUE: unique symbol;

/** The URN of the coder of schema rows (RowCoder, row.ts). */
export const ROW_URN = "beam:coder:row:v1";

/** The scalar types of Beam's schema.proto AtomicType. */
export type AtomicTypeName = "BYTE" | "INT16" | "INT32" | "INT64" | "FLOAT" | "DOUBLE" | "STRING" | "BOOLEAN" | "BYTES";

/** What a field type is, structurally (the form schema.proto's FieldType takes). */
export type FieldTypeSpec =
  | {
      /** A scalar (schema.proto AtomicType). */
      readonly kind: "atomic";
      /** Which scalar. */
      readonly atomic: AtomicTypeName;
    }
  | {
      /** A list (schema.proto ArrayType). */
      readonly kind: "array";
      /** The type of its elements. */
      readonly element: FieldType<unknown>;
    }
  | {
      /** An iterable (schema.proto IterableType). */
      readonly kind: "iterable";
      /** The type of its elements. */
      readonly element: FieldType<unknown>;
    }
  | {
      /** A map (schema.proto MapType). */
      readonly kind: "map";
      /** The type of its keys. */
      readonly key: FieldType<unknown>;
      /** The type of its values. */
      readonly value: FieldType<unknown>;
    }
  | {
      /** A nested row (schema.proto RowType). */
      readonly kind: "row";
      /** The nested row's schema. */
      readonly schema: Schema<object>;
    }
  | {
      /** A logical type (schema.proto LogicalType): a value type over a representation type. */
      readonly kind: "logical";
      /** The logical type's URN, e.g. beam:logical_type:decimal:v1. */
      readonly urn: string;
      /** The type it is encoded as. */
      readonly representation: FieldType<unknown>;
      /** The logical type's argument (fixedChar(5): 5) and its type, if it takes one. */
      readonly argument?: {
        /** The argument's type. */
        readonly type: FieldType<unknown>;
        /** The argument. */
        readonly value: number | bigint | string | boolean | Uint8Array;
      };
      /** The logical type's opaque payload (schema.proto LogicalType.payload), if any. */
      readonly payload?: Uint8Array;
    };

/** The type of a schema field; `T` is the TypeScript type of its values (see the module doc). */
export interface FieldType<T> {
  /** Type-level only: the value type (never set at run time). */
  readonly [VALUE]?: T;
  /** Whether the field may be null (schema.proto FieldType.nullable). */
  readonly nullable: boolean;
  /** What the type is. */
  readonly spec: FieldTypeSpec;
}

/** The value type of a field type. */
export type ValueOf<F> = F extends FieldType<infer T> ? T : never;

/** The row type of a record of field types. */
export type RowOf<F extends Record<string, FieldType<unknown>>> = { [K in keyof F]: ValueOf<F[K]> };

/** The row type of a schema: `SchemaRow<typeof Person>`. */
export type SchemaRow<S> = S extends Schema<infer R> ? R : never;

/** One field of a schema. */
export interface SchemaField {
  /** The field's name, its key in row objects. */
  readonly name: string;
  /** The field's type. */
  readonly type: FieldType<unknown>;
  /** A description (schema.proto Field.description), if any. */
  readonly description?: string;
}

/** URNs of the logical types of Beam's schema.proto that RowCoder gives TypeScript values. */
export const LOGICAL_TYPE_URNS = {
  millisInstant: "beam:logical_type:millis_instant:v1",
  microsInstant: "beam:logical_type:micros_instant:v1",
  decimal: "beam:logical_type:decimal:v1",
  fixedChar: "beam:logical_type:fixed_char:v1",
  varChar: "beam:logical_type:var_char:v1",
  fixedBytes: "beam:logical_type:fixed_bytes:v1",
  varBytes: "beam:logical_type:var_bytes:v1",
} as const;

function make<T>(spec: FieldTypeSpec, nullable = false): FieldType<T> {
  return Object.freeze({ spec, nullable });
}

const atomic = <T>(name: AtomicTypeName): FieldType<T> => make<T>({ kind: "atomic", atomic: name });

function sized<T>(urn: string, representation: FieldType<unknown>, n: number, what: string): FieldType<T> {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`${what}(${n}): the length must be an integer from 0 to 2^31 - 1`);
  return make<T>({ kind: "logical", urn, representation, argument: { type: FieldType.INT32, value: n } });
}

/** Builders of schema field types (Beam Java's Schema.FieldType). */
export const FieldType = {
  /** int8, a number from -128 to 127 (Java's Byte). */
  BYTE: atomic<number>("BYTE"),
  /** int16, a number from -32768 to 32767. */
  INT16: atomic<number>("INT16"),
  /** int32, a number. */
  INT32: atomic<number>("INT32"),
  /** int64, a bigint (the full signed 64-bit range). */
  INT64: atomic<bigint>("INT64"),
  /** IEEE-754 binary32: a number, rounded to float32 when encoded. */
  FLOAT: atomic<number>("FLOAT"),
  /** IEEE-754 binary64, a number. */
  DOUBLE: atomic<number>("DOUBLE"),
  /** A UTF-8 string. */
  STRING: atomic<string>("STRING"),
  /** A boolean. */
  BOOLEAN: atomic<boolean>("BOOLEAN"),
  /** Bytes, a Uint8Array. */
  BYTES: atomic<Uint8Array>("BYTES"),
  /** An instant in epoch milliseconds, a number (beam:logical_type:millis_instant:v1; Java's DATETIME). */
  get MILLIS_INSTANT(): FieldType<number> {
    return make<number>({ kind: "logical", urn: LOGICAL_TYPE_URNS.millisInstant, representation: FieldType.INT64 });
  },
  /** An instant in epoch microseconds, a bigint (beam:logical_type:micros_instant:v1; Java's java.time.Instant). */
  get MICROS_INSTANT(): FieldType<bigint> {
    return make<bigint>({ kind: "logical", urn: LOGICAL_TYPE_URNS.microsInstant, representation: FieldType.row(MICROS_SCHEMA()) });
  },
  /** An arbitrary-precision decimal, as a decimal string (beam:logical_type:decimal:v1; Java's BigDecimal, Python's Decimal). */
  get DECIMAL(): FieldType<string> {
    return make<string>({ kind: "logical", urn: LOGICAL_TYPE_URNS.decimal, representation: FieldType.BYTES });
  },
  /** A string of exactly `n` characters, padded with spaces (SQL CHAR(n)). */
  fixedChar: (n: number): FieldType<string> => sized<string>(LOGICAL_TYPE_URNS.fixedChar, FieldType.STRING, n, "fixedChar"),
  /** A string of at most `n` characters (SQL VARCHAR(n)). */
  varChar: (n: number): FieldType<string> => sized<string>(LOGICAL_TYPE_URNS.varChar, FieldType.STRING, n, "varChar"),
  /** Exactly `n` bytes, padded with zeros (SQL BINARY(n)). */
  fixedBytes: (n: number): FieldType<Uint8Array> => sized<Uint8Array>(LOGICAL_TYPE_URNS.fixedBytes, FieldType.BYTES, n, "fixedBytes"),
  /** At most `n` bytes (SQL VARBINARY(n)). */
  varBytes: (n: number): FieldType<Uint8Array> => sized<Uint8Array>(LOGICAL_TYPE_URNS.varBytes, FieldType.BYTES, n, "varBytes"),
  /** `t` or null. */
  nullable: <T>(t: FieldType<T>): FieldType<T | null> => make<T | null>(t.spec, true),
  /** A list of `t` (schema.proto ArrayType). */
  array: <T>(t: FieldType<T>): FieldType<T[]> => make<T[]>({ kind: "array", element: t }),
  /** An iterable of `t` (schema.proto IterableType), an array in TypeScript. */
  iterable: <T>(t: FieldType<T>): FieldType<T[]> => make<T[]>({ kind: "iterable", element: t }),
  /** A map from `k` to `v`, a Map in TypeScript. */
  map: <K, V>(k: FieldType<K>, v: FieldType<V>): FieldType<Map<K, V>> => make<Map<K, V>>({ kind: "map", key: k, value: v }),
  /** A nested row of `schema`. */
  row: <R extends object>(schema: Schema<R>): FieldType<R> => make<R>({ kind: "row", schema }),
  /** A logical type this SDK has no TypeScript value for: its values are its representation's. */
  logical: <T>(urn: string, representation: FieldType<T>, options: { argument?: { type: FieldType<unknown>; value: number | bigint | string | boolean | Uint8Array }; payload?: Uint8Array } = {}): FieldType<T> =>
    make<T>({ kind: "logical", urn, representation, ...options }),
};

let microsSchema: Schema<{ seconds: bigint; micros: bigint }> | undefined;
/** micros_instant's representation: Row(seconds: INT64, micros: INT64), as Java's MicrosInstant. */
function MICROS_SCHEMA(): Schema<{ seconds: bigint; micros: bigint }> {
  return (microsSchema ??= Schema.of({ seconds: FieldType.INT64, micros: FieldType.INT64 }));
}

/**
 * A Beam schema: named fields in order. `R` is the TypeScript type of its rows.
 *
 *     const Person = Schema.of({ name: FieldType.STRING, age: FieldType.nullable(FieldType.INT32) });
 *     // Person: Schema<{ name: string; age: number | null }>
 */
export class Schema<R extends object = Record<string, unknown>> {
  /** Type-level only: the row type (never set at run time). */
  declare readonly [VALUE]?: R;

  private constructor(
    readonly fields: readonly SchemaField[],
    /** The wire order of the fields: encodingPositions[i] is field i's position (schema.proto's encoding_position), if set. */
    readonly encodingPositions: readonly number[] | undefined,
    /** schema.proto's id (a UUID), if the schema came with one. */
    readonly id: string | undefined,
    /** The Schema proto this schema was read from, kept so that it is written back unchanged. */
    readonly proto: Uint8Array | undefined,
  ) {
    const seen = new Set<string>();
    for (const f of fields) {
      if (seen.has(f.name)) throw new Error(`Schema has two fields named '${f.name}': field names must be unique`);
      seen.add(f.name);
    }
    if (encodingPositions !== undefined) {
      const sorted = [...encodingPositions].sort((a, b) => a - b);
      if (sorted.length !== fields.length || sorted.some((p, i) => p !== i)) {
        throw new Error(`Schema encoding positions [${encodingPositions.join(", ")}] must be a permutation of 0..${fields.length - 1}, one per field`);
      }
    }
  }

  /**
   * The schema of rows shaped like `fields` (in its key order; keys that look like array indices
   * are ordered first by JavaScript, so give such fields with `Schema.fromFields`).
   */
  static of<F extends Record<string, FieldType<unknown>>>(fields: F): Schema<RowOf<F>> {
    return new Schema<RowOf<F>>(
      Object.entries(fields).map(([name, type]) => ({ name, type })),
      undefined,
      undefined,
      undefined,
    );
  }

  /** A schema from its fields in order, with optional encoding positions and id (as schema.proto has them). */
  static fromFields<R extends object = Record<string, unknown>>(
    fields: readonly SchemaField[],
    options: { encodingPositions?: readonly number[]; id?: string; proto?: Uint8Array } = {},
  ): Schema<R> {
    return new Schema<R>(fields, options.encodingPositions, options.id, options.proto);
  }

  /** The field names in order. */
  get fieldNames(): string[] {
    return this.fields.map((f) => f.name);
  }
}
