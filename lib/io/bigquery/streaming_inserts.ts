/**
 * WriteToBigQuery with method STREAMING_INSERTS: rows are sent in batches with tabledata.insertAll
 * (`skipInvalidRows`, so one bad row does not stop the others). Rows BigQuery rejects go to the
 * failed-rows output with its reasons; rows only "stopped" because of another row are re-sent.
 * Each row has an insertId, so BigQuery drops duplicates when a batch is retried: by the client,
 * or with its whole bundle. For the latter the ids are given in a step of their own (`TagInsertIds`)
 * and the tagged rows reshuffled before `InsertRows`, as Beam's StreamingWriteTables does: a
 * retried bundle of `InsertRows` reads the same ids again instead of drawing new ones.
 */
import { randomUUID } from "node:crypto";
import { BundleContext, DoFn, ProcessContext, type OutputPlacement } from "../../model/dofn";
import { kv, type KV } from "../../model/window";
import { classify } from "../gcp/errors";
import { attributedToStep } from "../gcp/retry";
import { getTableMetadata, missingTableError, rawRequest, tableError, tableHandle } from "./api";
import type { FailedRow, WriteSettings } from "./file_loads";
import { toJsonValue, type RowError } from "./schema";

interface InsertAllResponse {
  readonly insertErrors?: readonly { readonly index: number; readonly errors?: readonly RowError[] }[];
}

interface Pending<Row> {
  readonly row: Row;
  readonly insertId: string;
  /** The row's values in their JSON form, as sent. */
  readonly json: unknown;
  /** The row's window and timestamp: a failure is output there, whenever the batch is sent. */
  readonly placement: OutputPlacement;
}

const MAX_RESENDS = 3;

/**
 * Bytes of rows per insertAll request: the service refuses requests over 10 MB, so batches are
 * cut by size as well as by rows (Beam's StreamingWriteFn flushes past maxStreamingBatchSize too),
 * with room for the request's framing.
 */
export const MAX_INSERT_REQUEST_BYTES = 9 * 1024 * 1024;

/** A row with the insertId it keeps through retries. */
export type TaggedRow<Row> = KV<string, Row>;

/** Gives each row its insertId (before the reshuffle that makes the ids stable). */
export class TagInsertIds<Row> extends DoFn<Row, TaggedRow<Row>> {
  process(row: Row, ctx: ProcessContext<TaggedRow<Row>>): void {
    ctx.output(kv(randomUUID(), row));
  }
}

export class InsertRows<Row> extends DoFn<TaggedRow<Row>, never, { failed: FailedRow<Row> }> {
  private pending: Pending<Row>[] = [];
  private pendingBytes = 0;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly settings: WriteSettings,
    private readonly batchSize: number,
  ) {
    super();
  }

  /** Makes sure the table exists (creating it with CREATE_IF_NEEDED), once per instance. */
  private ensureTable(): Promise<void> {
    this.ready ??= (async () => {
      const { table, name } = tableHandle(this.settings.ref);
      const metadata = await getTableMetadata(this.settings.ref);
      if (metadata !== undefined) {
        if (this.settings.writeDisposition === "WRITE_EMPTY" && Number(metadata.numRows ?? 0) > 0) {
          throw tableError("write (WRITE_EMPTY) into", name, new Error("the table is not empty; use WRITE_APPEND"));
        }
        return;
      }
      if (this.settings.createDisposition === "CREATE_NEVER" || this.settings.schema === undefined) {
        throw missingTableError(name, this.settings.createDisposition === "CREATE_NEVER" ? "createDisposition is CREATE_NEVER" : "no schema was given to create it");
      }
      try {
        await table.create({ schema: { fields: this.settings.schema!.fields } } as never);
      } catch (err) {
        if (classify(err) !== "alreadyExists") throw tableError("create", name, err);
      }
    })();
    return this.ready;
  }

  startBundle(ctx: BundleContext<never, { failed: FailedRow<Row> }>): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.bundle = ctx;
  }

  /** Where failures of a batch go: each in its row's window (a batch holds rows of any window of the bundle). */
  private bundle: BundleContext<never, { failed: FailedRow<Row> }> | undefined;

  process(tagged: TaggedRow<Row>, ctx: ProcessContext<never, { failed: FailedRow<Row> }>): void | Promise<void> {
    const json = toJsonValue(tagged.value);
    // The row's share of the request body: its JSON, its insertId and the object around them.
    const bytes = Buffer.byteLength(JSON.stringify(json) ?? "null") + tagged.key.length + 32;
    if (bytes > MAX_INSERT_REQUEST_BYTES) {
      // No request can carry it: the service would refuse the whole batch, and fail the run.
      ctx.outputTo("failed", {
        row: tagged.value,
        errors: [{ reason: "invalid", message: `the row is ${bytes} bytes as JSON, more than a streaming insert request can carry (${MAX_INSERT_REQUEST_BYTES} bytes); write it with method FILE_LOADS` }],
      });
      return undefined;
    }
    const emitFailed = (f: FailedRow<Row>, at: OutputPlacement): void => this.bundle!.outputTo("failed", f, at);
    const full = this.pending.length > 0 && this.pendingBytes + bytes > MAX_INSERT_REQUEST_BYTES;
    const before = full ? attributedToStep(() => this.flush(emitFailed)) : undefined;
    const add = (): void | Promise<void> => {
      this.pending.push({ row: tagged.value, insertId: tagged.key, json, placement: { window: ctx.window, timestamp: ctx.timestamp } });
      this.pendingBytes += bytes;
      if (this.pending.length >= this.batchSize) return attributedToStep(() => this.flush(emitFailed));
      return undefined;
    };
    return before !== undefined ? before.then(add) : add();
  }

  async finishBundle(ctx: BundleContext<never, { failed: FailedRow<Row> }>): Promise<void> {
    await this.flush((f, at) => ctx.outputTo("failed", f, at));
  }

  private async flush(emitFailed: (f: FailedRow<Row>, at: OutputPlacement) => void): Promise<void> {
    let batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (batch.length === 0) return;
    await this.ensureTable();
    const { table, name } = tableHandle(this.settings.ref);
    for (let attempt = 0; batch.length > 0; attempt++) {
      let response: InsertAllResponse;
      try {
        // Transient failures are retried by the client (../gcp/retry); insertIds make a repeat harmless.
        response = await rawRequest<InsertAllResponse>(table, {
          method: "POST",
          uri: "/insertAll",
          json: { skipInvalidRows: true, rows: batch.map((p) => ({ insertId: p.insertId, json: p.json })) },
        });
      } catch (err) {
        throw tableError("insert rows into", name, err);
      }
      const retry: Pending<Row>[] = [];
      for (const e of response.insertErrors ?? []) {
        const item = batch[e.index];
        if (item === undefined) continue;
        const errors = (e.errors ?? []).map((x) => ({ reason: x.reason ?? "invalid", message: x.message ?? "", ...(x.location ? { location: x.location } : {}) }));
        const onlyStopped = errors.length > 0 && errors.every((x) => x.reason === "stopped");
        if (onlyStopped && attempt < MAX_RESENDS) retry.push(item);
        else emitFailed({ row: item.row, errors }, item.placement);
      }
      batch = retry;
    }
  }
}
