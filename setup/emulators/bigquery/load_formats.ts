/**
 * Reading load-job data: NEWLINE_DELIMITED_JSON and CSV into records, plus schema autodetection.
 * Rows that fail to parse or convert are reported with their line, and count against
 * `maxBadRecords` like on the real service.
 */
import { convertRow, ValueError, type FieldSchema, type StoredRow } from "./values";

export interface LoadOptions {
  sourceFormat: string;
  skipLeadingRows: number;
  fieldDelimiter: string;
  quote: string;
  allowQuotedNewlines: boolean;
  allowJaggedRows: boolean;
  ignoreUnknownValues: boolean;
  nullMarker: string;
  maxBadRecords: number;
  autodetect: boolean;
}

export interface LoadError {
  reason: string;
  message: string;
  location?: string;
}

export class LoadFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly errors: LoadError[] = [],
  ) {
    super(message);
  }
}

/** A record before typing: from JSON (any value) or CSV (strings, `null` for the null marker). */
type RawRecord = Record<string, unknown>;

export const SUPPORTED_FORMATS = ["NEWLINE_DELIMITED_JSON", "CSV"];

/** Parses `data`, working out the schema if needed, and converts the records to stored rows. */
export function readLoadData(data: Buffer, schema: FieldSchema[] | undefined, opts: LoadOptions): { schema: FieldSchema[]; rows: StoredRow[] } {
  const text = data.toString("utf8").replace(/^\uFEFF/, "");
  let records: { line: number; record: RawRecord | (string | null)[] }[];
  let header: string[] | undefined;
  if (opts.sourceFormat === "NEWLINE_DELIMITED_JSON") {
    records = parseNdjson(text);
  } else if (opts.sourceFormat === "CSV") {
    const lines = parseCsv(text, opts);
    if (!schema && opts.autodetect) {
      // Column names come from the last skipped line, or from a first line that looks like a header
      // (every field a name, not a value), as BigQuery's autodetect does.
      if (opts.skipLeadingRows > 0) header = lines[opts.skipLeadingRows - 1]?.fields.map(String);
      else if (lines.length > 1 && lines[0].fields.every((f) => f !== null && /^[A-Za-z_][\w ]*$/.test(f) && !/^(true|false)$/i.test(f))) {
        header = lines[0].fields.map(String);
        lines.shift();
      }
    }
    records = lines.slice(opts.skipLeadingRows).map((l) => ({ line: l.line, record: l.fields }));
  } else {
    throw new LoadFailure("invalid", `Source format ${opts.sourceFormat} is not supported by the emulator (supported: ${SUPPORTED_FORMATS.join(", ")}).`);
  }

  const finalSchema = schema ?? (opts.autodetect ? detectSchema(records.map((r) => r.record), header) : undefined);
  if (!finalSchema) throw new LoadFailure("invalid", "No schema specified on job or table.");

  const rows: StoredRow[] = [];
  const errors: LoadError[] = [];
  for (const { line, record } of records) {
    try {
      const raw = Array.isArray(record) ? csvRecord(record, finalSchema, opts) : record;
      rows.push(convertRow(raw, finalSchema, opts.ignoreUnknownValues));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      errors.push({ reason: "invalid", message: `Error while reading data, error message: ${message} Line: ${line}`, location: e instanceof ValueError ? e.location : undefined });
    }
  }
  if (errors.length > opts.maxBadRecords) {
    throw new LoadFailure("invalid", `Error while reading data, error message: ${errors.length} bad record(s) exceed maxBadRecords=${opts.maxBadRecords}; first: ${errors[0].message}`, errors);
  }
  return { schema: finalSchema, rows };
}

function parseNdjson(text: string): { line: number; record: RawRecord }[] {
  const out: { line: number; record: RawRecord }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new LoadFailure("invalid", `Error while reading data, error message: JSON parsing error in row starting at line ${i + 1}: ${(e as Error).message}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new LoadFailure("invalid", `Error while reading data, error message: JSON row at line ${i + 1} is not an object`);
    }
    out.push({ line: i + 1, record: value as RawRecord });
  });
  return out;
}

/** RFC 4180 CSV: quoted fields may hold delimiters, doubled quotes and (if allowed) newlines. */
function parseCsv(text: string, opts: LoadOptions): { line: number; fields: (string | null)[] }[] {
  const out: { line: number; fields: (string | null)[] }[] = [];
  const delimiter = opts.fieldDelimiter;
  const quote = opts.quote;
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const startLine = line;
    const fields: (string | null)[] = [];
    for (;;) {
      let value = "";
      let quoted = false;
      if (quote && text.startsWith(quote, i)) {
        quoted = true;
        i += quote.length;
        for (;;) {
          if (i >= text.length) throw new LoadFailure("invalid", `Error while reading data, error message: Missing close quote character (${quote}) in line ${startLine}`);
          if (text.startsWith(quote + quote, i)) {
            value += quote;
            i += 2 * quote.length;
          } else if (text.startsWith(quote, i)) {
            i += quote.length;
            break;
          } else {
            if (text[i] === "\n") {
              if (!opts.allowQuotedNewlines) throw new LoadFailure("invalid", `Error while reading data, error message: quoted newline in line ${startLine} (set allowQuotedNewlines)`);
              line++;
            }
            value += text[i++];
          }
        }
      }
      while (i < text.length && !text.startsWith(delimiter, i) && text[i] !== "\n" && text[i] !== "\r") value += text[i++];
      fields.push(!quoted && value === opts.nullMarker ? null : value);
      if (text.startsWith(delimiter, i)) {
        i += delimiter.length;
        continue;
      }
      break;
    }
    if (text[i] === "\r") i++;
    if (text[i] === "\n") i++;
    line++;
    if (!(fields.length === 1 && fields[0] === null)) out.push({ line: startLine, fields });
  }
  return out;
}

function csvRecord(fields: (string | null)[], schema: FieldSchema[], opts: LoadOptions): RawRecord {
  if (fields.length > schema.length && !opts.ignoreUnknownValues) throw new Error(`Too many values in row: expected ${schema.length} columns, got ${fields.length}.`);
  if (fields.length < schema.length && !opts.allowJaggedRows) {
    throw new Error(`Too few columns: expected ${schema.length} column(s) but got ${fields.length} column(s).`);
  }
  const record: RawRecord = {};
  schema.forEach((field, i) => {
    if (field.type === "RECORD" || field.mode === "REPEATED") throw new Error(`CSV cannot load RECORD or REPEATED field ${field.name}.`);
    record[field.name] = fields[i] ?? null;
  });
  return record;
}

/** Autodetection: the narrowest of BOOLEAN, INTEGER, FLOAT, TIMESTAMP, DATE that fits every value, else STRING. */
function detectSchema(records: (RawRecord | (string | null)[])[], header: string[] | undefined): FieldSchema[] {
  const columns = new Map<string, unknown[]>();
  for (const record of records) {
    const entries: [string, unknown][] = Array.isArray(record) ? record.map((v, i) => [header?.[i] ?? `string_field_${i}`, v]) : Object.entries(record);
    for (const [name, value] of entries) {
      if (!columns.has(name)) columns.set(name, []);
      if (value !== null && value !== undefined && value !== "") columns.get(name)?.push(value);
    }
  }
  return [...columns.entries()].map(([name, values]) => ({ name: name.replace(/[^A-Za-z0-9_]/g, "_"), type: detectType(values), mode: "NULLABLE" }));
}

function detectType(values: unknown[]): string {
  const fits = (test: (v: unknown) => boolean): boolean => values.length > 0 && values.every(test);
  const str = (v: unknown): string => String(v).trim();
  if (fits((v) => typeof v === "boolean" || /^(true|false)$/i.test(str(v)))) return "BOOLEAN";
  if (fits((v) => (typeof v === "number" && Number.isInteger(v)) || (typeof v === "string" && /^[+-]?\d{1,18}$/.test(str(v))))) return "INTEGER";
  if (fits((v) => typeof v === "number" || (typeof v === "string" && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(str(v))))) return "FLOAT";
  if (fits((v) => typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(str(v)))) return "DATE";
  if (fits((v) => typeof v === "string" && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})$/i.test(str(v)))) return "TIMESTAMP";
  if (values.some((v) => typeof v === "object" && v !== null)) return "JSON";
  return "STRING";
}
