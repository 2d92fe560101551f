/**
 * Typed CSV rows: a schema names the columns to read and the type of each, and the row type is
 * inferred from it.
 *
 *     const schema = { uniq_id: "string", retail_price: "number?", in_stock: "boolean" } as const;
 *     // rows: { uniq_id: string; retail_price: number | null; in_stock: boolean }
 *
 * `string` keeps the field as is (empty is ""); `number` is a decimal number (surrounding spaces
 * allowed), `integer` a safe integer, `boolean` true/false (any case) or 1/0. A trailing `?` makes
 * the column optional: an empty field is `null`. A field that does not convert makes the row a
 * dead letter naming the column and the value.
 */

/** The value types a CSV column can be read as. */
export type CsvFieldType = "string" | "number" | "integer" | "boolean";

/** A column's type; with `?` an empty field reads as `null`. */
export type CsvColumnType = CsvFieldType | `${CsvFieldType}?`;

/** Column name → type. Columns are looked up in each file's header (or taken in this order without one). */
export type CsvSchema = Readonly<Record<string, CsvColumnType>>;

type FieldValue<T> = T extends "string" ? string : T extends "number" | "integer" ? number : T extends "boolean" ? boolean : never;

/** The row type a schema describes. */
export type CsvRowOf<S extends CsvSchema> = {
  -readonly [K in keyof S]: S[K] extends `${infer T}?` ? FieldValue<T> | null : FieldValue<S[K]>;
};

/** An untyped row: column name → field text. */
export type CsvRecord = Record<string, string>;

/** Converts one field; returns the value, or a string saying why it does not convert. */
type Converter = (field: string) => { ok: true; value: unknown } | { ok: false; why: string };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function converter(type: CsvColumnType): Converter {
  const optional = type.endsWith("?");
  const base = (optional ? type.slice(0, -1) : type) as CsvFieldType;
  const convert = (field: string): { ok: true; value: unknown } | { ok: false; why: string } => {
    switch (base) {
      case "string":
        return { ok: true, value: field };
      case "number": {
        const t = field.trim();
        return NUMBER.test(t) ? { ok: true, value: Number(t) } : { ok: false, why: "is not a number" };
      }
      case "integer": {
        const t = field.trim();
        const v = Number(t);
        return /^[+-]?\d+$/.test(t) && Number.isSafeInteger(v) ? { ok: true, value: v } : { ok: false, why: "is not an integer (or is beyond ±2^53)" };
      }
      case "boolean": {
        const t = field.trim().toLowerCase();
        if (t === "true" || t === "1") return { ok: true, value: true };
        if (t === "false" || t === "0") return { ok: true, value: false };
        return { ok: false, why: "is not a boolean (true/false or 1/0)" };
      }
    }
  };
  if (base === "string" && !optional) return convert;
  return (field) => {
    if (field.trim() === "") return optional ? { ok: true, value: null } : { ok: false, why: "is empty but the column is not optional (declare it with '?')" };
    return convert(field);
  };
}

/** Checks a schema's types, throwing a clear error for an unknown one. */
export function checkSchema(schema: CsvSchema, where: string): void {
  const names = Object.keys(schema);
  if (names.length === 0) throw new RangeError(`${where}: the schema has no columns.`);
  for (const [name, type] of Object.entries(schema)) {
    if (!/^(string|number|integer|boolean)\??$/.test(type)) {
      throw new RangeError(`${where}: column '${name}' has unknown type ${JSON.stringify(type)}; use string, number, integer or boolean, with '?' for optional.`);
    }
  }
}

/**
 * Builds rows from parsed records of one file: picks the columns (by header position) and converts
 * them. `build` returns the row, or the reason it cannot be built.
 */
export class RowBuilder {
  private readonly names: readonly string[];
  private readonly positions: readonly number[];
  private readonly converters: readonly (Converter | undefined)[];

  /**
   * @param header the file's column names (from its header, or the configured columns)
   * @param schema optional; without it every header column is kept as a string
   */
  constructor(
    readonly header: readonly string[],
    schema: CsvSchema | undefined,
  ) {
    if (schema === undefined) {
      this.names = header;
      this.positions = header.map((_, i) => i);
      this.converters = header.map(() => undefined);
    } else {
      this.names = Object.keys(schema);
      this.positions = this.names.map((n) => header.indexOf(n));
      this.converters = this.names.map((n) => converter(schema[n]!));
    }
  }

  /** Schema columns missing from the header (the file cannot be read with this schema). */
  missingColumns(): string[] {
    return this.names.filter((_, i) => this.positions[i]! < 0);
  }

  build(fields: readonly string[]): { row: Record<string, unknown> } | { reason: string } {
    if (fields.length !== this.header.length) {
      return { reason: `expected ${this.header.length} fields (as in the header), got ${fields.length}` };
    }
    const row: Record<string, unknown> = {};
    for (let i = 0; i < this.names.length; i++) {
      const field = fields[this.positions[i]!]!;
      const convert = this.converters[i];
      if (convert === undefined) {
        row[this.names[i]!] = field;
        continue;
      }
      const r = convert(field);
      if (!r.ok) return { reason: `column '${this.names[i]}': ${JSON.stringify(field.length > 60 ? field.slice(0, 60) + "…" : field)} ${r.why}` };
      row[this.names[i]!] = r.value;
    }
    return { row };
  }
}
