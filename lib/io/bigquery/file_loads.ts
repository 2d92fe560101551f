/**
 * WriteToBigQuery with method FILE_LOADS (the batch default): rows are checked against the
 * schema (rows that do not fit go to the failed-rows output), staged as newline-delimited JSON
 * files under the temp location, and loaded by ONE load job once every bundle is staged, so
 * WRITE_TRUNCATE replaces the table atomically. The load job is the write's output commit: the
 * DirectRunner runs it only when every step of the run has succeeded (before renaming files into
 * place), so a failed run changes no table; remote runners run it when the write's own branch
 * completes, as Beam does.
 */
import { createHash, randomUUID } from "node:crypto";
import * as os from "node:os";
import { pipeline as pipelineAsync } from "node:stream/promises";
import type { Writable } from "node:stream";
import { COMMIT_ORDER_LOAD, commitOutput, type JsonValue, registerCommitter } from "../../model/commits";
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../../model/dofn";
import { FileSystems } from "../filesystems/registry";
import { classify, GcpIoError, messageOf, withRetries } from "../gcp/errors";
import { getTableMetadata, missingTableError, tableError, tableHandle } from "./api";
import { checkRow, rowJsonLine, type RowError, type TableSchema } from "./schema";
import type { TableReference } from "./table_ref";
import { GlobalWindow, MIN_TIMESTAMP } from "../../model/window";

/** A row BigQuery (or the pre-check against the schema) rejected, with the reasons. */
export interface FailedRow<Row> {
  /** The row as it was given to the write. */
  readonly row: Row;
  /** Why it was rejected: `{ reason, message, location }` from BigQuery or the schema check. */
  readonly errors: readonly RowError[];
}

/** How a write creates and replaces the table. */
export interface WriteSettings {
  readonly ref: TableReference;
  readonly schema: TableSchema | undefined;
  readonly createDisposition: "CREATE_IF_NEEDED" | "CREATE_NEVER";
  readonly writeDisposition: "WRITE_APPEND" | "WRITE_TRUNCATE" | "WRITE_EMPTY";
  readonly tempLocation: string | undefined;
  /** Unique per application (its full name), so two writes never share staging files. */
  readonly stepName: string;
}

/** A staged newline-delimited JSON file. */
export interface StagedFile {
  readonly path: string;
  readonly rows: number;
}

/** The staging directory of one write in one run. */
export function stagingDirectory(settings: WriteSettings, runtime: { readonly runId: string; readonly options: { readonly tempLocation?: string } }): string {
  const base = settings.tempLocation ?? runtime.options.tempLocation ?? os.tmpdir();
  const step = createHash("sha256").update(settings.stepName).digest("hex").slice(0, 12);
  return FileSystems.join(base, `beamline-bq-${runtime.runId}-${step}`);
}

/** The schema to check rows against: the given one, else the existing table's. */
async function effectiveSchema(settings: WriteSettings): Promise<TableSchema | undefined> {
  if (settings.schema !== undefined) return settings.schema;
  return (await getTableMetadata(settings.ref))?.schema;
}

const FLUSH_CHARS = 1 << 20;

/** Checks rows and writes the good ones to one staging file per bundle. */
export class StageRows<Row> extends DoFn<Row, StagedFile, { failed: FailedRow<Row> }> {
  private schema: TableSchema | undefined;
  private file: Writable | undefined;
  private path = "";
  private rows = 0;
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(private readonly settings: WriteSettings) {
    super();
  }

  async setup(): Promise<void> {
    this.schema = await effectiveSchema(this.settings);
  }

  startBundle(): void {
    this.file = undefined;
    this.rows = 0;
    this.pending = [];
    this.pendingChars = 0;
  }

  process(row: Row, ctx: ProcessContext<StagedFile, { failed: FailedRow<Row> }>): void | Promise<void> {
    if (this.schema !== undefined) {
      const errors = checkRow(this.schema, row);
      if (errors.length > 0) {
        ctx.outputTo("failed", { row, errors });
        return;
      }
    }
    const line = rowJsonLine(row as object);
    this.pending.push(line);
    this.pendingChars += line.length;
    this.rows++;
    if (this.pendingChars >= FLUSH_CHARS) return this.flush(ctx.runtime);
    return undefined;
  }

  /** Runners call process one element at a time (awaiting a flush), so flushes never overlap. */
  private async flush(runtime: RuntimeContext): Promise<void> {
    if (this.pending.length === 0) return;
    if (this.file === undefined) {
      this.path = FileSystems.join(stagingDirectory(this.settings, runtime), `${randomUUID()}.json`);
      this.file = await FileSystems.create(this.path, { mimeType: "application/json" });
    }
    const data = this.pending.join("");
    this.pending = [];
    this.pendingChars = 0;
    const file = this.file;
    if (!file.write(data)) await new Promise<void>((resolve, reject) => {
      file.once("drain", resolve);
      file.once("error", reject);
    });
  }

  async finishBundle(ctx: BundleContext<StagedFile, { failed: FailedRow<Row> }>): Promise<void> {
    await this.flush(ctx.runtime);
    const file = this.file;
    if (file === undefined) return;
    this.file = undefined;
    await new Promise<void>((resolve, reject) => {
      file.once("error", reject);
      file.end(() => resolve());
    });
    // In the global window, where the load step reads staged files (write.ts re-windows this
    // output there): one file holds rows of every window of the bundle.
    ctx.output({ path: this.path, rows: this.rows }, { window: GlobalWindow.INSTANCE, timestamp: MIN_TIMESTAMP });
  }

  teardown(): void {
    this.file?.destroy();
    this.file = undefined;
  }
}

/** The kind of output commit that runs a FILE_LOADS write's load job. */
export const BIGQUERY_LOAD_COMMIT = "beamline:commit:bigquery_load:v1";

/** What the load job needs; plain data, so it can be handed to the runner as a commit. */
interface LoadPayload {
  readonly settings: WriteSettings;
  readonly files: readonly StagedFile[];
  readonly stagingDir: string;
}

/**
 * Hands the one load job over every staged file to the runner as the write's output commit (the
 * load job is what makes the rows visible, atomically): on the DirectRunner it runs once every
 * step of the run has succeeded, elsewhere at once.
 */
export class LoadStagedFiles extends DoFn<Uint8Array, string, {}, { files: readonly StagedFile[] }> {
  constructor(private readonly settings: WriteSettings) {
    super();
  }

  async process(_: Uint8Array, ctx: ProcessContext<string, {}, { files: readonly StagedFile[] }>): Promise<void> {
    const files = [...ctx.sideInputs.files].sort((a, b) => (a.path < b.path ? -1 : 1));
    const payload: LoadPayload = { settings: this.settings, files, stagingDir: stagingDirectory(this.settings, ctx.runtime) };
    await commitOutput(ctx.runtime, { kind: BIGQUERY_LOAD_COMMIT, sink: this.settings.stepName, payload: payload as unknown as JsonValue });
    const { name } = tableHandle(this.settings.ref);
    ctx.runtime.reportOutputs([`bigquery:${name}`]);
    ctx.output(`${name}: ${files.reduce((n, f) => n + f.rows, 0)} rows`);
  }
}

registerCommitter(BIGQUERY_LOAD_COMMIT, {
  order: COMMIT_ORDER_LOAD,
  commit: (payload) => loadStagedFiles(payload as unknown as LoadPayload),
});

/** Runs the one load job over every staged file, then removes the staging directory. */
async function loadStagedFiles({ settings: s, files, stagingDir }: LoadPayload): Promise<void> {
  const { table, name, client } = tableHandle(s.ref);
  const load = {
    sourceFormat: "NEWLINE_DELIMITED_JSON",
    createDisposition: s.createDisposition,
    writeDisposition: s.writeDisposition,
    ...(s.schema !== undefined ? { schema: { fields: s.schema.fields } } : {}),
  };
  try {
    if (files.length === 0 && !(await noRowsNeedLoad(s, name))) {
      // Nothing to load and nothing to change.
    } else if (files.length > 0 && files.every((f) => f.path.startsWith("gs://"))) {
      const [job] = await client.createJob({
        configuration: { load: { ...load, sourceUris: files.map((f) => f.path), destinationTable: { projectId: table.dataset.projectId, datasetId: s.ref.datasetId, tableId: s.ref.tableId } } },
      } as never);
      await job.promise();
    } else {
      // The client cannot retry a streamed upload, so it is repeated here on transient failures,
      // from the staged files, always under the same job id: a repeat whose job already exists
      // (the first attempt got through) waits for that job instead of loading the rows twice.
      const jobId = `beamline_load_${randomUUID().replace(/-/g, "")}`;
      const upload = async (): Promise<void> => {
        const stream = table.createWriteStream({ ...load, jobId } as never);
        const done = new Promise<void>((resolve, reject) => {
          stream.once("complete", () => resolve());
          stream.once("error", reject);
        });
        for (const f of files) await pipelineAsync(await FileSystems.openRead(f.path), stream, { end: false });
        stream.end();
        await done;
      };
      await withRetries(upload, { service: "bigquery", initialDelayMs: 500 }).catch(async (err: unknown) => {
        if (classify(err) !== "alreadyExists") throw err;
        await client.job(jobId, { location: table.location }).promise();
      });
    }
  } catch (err) {
    throw loadError(name, s, err);
  }
  await FileSystems.delete([stagingDir]).catch(() => undefined);
}

/**
 * Whether a write of no rows still needs its load job: to empty the table (WRITE_TRUNCATE) or to
 * create it (CREATE_IF_NEEDED). The job then loads no data, as Beam's does (it loads one empty
 * file), so the table is truncated in place, keeping its description and partitioning, and a
 * failed job leaves it as it was.
 */
async function noRowsNeedLoad(s: WriteSettings, name: string): Promise<boolean> {
  const metadata = await getTableMetadata(s.ref);
  if (metadata !== undefined) return s.writeDisposition === "WRITE_TRUNCATE";
  if (s.createDisposition === "CREATE_NEVER") throw missingTableError(name, "createDisposition is CREATE_NEVER");
  return true;
}

function loadError(name: string, s: WriteSettings, err: unknown): Error {
  if (err instanceof GcpIoError) return err;
  const kind = classify(err);
  if (kind === "notFound" || kind === "permission" || kind === "unauthenticated") return tableError("load rows into", name, err);
  const details = (err as { errors?: { message?: string }[] }).errors?.map((e) => e.message).filter(Boolean) ?? [];
  const hint =
    s.writeDisposition === "WRITE_EMPTY" && /empty|already|exists|duplicate/i.test(messageOf(err))
      ? " The table is not empty and writeDisposition is WRITE_EMPTY: use WRITE_APPEND or WRITE_TRUNCATE."
      : "";
  return new GcpIoError(
    `The BigQuery load job into table ${name} failed: ${messageOf(err)}${details.length ? ` (${details.slice(0, 5).join("; ")})` : ""}.${hint}`,
    `table ${name}`,
    err,
  );
}
