/**
 * BigQuery REST emulator. JSON calls are served both under `/bigquery/v2` (clients given
 * `apiEndpoint`) and at the root (clients given `BIGQUERY_EMULATOR_HOST`, which drops the prefix);
 * load-job uploads under `/upload/bigquery/v2/projects/{p}/jobs`. Queries run in worker threads
 * (./query_pool); jobs.query and getQueryResults wait for them up to the request's `timeoutMs`.
 */
import type * as http from "node:http";
import { randomUUID } from "node:crypto";
import { FaultInjector } from "../common/faults";
import { HttpError, httpErrors, intParam, MAX_JSON_REQUEST_BYTES, parseJsonBody, readBody, sendJson, sendJsonWithArray, startRestartableServer, stripPrefix, type ParsedRequest, type RestEmulatorHandle } from "../common/http";
import { asObject, optArray, optBoolean, optNumber, optObject, optString, type JsonObject } from "../common/json_fields";
import { parseMultipart } from "../common/multipart";
import { DEFAULT_MAX_QUERY_MS, jobHttpError, JobRunner } from "./jobs";
import { QueryPool } from "./query_pool";
import { datasetResource, jobResource, rowPage, tableResource } from "./resources";
import { BigQueryStore, tableName, type JobState, type TableRef, type TableState } from "./store";
import { convertRow, normaliseSchema, ValueError, type CellOptions, type FieldSchema, type StoredRow } from "./values";

/** Default cap on a load job's uploaded data (the emulator holds it in memory). */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

/** Options of the BigQuery emulator. */
export interface BigQueryEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Persist datasets and tables here; in memory only when absent. */
  dataDir?: string;
  /** The largest load-job upload (default 1 GiB); JSON requests are capped at 10 MiB like the real API. */
  maxUploadBytes?: number;
  /** Queries running longer are cancelled (default 5 minutes; a job's own `jobTimeoutMs` can be shorter). */
  maxQueryMs?: number;
  /** The most bytes of rows in one page of tabledata.list (default 10 MiB, the service's limit; getQueryResults twice as many): a page ends early past it. */
  maxPageBytes?: number;
  /** Query worker threads (default 2). */
  queryWorkers?: number;
  /** Fault injection rules and request counts (a new injector when absent). */
  faults?: FaultInjector;
}

/** The BigQuery emulator; `endpoint` is the value for `apiEndpoint` and `BIGQUERY_EMULATOR_HOST`. Jobs do not survive a restart. */
export type BigQueryEmulator = RestEmulatorHandle;

/** Fields of a table or dataset resource that the emulator computes rather than stores. */
const COMPUTED_FIELDS = new Set(["kind", "id", "etag", "selfLink", "tableReference", "datasetReference", "schema", "numRows", "numBytes", "type", "location", "creationTime", "lastModifiedTime"]);

/** The API's default wait for query results (jobs.query and getQueryResults `timeoutMs`). */
const DEFAULT_RESULTS_WAIT_MS = 10_000;
/** The service's limit on a page of tabledata.list (getQueryResults: 20 MB). */
const DEFAULT_MAX_PAGE_BYTES = 10 * 1024 * 1024;
/** jobs.insert answers at once, but gives a quick query this long to be DONE in its answer. */
const INSERT_WAIT_MS = 250;
/** insertIds remembered per table for de-duplication (the service keeps them about a minute). */
const MAX_INSERT_IDS = 100_000;

/** Starts a BigQuery emulator (the REST API; queries run by SQLite) on 127.0.0.1. */
export async function startBigQueryEmulator(options: BigQueryEmulatorOptions = {}): Promise<BigQueryEmulator> {
  return startRestartableServer(options.port ?? 0, options.faults ?? new FaultInjector(), () => {
    const store = new BigQueryStore(options.dataDir);
    const jobs = new JobRunner(store, new QueryPool(options.queryWorkers ?? 2), options.maxQueryMs ?? DEFAULT_MAX_QUERY_MS);
    const api = new BigQueryApi(store, jobs, options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES, options.maxPageBytes ?? DEFAULT_MAX_PAGE_BYTES);
    return {
      handler: (request) => api.route(request),
      close: async () => {
        await jobs.close();
        store.close();
      },
    };
  });
}

const VERBS: Record<string, string> = { GET: "get", PATCH: "patch", PUT: "update", DELETE: "delete" };

class BigQueryApi {
  /** insertIds seen per table, so the client's retries of a request do not duplicate rows. */
  private readonly insertIds = new WeakMap<TableState, Set<string>>();
  /** Resumable load uploads waiting for their data. */
  private readonly pendingUploads = new Map<string, { projectId: string; request: JsonObject; chunks: Buffer[]; size: number }>();

  constructor(
    private readonly store: BigQueryStore,
    private readonly jobs: JobRunner,
    private readonly maxUploadBytes: number,
    private readonly maxPageBytes: number,
  ) {}

  async route(request: ParsedRequest): Promise<void> {
    const [operation, handle] = this.resolve(request);
    await request.operation(operation);
    return handle();
  }

  /** The API method a request calls (for fault injection) and its handler. */
  private resolve(request: ParsedRequest): [string, () => Promise<void> | void] {
    const { method } = request;
    if (request.segments[0] === "upload") return ["bigquery.jobs.insert", () => this.upload(request, stripPrefix(request.segments, ["upload", "bigquery", "v2"]))];
    const s = stripPrefix(request.segments, ["bigquery", "v2"]);
    if (s[0] !== "projects") throw httpErrors.notFound(`Unknown BigQuery path: ${request.req.url ?? ""}`);
    if (s.length === 1 && method === "GET") return ["bigquery.projects.list", () => this.listProjects(request)];
    const projectId = s[1];
    const collection = s[2];
    const verb = VERBS[method];
    if (collection === "datasets") {
      const datasetId = s[3];
      if (s.length === 3) return method === "POST" ? ["bigquery.datasets.insert", () => this.createDataset(request, projectId)] : ["bigquery.datasets.list", () => this.listDatasets(request, projectId)];
      if (s.length === 4 && verb) return [`bigquery.datasets.${verb}`, () => this.dataset(request, projectId, datasetId)];
      if (s[4] === "tables") {
        if (s.length === 5) return method === "POST" ? ["bigquery.tables.insert", () => this.createTable(request, projectId, datasetId)] : ["bigquery.tables.list", () => this.listTables(request, projectId, datasetId)];
        const ref: TableRef = { projectId, datasetId, tableId: s[5] };
        if (s.length === 6 && verb) return [`bigquery.tables.${verb}`, () => this.table(request, ref)];
        if (s[6] === "insertAll" && method === "POST") return ["bigquery.tabledata.insertAll", () => this.insertAll(request, ref)];
        if (s[6] === "data" && method === "GET") return ["bigquery.tabledata.list", () => this.listRows(request, ref)];
      }
    } else if (collection === "jobs") {
      if (s.length === 3) return method === "POST" ? ["bigquery.jobs.insert", () => this.insertJob(request, projectId, undefined)] : ["bigquery.jobs.list", () => this.listJobs(request, projectId)];
      const jobId = s[3];
      if (s.length === 4 && method === "GET") return ["bigquery.jobs.get", () => sendJson(request.res, 200, jobResource(this.store.getJob(projectId, jobId)))];
      if (s[4] === "cancel" && method === "POST") return ["bigquery.jobs.cancel", () => this.cancelJob(request, projectId, jobId)];
      if (s[4] === "delete" && method === "DELETE") {
        return [
          "bigquery.jobs.delete",
          () => {
            this.jobs.cancel(this.store.getJob(projectId, jobId));
            this.store.deleteJob(projectId, jobId);
            request.res.writeHead(204).end();
          },
        ];
      }
    } else if (collection === "queries") {
      if (s.length === 3 && method === "POST") return ["bigquery.jobs.query", () => this.query(request, projectId)];
      if (s.length === 4 && method === "GET") return ["bigquery.jobs.getQueryResults", () => this.getQueryResults(request, projectId, s[3])];
    }
    throw new HttpError(400, "invalid", `Unsupported BigQuery call: ${method} ${request.req.url ?? ""}`);
  }

  private async cancelJob(request: ParsedRequest, projectId: string, jobId: string): Promise<void> {
    const job = this.store.getJob(projectId, jobId);
    this.jobs.cancel(job);
    await this.jobs.waitFor(job, 1000);
    sendJson(request.res, 200, { kind: "bigquery#jobCancelResponse", job: jobResource(job) });
  }

  private listProjects(request: ParsedRequest): void {
    sendJson(request.res, 200, { kind: "bigquery#projectList", projects: [], totalItems: 0 });
  }

  // ---- datasets ----

  private async createDataset(request: ParsedRequest, projectId: string): Promise<void> {
    const body = parseJsonBody(await readBody(request.req));
    const datasetId = optString(optObject(body, "datasetReference") ?? {}, "datasetId", "datasetReference.datasetId");
    if (!datasetId) throw httpErrors.invalid("datasetReference.datasetId is required", "required");
    const dataset = this.store.createDataset(projectId, datasetId, optString(body, "location"), extraFields(body));
    sendJson(request.res, 200, datasetResource(dataset));
  }

  private listDatasets(request: ParsedRequest, projectId: string): void {
    const page = paginate(this.store.listDatasets(projectId), request.query);
    sendJson(request.res, 200, {
      kind: "bigquery#datasetList",
      datasets: page.items.map((d) => ({ kind: "bigquery#dataset", id: `${d.projectId}:${d.datasetId}`, datasetReference: { projectId: d.projectId, datasetId: d.datasetId }, location: d.location })),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    });
  }

  private async dataset(request: ParsedRequest, projectId: string, datasetId: string): Promise<void> {
    const dataset = this.store.getDataset(projectId, datasetId);
    if (request.method === "GET") return sendJson(request.res, 200, datasetResource(dataset));
    if (request.method === "PATCH" || request.method === "PUT") {
      const body = parseJsonBody(await readBody(request.req));
      dataset.extra = request.method === "PUT" ? extraFields(body) : { ...dataset.extra, ...extraFields(body) };
      dataset.lastModifiedTime = Date.now();
      this.store.changed();
      return sendJson(request.res, 200, datasetResource(dataset));
    }
    if (request.method === "DELETE") {
      this.store.deleteDataset(projectId, datasetId, request.query.get("deleteContents") === "true");
      request.res.writeHead(204).end();
      return;
    }
    throw new HttpError(405, "methodNotAllowed", `Method ${request.method} not allowed on dataset ${projectId}:${datasetId}`);
  }

  // ---- tables ----

  private async createTable(request: ParsedRequest, projectId: string, datasetId: string): Promise<void> {
    const body = parseJsonBody(await readBody(request.req));
    const tableId = optString(optObject(body, "tableReference") ?? {}, "tableId", "tableReference.tableId");
    if (!tableId) throw httpErrors.invalid("tableReference.tableId is required", "required");
    if (body.view) throw httpErrors.invalid(`Views are not supported by the emulator (table ${tableId})`);
    const schema = schemaFromBody(body);
    const dataset = this.store.getDataset(projectId, datasetId);
    const table = this.store.createTable({ projectId, datasetId, tableId }, schema ?? [], extraFields(body));
    sendJson(request.res, 200, tableResource(table, dataset.location));
  }

  private listTables(request: ParsedRequest, projectId: string, datasetId: string): void {
    const all = this.store.listTables(projectId, datasetId);
    const page = paginate(all, request.query);
    sendJson(request.res, 200, {
      kind: "bigquery#tableList",
      tables: page.items.map((t) => ({ kind: "bigquery#table", id: `${projectId}:${datasetId}.${t.ref.tableId}`, tableReference: t.ref, type: "TABLE", creationTime: String(t.creationTime) })),
      totalItems: all.length,
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    });
  }

  private async table(request: ParsedRequest, ref: TableRef): Promise<void> {
    const table = this.store.getTable(ref);
    const location = this.store.getDataset(ref.projectId, ref.datasetId).location;
    if (request.method === "GET") return sendJson(request.res, 200, tableResource(table, location));
    if (request.method === "PATCH" || request.method === "PUT") {
      const body = parseJsonBody(await readBody(request.req));
      const schema = schemaFromBody(body);
      if (schema) {
        // Columns may be added (existing rows read them as NULL) but not dropped or retyped.
        for (const old of table.schema) {
          const now = schema.find((f) => f.name.toLowerCase() === old.name.toLowerCase());
          if (!now) throw httpErrors.invalid(`Provided Schema does not match Table ${tableName(ref)}. Cannot drop field ${old.name}.`);
          if (now.type !== old.type) throw httpErrors.invalid(`Provided Schema does not match Table ${tableName(ref)}. Field ${old.name} has changed type from ${old.type} to ${now.type}`);
        }
        table.schema = schema;
      }
      table.extra = request.method === "PUT" ? extraFields(body) : { ...table.extra, ...extraFields(body) };
      table.lastModifiedTime = Date.now();
      this.store.changed();
      return sendJson(request.res, 200, tableResource(table, location));
    }
    if (request.method === "DELETE") {
      this.store.deleteTable(ref);
      request.res.writeHead(204).end();
      return;
    }
    throw new HttpError(405, "methodNotAllowed", `Method ${request.method} not allowed on table ${tableName(ref)}`);
  }

  /**
   * tabledata.insertAll. As on the real service: without `skipInvalidRows`, one bad row rejects the
   * whole request (bad rows get reason `invalid`, the others `stopped`); with it, good rows land.
   * A malformed request (a row that is not an object) is a 400 for the whole request.
   */
  private async insertAll(request: ParsedRequest, ref: TableRef): Promise<void> {
    const body = parseJsonBody(await readBody(request.req));
    const table = this.store.getTable(ref);
    if (body.templateSuffix) throw httpErrors.invalid("templateSuffix is not supported by the emulator");
    const rows = (optArray(body, "rows") ?? []).map((raw, i) => {
      const row = asObject(raw, `rows[${i}]`);
      return { insertId: optString(row, "insertId", `rows[${i}].insertId`), json: row.json };
    });
    if (rows.length === 0) throw httpErrors.invalid("No rows present in the request.");
    const ignoreUnknown = optBoolean(body, "ignoreUnknownValues") === true;
    const converted: (StoredRow | undefined)[] = [];
    const insertErrors: { index: number; errors: { reason: string; message: string; location?: string; debugInfo: string }[] }[] = [];
    rows.forEach((row, index) => {
      try {
        if (!row.json || typeof row.json !== "object" || Array.isArray(row.json)) throw new ValueError("Row has no 'json' object.", "");
        converted.push(convertRow(row.json as Record<string, unknown>, table.schema, ignoreUnknown));
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        converted.push(undefined);
        insertErrors.push({ index, errors: [{ reason: "invalid", location: e.location, message: e.message, debugInfo: "" }] });
      }
    });
    if (insertErrors.length > 0 && optBoolean(body, "skipInvalidRows") !== true) {
      converted.forEach((row, index) => {
        if (row !== undefined) insertErrors.push({ index, errors: [{ reason: "stopped", location: "", message: "", debugInfo: "" }] });
      });
      insertErrors.sort((a, b) => a.index - b.index);
    } else {
      let seen = this.insertIds.get(table);
      if (!seen) this.insertIds.set(table, (seen = new Set()));
      converted.forEach((row, index) => {
        const insertId = rows[index].insertId;
        if (row === undefined || (insertId && seen.has(insertId))) return;
        if (insertId) {
          seen.add(insertId);
          // Forget the oldest ids (Sets iterate in insertion order).
          if (seen.size > MAX_INSERT_IDS) seen.delete(seen.values().next().value as string);
        }
        table.rows.push(row);
      });
      table.lastModifiedTime = Date.now();
      this.store.changed();
    }
    sendJson(request.res, 200, { kind: "bigquery#tableDataInsertAllResponse", ...(insertErrors.length > 0 ? { insertErrors } : {}) });
  }

  /** tabledata.list with maxResults / pageToken / startIndex / selectedFields. */
  private listRows(request: ParsedRequest, ref: TableRef): void {
    const table = this.store.getTable(ref);
    const selected = request.query.get("selectedFields");
    let fields = table.schema;
    if (selected) {
      const names = new Set(selected.split(",").map((n) => n.split(".")[0].trim().toLowerCase()));
      fields = table.schema.filter((f) => names.has(f.name.toLowerCase()));
    }
    const start = pageStart(request.query);
    const { rows, ...page } = rowPage(table.rows, fields, start, intParam(request.query, "maxResults"), cellOptions(request.query), this.maxPageBytes);
    sendJsonWithArray(request.res, 200, { kind: "bigquery#tableDataList", etag: String(table.lastModifiedTime), totalRows: String(table.rows.length), ...page }, "rows", rows);
  }

  // ---- jobs and queries ----

  private async insertJob(request: ParsedRequest, projectId: string, data: Buffer | undefined, body?: JsonObject): Promise<void> {
    const jobRequest = body ?? parseJsonBody(await readBody(request.req));
    const job = this.jobs.insert(projectId, jobRequest, data);
    await this.jobs.waitFor(job, INSERT_WAIT_MS);
    sendJson(request.res, 200, jobResource(job));
  }

  private listJobs(request: ParsedRequest, projectId: string): void {
    const page = paginate(this.store.listJobs(projectId), request.query);
    sendJson(request.res, 200, {
      kind: "bigquery#jobList",
      jobs: page.items.map((j) => ({ ...jobResource(j), state: j.state })),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    });
  }

  /** jobs.query: starts the query and waits up to `timeoutMs` (default 10 s) for it, else answers `jobComplete: false`. */
  private async query(request: ParsedRequest, projectId: string): Promise<void> {
    const body = parseJsonBody(await readBody(request.req));
    const job = this.jobs.query(projectId, body);
    await this.jobs.waitFor(job, optNumber(body, "timeoutMs") ?? DEFAULT_RESULTS_WAIT_MS);
    if (job.errorResult) throw jobHttpError(job.errorResult);
    const useInt64Timestamp = optBoolean(optObject(body, "formatOptions") ?? {}, "useInt64Timestamp", "formatOptions.useInt64Timestamp") === true;
    sendQueryResults(request.res, queryResults(job, "bigquery#queryResponse", 0, optNumber(body, "maxResults"), { useInt64Timestamp }, 2 * this.maxPageBytes));
  }

  /** getQueryResults: waits up to `timeoutMs` (default 10 s) for a running job, else answers `jobComplete: false`. */
  private async getQueryResults(request: ParsedRequest, projectId: string, jobId: string): Promise<void> {
    const job = this.store.getJob(projectId, jobId);
    await this.jobs.waitFor(job, intParam(request.query, "timeoutMs") ?? DEFAULT_RESULTS_WAIT_MS);
    if (job.errorResult) throw jobHttpError(job.errorResult);
    if (job.state === "DONE" && !job.result) throw httpErrors.invalid(`Job ${projectId}:${jobId} is not a query job`);
    sendQueryResults(request.res, queryResults(job, "bigquery#getQueryResultsResponse", pageStart(request.query), intParam(request.query, "maxResults"), cellOptions(request.query), 2 * this.maxPageBytes));
  }

  /** `uploadType=multipart` (job JSON + data, what the Node client sends) or `resumable` (POST, then PUT). */
  private async upload(request: ParsedRequest, path: string[]): Promise<void> {
    if (path[0] !== "projects" || path[2] !== "jobs" || path.length !== 3) throw httpErrors.notFound(`Unknown upload path: ${request.req.url ?? ""}`);
    const projectId = path[1];
    const uploadId = request.query.get("upload_id");
    if (uploadId && (request.method === "PUT" || request.method === "POST")) {
      const pending = this.pendingUploads.get(uploadId);
      if (!pending) throw httpErrors.notFound(`No such upload session: ${uploadId}`);
      const body = await readBody(request.req, this.maxUploadBytes - pending.size);
      pending.chunks.push(body);
      pending.size += body.length;
      const range = /^bytes \d+-\d+\/\*$/.exec(request.req.headers["content-range"] ?? "");
      if (range) {
        request.res.writeHead(308, { Range: `bytes=0-${pending.size - 1}`, "Content-Length": "0" }).end();
        return;
      }
      this.pendingUploads.delete(uploadId);
      return this.insertJob(request, projectId, Buffer.concat(pending.chunks), pending.request);
    }
    if (request.method !== "POST") throw new HttpError(405, "methodNotAllowed", `Method ${request.method} not allowed on uploads`);
    const uploadType = request.query.get("uploadType");
    if (uploadType === "resumable") {
      const id = randomUUID();
      this.pendingUploads.set(id, { projectId, request: parseJsonBody(await readBody(request.req, MAX_JSON_REQUEST_BYTES)), chunks: [], size: 0 });
      const location = `${request.baseUrl}/upload/bigquery/v2/projects/${encodeURIComponent(projectId)}/jobs?uploadType=resumable&upload_id=${id}`;
      request.res.writeHead(200, { Location: location, "Content-Length": "0" }).end();
      return;
    }
    if (uploadType !== "multipart") throw httpErrors.invalid(`Unsupported uploadType: ${uploadType ?? "(none)"}`);
    const body = await readBody(request.req, this.maxUploadBytes + MAX_JSON_REQUEST_BYTES);
    const parts = parseMultipart(body, request.req.headers["content-type"]);
    if (parts.length < 2) throw httpErrors.invalid(`A load upload needs a job part and a data part, got ${parts.length} part(s)`);
    if (parts[1].body.length > this.maxUploadBytes) throw httpErrors.payloadTooLarge(this.maxUploadBytes);
    return this.insertJob(request, projectId, parts[1].body, parseJsonBody(parts[0].body));
  }
}

/** A query's response: the job's state and, once done, a page of its rows (as JSON bytes). */
function queryResults(job: JobState, kind: string, start: number, maxResults: number | undefined, cells: CellOptions, maxPageBytes: number): { body: Record<string, unknown>; rows?: Buffer[] } {
  const jobReference = { projectId: job.projectId, jobId: job.jobId, location: job.location };
  if (job.state !== "DONE") return { body: { kind, jobReference, jobComplete: false } };
  const result = job.result ?? { schema: [], rows: [] };
  const { rows, ...page } = rowPage(result.rows, result.schema, start, maxResults, cells, maxPageBytes);
  return {
    body: {
      kind,
      jobReference,
      jobComplete: true,
      schema: { fields: result.schema },
      totalRows: String(result.rows.length),
      totalBytesProcessed: "0",
      cacheHit: false,
      ...page,
    },
    rows,
  };
}

function sendQueryResults(res: http.ServerResponse, results: { body: Record<string, unknown>; rows?: Buffer[] }): void {
  if (results.rows === undefined) sendJson(res, 200, results.body);
  else sendJsonWithArray(res, 200, results.body, "rows", results.rows);
}

/** The clients always send `formatOptions.useInt64Timestamp=true`; the API's own default is false. */
function cellOptions(query: URLSearchParams): CellOptions {
  return { useInt64Timestamp: query.get("formatOptions.useInt64Timestamp") === "true" };
}

/** Row paging: a page token (the next row index, issued by us) wins over `startIndex`. */
function pageStart(query: URLSearchParams): number {
  const token = query.get("pageToken");
  if (token) {
    if (!/^\d+$/.test(token)) throw httpErrors.invalid(`Invalid page token: ${token}`);
    return Number(token);
  }
  return intParam(query, "startIndex") ?? 0;
}

function paginate<T>(items: T[], query: URLSearchParams): { items: T[]; nextPageToken?: string } {
  const start = pageStart(query);
  const max = intParam(query, "maxResults") || 1000;
  const end = Math.min(items.length, start + max);
  return { items: items.slice(start, end), ...(end < items.length ? { nextPageToken: String(end) } : {}) };
}

function schemaFromBody(body: JsonObject): FieldSchema[] | undefined {
  const fields = optObject(body, "schema")?.fields;
  if (fields === undefined) return undefined;
  try {
    return normaliseSchema(fields);
  } catch (e) {
    if (e instanceof ValueError) throw httpErrors.invalid(e.message, "invalid", e.location);
    throw e;
  }
}

function extraFields(body: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(body).filter(([k]) => !COMPUTED_FIELDS.has(k)));
}
