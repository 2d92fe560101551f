/**
 * ReadFromParquet's `asRows` (Beam Python's `as_rows=True`): the rows as Beam rows, with a
 * RowCoder of the Beam schema of the files. Like Python, the schema is read when the transform
 * is made, from the footer of the first file the (first) pattern matches; here that footer is
 * read synchronously, so the pattern must be a local one with wildcards only in its file name.
 *
 * Parquet → Beam: bool BOOLEAN, int8 BYTE, int16 INT16, int32 INT32, int64 INT64 (bigints),
 * float FLOAT, double DOUBLE, string STRING, binary BYTES, fixed_size_binary[n] fixed_bytes(n),
 * decimals DECIMAL (exact strings), timestamps (INT96 too) millis_instant (epoch milliseconds),
 * lists arrays, structs rows, OPTIONAL fields nullable. Dates, times, unsigned integers and maps
 * have no Beam type here: reading such a file as rows fails at construction, naming the column.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { SchemaTree } from "hyparquet" with { "resolution-mode": "import" };
import { FieldType, LOGICAL_TYPE_URNS, Schema, type SchemaField } from "../../coders/schema";
import { hyparquet } from "./library";

function leafType(node: SchemaTree, where: string): FieldType<unknown> {
  const e = node.element;
  const lt = e.logical_type;
  const fail = (what: string): never => {
    throw new Error(`column ${where} is ${what}, which has no Beam schema type here; read it without asRows`);
  };
  if (e.converted_type === "DECIMAL" || lt?.type === "DECIMAL") return FieldType.DECIMAL;
  if (lt?.type === "TIMESTAMP" || e.converted_type === "TIMESTAMP_MILLIS" || e.converted_type === "TIMESTAMP_MICROS" || e.type === "INT96") return FieldType.MILLIS_INSTANT;
  if (lt?.type === "INTEGER" && !lt.isSigned) return fail(`an unsigned ${lt.bitWidth}-bit integer`);
  if (e.converted_type === "DATE" || lt?.type === "DATE") return fail("a date");
  if (lt?.type === "TIME" || e.converted_type === "TIME_MILLIS" || e.converted_type === "TIME_MICROS") return fail("a time of day");
  switch (e.type) {
    case "BOOLEAN":
      return FieldType.BOOLEAN;
    case "INT32":
      if (lt?.type === "INTEGER" && lt.bitWidth === 8) return FieldType.BYTE;
      if (lt?.type === "INTEGER" && lt.bitWidth === 16) return FieldType.INT16;
      return FieldType.INT32;
    case "INT64":
      return FieldType.INT64;
    case "FLOAT":
      return FieldType.FLOAT;
    case "DOUBLE":
      return FieldType.DOUBLE;
    case "BYTE_ARRAY":
      return e.converted_type === "UTF8" || lt?.type === "STRING" ? FieldType.STRING : FieldType.BYTES;
    case "FIXED_LEN_BYTE_ARRAY":
      return FieldType.fixedBytes(e.type_length ?? 0);
    default:
      return fail(`of type ${String(e.type)}`);
  }
}

function nodeType(node: SchemaTree, where: string): FieldType<unknown> {
  const e = node.element;
  let t: FieldType<unknown>;
  if (node.children.length === 0) t = leafType(node, where);
  else if (e.converted_type === "LIST" || e.logical_type?.type === "LIST") {
    const repeated = node.children[0]!;
    t = FieldType.array(nodeType(repeated.children.length === 1 ? repeated.children[0]! : repeated, `${where}[]`));
  } else if (e.converted_type === "MAP" || e.logical_type?.type === "MAP" || e.converted_type === "MAP_KEY_VALUE") {
    throw new Error(`column ${where} is a map, which has no Beam schema type here; read it without asRows`);
  } else t = FieldType.row(structSchema(node.children, `${where}.`));
  return e.repetition_type === "REQUIRED" ? t : FieldType.nullable(t);
}

function structSchema(children: readonly SchemaTree[], prefix: string): Schema<object> {
  const fields: SchemaField[] = children.map((c) => ({ name: c.element.name, type: nodeType(c, prefix + c.element.name) }));
  return Schema.fromFields(fields);
}

/** The first local file `pattern` matches (wildcards `*` and `?` in the file name only), found synchronously. */
function firstLocalMatch(pattern: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern) && !pattern.startsWith("file://")) throw new Error(`asRows reads the schema from a local file when the transform is made, but ${pattern} is not local`);
  const p = pattern.startsWith("file://") ? pattern.slice(7) : pattern;
  const dir = path.dirname(p);
  if (/[*?[]/.test(dir)) throw new Error(`asRows reads the schema when the transform is made, from the first file of a pattern with wildcards in its file name only; ${pattern} has them in its directory`);
  const base = path.basename(p);
  if (!/[*?[]/.test(base)) return p;
  const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => re.test(n)).sort() : [];
  if (names.length === 0) throw new Error(`asRows reads the schema from the first file ${pattern} matches, but it matches no file`);
  return path.join(dir, names[0]!);
}

/** The Beam schema of the Parquet files of `pattern` (their first file's), projected to `columns`. */
export function beamSchemaOfParquet(pattern: string, columns: readonly string[] | undefined): Schema<object> {
  const file = firstLocalMatch(pattern);
  const fd = fs.openSync(file, "r");
  let tail: Buffer;
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 12) throw new Error(`${file} is too short to be a Parquet file`);
    const end = Buffer.alloc(8);
    fs.readSync(fd, end, 0, 8, size - 8);
    const length = end.readUInt32LE(0);
    if (end.toString("latin1", 4) !== "PAR1" || length + 8 > size) throw new Error(`${file} has no Parquet footer`);
    tail = Buffer.alloc(length + 8);
    fs.readSync(fd, tail, 0, length + 8, size - 8 - length);
  } finally {
    fs.closeSync(fd);
  }
  const tree = hyparquet().parquetSchema(hyparquet().parquetMetadata(tail));
  const children = columns === undefined ? tree.children : columns.map((c) => tree.children.find((n) => n.element.name === c) ?? missing(c, file));
  return structSchema(children, "");
}

function missing(column: string, file: string): never {
  throw new Error(`${file} has no column '${column}'`);
}

type Convert = (v: unknown) => unknown;

function converter(t: FieldType<unknown>): Convert | undefined {
  const s = t.spec;
  if (s.kind === "logical" && s.urn === LOGICAL_TYPE_URNS.millisInstant) return (v) => (v instanceof Date ? v.getTime() : v);
  if (s.kind === "array") {
    const e = converter(s.element);
    return e === undefined ? undefined : (v) => (Array.isArray(v) ? v.map(e) : v);
  }
  if (s.kind === "row") {
    const r = rowConverter(s.schema);
    return r === undefined ? undefined : (v) => (v === null ? v : r(v as Record<string, unknown>));
  }
  return undefined;
}

/** What turns a read row (int64s as bigints) into the schema's Beam row (timestamps as epoch milliseconds), or undefined when nothing changes. */
export function rowConverter(schema: Schema<object>): ((row: Record<string, unknown>) => Record<string, unknown>) | undefined {
  const parts = schema.fields.map((f) => [f.name, converter(f.type)] as const).filter((p): p is readonly [string, Convert] => p[1] !== undefined);
  if (parts.length === 0) return undefined;
  return (row) => {
    const out = { ...row };
    for (const [name, convert] of parts) out[name] = convert(out[name]);
    return out;
  };
}
