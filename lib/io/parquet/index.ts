/** Parquet IO: ReadFromParquet, ReadAllFromParquet (split by row groups, column projection) and WriteToParquet (sharded, atomic; none, snappy, gzip and brotli codecs). */
export { ReadFromParquet, ReadAllFromParquet } from "./read";
export type { ReadFromParquetOptions, ReadAllFromParquetOptions } from "./read";
export { WriteToParquet } from "./write";
export type { WriteToParquetOptions } from "./write";
export type { ParquetCodec } from "./library";
export type { ParquetField, ParquetFieldValue, ParquetListField, ParquetStructField, ParquetTypedField, ParquetInt64, ParquetPrimitive, ParquetRow, ParquetSchema } from "./schema";
