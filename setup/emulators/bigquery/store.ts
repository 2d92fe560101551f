/**
 * The BigQuery emulator's catalog: datasets and tables (schema + rows) per project, and the jobs
 * (query and load) that clients poll. Datasets and tables persist with `--data_dir`; jobs live in
 * memory only (a restarted emulator has no running jobs, like a fresh session).
 */
import { HttpError, httpErrors } from "../common/http";
import { SnapshotFile } from "../common/snapshot";
import type { FieldSchema, StoredRow } from "./values";

export interface TableRef {
  projectId: string;
  datasetId: string;
  tableId: string;
}

export interface TableState {
  ref: TableRef;
  schema: FieldSchema[];
  rows: StoredRow[];
  creationTime: number;
  lastModifiedTime: number;
  /** Other table properties the client sent (description, labels, timePartitioning...), echoed back. */
  extra: Record<string, unknown>;
}

export interface DatasetState {
  projectId: string;
  datasetId: string;
  location: string;
  creationTime: number;
  lastModifiedTime: number;
  extra: Record<string, unknown>;
  tables: Map<string, TableState>;
}

export interface JobError {
  reason: string;
  message: string;
  location?: string;
}

export interface JobState {
  projectId: string;
  jobId: string;
  location: string;
  configuration: Record<string, unknown>;
  creationTime: number;
  endTime: number;
  errorResult?: JobError;
  errors?: JobError[];
  /** Query output kept for getQueryResults paging. */
  result?: { schema: FieldSchema[]; rows: StoredRow[] };
  statistics: Record<string, unknown>;
}

/** `p:d.t`, the way BigQuery names tables in its messages. */
export const tableName = (ref: TableRef): string => `${ref.projectId}:${ref.datasetId}.${ref.tableId}`;

interface BigQuerySnapshot {
  datasets: (Omit<DatasetState, "tables"> & { tables: TableState[] })[];
}

export class BigQueryStore {
  private readonly datasets = new Map<string, DatasetState>();
  private readonly jobs = new Map<string, JobState>();
  private readonly snapshot: SnapshotFile<BigQuerySnapshot>;

  constructor(dataDir?: string) {
    this.snapshot = SnapshotFile.inDir(dataDir, "bigquery", () => this.toSnapshot());
    const saved = this.snapshot.load();
    if (saved) {
      for (const d of saved.datasets) {
        this.datasets.set(`${d.projectId}:${d.datasetId}`, { ...d, tables: new Map(d.tables.map((t) => [t.ref.tableId, t])) });
      }
    }
  }

  /** Call after changing rows or table metadata in place. */
  changed(): void {
    this.snapshot.changed();
  }

  close(): void {
    this.snapshot.close();
  }

  // ---- datasets ----

  createDataset(projectId: string, datasetId: string, location: string | undefined, extra: Record<string, unknown>): DatasetState {
    if (!/^[A-Za-z0-9_]{1,1024}$/.test(datasetId)) throw httpErrors.invalid(`Invalid dataset ID "${datasetId}". Dataset IDs must be alphanumeric (plus underscores).`);
    const key = `${projectId}:${datasetId}`;
    if (this.datasets.has(key)) throw httpErrors.conflict(`Already Exists: Dataset ${key}`, "duplicate");
    const now = Date.now();
    const dataset: DatasetState = { projectId, datasetId, location: location || "US", creationTime: now, lastModifiedTime: now, extra, tables: new Map() };
    this.datasets.set(key, dataset);
    this.changed();
    return dataset;
  }

  getDataset(projectId: string, datasetId: string): DatasetState {
    const dataset = this.datasets.get(`${projectId}:${datasetId}`);
    if (!dataset) throw httpErrors.notFound(`Not found: Dataset ${projectId}:${datasetId}`);
    return dataset;
  }

  listDatasets(projectId: string): DatasetState[] {
    return [...this.datasets.values()].filter((d) => d.projectId === projectId).sort((a, b) => (a.datasetId < b.datasetId ? -1 : 1));
  }

  deleteDataset(projectId: string, datasetId: string, deleteContents: boolean): void {
    const dataset = this.getDataset(projectId, datasetId);
    if (dataset.tables.size > 0 && !deleteContents) {
      throw new HttpError(400, "resourceInUse", `Dataset ${projectId}:${datasetId} is still in use`);
    }
    this.datasets.delete(`${projectId}:${datasetId}`);
    this.changed();
  }

  // ---- tables ----

  createTable(ref: TableRef, schema: FieldSchema[], extra: Record<string, unknown>): TableState {
    const dataset = this.getDataset(ref.projectId, ref.datasetId);
    if (!/^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]{1,1024}$/u.test(ref.tableId)) throw httpErrors.invalid(`Invalid table ID "${ref.tableId}".`);
    if (dataset.tables.has(ref.tableId)) throw httpErrors.conflict(`Already Exists: Table ${tableName(ref)}`, "duplicate");
    const now = Date.now();
    const table: TableState = { ref: { ...ref }, schema, rows: [], creationTime: now, lastModifiedTime: now, extra };
    dataset.tables.set(ref.tableId, table);
    this.changed();
    return table;
  }

  findTable(ref: TableRef): TableState | undefined {
    return this.datasets.get(`${ref.projectId}:${ref.datasetId}`)?.tables.get(ref.tableId);
  }

  getTable(ref: TableRef): TableState {
    const table = this.findTable(ref);
    if (!table) {
      this.getDataset(ref.projectId, ref.datasetId);
      throw httpErrors.notFound(`Not found: Table ${tableName(ref)}`);
    }
    return table;
  }

  listTables(projectId: string, datasetId: string): TableState[] {
    return [...this.getDataset(projectId, datasetId).tables.values()].sort((a, b) => (a.ref.tableId < b.ref.tableId ? -1 : 1));
  }

  deleteTable(ref: TableRef): void {
    this.getTable(ref);
    this.getDataset(ref.projectId, ref.datasetId).tables.delete(ref.tableId);
    this.changed();
  }

  // ---- jobs ----

  addJob(job: JobState): JobState {
    const key = `${job.projectId}:${job.jobId}`;
    if (this.jobs.has(key)) throw httpErrors.conflict(`Already Exists: Job ${job.projectId}:${job.location}.${job.jobId}`, "duplicate");
    this.jobs.set(key, job);
    return job;
  }

  getJob(projectId: string, jobId: string): JobState {
    const job = this.jobs.get(`${projectId}:${jobId}`);
    if (!job) throw httpErrors.notFound(`Not found: Job ${projectId}:${jobId}`);
    return job;
  }

  listJobs(projectId: string): JobState[] {
    return [...this.jobs.values()].filter((j) => j.projectId === projectId).sort((a, b) => b.creationTime - a.creationTime);
  }

  deleteJob(projectId: string, jobId: string): void {
    this.getJob(projectId, jobId);
    this.jobs.delete(`${projectId}:${jobId}`);
  }

  private toSnapshot(): BigQuerySnapshot {
    return { datasets: [...this.datasets.values()].map((d) => ({ ...d, tables: [...d.tables.values()] })) };
  }
}
