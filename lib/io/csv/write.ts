/**
 * WriteToCsv: rows as RFC 4180 CSV files with a header, through WriteToText's sharded, atomic
 * writing (files appear under their final names only when the run succeeds).
 *
 *     rows.apply(WriteToCsv.to("out/products", { columns: ["id", "name", "price"], suffix: ".csv" }));
 *     rows.apply(WriteToCsv.to("gs://b/out/catalogue.csv", { columns, numShards: 1, shardNameTemplate: "" })); // exactly one file
 *
 * Fields are quoted only when they must be (they contain the delimiter, a quote, \r or \n), with
 * quotes doubled, by csv-stringify. Values: strings as they are, numbers and bigints in decimal,
 * booleans as true/false, null and undefined as empty fields; an object or array fails the run
 * naming its column (its text form would lose its content). Columns known only at run time
 * (e.g. as many category levels as the data has) come as a side input: `columns: AsSingleton(cols)`.
 */
import { stringify } from "csv-stringify/sync";
import { DoFn, ProcessContext } from "../../model/dofn";
import { ValidationError } from "../../model/errors";
import { PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { AsSingleton, SideInput } from "../../model/side_inputs";
import { PTransform } from "../../model/transform";
import { type Compression } from "../text_read";
import { WriteToText } from "../textio";
import { delimiterByte } from "./scanner";

/** What a CSV field can be written from. */
export type CsvValue = string | number | bigint | boolean | null | undefined;

/** Options of WriteToCsv. */
export interface WriteToCsvOptions<Row> {
  /** The columns, in order: names known when building, or a side input of the names computed at run time. */
  readonly columns: readonly (keyof Row & string)[] | SideInput<readonly string[]>;
  /** Write the column names as the first line of every file (default true). */
  readonly header?: boolean;
  /** One ASCII character; default ",". */
  readonly delimiter?: string;
  /** Appended to every file name, e.g. ".csv" (default none). */
  readonly suffix?: string;
  /** Number of files; 0 (default) lets the runner decide. */
  readonly numShards?: number;
  /** Between prefix and suffix; default `-SSSSS-of-NNNNN`; "" writes exactly `<prefix><suffix>` (with numShards: 1). */
  readonly shardNameTemplate?: string;
  /** Default by suffix (.gz compresses). */
  readonly compression?: Compression;
}

function fieldText(value: CsvValue, column: string | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if ((typeof value === "object" && !((value as object) instanceof Date)) || typeof value === "function" || typeof value === "symbol") {
    // String() of these loses their content ("[object Object]", or an array's items joined by commas).
    const kind = Array.isArray(value) ? "an array" : `a${typeof value === "object" ? "n object" : ` ${typeof value}`}`;
    throw new TypeError(
      `WriteToCsv: ${column !== undefined ? `column '${column}'` : "a field"} holds ${kind}, which has no CSV form; ` +
        `format it as text first (e.g. with JSON.stringify in a map before the write) or leave it out of the columns.`,
    );
  }
  return String(value);
}

/** One CSV line (no terminator) of the given values (`columns`, if given, name them in errors). */
export function formatCsvLine(values: readonly CsvValue[], delimiter = ",", columns?: readonly string[]): string {
  return stringify([values.map((v, i) => fieldText(v, columns?.[i]))], { delimiter, eof: false });
}

class FormatWithColumns<Row> extends DoFn<Row, string, {}, { columns: readonly string[] }> {
  constructor(private readonly delimiter: string) {
    super();
  }
  process(row: Row, ctx: ProcessContext<string, {}, { columns: readonly string[] }>): void {
    const record = row as Record<string, CsvValue>;
    const { columns } = ctx.sideInputs;
    ctx.output(formatCsvLine(columns.map((c) => record[c]), this.delimiter, columns));
  }
}

/** Writes rows as CSV files; produces the names of the files written. */
export class WriteToCsv<Row extends object> extends PTransform<PCollection<Row>, PCollection<string>> {
  private readonly delimiter: string;

  /** `rows.apply(WriteToCsv.to("out/rows", { columns: ["id", "name"] }))`: the names of the files written. */
  static to<Row extends object>(prefix: string, options: WriteToCsvOptions<Row>): WriteToCsv<Row> {
    return new WriteToCsv<Row>(prefix, options);
  }

  private constructor(
    /** The output prefix (files as WriteToText names them). */
    readonly prefix: string,
    /** Columns, header, sharding and suffix. */
    readonly options: WriteToCsvOptions<Row>,
  ) {
    super("WriteToCsv");
    this.delimiter = options.delimiter ?? ",";
    delimiterByte(this.delimiter);
    if (options.shardNameTemplate === "" && options.numShards !== 1) {
      throw new ValidationError(`WriteToCsv: an empty shardNameTemplate names one file; set numShards: 1 (got ${options.numShards ?? 0}).`);
    }
    const { columns } = options;
    if (!(columns instanceof SideInput)) {
      if (columns.length === 0) throw new ValidationError("WriteToCsv needs at least one column.");
      if (new Set(columns).size !== columns.length) throw new ValidationError(`WriteToCsv: duplicate column names in ${JSON.stringify(columns)}.`);
    } else if (columns.kind !== "singleton") {
      throw new ValidationError("WriteToCsv: columns given as a side input must be an AsSingleton view of one list of names.");
    }
  }

  expand(input: PCollection<Row>): PCollection<string> {
    const { columns } = this.options;
    const delimiter = this.delimiter;
    let lines: PCollection<string>;
    let header: string | SideInput<string> | undefined;
    if (columns instanceof SideInput) {
      lines = input.apply("Format", ParDo.of(new FormatWithColumns<Row>(delimiter), { sideInputs: { columns } }));
      if (this.options.header ?? true) {
        const names = columns.pcoll as PCollection<readonly string[]>;
        header = AsSingleton(names.map("HeaderLine", (cols: readonly string[]) => formatCsvLine(cols, delimiter)));
      }
    } else {
      const names = [...columns];
      lines = input.map("Format", (row: Row) => formatCsvLine(names.map((c) => (row as Record<string, CsvValue>)[c]), delimiter, names));
      if (this.options.header ?? true) header = formatCsvLine(names, delimiter);
    }
    return lines.apply(
      "Write",
      WriteToText.to(this.prefix, {
        header,
        ...(this.options.suffix !== undefined ? { suffix: this.options.suffix } : {}),
        ...(this.options.numShards !== undefined ? { numShards: this.options.numShards } : {}),
        ...(this.options.shardNameTemplate !== undefined ? { shardNameTemplate: this.options.shardNameTemplate } : {}),
        ...(this.options.compression !== undefined ? { compression: this.options.compression } : {}),
      }),
    );
  }
}
