/**
 * The BigQuery emulator's catalog: datasets and tables (schema + rows) per project, and the jobs
 * (query and load) that clients poll. Datasets and tables persist with `--data_dir`; jobs live in
 * memory only (a restarted emulator has no running jobs, like a fresh session).
 *
 * On disk (`<dir>/bigquery/`): `catalog.json` holds datasets and table metadata; each table's rows
 * are `rows/<hash of the table name>.ndjson`, one row per line. Rows added to a table since the
 * last save are appended to its file; only a table whose rows were replaced (WRITE_TRUNCATE) is
 * rewritten, so a save costs what changed, not the size of everything.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { HttpError, httpErrors } from "../common/http";
import { appendLines, legacySnapshot, PersistScheduler, readJsonFile, readLines, removeFilesExcept, retireLegacySnapshot, serviceDir, writeFileAtomic, writeJsonAtomic } from "../common/persist";
import type { FieldSchema, StoredRow } from "./values";

export interface TableRef {
  projectId: string;
  datasetId: string;
  tableId: string;
}

export interface TableState {
  ref: TableRef;
  schema: FieldSchema[];
  /** Only ever appended to or replaced as a whole (queries read a prefix of it while it grows). */
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
  /** Query jobs run in a worker thread: RUNNING until their result (or error) is in. */
  state: "RUNNING" | "DONE";
  /** Settles when the job is DONE. */
  finished: Promise<void>;
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

type SavedTable = Omit<TableState, "rows">;

interface SavedCatalog {
  datasets: (Omit<DatasetState, "tables"> & { tables: SavedTable[] })[];
}

/** The single-file snapshot of emulator versions before the catalog (read once, then migrated). */
interface LegacySnapshot {
  datasets: (Omit<DatasetState, "tables"> & { tables: TableState[] })[];
}

/** What is on disk of a table's rows: the array saved and how many of its rows. */
interface SavedRows {
  rows: StoredRow[];
  count: number;
}

const rowsFileName = (ref: TableRef): string => `${createHash("sha256").update(tableName(ref)).digest("hex").slice(0, 32)}.ndjson`;

export class BigQueryStore {
  private readonly datasets = new Map<string, DatasetState>();
  private readonly jobs = new Map<string, JobState>();
  private readonly dir: string | undefined;
  private readonly persistence: PersistScheduler;
  private readonly saved = new WeakMap<TableState, SavedRows>();

  constructor(dataDir?: string) {
    this.dir = serviceDir(dataDir, "bigquery", "rows");
    this.persistence = new PersistScheduler(this.dir !== undefined ? () => this.persist() : undefined, "BigQuery");
    if (dataDir !== undefined) this.load(dataDir);
  }

  /** Call after changing rows or table metadata in place. */
  changed(): void {
    this.persistence.changed();
  }

  close(): void {
    this.persistence.close();
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

  /** Saves the catalog, appends new rows (or rewrites replaced ones), and drops files of deleted tables. */
  private persist(): void {
    const dir = this.dir as string;
    const rowsDir = path.join(dir, "rows");
    const live = new Set<string>();
    for (const dataset of this.datasets.values()) {
      for (const table of dataset.tables.values()) {
        const file = rowsFileName(table.ref);
        live.add(file);
        const saved = this.saved.get(table);
        if (saved !== undefined && saved.rows === table.rows && saved.count === table.rows.length) continue;
        const target = path.join(rowsDir, file);
        if (saved !== undefined && saved.rows === table.rows && saved.count < table.rows.length && fs.existsSync(target)) {
          appendLines(target, table.rows.slice(saved.count));
        } else {
          const rows = table.rows;
          writeFileAtomic(target, (out) => {
            for (const row of rows) out.line(row);
          });
        }
        this.saved.set(table, { rows: table.rows, count: table.rows.length });
      }
    }
    const catalog: SavedCatalog = { datasets: [...this.datasets.values()].map((d) => ({ ...d, tables: [...d.tables.values()].map(({ rows: _rows, ...t }) => t) })) };
    writeJsonAtomic(path.join(dir, "catalog.json"), catalog);
    removeFilesExcept(rowsDir, live);
  }

  private load(dataDir: string): void {
    const dir = this.dir as string;
    const catalogFile = path.join(dir, "catalog.json");
    const legacy = legacySnapshot<LegacySnapshot>(dataDir, "bigquery");
    if (legacy !== undefined && !fs.existsSync(catalogFile)) {
      for (const d of legacy.datasets) this.datasets.set(`${d.projectId}:${d.datasetId}`, { ...d, tables: new Map(d.tables.map((t) => [t.ref.tableId, t])) });
      this.persist();
      retireLegacySnapshot(dataDir, "bigquery");
      return;
    }
    const catalog = readJsonFile<SavedCatalog>(catalogFile);
    if (catalog === undefined) return;
    for (const d of catalog.datasets) {
      const tables = new Map<string, TableState>();
      for (const t of d.tables) {
        const file = path.join(dir, "rows", rowsFileName(t.ref));
        const rows = fs.existsSync(file) ? [...readLines<StoredRow>(file)] : [];
        const table: TableState = { ...t, rows };
        // A file torn by a crash mid-append is rewritten by the next save rather than appended to.
        if (endsWithNewline(file)) this.saved.set(table, { rows, count: rows.length });
        tables.set(t.ref.tableId, table);
      }
      this.datasets.set(`${d.projectId}:${d.datasetId}`, { ...d, tables });
    }
  }
}

function endsWithNewline(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  const size = fs.statSync(file).size;
  if (size === 0) return true;
  const fd = fs.openSync(file, "r");
  try {
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] === 10;
  } finally {
    fs.closeSync(fd);
  }
}
