/**
 * BigQuery REST resource shapes (dataset, table, job, row pages). int64 fields are strings;
 * the client needs `tableReference`, `schema`, `status` and `jobReference.location` in particular.
 */
import { rowToCells, type CellOptions, type FieldSchema, type StoredRow } from "./values";
import type { DatasetState, JobState, TableState } from "./store";

export function datasetResource(d: DatasetState): object {
  return {
    ...d.extra,
    kind: "bigquery#dataset",
    id: `${d.projectId}:${d.datasetId}`,
    etag: String(d.lastModifiedTime),
    datasetReference: { projectId: d.projectId, datasetId: d.datasetId },
    location: d.location,
    creationTime: String(d.creationTime),
    lastModifiedTime: String(d.lastModifiedTime),
  };
}

export function tableResource(t: TableState, location: string): object {
  return {
    ...t.extra,
    kind: "bigquery#table",
    id: `${t.ref.projectId}:${t.ref.datasetId}.${t.ref.tableId}`,
    etag: String(t.lastModifiedTime),
    tableReference: { ...t.ref },
    schema: { fields: t.schema },
    numRows: String(t.rows.length),
    numBytes: String(estimatedBytes(t.rows)),
    type: "TABLE",
    location,
    creationTime: String(t.creationTime),
    lastModifiedTime: String(t.lastModifiedTime),
  };
}

export function jobResource(job: JobState): object {
  const status: Record<string, unknown> = { state: job.state };
  if (job.errorResult) {
    status.errorResult = job.errorResult;
    status.errors = job.errors ?? [job.errorResult];
  }
  return {
    kind: "bigquery#job",
    id: `${job.projectId}:${job.location}.${job.jobId}`,
    etag: String(job.creationTime),
    jobReference: { projectId: job.projectId, jobId: job.jobId, location: job.location },
    configuration: job.configuration,
    status,
    statistics: {
      creationTime: String(job.creationTime),
      startTime: String(job.creationTime),
      ...(job.state === "DONE" ? { endTime: String(job.endTime) } : {}),
      ...job.statistics,
    },
    user_email: "emulator@localhost",
  };
}

/**
 * One page of rows plus the token for the next page (the next row index) when more remain. Like
 * the service, a page stops short of `maxResults` once it holds about `maxBytes` of values (at
 * least one row): readers must follow the token, or ask again from where the page ended.
 * Each row comes as its JSON bytes (`{"f":[...]}`), made once per row and kept (see rowJson).
 */
export function rowPage(rows: StoredRow[], fields: FieldSchema[], start: number, maxResults: number | undefined, cells: CellOptions, maxBytes: number): { rows: Buffer[]; pageToken?: string } {
  let end = maxResults === undefined ? rows.length : Math.min(rows.length, start + maxResults);
  let bytes = 0;
  for (let i = start; i < end; i++) {
    bytes += roughBytes(rows[i]);
    if (bytes > maxBytes && i > start) end = i;
  }
  const form = `${cells.useInt64Timestamp ? 1 : 0}${JSON.stringify(fields)}`;
  const page: { rows: Buffer[]; pageToken?: string } = { rows: [] };
  for (let i = start; i < end; i++) page.rows.push(rowJson(rows[i]!, fields, cells, form));
  if (end < rows.length) page.pageToken = String(end);
  return page;
}

/**
 * Each stored row's last wire form, with the field list and cell options it was made for. Stored
 * rows are never changed in place (inserts and loads append new objects, truncation and query
 * results make new arrays), so a row's JSON holds for as long as the row: a table read again (a
 * pipeline run again, a range re-read) costs no serialisation.
 */
const wireForms = new WeakMap<StoredRow, { form: string; bytes: Buffer }>();

function rowJson(row: StoredRow, fields: FieldSchema[], cells: CellOptions, form: string): Buffer {
  const known = wireForms.get(row);
  if (known !== undefined && known.form === form) return known.bytes;
  const bytes = Buffer.from(JSON.stringify(rowToCells(row, fields, cells)), "utf8");
  wireForms.set(row, { form, bytes });
  return bytes;
}

/** About how many bytes a row's values take in a response (cheap: no serialisation). */
function roughBytes(row: StoredRow | undefined): number {
  let n = 2;
  for (const key in row) {
    const v = row[key];
    n += key.length + 8 + (typeof v === "string" ? v.length : typeof v === "object" && v !== null ? JSON.stringify(v).length : 8);
  }
  return n;
}

/** Size estimates of row arrays, extended as rows are appended (never re-serialising the whole table). */
const sizes = new WeakMap<StoredRow[], { count: number; bytes: number }>();

function estimatedBytes(rows: StoredRow[]): number {
  let known = sizes.get(rows);
  if (known === undefined) sizes.set(rows, (known = { count: 0, bytes: 0 }));
  for (; known.count < rows.length; known.count++) known.bytes += JSON.stringify(rows[known.count]).length;
  return known.bytes;
}
