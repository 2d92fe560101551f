/** Google Cloud IO: Cloud Storage (via FileSystems, gs://), BigQuery and Pub/Sub. */
export * from "../bigquery";
export * from "../pubsub";
export { GcsFileSystem, parseGcsPath } from "../filesystems/gcs";
export type { GcsPath } from "../filesystems/gcs";
export { GcpIoError } from "./errors";
export type { GcpErrorKind } from "./errors";
export { resetGcpClients } from "./clients";
export { gcpRetryCounts, setGcpRetrySettings, type GcpRetrySettings, type GcpService } from "./retry";
