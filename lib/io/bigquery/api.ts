/**
 * Thin helpers over `@google-cloud/bigquery` for the IO: raw REST calls (so rows stay in the
 * API's f/v form and are typed by ./schema, not by the client's wrapper classes), table lookups
 * and error messages that name the table.
 */
import type { BigQuery, Table } from "@google-cloud/bigquery";
import { bigqueryClient } from "../gcp/clients";
import { classify, gcpError, GcpIoError } from "../gcp/errors";
import type { Cell, TableSchema } from "./schema";
import { formatTable, type TableReference } from "./table_ref";

/** Objects of the client that can send a REST request relative to their own URL. */
interface RawRequester {
  request(options: { uri: string; method?: string; qs?: Record<string, unknown>; json?: unknown }, callback: (err: Error | null, body?: unknown) => void): void;
}

/** Sends one REST request through a client object (its auth, endpoint, retries). */
export function rawRequest<T>(target: BigQuery | Table, options: { uri: string; method?: string; qs?: Record<string, unknown>; json?: unknown }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    (target as unknown as RawRequester).request(options, (err, body) => (err ? reject(err) : resolve(body as T)));
  });
}

/** The client for a table's project and the table object. */
export function tableHandle(ref: TableReference): { client: BigQuery; table: Table; name: string } {
  const client = bigqueryClient(ref.projectId);
  const table = client.dataset(ref.datasetId, ref.projectId !== undefined ? { projectId: ref.projectId } : {}).table(ref.tableId);
  return { client, table, name: fullName(client, ref) };
}

/** `project.dataset.table`, with the client's project when the reference names none. */
export function fullName(client: BigQuery, ref: TableReference): string {
  return formatTable({ ...ref, projectId: ref.projectId ?? client.projectId });
}

/** Table metadata as the API returns it (the fields the IO reads). */
export interface TableMetadata {
  readonly schema?: TableSchema;
  readonly numRows?: string;
  readonly type?: string;
}

/** The table's metadata, or undefined if the table does not exist (a missing dataset counts as missing). */
export async function getTableMetadata(ref: TableReference): Promise<TableMetadata | undefined> {
  const { table, name } = tableHandle(ref);
  try {
    const [metadata] = await table.getMetadata();
    return metadata as TableMetadata;
  } catch (err) {
    if (classify(err) === "notFound") return undefined;
    throw tableError("read the metadata of", name, err);
  }
}

/** A `GcpIoError` for an operation on a table. */
export function tableError(action: string, name: string, err: unknown): GcpIoError {
  return gcpError(`${action} BigQuery table ${name}`, `table ${name}`, err, {
    notFound: "Check the name (PROJECT.DATASET.TABLE) and that the dataset and table exist, or create them",
    permission: "Grant the pipeline's account roles/bigquery.dataEditor on the dataset (and roles/bigquery.jobUser on the project)",
  });
}

/** The error for a table that must exist but does not. */
export function missingTableError(name: string, what: string): GcpIoError {
  return new GcpIoError(
    `BigQuery table ${name} does not exist (${what}). Check the name (PROJECT.DATASET.TABLE), create the table, ` +
      `or use createDisposition CREATE_IF_NEEDED with a schema.`,
    `table ${name}`,
  );
}

/** An API page of rows. */
export interface RowsPage {
  readonly rows?: readonly { readonly f: readonly Cell[] }[];
  readonly totalRows?: string;
  readonly pageToken?: string;
  readonly schema?: TableSchema;
  readonly jobComplete?: boolean;
}
