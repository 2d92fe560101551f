/**
 * Cast: Beam Java's schema transform that converts rows to another schema, field by field by name
 * (`Cast.widening(schema)`, `Cast.narrowing(schema)`).
 *
 * ```ts
 * rows.apply(Cast.widening(Schema.of({ id: FieldType.INT64, score: FieldType.DOUBLE })));   // INT32 → INT64, FLOAT → DOUBLE, fields dropped
 * rows.apply(Cast.narrowing(Schema.of({ id: FieldType.INT16 })));                           // fails at run time on an id beyond INT16
 * ```
 *
 * The input needs a RowCoder; the output schema is checked against its schema when the transform
 * is applied, as Java's validators check it, and the error lists every problem
 * ("f0.f1: Can't cast 'INT64' to 'INT32'"):
 * - widening: each output field exists in the input; a type goes to itself or a wider one (BYTE →
 *   INT16 → INT32 → INT64; an integral type to FLOAT, DOUBLE or DECIMAL; FLOAT → DOUBLE → DECIMAL);
 *   a nullable field stays nullable. Input fields the output lacks are dropped.
 * - narrowing: each output field exists in the input; a type goes to a wider or a narrower one (as
 *   Java's, FLOAT/DOUBLE/DECIMAL to integral types too, but not an integral type to FLOAT, which
 *   is neither); nullable fields may become non-nullable.
 * Values: Java's conversions (a float/decimal to an integral type truncates toward zero, a double
 * to DECIMAL is its exact binary value as Java's `new BigDecimal(double)`), but where Java's
 * narrowing wraps an out-of-range value around (300 → BYTE 44) or makes it infinite, Beamline fails
 * the run naming the step and the field; a null going to a non-nullable field fails likewise.
 * Rows, arrays, iterables and maps are cast element by element (Java does not walk maps' types; this
 * does). Logical types other than DECIMAL and MILLIS_INSTANT (Java's DATETIME) cast only to the
 * same logical type.
 */
import { PipelineConstructionError, TransformError } from "../model/errors";
import type { ProcessContext } from "../model/dofn";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { FieldType, Schema, type SchemaField } from "../coders/schema";
import { formatDecimal, parseDecimal } from "../coders/row";
import { typeName } from "./row_json";
import { rowSchemaOf, setRowCoder } from "./schema_paths";

/** One problem a validator found (Java's Cast.CompatibilityError): where, and what. */
export interface CompatibilityError {
  /** The field path from the top row, e.g. ["f0", "f1"]. */
  readonly path: readonly string[];
  /** What is wrong, in Java's words ("Can't cast 'INT64' to 'INT32'"). */
  readonly message: string;
}

/** Which of Java's validators a Cast uses. */
export type CastValidator = "widening" | "narrowing";

const INTEGRAL = new Set(["BYTE", "INT16", "INT32", "INT64"]);
const FRACTIONAL = new Set(["FLOAT", "DOUBLE", "DECIMAL"]); // Java's Cast.isDecimal
const NUMERIC = new Set([...INTEGRAL, ...FRACTIONAL]);

/** Java's TypeName.isSupertypeOf. */
function isSupertypeOf(out: string, input: string): boolean {
  if (out === input) return true;
  if (!NUMERIC.has(out) || !NUMERIC.has(input)) return false;
  switch (out) {
    case "INT16":
      return input === "BYTE";
    case "INT32":
      return input === "BYTE" || input === "INT16";
    case "INT64":
      return input === "BYTE" || input === "INT16" || input === "INT32";
    case "DOUBLE":
      return input === "FLOAT";
    case "DECIMAL":
      return input === "FLOAT" || input === "DOUBLE";
    default:
      return false; // BYTE and FLOAT are supertypes of nothing else
  }
}

/** A logical type's identity (URN and argument), for types Java names only LOGICAL_TYPE. */
const logicalId = (t: FieldType<unknown>): string => (t.spec.kind === "logical" ? `${t.spec.urn}${t.spec.argument === undefined ? "" : `(${String(t.spec.argument.value)})`}` : "");

/** Java's Widening/Narrowing.accept of two types. */
function acceptTypes(v: CastValidator, path: readonly string[], input: FieldType<unknown>, output: FieldType<unknown>): CompatibilityError[] {
  const i = typeName(input);
  const o = typeName(output);
  if (i === "LOGICAL_TYPE" && o === "LOGICAL_TYPE" && logicalId(input) !== logicalId(output)) {
    return [{ path, message: `Can't cast 'LOGICAL_TYPE(${logicalId(input)})' to 'LOGICAL_TYPE(${logicalId(output)})'` }];
  }
  const ok = v === "widening" ? isSupertypeOf(o, i) || (INTEGRAL.has(i) && FRACTIONAL.has(o)) : (FRACTIONAL.has(i) && INTEGRAL.has(o)) || isSupertypeOf(o, i) || isSupertypeOf(i, o);
  return ok ? [] : [{ path, message: `Can't cast '${i}' to '${o}'` }];
}

/** Java's Widening/Narrowing.accept of two (maybe absent) fields of a row. */
function acceptFields(v: CastValidator, path: readonly string[], input: SchemaField | undefined, output: SchemaField | undefined): CompatibilityError[] {
  if (input === undefined && output !== undefined) return [{ path, message: "Field is missing in output schema" }];
  if (v === "widening" && input !== undefined && output !== undefined && input.type.nullable && !output.type.nullable) {
    return [{ path, message: "Can't cast nullable field to non-nullable field" }];
  }
  return [];
}

/** Java's SchemaZipFold.visit: the type, then inside arrays, maps and rows. */
function visit(v: CastValidator, path: readonly string[], input: FieldType<unknown>, output: FieldType<unknown>): CompatibilityError[] {
  const i = input.spec;
  const o = output.spec;
  if (typeName(input) !== typeName(output)) return acceptTypes(v, path, input, output);
  if ((i.kind === "array" || i.kind === "iterable") && (o.kind === "array" || o.kind === "iterable")) return [...acceptTypes(v, path, input, output), ...visit(v, path, i.element, o.element)];
  if (i.kind === "map" && o.kind === "map") return [...acceptTypes(v, path, input, output), ...visit(v, path, i.key, o.key), ...visit(v, path, i.value, o.value)];
  if (i.kind === "row" && o.kind === "row") return visitRow(v, path, i.schema, o.schema);
  return acceptTypes(v, path, input, output);
}

/** Java's SchemaZipFold.visitRow: the types of the fields both have (input order), then each field of either (input's first). */
function visitRow(v: CastValidator, path: readonly string[], input: Schema<object>, output: Schema<object>): CompatibilityError[] {
  const byName = (s: Schema<object>, n: string): SchemaField | undefined => s.fields.find((f) => f.name === n);
  const types = input.fields.flatMap((f) => {
    const g = byName(output, f.name);
    return g === undefined ? [] : visit(v, [...path, f.name], f.type, g.type);
  });
  const union = [...new Set([...input.fieldNames, ...output.fieldNames])];
  const fields = union.flatMap((n) => acceptFields(v, [...path, n], byName(input, n), byName(output, n)));
  return [...types, ...fields];
}

/** The problems a validator finds casting rows of `input` to `output` (Java's `Validator.apply`); empty when the cast is valid. */
export function validateCast(validator: CastValidator, input: Schema<object>, output: Schema<object>): CompatibilityError[] {
  return visitRow(validator, [], input, output);
}

/** A value a cast cannot convert (out of range, null for a non-nullable field); `path` says where. */
export class CastValueError extends Error {
  constructor(
    message: string,
    /** The field path of the value. */
    readonly path: string,
  ) {
    super(message);
    this.name = "CastValueError";
  }
}

const RANGES: Record<string, readonly [bigint, bigint]> = {
  BYTE: [-128n, 127n],
  INT16: [-32768n, 32767n],
  INT32: [-2147483648n, 2147483647n],
  INT64: [-(1n << 63n), (1n << 63n) - 1n],
};

const show = (v: unknown): string => (typeof v === "bigint" ? `${v}n` : typeof v === "string" ? JSON.stringify(v) : String(v));

/** A double's exact decimal value, as Java's `new BigDecimal(double)` (the smallest scale that holds it). */
export function exactDecimal(d: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  let mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  let exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  if (mantissa === 0n) return "0";
  while (exponent < 0 && (mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    exponent++;
  }
  const sign = negative ? -1n : 1n;
  if (exponent >= 0) return (sign * (mantissa << BigInt(exponent))).toString();
  // m × 2^e = m × 5^-e / 10^-e: an odd m makes -e the smallest scale.
  return formatDecimal(sign * mantissa * 5n ** BigInt(-exponent), -exponent);
}

/** A numeric value as Java's Cast.castNumber converts it, failing where Java would wrap around or overflow. */
function castNumber(value: unknown, input: string, output: string, path: string): unknown {
  if (input === output) return value;
  const fail = (why: string): never => {
    throw new CastValueError(`${path}: cannot cast ${input} value ${show(value)} to ${output}: ${why}`, path);
  };
  if (INTEGRAL.has(output)) {
    let whole: bigint;
    if (INTEGRAL.has(input)) whole = typeof value === "bigint" ? value : BigInt(value as number);
    else if (input === "DECIMAL") {
      const { unscaled, scale } = parseDecimal(value as string);
      whole = scale <= 0 ? unscaled * 10n ** BigInt(-scale) : unscaled / 10n ** BigInt(scale); // toward zero, as BigDecimal.longValue
    } else {
      const n = value as number;
      if (!Number.isFinite(n)) return fail("it is not a finite number");
      whole = BigInt(Math.trunc(n));
    }
    const [lo, hi] = RANGES[output]!;
    if (whole < lo || whole > hi) return fail(`it is out of ${output}'s range ${lo}..${hi} (Java's Cast wraps it around; Beamline fails instead). Cast to a wider type, or filter such rows first`);
    return output === "INT64" ? whole : Number(whole);
  }
  if (output === "DECIMAL") {
    if (INTEGRAL.has(input)) return String(value);
    const n = input === "FLOAT" ? Math.fround(value as number) : (value as number);
    return Number.isFinite(n) ? exactDecimal(n) : fail("DECIMAL holds only finite numbers");
  }
  // FLOAT or DOUBLE.
  const d = INTEGRAL.has(input) ? Number(value as number | bigint) : input === "DECIMAL" ? Number(value as string) : (value as number);
  const out = output === "FLOAT" ? Math.fround(d) : d;
  const finiteIn = input === "FLOAT" || input === "DOUBLE" ? Number.isFinite(value as number) : true;
  if (finiteIn && !Number.isFinite(out)) return fail(`it is beyond ${output}'s range`);
  return out;
}

/** A value of type `input` converted to `output` (Java's Cast.castValue); throws CastValueError on a value it cannot convert. */
export function castValue(value: unknown, input: FieldType<unknown>, output: FieldType<unknown>, path = "value"): unknown {
  if (value === null || value === undefined) {
    if (!output.nullable) throw new CastValueError(`${path} is null, but the output field is not nullable; make it FieldType.nullable(...) in the output schema, or filter such rows first`, path);
    return null;
  }
  const i = input.spec;
  const o = output.spec;
  if (i.kind === "row" && o.kind === "row") return castRow(value as Record<string, unknown>, i.schema, o.schema, path);
  if ((i.kind === "array" || i.kind === "iterable") && (o.kind === "array" || o.kind === "iterable")) {
    return [...(value as Iterable<unknown>)].map((e, k) => castValue(e, i.element, o.element, `${path}[${k}]`));
  }
  if (i.kind === "map" && o.kind === "map") {
    return new Map([...(value as Map<unknown, unknown>)].map(([k, e]) => [castValue(k, i.key, o.key, `${path}{key}`), castValue(e, i.value, o.value, `${path}{${show(k)}}`)]));
  }
  const inName = typeName(input);
  const outName = typeName(output);
  if (inName === outName) return value;
  if (NUMERIC.has(inName) && NUMERIC.has(outName)) return castNumber(value, inName, outName, path);
  throw new CastValueError(`${path}: cannot cast ${inName} to ${outName}; only arrays, maps, numbers and rows convert`, path);
}

/** A row of `input` as a row of `output`: each output field from the input field of its name (Java's Cast.castRow). */
export function castRow(row: Record<string, unknown>, input: Schema<object>, output: Schema<object>, path = "row"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of output.fields) {
    const from = input.fields.find((g) => g.name === f.name);
    if (from === undefined) throw new CastValueError(`${path}: the input rows have no field '${f.name}'`, path);
    out[f.name] = castValue(row[f.name], from.type, f.type, `${path}.${f.name}`);
  }
  return out;
}

/**
 * Converts rows to `outputSchema` (Beam Java's Cast), fields matched by name. Made by
 * `Cast.widening(schema)` or `Cast.narrowing(schema)`; R is the output row type.
 */
export class Cast<R extends object> extends PTransform<PCollection<object>, PCollection<R>> {
  private constructor(
    /** The schema of the output rows. */
    readonly outputSchema: Schema<R>,
    /** The validator of the cast. */
    readonly validator: CastValidator,
  ) {
    super("Cast");
  }

  /** Casts that lose no magnitude: to wider types, to fewer fields, to nullable fields (Java's `Cast.widening`). */
  static widening<R extends object>(outputSchema: Schema<R>): Cast<R> {
    return Cast.make(outputSchema, "widening");
  }

  /** Casts that may lose data: also to narrower types and non-nullable fields; values that do not fit fail the run (Java's `Cast.narrowing`). */
  static narrowing<R extends object>(outputSchema: Schema<R>): Cast<R> {
    return Cast.make(outputSchema, "narrowing");
  }

  private static make<R extends object>(outputSchema: Schema<R>, v: CastValidator): Cast<R> {
    if (!(outputSchema instanceof Schema)) throw new PipelineConstructionError(`Cast.${v}: expected the output Schema (Schema.of({ ... })), got ${typeof outputSchema}`);
    return new Cast(outputSchema, v);
  }

  /** A value of type `input` as type `output`, as the cast converts it (Java's `Cast.castValue`); throws CastValueError on one that does not fit. */
  static castValue(value: unknown, input: FieldType<unknown>, output: FieldType<unknown>): unknown {
    return castValue(value, input, output);
  }

  /** The problems casting rows of `inputSchema` to the output schema (Java's `validator().apply`); empty when none. */
  compatibilityErrors(inputSchema: Schema<object>): CompatibilityError[] {
    return validateCast(this.validator, inputSchema, this.outputSchema as Schema<object>);
  }

  /** Throws, listing every problem as Java's message does, unless rows of `inputSchema` can be cast (Java's `verifyCompatibility`). */
  verifyCompatibility(inputSchema: Schema<object>, fullName?: string): void {
    const errors = this.compatibilityErrors(inputSchema);
    if (errors.length === 0) return;
    const name = this.validator === "widening" ? "Cast.Widening" : "Cast.Narrowing";
    let hint = this.validator === "widening" ? "Change the output schema, or use Cast.narrowing for conversions that may lose data" : "Change the output schema";
    // Java's wording for an output field the input lacks reads backwards; say what it means.
    if (errors.some((e) => e.message === "Field is missing in output schema")) hint += "; 'Field is missing in output schema' (Java's words) means the output schema has a field the input's rows lack: remove it, or add it to the input first (AddFields)";
    throw new PipelineConstructionError(`Cast isn't compatible using ${name}:\n\t${errors.map((e) => `${e.path.join(".")}: ${e.message}`).join("\n\t")}\n${hint}`, fullName);
  }

  expand(input: PCollection<object>): PCollection<R> {
    const fullName = input.pipeline.currentNode().fullName;
    const inputSchema = rowSchemaOf(input as PCollection<unknown>);
    if (inputSchema === undefined) {
      throw new PipelineConstructionError(`Cast needs the schema of its input's rows, but ${input.describe()} has no RowCoder; set one with .setCoder(RowCoder.of(schema)) (Java's setRowSchema)`, fullName);
    }
    this.verifyCompatibility(inputSchema, fullName);
    const output = this.outputSchema as Schema<object>;
    const out = input.apply(
      "Cast",
      ParDo.into<R>().of((row: object, ctx: ProcessContext<R>) => {
        let cast: R;
        try {
          cast = castRow(row as Record<string, unknown>, inputSchema, output) as R;
        } catch (e) {
          if (!(e instanceof CastValueError)) throw e;
          throw new TransformError(ctx.runtime.transformName, `${ctx.runtime.transformName}: ${e.message}`, { cause: e });
        }
        ctx.output(cast);
      }),
    );
    setRowCoder(out as PCollection<unknown>, output);
    return out;
  }
}
