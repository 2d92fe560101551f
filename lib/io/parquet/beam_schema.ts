/**
 * The Parquet schema of a Beam schema (a RowCoder input's), for WriteToParquet without a schema,
 * as Beam Python's WriteToParquet infers a pyarrow schema from a schema'd PCollection
 * (arrow_type_compatibility): BYTE int8, INT16 int16, INT32 int32, INT64 int64, FLOAT float,
 * DOUBLE double, STRING string, BOOLEAN bool, BYTES binary, millis_instant timestamp[ms],
 * fixed_bytes(n) fixed_size_binary[n], var_bytes binary, fixed_char / var_char string, arrays and
 * iterables lists, nested rows structs; nullable fields nullable. Maps, decimals (a Beam decimal
 * has no fixed scale) and other logical types need an explicit schema.
 */
import type { FieldType, Schema } from "../../coders/schema";
import { PipelineConstructionError } from "../../model/errors";
import type { PCollection } from "../../model/pcollection";
import { rowSchemaOf } from "../../transforms/schema_paths";
import type { ParquetField, ParquetSchema } from "./schema";

const ATOMIC: Record<string, string> = { BYTE: "int8", INT16: "int16", INT32: "int32", INT64: "int64", FLOAT: "float", DOUBLE: "double", STRING: "string", BOOLEAN: "bool", BYTES: "binary" };
const LOGICAL: Record<string, string> = { "beam:logical_type:millis_instant:v1": "timestamp[ms]", "beam:logical_type:var_bytes:v1": "binary", "beam:logical_type:fixed_char:v1": "string", "beam:logical_type:var_char:v1": "string" };

function field(t: FieldType<unknown>, path: string): ParquetField {
  const s = t.spec;
  let f: ParquetField;
  if (s.kind === "atomic") f = ATOMIC[s.atomic] as ParquetField;
  else if (s.kind === "array" || s.kind === "iterable") f = { list: field(s.element, `${path}[]`) };
  else if (s.kind === "row") f = { struct: fromBeamSchema(s.schema, `${path}.`) };
  else if (s.kind === "logical" && s.urn === "beam:logical_type:fixed_bytes:v1" && typeof s.argument?.value === "number") f = `fixed_size_binary[${s.argument.value}]`;
  else if (s.kind === "logical" && LOGICAL[s.urn] !== undefined) f = LOGICAL[s.urn] as ParquetField;
  else throw new Error(`field ${path} is a ${s.kind === "logical" ? `logical type ${s.urn}` : s.kind}, which has no Parquet type here`);
  if (!t.nullable) return f;
  return typeof f === "string" ? { type: f, nullable: true } : { ...f, nullable: true };
}

/** The Parquet schema of a Beam schema (throws naming the field that has no Parquet type). */
export function fromBeamSchema(schema: Schema<object>, prefix = ""): ParquetSchema {
  const out: Record<string, ParquetField> = {};
  for (const f of schema.fields) out[f.name] = field(f.type, prefix + f.name);
  return out;
}

/** The Parquet schema of `input`'s RowCoder schema; `where` names the transform in errors. */
export function parquetSchemaOfRows(input: PCollection<unknown>, where: string): ParquetSchema {
  const beam = rowSchemaOf(input);
  if (beam === undefined) {
    throw new PipelineConstructionError(`${where} needs the rows' schema: give { schema: { name: "string", age: "int64" } }, or write a PCollection with a RowCoder (its Beam schema is then written), as Beam Python's "A schema is required to write non-schema'd data".`);
  }
  try {
    return fromBeamSchema(beam);
  } catch (e) {
    throw new PipelineConstructionError(`${where}: the input's Beam schema has no Parquet counterpart: ${(e as Error).message}; give { schema } explicitly (and convert the rows to it).`);
  }
}
