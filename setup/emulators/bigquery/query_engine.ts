/**
 * Runs SELECT queries with SQLite (sql.js, WebAssembly shipped in the npm package, so nothing is
 * downloaded). Each query gets a fresh in-memory database holding copies of the tables it names;
 * result columns get BigQuery types back from the source column of the same name, or from their
 * values (integer → INTEGER, other number → FLOAT, text → STRING).
 *
 * Split in two so a query never runs on the emulator's main thread: `prepareQuery` (main thread,
 * linear time) rewrites the SQL, finds the tables and binds the parameters; a `QueryExecution`
 * (in a worker thread, ./query_worker) receives the tables' rows in chunks and runs the query.
 */
import type { SqlJsStatic, SqlValue, BindParams, Database } from "sql.js";
import { HttpError } from "../common/http";
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

/** A table as a query sees it (its rows travel separately, in chunks). */
export interface QueryTable {
  placeholder: string;
  ref: TableRef;
  schema: FieldSchema[];
}

/** Everything a worker needs to run a query, except the rows; structured-cloneable. */
export interface PreparedQuery {
  sql: string;
  params: BindParams;
  /** `alias → source column` pairs, so aliased columns keep their source's type. */
  aliases: [string, string][];
  tables: QueryTable[];
}

/** The rows a query reads from one table: a prefix of its (append-only) row array, fixed when the query starts. */
export interface TableRows {
  placeholder: string;
  rows: StoredRow[];
  count: number;
}

/** The largest result the emulator returns (BigQuery refuses large ones with the same reason). */
export const MAX_RESULT_BYTES = 256 * 1024 * 1024;

/** Rewrites the SQL and binds parameters (main thread); throws 400s for invalid queries and 404s for missing tables. */
export function prepareQuery(input: QueryInput, getTable: (ref: TableRef) => TableState): { prepared: PreparedQuery; rows: TableRows[] } {
  const rewritten = rewriteQuery(input.query, input.projectId, input.defaultDataset);
  const tables: QueryTable[] = [];
  const rows: TableRows[] = [];
  for (const [placeholder, ref] of rewritten.tables) {
    const table = getTable(ref);
    tables.push({ placeholder, ref: table.ref, schema: table.schema });
    rows.push({ placeholder, rows: table.rows, count: table.rows.length });
  }
  const params = bindParameters(input.queryParameters ?? [], rewritten.namedParams, rewritten.positionalParams);
  return { prepared: { sql: rewritten.sql, params, aliases: [...aliasSources(input.query)], tables }, rows };
}

/** One query inside a worker: tables created at once, rows added as they arrive, then run. */
export class QueryExecution {
  private readonly db: Database;
  private readonly tables = new Map<string, QueryTable>();

  constructor(
    sql: SqlJsStatic,
    private readonly prepared: PreparedQuery,
  ) {
    this.db = new sql.Database();
    for (const table of prepared.tables) {
      this.tables.set(table.placeholder, table);
      const names = table.schema.map((f) => `"${f.name.replace(/"/g, '""')}"`);
      // No declared column types: SQLite then keeps each value exactly as bound (no affinity casts).
      this.db.run(`CREATE TABLE "${table.placeholder}" (${names.join(", ")})`);
    }
  }

  addRows(placeholder: string, rows: StoredRow[]): void {
    const table = this.tables.get(placeholder);
    if (table === undefined || table.schema.length === 0 || rows.length === 0) return;
    const insert = this.db.prepare(`INSERT INTO "${placeholder}" VALUES (${table.schema.map(() => "?").join(", ")})`);
    this.db.run("BEGIN");
    try {
      for (const row of rows) insert.run(table.schema.map((f) => toSqlite(row[f.name] ?? null, f)));
    } finally {
      insert.free();
      this.db.run("COMMIT");
    }
  }

  run(maxResultBytes = MAX_RESULT_BYTES): QueryOutput {
    try {
      let statement;
      try {
        statement = this.db.prepare(this.prepared.sql);
      } catch (e) {
        throw invalidQuery(this.describeSqliteError(e));
      }
      const columns = statement.getColumnNames();
      const values: SqlValue[][] = [];
      let bytes = 0;
      try {
        statement.bind(this.prepared.params);
        while (statement.step()) {
          const row = statement.get();
          for (const v of row) bytes += typeof v === "string" ? v.length : v instanceof Uint8Array ? v.length : 8;
          if (bytes > maxResultBytes) {
            throw new HttpError(400, "responseTooLarge", "Response too large to return. Consider specifying a destination table in your job configuration.");
          }
          values.push(row);
        }
      } catch (e) {
        if (e instanceof HttpError) throw e;
        throw invalidQuery(this.describeSqliteError(e));
      } finally {
        statement.free();
      }
      const sources = [...this.tables.values()];
      return { ...typeResults(columns, values, sources, new Map(this.prepared.aliases)), referencedTables: sources.map((t) => t.ref) };
    } finally {
      this.close();
    }
  }

  close(): void {
    this.db.close();
  }

  private describeSqliteError(e: unknown): string {
    let message = e instanceof Error ? e.message : String(e);
    for (const [placeholder, table] of this.tables) message = message.split(placeholder).join(`${table.ref.datasetId}.${table.ref.tableId}`);
    return `Query error: ${message}`;
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
function typeResults(columns: string[], values: SqlValue[][], sources: QueryTable[], aliases: Map<string, string>): { schema: FieldSchema[]; rows: StoredRow[] } {
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
