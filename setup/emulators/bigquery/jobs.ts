/**
 * Runs BigQuery jobs synchronously: query jobs (with an optional destination table) and load jobs
 * from uploaded data. Every job is stored already DONE; a failed one carries `status.errorResult`,
 * which the client turns into a rejected promise when it polls. Write and create dispositions
 * follow the API: WRITE_TRUNCATE replaces, WRITE_APPEND appends, WRITE_EMPTY needs an empty table,
 * CREATE_NEVER needs an existing table.
 */
import { randomUUID } from "node:crypto";
import { HttpError } from "../common/http";
import { LoadFailure, readLoadData, type LoadOptions } from "./load_formats";
import type { QueryEngine, QueryInput, QueryParameter } from "./query_engine";
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

interface JobRequest {
  jobReference?: { jobId?: string; location?: string; projectId?: string };
  configuration?: Record<string, unknown>;
}

type Config = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export class JobRunner {
  constructor(
    private readonly store: BigQueryStore,
    private readonly engine: QueryEngine,
  ) {}

  /** jobs.insert (and the upload endpoint, which passes the uploaded `data`). */
  insert(projectId: string, request: JobRequest, data?: Buffer): JobState {
    const configuration = request.configuration ?? {};
    const job = this.newJob(projectId, request, configuration);
    try {
      if (configuration.query) this.runQueryJob(job, configuration.query as Config);
      else if (configuration.load) this.runLoadJob(job, configuration.load as Config, data);
      else throw new JobFailure("invalid", "The emulator supports only query and load jobs (configuration.query or configuration.load).");
    } catch (e) {
      this.fail(job, e);
    }
    job.endTime = Date.now();
    return this.store.addJob(job);
  }

  /**
   * jobs.query, the client's fast path for `bigquery.query()`. Unlike jobs.insert, an invalid query
   * or a missing table is an HTTP error here, as on the real service.
   */
  query(projectId: string, body: Config): JobState {
    if (body.useLegacySql === true) throw new HttpError(400, "invalidQuery", "Legacy SQL is not supported by the emulator; set useLegacySql: false.");
    const query: Config = {
      query: body.query,
      defaultDataset: body.defaultDataset,
      queryParameters: body.queryParameters,
      parameterMode: body.parameterMode,
      useLegacySql: false,
    };
    const jobReference = (body.jobReference as JobRequest["jobReference"]) ?? { location: str(body.location) };
    const job = this.newJob(projectId, { jobReference }, { query });
    try {
      this.runQueryJob(job, query);
    } catch (e) {
      if (e instanceof HttpError) throw e;
      if (e instanceof JobFailure) throw new HttpError(e.reason === "notFound" ? 404 : 400, e.reason, e.message);
      throw e;
    }
    job.endTime = Date.now();
    return this.store.addJob(job);
  }

  private newJob(projectId: string, request: JobRequest, configuration: Config): JobState {
    const now = Date.now();
    return {
      projectId,
      // Older clients send no jobReference; generate an id like the service does.
      jobId: str(request.jobReference?.jobId) ?? `job_${randomUUID().replace(/-/g, "")}`,
      location: str(request.jobReference?.location) ?? "US",
      configuration,
      creationTime: now,
      endTime: now,
      statistics: {},
    };
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

  private runQueryJob(job: JobState, config: Config): void {
    if (config.useLegacySql === true) throw new JobFailure("invalidQuery", "Legacy SQL is not supported by the emulator; set useLegacySql: false.");
    if (typeof config.query !== "string" || config.query.trim() === "") throw new JobFailure("invalid", "Query text is required (configuration.query.query).");
    const input: QueryInput = {
      query: config.query,
      projectId: job.projectId,
      defaultDataset: config.defaultDataset as QueryInput["defaultDataset"],
      queryParameters: config.queryParameters as QueryParameter[] | undefined,
    };
    const output = this.engine.run(input, (ref) => this.store.getTable(ref));
    job.result = { schema: output.schema, rows: output.rows };
    job.statistics = {
      totalBytesProcessed: "0",
      query: { totalBytesProcessed: "0", totalRows: String(output.rows.length), cacheHit: false, statementType: "SELECT", referencedTables: output.referencedTables, schema: { fields: output.schema } },
    };
    const destination = config.destinationTable as Partial<TableRef> | undefined;
    if (destination?.datasetId && destination.tableId) {
      const ref = { projectId: destination.projectId || job.projectId, datasetId: destination.datasetId, tableId: destination.tableId };
      this.writeRows(ref, output.schema, output.rows, str(config.writeDisposition) ?? "WRITE_EMPTY", str(config.createDisposition) ?? "CREATE_IF_NEEDED");
    }
  }

  private runLoadJob(job: JobState, config: Config, data: Buffer | undefined): void {
    if (Array.isArray(config.sourceUris) && config.sourceUris.length > 0) {
      throw new JobFailure("invalid", `Loading from sourceUris (${String(config.sourceUris[0])}) is not supported by the emulator; upload the data with table.load(file) instead.`);
    }
    if (data === undefined) throw new JobFailure("invalid", "A load job needs uploaded data (multipart upload).");
    const destination = config.destinationTable as Partial<TableRef> | undefined;
    if (!destination?.datasetId || !destination.tableId) throw new JobFailure("invalid", "configuration.load.destinationTable is required.");
    const ref: TableRef = { projectId: destination.projectId || job.projectId, datasetId: destination.datasetId, tableId: destination.tableId };
    const write = str(config.writeDisposition) ?? "WRITE_APPEND";
    const create = str(config.createDisposition) ?? "CREATE_IF_NEEDED";
    const existing = this.checkDispositions(ref, write, create);

    let schema: FieldSchema[] | undefined;
    const schemaFields = (config.schema as { fields?: unknown } | undefined)?.fields;
    try {
      if (schemaFields !== undefined) schema = normaliseSchema(schemaFields);
    } catch (e) {
      if (e instanceof ValueError) throw new JobFailure("invalid", e.message);
      throw e;
    }
    const format = (str(config.sourceFormat) ?? "CSV").toUpperCase();
    const options: LoadOptions = {
      sourceFormat: format,
      skipLeadingRows: Number(config.skipLeadingRows ?? 0),
      fieldDelimiter: decodeDelimiter(str(config.fieldDelimiter) ?? ","),
      quote: typeof config.quote === "string" ? config.quote : '"',
      allowQuotedNewlines: config.allowQuotedNewlines === true,
      allowJaggedRows: config.allowJaggedRows === true,
      ignoreUnknownValues: config.ignoreUnknownValues === true,
      nullMarker: typeof config.nullMarker === "string" ? config.nullMarker : "",
      maxBadRecords: Number(config.maxBadRecords ?? 0),
      autodetect: config.autodetect === true,
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
    job.statistics = { load: { inputFiles: "1", inputFileBytes: String(data.length), outputRows: String(loaded.rows.length), outputBytes: String(JSON.stringify(loaded.rows).length), badRecords: "0" } };
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
