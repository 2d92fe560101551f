/**
 * Runs SELECT queries with SQLite (sql.js, WebAssembly shipped in the npm package, so nothing is
 * downloaded). Each query gets a fresh in-memory database holding copies of the tables it names;
 * result columns get BigQuery types back from the source column of the same name, or from their
 * values (integer → INTEGER, other number → FLOAT, text → STRING).
 */
import initSqlJs from "sql.js";
import type { SqlJsStatic, SqlValue, BindParams } from "sql.js";
import { invalidQuery, rewriteQuery } from "./sql_rewrite";
import { parseTimestampMicros, type FieldSchema, type StoredRow, type StoredValue } from "./values";
import type { TableRef, TableState } from "./store";

export interface QueryParameter {
  name?: string;
  parameterType?: { type?: string };
  parameterValue?: { value?: unknown; arrayValues?: unknown[] } | null;
}

export interface QueryInput {
  query: string;
  projectId: string;
  defaultDataset?: { projectId?: string; datasetId: string };
  queryParameters?: QueryParameter[];
}

export interface QueryOutput {
  schema: FieldSchema[];
  rows: StoredRow[];
  /** The tables read, for statistics. */
  referencedTables: TableRef[];
}

let sqlJs: Promise<SqlJsStatic> | undefined;

export class QueryEngine {
  private constructor(private readonly sql: SqlJsStatic) {}

  /** Loads the WebAssembly module once per process. */
  static async create(): Promise<QueryEngine> {
    sqlJs ??= initSqlJs();
    return new QueryEngine(await sqlJs);
  }

  run(input: QueryInput, getTable: (ref: TableRef) => TableState): QueryOutput {
    const rewritten = rewriteQuery(input.query, input.projectId, input.defaultDataset);
    const tables = new Map<string, TableState>();
    for (const [placeholder, ref] of rewritten.tables) tables.set(placeholder, getTable(ref));
    const params = bindParameters(input.queryParameters ?? [], rewritten.namedParams, rewritten.positionalParams);

    const db = new this.sql.Database();
    try {
      for (const [placeholder, table] of tables) loadTable(db, placeholder, table);
      let statement;
      try {
        statement = db.prepare(rewritten.sql);
      } catch (e) {
        throw invalidQuery(describeSqliteError(e, tables));
      }
      const columns = statement.getColumnNames();
      const values: SqlValue[][] = [];
      try {
        statement.bind(params);
        while (statement.step()) values.push(statement.get());
      } catch (e) {
        throw invalidQuery(describeSqliteError(e, tables));
      } finally {
        statement.free();
      }
      return { ...typeResults(columns, values, [...tables.values()], aliasSources(input.query)), referencedTables: [...tables.values()].map((t) => t.ref) };
    } finally {
      db.close();
    }
  }
}

function describeSqliteError(e: unknown, tables: Map<string, TableState>): string {
  let message = e instanceof Error ? e.message : String(e);
  for (const [placeholder, table] of tables) message = message.split(placeholder).join(`${table.ref.datasetId}.${table.ref.tableId}`);
  return `Query error: ${message}`;
}

function loadTable(db: InstanceType<SqlJsStatic["Database"]>, placeholder: string, table: TableState): void {
  const names = table.schema.map((f) => `"${f.name.replace(/"/g, '""')}"`);
  // No declared column types: SQLite then keeps each value exactly as bound (no affinity casts).
  db.run(`CREATE TABLE "${placeholder}" (${names.join(", ")})`);
  if (names.length === 0 || table.rows.length === 0) return;
  const insert = db.prepare(`INSERT INTO "${placeholder}" VALUES (${names.map(() => "?").join(", ")})`);
  db.run("BEGIN");
  try {
    for (const row of table.rows) insert.run(table.schema.map((f) => toSqlite(row[f.name] ?? null, f)));
  } finally {
    insert.free();
    db.run("COMMIT");
  }
}

/** Stored value → what SQLite compares sensibly (timestamps as integer micros, booleans as 0/1). */
function toSqlite(value: StoredValue, field: FieldSchema): SqlValue {
  if (value === null) return null;
  if (field.mode === "REPEATED" || field.type === "RECORD") return JSON.stringify(value);
  switch (field.type) {
    case "INTEGER":
    case "TIMESTAMP":
    case "FLOAT":
    case "NUMERIC":
    case "BIGNUMERIC":
      return Number(value);
    case "BOOLEAN":
      return value ? 1 : 0;
    default:
      return String(value);
  }
}

function bindParameters(params: QueryParameter[], named: Set<string>, positional: number): BindParams {
  if (named.size > 0) {
    const bound: Record<string, SqlValue> = {};
    const byName = new Map(params.filter((p) => p.name).map((p) => [(p.name as string).toLowerCase(), p]));
    for (const name of named) {
      const param = byName.get(name.toLowerCase());
      if (!param) throw invalidQuery(`Query parameter '${name}' not found`);
      bound[`@${name}`] = parameterValue(param);
    }
    return bound;
  }
  if (positional > 0) {
    if (params.length !== positional) throw invalidQuery(`Query has ${positional} positional parameter(s) but ${params.length} were given`);
    return params.map(parameterValue);
  }
  return null;
}

function parameterValue(param: QueryParameter): SqlValue {
  const type = (param.parameterType?.type ?? "STRING").toUpperCase();
  const value = param.parameterValue?.value;
  if (type === "ARRAY" || type === "STRUCT") throw invalidQuery(`${type} query parameters are not supported by the emulator (parameter ${param.name ?? "?"})`);
  if (value === undefined || value === null) return null;
  switch (type) {
    case "INT64":
    case "INTEGER":
    case "FLOAT64":
    case "FLOAT":
    case "NUMERIC":
    case "BIGNUMERIC":
      return Number(value);
    case "BOOL":
    case "BOOLEAN":
      return value === true || String(value).toLowerCase() === "true" ? 1 : 0;
    case "TIMESTAMP": {
      const micros = parseTimestampMicros(String(value));
      if (micros === undefined) throw invalidQuery(`Invalid TIMESTAMP parameter ${param.name ?? ""}: ${String(value)}`);
      return Number(micros);
    }
    default:
      return String(value);
  }
}

/**
 * Aliases whose value is a column's own value, so they keep its type: `col AS a`, `t.col AS a`,
 * and `MIN|MAX|ANY_VALUE(col) AS a` (e.g. `MAX(ts) AS latest` stays a TIMESTAMP).
 */
function aliasSources(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  const pattern = /(?:\b(?:MIN|MAX|ANY_VALUE)\s*\(\s*|(?:^|[\s,]))(?:`?\w+`?\.)?`?(\w+)`?\s*\)?\s+AS\s+`?(\w+)`?/gi;
  for (const m of sql.matchAll(pattern)) out.set(m[2].toLowerCase(), m[1].toLowerCase());
  return out;
}

/** Gives each result column a BigQuery type and converts the SQLite values to stored form. */
function typeResults(columns: string[], values: SqlValue[][], sources: TableState[], aliases: Map<string, string>): { schema: FieldSchema[]; rows: StoredRow[] } {
  const sourceFields = new Map<string, FieldSchema>();
  for (const table of sources) for (const f of table.schema) if (!sourceFields.has(f.name.toLowerCase())) sourceFields.set(f.name.toLowerCase(), f);
  const used = new Set<string>();
  const schema = columns.map((column, i) => {
    // Unnamed expressions get BigQuery's f0_, f1_ ... names.
    let name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(column) ? column : `f${i}_`;
    while (used.has(name.toLowerCase())) name = `${name}_${i}`;
    used.add(name.toLowerCase());
    const columnValues = values.map((row) => row[i]);
    const lower = column.toLowerCase();
    const source = sourceFields.get(lower) ?? sourceFields.get(aliases.get(lower) ?? "");
    if (source && fitsSourceType(source, columnValues)) return { ...source, name, mode: source.mode === "REQUIRED" ? "NULLABLE" : source.mode };
    return { name, type: inferType(columnValues), mode: "NULLABLE" };
  });
  const rows = values.map((row) => {
    const out: StoredRow = {};
    schema.forEach((field, i) => (out[field.name] = fromSqlite(row[i], field)));
    return out;
  });
  return { schema, rows };
}

/** A source column's type survives only if the values still look like it (e.g. not `a / 2 AS a`). */
function fitsSourceType(field: FieldSchema, values: SqlValue[]): boolean {
  const present = values.filter((v) => v !== null);
  if (field.mode === "REPEATED" || field.type === "RECORD") return present.every((v) => typeof v === "string");
  switch (field.type) {
    case "INTEGER":
    case "TIMESTAMP":
      return present.every((v) => typeof v === "number" && Number.isInteger(v));
    case "BOOLEAN":
      return present.every((v) => v === 0 || v === 1);
    case "FLOAT":
    case "NUMERIC":
    case "BIGNUMERIC":
      return present.every((v) => typeof v === "number");
    default:
      return present.every((v) => typeof v === "string");
  }
}

function inferType(values: SqlValue[]): string {
  const present = values.filter((v) => v !== null);
  if (present.length > 0 && present.every((v) => typeof v === "number")) return present.every((v) => Number.isInteger(v)) ? "INTEGER" : "FLOAT";
  if (present.some((v) => v instanceof Uint8Array)) return "BYTES";
  if (present.length === 0) return "INTEGER";
  return "STRING";
}

function fromSqlite(value: SqlValue, field: FieldSchema): StoredValue {
  if (value === null) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (field.mode === "REPEATED" || field.type === "RECORD") return JSON.parse(String(value)) as StoredValue;
  switch (field.type) {
    case "INTEGER":
      return typeof value === "number" ? BigInt(Math.trunc(value)).toString() : String(value);
    case "TIMESTAMP":
      return BigInt(Math.round(Number(value))).toString();
    case "FLOAT":
      return Number(value);
    case "BOOLEAN":
      return Number(value) !== 0;
    default:
      return String(value);
  }
}
