/**
 * ParquetBatch: Beamline's counterpart of the `pyarrow.Table` that Beam Python's
 * ReadFromParquetBatched gives per row group and WriteToParquetBatched takes.
 *
 * Columnar, like the Table (and like Parquet itself): `{ numRows, columns: { name: values[] } }`,
 * a plain object so any coder carries it, typed by the row type (`columns.age` is `number[]` for
 * rows with `age: number`). Columns suit what a batch is for: whole-column work (sums, vectorised
 * scoring, handing a column to a library) without building an object per row, and a compact
 * encoding when the batch crosses workers (the names once, not once per row). `batchRows` gives
 * the rows back when a row view is wanted.
 */

/** The rows of one row group (or any batch of rows) as columns: each column's values, in row order. */
export interface ParquetBatch<T extends object = Record<string, unknown>> {
  /** How many rows the batch holds (every column has this many values). */
  readonly numRows: number;
  /** Column name → its values, row i of the batch at index i. */
  readonly columns: { readonly [K in keyof T]: T[K][] };
}

/** Rows as a batch of columns `names` (default: the first row's keys); a missing value is null. */
export function rowsToBatch<T extends object>(rows: readonly T[], names?: readonly (keyof T & string)[]): ParquetBatch<T> {
  const keys = names ?? (rows.length > 0 ? (Object.keys(rows[0]!) as (keyof T & string)[]) : []);
  const columns = {} as { [K in keyof T]: T[K][] };
  for (const k of keys) columns[k] = rows.map((r) => (k in r ? r[k] : (null as T[typeof k])));
  return { numRows: rows.length, columns };
}

/** The batch's rows as plain objects (column name → value). */
export function batchRows<T extends object>(batch: ParquetBatch<T>): T[] {
  const names = Object.keys(batch.columns) as (keyof T & string)[];
  const rows: T[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const row = {} as T;
    for (const k of names) row[k] = batch.columns[k][i]!;
    rows.push(row);
  }
  return rows;
}

/** Why `v` is not a well-formed batch (each column an array of numRows values), or undefined. */
export function batchProblem(v: unknown): string | undefined {
  if (v === null || typeof v !== "object") return `it is ${String(v)}, not a { numRows, columns } object`;
  const b = v as { numRows?: unknown; columns?: unknown };
  if (!(typeof b.numRows === "number" && Number.isInteger(b.numRows) && b.numRows >= 0)) return `numRows is ${String(b.numRows)}, not a row count`;
  if (b.columns === null || typeof b.columns !== "object") return "columns is not an object of column name → values";
  for (const [name, values] of Object.entries(b.columns)) {
    if (!Array.isArray(values)) return `column '${name}' is not an array`;
    if (values.length !== b.numRows) return `column '${name}' has ${values.length} values, but numRows is ${b.numRows}`;
  }
  return undefined;
}
