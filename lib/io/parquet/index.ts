/** Parquet IO: ReadFromParquet, ReadAllFromParquet and their Batched forms (split by row groups, column projection) and WriteToParquet / WriteToParquetBatched (sharded, atomic; none, snappy, gzip, brotli, lz4 and zstd codecs). */
export { ReadFromParquet, ReadAllFromParquet } from "./read";
export type { ReadFromParquetOptions, ReadAllFromParquetOptions } from "./read";
export { ReadFromParquetBatched, ReadAllFromParquetBatched } from "./batched_read";
export { WriteToParquet } from "./write";
export type { WriteToParquetOptions } from "./write";
export { WriteToParquetBatched } from "./batched_write";
export { batchRows as parquetBatchRows, rowsToBatch as parquetBatchOf } from "./batch";
export type { ParquetBatch } from "./batch";
export type { ParquetCodec } from "./library";
export type { ParquetDecimalType, ParquetFixedType } from "./primitives";
export type { ParquetField, ParquetFieldValue, ParquetListField, ParquetStructField, ParquetTypedField, ParquetInt64, ParquetPrimitive, ParquetRow, ParquetSchema } from "./schema";
