/** BigQuery IO: ReadFromBigQuery, WriteToBigQuery, schemas and table names. */
export { ReadFromBigQuery } from "./read";
export type { ReadFromBigQueryOptions, ReadFromBigQuerySource, BigQueryReadSplit } from "./read";
export { WriteToBigQuery } from "./write";
export type { WriteToBigQueryOptions, WriteToBigQueryResult, FailedRow, CreateDisposition, WriteDisposition, WriteMethod } from "./write";
export { parseSchema, checkRow } from "./schema";
export type { TableSchema, TableFieldSchema, BigQueryRow, BigQueryValue, RowError } from "./schema";
export { parseTableSpec, formatTable } from "./table_ref";
export type { TableReference } from "./table_ref";
export { BigQueryEnrichmentHandler } from "./enrichment_handler";
export type { BigQueryEnrichmentHandlerOptions, BigQueryEnrichmentQuery } from "./enrichment_handler";
