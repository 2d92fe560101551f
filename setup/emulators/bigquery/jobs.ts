/**
 * Runs BigQuery jobs: query jobs (with an optional destination table) and load jobs from uploaded
 * data. Queries run off the main thread (./query_pool): a query job is RUNNING until its worker
 * answers, then DONE; it can be cancelled (jobs.cancel) and is stopped after `jobTimeoutMs` or the
 * emulator's own limit. Load jobs run at once and are stored DONE. A failed job carries
 * `status.errorResult`, which the client turns into a rejected promise when it polls. Write and
 * create dispositions follow the API: WRITE_TRUNCATE replaces, WRITE_APPEND appends, WRITE_EMPTY
 * needs an empty table, CREATE_NEVER needs an existing table.
 */
import { randomUUID } from "node:crypto";
import { HttpError } from "../common/http";
import { asObject, isObject, RequestFieldError, optArray, optBoolean, optInt64Text, optNumber, optObject, optString, type JsonObject } from "../common/json_fields";
import { LoadFailure, readLoadData, type LoadOptions } from "./load_formats";
import { MAX_RESULT_BYTES, prepareQuery, type QueryInput, type QueryOutput, type QueryParameter } from "./query_engine";
import type { QueryPool, QueryTask } from "./query_pool";
import { tableName, type BigQueryStore, type JobError, type JobState, type TableRef, type TableState } from "./store";
import { normaliseSchema, ValueError, type FieldSchema, type StoredRow } from "./values";

/** A job that ran but failed: becomes `status.errorResult`. */
export class JobFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly errors: JobError[] = [],
  ) {
    super(message);
  }
}

type Config = JsonObject;

/** The emulator's default limit on a query's run time (the real service allows 6 hours). */
export const DEFAULT_MAX_QUERY_MS = 5 * 60 * 1000;

/** The HTTP error a failed job becomes on the synchronous paths (jobs.query, getQueryResults). */
export function jobHttpError(error: JobError): HttpError {
  const status = error.reason === "notFound" ? 404 : error.reason === "internalError" || error.reason === "backendError" ? 500 : 400;
  return new HttpError(status, error.reason, error.message);
}

export class JobRunner {
  private readonly running = new Map<JobState, QueryTask>();

  constructor(
    private readonly store: BigQueryStore,
    private readonly pool: QueryPool,
    private readonly maxQueryMs = DEFAULT_MAX_QUERY_MS,
  ) {}

  /** jobs.insert (and the upload endpoint, which passes the uploaded `data`). */
  insert(projectId: string, requestBody: JsonObject, data?: Buffer): JobState {
    const configuration = optObject(requestBody, "configuration") ?? {};
    const job = this.store.addJob(this.newJob(projectId, optObject(requestBody, "jobReference"), configuration));
    try {
      const query = optObject(configuration, "query", "configuration.query");
      const load = optObject(configuration, "load", "configuration.load");
      if (query) return this.startQuery(job, query, optInt64Text(configuration, "jobTimeoutMs", "configuration.jobTimeoutMs"));
      if (load) this.runLoadJob(job, load, data);
      else throw new JobFailure("invalid", "The emulator supports only query and load jobs (configuration.query or configuration.load).");
    } catch (e) {
      if (e instanceof RequestFieldError) {
        // A malformed request is refused as a whole; no job is created.
        this.store.deleteJob(job.projectId, job.jobId);
        throw e;
      }
      this.fail(job, e);
    }
    this.finish(job);
    return job;
  }

  /**
   * jobs.query, the client's fast path for `bigquery.query()`. Unlike jobs.insert, an invalid query
   * or a missing table is an HTTP error here, as on the real service; the caller waits for the job
   * up to the request's `timeoutMs`.
   */
  query(projectId: string, body: JsonObject): JobState {
    if (optBoolean(body, "useLegacySql") === true) throw new HttpError(400, "invalidQuery", "Legacy SQL is not supported by the emulator; set useLegacySql: false.");
    const query: Config = {
      query: optString(body, "query"),
      defaultDataset: optObject(body, "defaultDataset"),
      queryParameters: optArray(body, "queryParameters"),
      parameterMode: optString(body, "parameterMode"),
      useLegacySql: false,
    };
    const location = optString(body, "location");
    const jobReference = optObject(body, "jobReference") ?? (location ? { location } : undefined);
    const job = this.newJob(projectId, jobReference, { query });
    // Checked before the job exists: a bad query is the request's error, not a failed job.
    let prepared: ReturnType<typeof prepareQuery>;
    try {
      prepared = this.prepare(job, query);
    } catch (e) {
      if (e instanceof JobFailure) throw jobHttpError(e);
      throw e;
    }
    this.store.addJob(job);
    return this.runPrepared(job, query, prepared, undefined);
  }

  /** Resolves when the job is DONE or after `ms`, whichever comes first. */
  async waitFor(job: JobState, ms: number): Promise<void> {
    if (job.state === "DONE" || !(ms > 0)) return;
    ms = Math.min(ms, MAX_WAIT_MS);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([job.finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** jobs.cancel: a running query stops at once. */
  cancel(job: JobState): void {
    this.running.get(job)?.cancel(new JobFailure("stopped", "Job execution was cancelled: User requested cancellation"));
  }

  /** Stops every running query (emulator shutdown). */
  async close(): Promise<void> {
    for (const task of this.running.values()) task.cancel(new JobFailure("backendError", "The BigQuery emulator is shutting down"));
    await this.pool.close();
  }

  private newJob(projectId: string, reference: JsonObject | undefined, configuration: Config): JobState {
    const now = Date.now();
    const ref = reference ?? {};
    return {
      projectId,
      // Older clients send no jobReference; generate an id like the service does.
      jobId: optString(ref, "jobId", "jobReference.jobId") || `job_${randomUUID().replace(/-/g, "")}`,
      location: optString(ref, "location", "jobReference.location") || "US",
      configuration,
      state: "RUNNING",
      finished: Promise.resolve(),
      creationTime: now,
      endTime: now,
      statistics: {},
    };
  }

  private finish(job: JobState): void {
    job.state = "DONE";
    job.endTime = Date.now();
  }

  private fail(job: JobState, e: unknown): void {
    if (e instanceof JobFailure) {
      job.errorResult = { reason: e.reason, message: e.message };
      job.errors = e.errors.length > 0 ? e.errors : [job.errorResult];
    } else if (e instanceof HttpError) {
      job.errorResult = { reason: e.reason, message: e.message };
    } else {
      job.errorResult = { reason: "internalError", message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Checks a query job's configuration and prepares it (table lookups, parameters) on this thread. */
  private prepare(job: JobState, config: Config): ReturnType<typeof prepareQuery> {
    if (config.useLegacySql === true) throw new JobFailure("invalidQuery", "Legacy SQL is not supported by the emulator; set useLegacySql: false.");
    const text = optString(config, "query", "configuration.query.query");
    if (text === undefined || text.trim() === "") throw new JobFailure("invalid", "Query text is required (configuration.query.query).");
    if (text.length > MAX_QUERY_CHARS) throw new JobFailure("invalid", "The query is too large. The maximum standard SQL query length is 1024.00K characters, including comments and white space characters.");
    const defaultDataset = optObject(config, "defaultDataset", "defaultDataset");
    const datasetId = defaultDataset ? optString(defaultDataset, "datasetId", "defaultDataset.datasetId") : undefined;
    const input: QueryInput = {
      query: text,
      projectId: job.projectId,
      defaultDataset: datasetId ? { datasetId, projectId: optString(defaultDataset as JsonObject, "projectId", "defaultDataset.projectId") } : undefined,
      queryParameters: queryParameters(config),
    };
    return prepareQuery(input, (ref) => this.store.getTable(ref));
  }

  private startQuery(job: JobState, config: Config, jobTimeoutMs: string | undefined): JobState {
    return this.runPrepared(job, config, this.prepare(job, config), jobTimeoutMs);
  }

  /** Runs a prepared query in the pool; the job is DONE when it answers, fails, is cancelled or times out. */
  private runPrepared(job: JobState, config: Config, prepared: ReturnType<typeof prepareQuery>, jobTimeoutMs: string | undefined): JobState {
    const task = this.pool.run(prepared.prepared, prepared.rows, MAX_RESULT_BYTES);
    this.running.set(job, task);
    const limitMs = Math.min(jobTimeoutMs !== undefined && Number(jobTimeoutMs) > 0 ? Number(jobTimeoutMs) : Infinity, this.maxQueryMs);
    const timer = setTimeout(() => task.cancel(new JobFailure("stopped", `Job execution was cancelled: Job timed out after ${Math.floor(limitMs / 1000)}s`)), limitMs);
    timer.unref();
    job.finished = task.done.then(
      (output) => {
        try {
          this.complete(job, config, output);
        } catch (e) {
          this.fail(job, e);
        }
      },
      (e: unknown) => this.fail(job, e),
    ).finally(() => {
      clearTimeout(timer);
      this.running.delete(job);
      this.finish(job);
    });
    return job;
  }

  private complete(job: JobState, config: Config, output: QueryOutput): void {
    job.result = { schema: output.schema, rows: output.rows };
    job.statistics = {
      totalBytesProcessed: "0",
      query: { totalBytesProcessed: "0", totalRows: String(output.rows.length), cacheHit: false, statementType: "SELECT", referencedTables: output.referencedTables, schema: { fields: output.schema } },
    };
    const destination = optObject(config, "destinationTable", "configuration.query.destinationTable");
    const datasetId = destination ? optString(destination, "datasetId", "destinationTable.datasetId") : undefined;
    const tableId = destination ? optString(destination, "tableId", "destinationTable.tableId") : undefined;
    if (destination && datasetId && tableId) {
      const ref = { projectId: optString(destination, "projectId", "destinationTable.projectId") || job.projectId, datasetId, tableId };
      this.writeRows(ref, output.schema, output.rows, optString(config, "writeDisposition") || "WRITE_EMPTY", optString(config, "createDisposition") || "CREATE_IF_NEEDED");
    }
  }

  private runLoadJob(job: JobState, config: Config, data: Buffer | undefined): void {
    const sourceUris = optArray(config, "sourceUris", "configuration.load.sourceUris");
    if (sourceUris !== undefined && sourceUris.length > 0) {
      throw new JobFailure("invalid", `Loading from sourceUris (${String(sourceUris[0])}) is not supported by the emulator; upload the data with table.load(file) instead.`);
    }
    if (data === undefined) throw new JobFailure("invalid", "A load job needs uploaded data (multipart upload).");
    const destination = optObject(config, "destinationTable", "configuration.load.destinationTable");
    const datasetId = destination ? optString(destination, "datasetId", "destinationTable.datasetId") : undefined;
    const tableId = destination ? optString(destination, "tableId", "destinationTable.tableId") : undefined;
    if (!destination || !datasetId || !tableId) throw new JobFailure("invalid", "configuration.load.destinationTable is required.");
    const ref: TableRef = { projectId: optString(destination, "projectId", "destinationTable.projectId") || job.projectId, datasetId, tableId };
    const write = optString(config, "writeDisposition") || "WRITE_APPEND";
    const create = optString(config, "createDisposition") || "CREATE_IF_NEEDED";
    const existing = this.checkDispositions(ref, write, create);

    let schema: FieldSchema[] | undefined;
    const schemaFields = optObject(config, "schema", "configuration.load.schema")?.fields;
    try {
      if (schemaFields !== undefined) schema = normaliseSchema(schemaFields);
    } catch (e) {
      if (e instanceof ValueError) throw new JobFailure("invalid", e.message);
      throw e;
    }
    const format = (optString(config, "sourceFormat") || "CSV").toUpperCase();
    const options: LoadOptions = {
      sourceFormat: format,
      skipLeadingRows: optNumber(config, "skipLeadingRows") ?? 0,
      fieldDelimiter: decodeDelimiter(optString(config, "fieldDelimiter") || ","),
      quote: optString(config, "quote") ?? '"',
      allowQuotedNewlines: optBoolean(config, "allowQuotedNewlines") === true,
      allowJaggedRows: optBoolean(config, "allowJaggedRows") === true,
      ignoreUnknownValues: optBoolean(config, "ignoreUnknownValues") === true,
      nullMarker: optString(config, "nullMarker") ?? "",
      maxBadRecords: optNumber(config, "maxBadRecords") ?? 0,
      autodetect: optBoolean(config, "autodetect") === true,
    };
    let loaded: { schema: FieldSchema[]; rows: StoredRow[] };
    try {
      // Appending to an existing table reads the data with the table's schema unless the job has one.
      loaded = readLoadData(data, schema ?? (write === "WRITE_TRUNCATE" && options.autodetect ? undefined : existing?.schema), options);
    } catch (e) {
      if (e instanceof LoadFailure) throw new JobFailure(e.reason, e.message, e.errors);
      throw e;
    }
    this.writeRows(ref, loaded.schema, loaded.rows, write, create);
    job.statistics = { load: { inputFiles: "1", inputFileBytes: String(data.length), outputRows: String(loaded.rows.length), outputBytes: String(data.length), badRecords: "0" } };
  }

  /** Fails early for CREATE_NEVER on a missing table and WRITE_EMPTY on a non-empty one. */
  private checkDispositions(ref: TableRef, write: string, create: string): TableState | undefined {
    if (!["WRITE_TRUNCATE", "WRITE_APPEND", "WRITE_EMPTY"].includes(write)) throw new JobFailure("invalid", `Invalid writeDisposition: ${write}`);
    if (!["CREATE_IF_NEEDED", "CREATE_NEVER"].includes(create)) throw new JobFailure("invalid", `Invalid createDisposition: ${create}`);
    const existing = this.store.findTable(ref);
    if (!existing) {
      this.store.getDataset(ref.projectId, ref.datasetId);
      if (create === "CREATE_NEVER") throw new JobFailure("notFound", `Not found: Table ${tableName(ref)} (createDisposition is CREATE_NEVER)`);
    } else if (write === "WRITE_EMPTY" && existing.rows.length > 0) {
      throw new JobFailure("duplicate", `Already Exists: Table ${tableName(ref)} is not empty (writeDisposition is WRITE_EMPTY)`);
    }
    return existing;
  }

  private writeRows(ref: TableRef, schema: FieldSchema[], rows: StoredRow[], write: string, create: string): void {
    const existing = this.checkDispositions(ref, write, create);
    if (!existing) {
      this.store.createTable(ref, schema, {}).rows = rows;
    } else if (write === "WRITE_TRUNCATE") {
      existing.schema = schema;
      existing.rows = rows;
    } else {
      existing.rows.push(...rows.map((row) => Object.fromEntries(existing.schema.map((f) => [f.name, row[f.name] ?? (f.mode === "REPEATED" ? [] : null)]))));
    }
    const table = this.store.getTable(ref);
    table.lastModifiedTime = Date.now();
    this.store.changed();
  }
}

/** `\t` and `tab` mean a tab, as in the API. */
function decodeDelimiter(delimiter: string): string {
  if (delimiter === "\\t" || delimiter.toLowerCase() === "tab") return "\t";
  return delimiter;
}

/** The longest a request waits for a job (the API's `timeoutMs` is a hint, not a promise). */
const MAX_WAIT_MS = 5 * 60 * 1000;

/** BigQuery's limit on the length of a GoogleSQL query. */
const MAX_QUERY_CHARS = 1024 * 1024;

/** `queryParameters`, each an object (the values themselves are checked when bound). */
function queryParameters(config: Config): QueryParameter[] | undefined {
  const params = optArray(config, "queryParameters", "queryParameters");
  return params?.map((p, i) => {
    const param = asObject(p, `queryParameters[${i}]`);
    const type = optObject(param, "parameterType", `queryParameters[${i}].parameterType`);
    if (type !== undefined) optString(type, "type", `queryParameters[${i}].parameterType.type`);
    if (param.name !== undefined) optString(param, "name", `queryParameters[${i}].name`);
    const value = param.parameterValue;
    if (value !== undefined && value !== null && !isObject(value)) asObject(value, `queryParameters[${i}].parameterValue`);
    return param as QueryParameter;
  });
}
