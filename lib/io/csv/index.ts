/** CSV IO: ReadFromCsv (split, typed, dead letters) and WriteToCsv (sharded, atomic). */
export { ReadFromCsv } from "./read";
export type { ReadFromCsvOptions, CsvReadResult, CsvDeadLetter, CsvRowType } from "./read";
export { WriteToCsv, formatCsvLine } from "./write";
export type { WriteToCsvOptions, CsvValue } from "./write";
export type { CsvSchema, CsvColumnType, CsvFieldType, CsvRowOf, CsvRecord } from "./schema";
