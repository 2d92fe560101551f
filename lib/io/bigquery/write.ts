/**
 * WriteToBigQuery: writes rows (`{column: value}`) to a table, with Beam's dispositions and
 * methods, and returns the rows BigQuery rejected as `failedRows` (never dropped silently).
 *
 *     const { failedRows } = predictions.apply(WriteToBigQuery.to("my-project.MNIST.Predict", {
 *       schema: "ID:INTEGER, P0:FLOAT, P1:FLOAT",
 *       createDisposition: "CREATE_IF_NEEDED",
 *       writeDisposition: "WRITE_TRUNCATE",
 *     }));
 *
 * - FILE_LOADS (default for bounded input): rows checked against the schema, staged as JSON
 *   files under `tempLocation` (or --temp_location, else the OS temp directory), then ONE load job.
 * - STREAMING_INSERTS (default for unbounded input or --streaming): insertAll batches;
 *   BigQuery's per-row errors go to `failedRows`. WRITE_TRUNCATE is not supported with it (as
 *   in Beam), and FILE_LOADS needs a bounded input (its one load job runs when the input ends).
 * Checked before the run: the table name, the schema, CREATE_NEVER with a missing table, a
 * missing dataset, CREATE_IF_NEEDED without a schema for a missing table, WRITE_EMPTY on a
 * non-empty table.
 */
import type { DeadLetterOptions, DeadLetterSpec } from "../../model/dead_letter";
import { ValidationError } from "../../model/errors";
import { PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { Impulse, Window } from "../../model/primitives";
import { GlobalWindows } from "../../model/windowing";
import { AsIterable } from "../../model/side_inputs";
import { FailureCleanupContext, PTransform, ValidationContext } from "../../model/transform";
import { FileSystems } from "../filesystems/registry";
import { bigqueryClient } from "../gcp/clients";
import { classify, gcpError } from "../gcp/errors";
import { getTableMetadata, missingTableError, tableHandle } from "./api";
import { LoadStagedFiles, StageRows, stagingDirectory, type FailedRow, type WriteSettings } from "./file_loads";
import { parseSchema, type BigQueryRow, type TableSchema } from "./schema";
import { InsertRows, TagInsertIds, type TaggedRow } from "./streaming_inserts";
import { KVCoder } from "../../coders/structural";
import { StringUtf8Coder } from "../../coders/primitive";
import { Reshuffle } from "../../transforms/util";
import { parseTableSpec } from "./table_ref";

export type { FailedRow } from "./file_loads";

/** Whether a write may create the table (from its `schema`) or requires it to exist. */
export type CreateDisposition = "CREATE_IF_NEEDED" | "CREATE_NEVER";
/** Whether a write appends, replaces the table's rows, or requires the table to be empty. */
export type WriteDisposition = "WRITE_APPEND" | "WRITE_TRUNCATE" | "WRITE_EMPTY";
/** How rows reach BigQuery: one load job of staged files, or the streaming insert API. */
export type WriteMethod = "FILE_LOADS" | "STREAMING_INSERTS";

/**
 * Options of WriteToBigQuery. Rows BigQuery or the schema check rejects go to `failedRows`; if
 * nothing reads it, the first one fails the run (`ignoreRejected: true` drops them instead);
 * either way they are counted as `beamline/rejected` on the step.
 */
export interface WriteToBigQueryOptions extends DeadLetterOptions {
  /** `"ID:INTEGER, P0:FLOAT"` or `{fields: [{name, type, mode}]}`; needed to create the table. */
  readonly schema?: string | TableSchema;
  /** Default CREATE_IF_NEEDED. */
  readonly createDisposition?: CreateDisposition;
  /** Default WRITE_APPEND. */
  readonly writeDisposition?: WriteDisposition;
  /** Default FILE_LOADS for a bounded input, STREAMING_INSERTS for an unbounded one (or with --streaming). */
  readonly method?: WriteMethod;
  /** FILE_LOADS: where to stage files (default --temp_location, else the OS temp directory). */
  readonly tempLocation?: string;
  /** STREAMING_INSERTS: rows per insertAll request (default 500; a request is also cut at 9 MiB of rows, within the service's 10 MB limit). */
  readonly batchSize?: number;
}

/** What WriteToBigQuery produces. */
export type WriteToBigQueryResult<Row> = {
  /** Rows BigQuery (or the pre-check against the schema) rejected, with `{reason, message, location}` errors. */
  readonly failedRows: PCollection<FailedRow<Row>>;
};

/**
 * Writes rows to a BigQuery table (`project.dataset.table` or `project:dataset.table`): with one
 * load job per run for bounded input (so WRITE_TRUNCATE replaces the table atomically, and only
 * once the run has succeeded), or streaming inserts for unbounded input. Produces
 * `{ failedRows }`, a dead-letter output.
 *
 * ```ts
 * const { failedRows } = rows.apply(WriteToBigQuery.to("proj:dataset.table", {
 *   schema: "ID:INTEGER, P0:FLOAT", writeDisposition: "WRITE_TRUNCATE",
 * }));
 * ```
 */
export class WriteToBigQuery<Row extends BigQueryRow = BigQueryRow> extends PTransform<PCollection<Row>, WriteToBigQueryResult<Row>> {
  /** The table's schema, parsed (undefined: the table must exist). */
  readonly schema: TableSchema | undefined;
  /** The create disposition in effect. */
  readonly createDisposition: CreateDisposition;
  /** The write disposition in effect. */
  readonly writeDisposition: WriteDisposition;
  private resolvedMethod: WriteMethod = "FILE_LOADS";
  /** The method asked for; without one it is chosen by the input's boundedness when applied. */
  readonly method: WriteMethod | undefined;

  /** `rows.apply(WriteToBigQuery.to("proj.dataset.table", { schema, ... }))`: `{ failedRows }`. */
  static to<Row extends BigQueryRow = BigQueryRow>(table: string, options: WriteToBigQueryOptions = {}): WriteToBigQuery<Row> {
    return new WriteToBigQuery<Row>(table, options);
  }

  private constructor(
    /** The table written. */
    readonly table: string,
    /** The options given. */
    readonly options: WriteToBigQueryOptions,
  ) {
    super("WriteToBigQuery");
    parseTableSpec(table);
    this.schema = options.schema !== undefined ? parseSchema(options.schema) : undefined;
    this.createDisposition = options.createDisposition ?? "CREATE_IF_NEEDED";
    this.writeDisposition = options.writeDisposition ?? "WRITE_APPEND";
    this.method = options.method;
    if (!["CREATE_IF_NEEDED", "CREATE_NEVER"].includes(this.createDisposition)) throw new ValidationError(`Unknown createDisposition '${this.createDisposition}'; use CREATE_IF_NEEDED or CREATE_NEVER.`);
    if (!["WRITE_APPEND", "WRITE_TRUNCATE", "WRITE_EMPTY"].includes(this.writeDisposition)) {
      throw new ValidationError(`Unknown writeDisposition '${this.writeDisposition}'; use WRITE_APPEND, WRITE_TRUNCATE or WRITE_EMPTY.`);
    }
    if (this.method !== undefined && !["FILE_LOADS", "STREAMING_INSERTS"].includes(this.method)) {
      throw new ValidationError(`Unknown method '${this.method}'; use FILE_LOADS or STREAMING_INSERTS.`);
    }
    if (this.method === "STREAMING_INSERTS") this.checkStreamingInserts();
  }

  private checkStreamingInserts(): void {
    if (this.writeDisposition === "WRITE_TRUNCATE") {
      throw new ValidationError(`WriteToBigQuery(${this.table}): WRITE_TRUNCATE cannot be used with STREAMING_INSERTS; use method FILE_LOADS (atomic replace) or WRITE_APPEND.`);
    }
  }

  /** The method used for an input: the one asked for, else by boundedness (Beam's defaults). */
  private methodFor(input: PCollection<Row>): WriteMethod {
    const unbounded = !input.isBounded || input.pipeline.options.streaming === true;
    const method = this.method ?? (unbounded ? "STREAMING_INSERTS" : "FILE_LOADS");
    if (method === "FILE_LOADS" && !input.isBounded) {
      throw new ValidationError(
        `WriteToBigQuery(${this.table}): FILE_LOADS runs one load job when its input ends, and this input is unbounded; use method STREAMING_INSERTS (the default for unbounded inputs).`,
      );
    }
    if (method === "STREAMING_INSERTS") this.checkStreamingInserts();
    return method;
  }

  private settings(stepName: string): WriteSettings {
    return {
      ref: parseTableSpec(this.table),
      schema: this.schema,
      createDisposition: this.createDisposition,
      writeDisposition: this.writeDisposition,
      tempLocation: this.options.tempLocation,
      stepName,
    };
  }

  expand(input: PCollection<Row>): WriteToBigQueryResult<Row> {
    const settings = this.settings(input.pipeline.currentNode().fullName);
    this.resolvedMethod = this.methodFor(input);
    const deadLetters = { failed: this.failedRowsSpec() };
    if (this.resolvedMethod === "STREAMING_INSERTS") {
      // Ids first, then a shuffle: a retried bundle of InsertRows re-sends rows with the ids they
      // had, so BigQuery drops the ones already inserted (Beam's TagWithUniqueIds + Reshuffle).
      const tagged = input.apply("TagInsertIds", ParDo.of(new TagInsertIds<Row>()));
      if (input.coder !== undefined) tagged.setCoder(new KVCoder(new StringUtf8Coder(), input.coder));
      const out = tagged
        .apply("Reshuffle", Reshuffle.viaRandomKey<TaggedRow<Row>>())
        .apply("InsertRows", ParDo.of(new InsertRows<Row>(settings, this.options.batchSize ?? 500), { deadLetters }).withOutputs("failed"));
      return { failedRows: out.failed };
    }
    const staged = input.apply("StageRows", ParDo.of(new StageRows<Row>(settings), { deadLetters }).withOutputs("failed"));
    // The load step runs in the global window: files staged in other windows must be moved there to be seen.
    const files = staged.main.windowing.windowFn instanceof GlobalWindows ? staged.main : staged.main.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
    input.pipeline.apply("LoadImpulse", Impulse.create()).apply("Load", ParDo.of(new LoadStagedFiles(settings), { sideInputs: { files: AsIterable(files) } }));
    return { failedRows: staged.failed };
  }

  /** `failedRows` is a dead-letter output: counted, and never dropped unless asked to. */
  private failedRowsSpec(): DeadLetterSpec<FailedRow<Row>> {
    return {
      reason: (f) => `${f.errors.map((e) => (e.message || e.reason).replace(/\.$/, "")).join("; ") || "no reason given"} (table ${this.table})`,
      ignoreUnread: this.options.ignoreRejected === true,
    };
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    const ref = parseTableSpec(this.table);
    const fail = (message: string, cause?: unknown): never => {
      throw new ValidationError(`${ctx.transformName}: ${message}`, cause !== undefined ? { cause } : undefined);
    };
    let metadata;
    let name: string;
    try {
      name = tableHandle(ref).name;
      metadata = await getTableMetadata(ref);
    } catch (e) {
      return fail((e as Error).message, e);
    }
    if (metadata === undefined) {
      if (this.createDisposition === "CREATE_NEVER") fail(missingTableError(name, "createDisposition is CREATE_NEVER").message);
      if (this.schema === undefined) fail(missingTableError(name, "CREATE_IF_NEEDED needs a schema to create it; pass {schema: 'COL:TYPE, ...'}").message);
      const client = bigqueryClient(ref.projectId);
      const dataset = client.dataset(ref.datasetId, ref.projectId !== undefined ? { projectId: ref.projectId } : {});
      try {
        await dataset.getMetadata();
      } catch (err) {
        const project = ref.projectId ?? client.projectId;
        if (classify(err) === "notFound") {
          fail(`BigQuery dataset ${project}.${ref.datasetId} does not exist, so table ${name} cannot be created. Create it (bq mk --dataset ${project}:${ref.datasetId}) or fix the name.`);
        }
        fail(gcpError(`check BigQuery dataset ${project}.${ref.datasetId}`, `dataset ${project}.${ref.datasetId}`, err).message, err);
      }
    } else if (this.writeDisposition === "WRITE_EMPTY" && Number(metadata.numRows ?? 0) > 0) {
      fail(`BigQuery table ${name} is not empty and writeDisposition is WRITE_EMPTY; use WRITE_APPEND or WRITE_TRUNCATE, or write to an empty table.`);
    }
    if (this.resolvedMethod === "FILE_LOADS") {
      const staging = this.options.tempLocation ?? ctx.options.tempLocation;
      if (staging !== undefined) {
        try {
          await FileSystems.checkWritable(staging);
        } catch (e) {
          fail(`cannot stage load files under '${staging}': ${(e as Error).message}`, e);
        }
      }
    }
  }

  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    if (this.resolvedMethod !== "FILE_LOADS") return;
    await FileSystems.delete([stagingDirectory(this.settings(ctx.transformName), { runId: ctx.runId, options: ctx.options })]);
  }
}
