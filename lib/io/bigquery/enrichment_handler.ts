/**
 * BigQueryEnrichmentHandler: Enrichment's handler for BigQuery (Beam Python's
 * `apache_beam.transforms.enrichment_handlers.bigquery.BigQueryEnrichmentHandler`). Each request
 * (or batch of them) becomes a GoogleSQL query, `SELECT <columnNames or *> FROM <tableName> WHERE
 * <rowRestrictionTemplate>`, its `{}` placeholders filled with the request's `fields` (or the
 * values `conditionValueFn` gives), or the query `queryFn` writes. A batch ORs one condition per
 * request. The rows come typed by the result's schema, as ReadFromBigQuery's.
 *
 * The query runs through `@google-cloud/bigquery` (jobs.query, then getQueryResults pages), the
 * client being loaded in `setup`, not when this module is: BIGQUERY_EMULATOR_HOST is honoured.
 */
import { ValidationError } from "../../model/errors";
import type { EnrichmentBatching, EnrichmentPair, EnrichmentSourceHandler } from "../../ml/enrichment_handler";
import { UserCodeExecutionError, UserCodeQuotaError } from "../../ml/request_response";
import { bigqueryClient } from "../gcp/clients";
import { errorCode, messageOf } from "../gcp/errors";
import { rawRequest, type RowsPage } from "./api";
import { rowFromCells, type BigQueryRow } from "./schema";

/** How the handler's queries are made: one of a table with a condition template, or a query function. */
export type BigQueryEnrichmentQuery<Req> =
  | {
      /** The table, `project.dataset.table`. */
      readonly tableName: string;
      /** The WHERE clause, with a `{}` per value (quote string values: `name = '{}'`). */
      readonly rowRestrictionTemplate: string;
      /** The request's fields whose values fill the template's placeholders, in order. */
      readonly fields: readonly (keyof Req & string)[];
      /** Not with `fields`. */
      readonly conditionValueFn?: undefined;
      /** Not with a table. */
      readonly queryFn?: undefined;
    }
  | {
      /** The table, `project.dataset.table`. */
      readonly tableName: string;
      /** The WHERE clause, with a `{}` per value (quote string values: `name = '{}'`). */
      readonly rowRestrictionTemplate: string;
      /** The values that fill the template's placeholders for a request, in order. */
      readonly conditionValueFn: (request: Req) => readonly unknown[];
      /** Not with `conditionValueFn`. */
      readonly fields?: undefined;
      /** Not with a table. */
      readonly queryFn?: undefined;
    }
  | {
      /** The whole query for a request (its first row is the response). Requests are then not batched. */
      readonly queryFn: (request: Req) => string;
      /** Not with `queryFn`. */
      readonly tableName?: undefined;
      /** Not with `queryFn`. */
      readonly rowRestrictionTemplate?: undefined;
      /** Not with `queryFn`. */
      readonly fields?: undefined;
      /** Not with `queryFn`. */
      readonly conditionValueFn?: undefined;
      /** Not with `queryFn` (its requests are not batched). */
      readonly minBatchSize?: undefined;
      /** Not with `queryFn` (its requests are not batched). */
      readonly maxBatchSize?: undefined;
    };

/** Options of BigQueryEnrichmentHandler (Beam Python's arguments). */
export type BigQueryEnrichmentHandlerOptions<Req> = BigQueryEnrichmentQuery<Req> & {
  /** The project that runs the queries (Beam's project). */
  readonly project: string;
  /** The columns to fetch (default all: `*`). */
  readonly columnNames?: readonly string[];
  /** The fewest requests per query while more are coming (default 1; a bundle's last query may hold fewer). */
  readonly minBatchSize?: number;
  /** The most requests per query (default 10,000). */
  readonly maxBatchSize?: number;
};

/** Beam's `_validate_bigquery_metadata`: one way of making queries, whole. */
function validate(options: Record<string, unknown>): void {
  const { tableName, rowRestrictionTemplate, fields, conditionValueFn, queryFn } = options;
  const hasFields = Array.isArray(fields) && fields.length > 0;
  if (queryFn !== undefined) {
    if (typeof queryFn !== "function") throw new ValidationError(`BigQueryEnrichmentHandler: queryFn must be a function of the request returning a query`);
    if (tableName || rowRestrictionTemplate || hasFields || conditionValueFn !== undefined) {
      throw new ValidationError("BigQueryEnrichmentHandler: give either queryFn or tableName with rowRestrictionTemplate and fields or conditionValueFn, not both");
    }
    return;
  }
  if (typeof tableName !== "string" || tableName === "" || typeof rowRestrictionTemplate !== "string" || rowRestrictionTemplate === "") {
    throw new ValidationError("BigQueryEnrichmentHandler: give either queryFn or tableName and rowRestrictionTemplate together");
  }
  if (hasFields === (conditionValueFn !== undefined)) throw new ValidationError("BigQueryEnrichmentHandler: give exactly one of fields or conditionValueFn");
  if (conditionValueFn !== undefined && typeof conditionValueFn !== "function") throw new ValidationError("BigQueryEnrichmentHandler: conditionValueFn must be a function of the request returning the template's values");
}

/** Fills each `{}` of `template` with the next value, as Python's `str.format` does in Beam. */
function fillTemplate(template: string, values: readonly unknown[]): string {
  let i = 0;
  const filled = template.replace(/\{\}/g, () => {
    if (i >= values.length) throw new Error(`the condition '${template}' has more {} placeholders than the ${values.length} value(s) given for it`);
    return String(values[i++]);
  });
  return filled;
}

/**
 * The column each `{}` of a condition template compares with (`id = {}`, `` `name` = '{}' ``), where
 * the template says; undefined for a placeholder in another kind of expression.
 */
function placeholderColumns(template: string): (string | undefined)[] {
  const columns: (string | undefined)[] = [];
  for (const m of template.matchAll(/\{\}/g)) {
    columns.push(/`?([A-Za-z_][A-Za-z0-9_]*)`?\s*==?\s*['"]?$/.exec(template.slice(0, m.index))?.[1]);
  }
  return columns;
}

/**
 * Whether a row answers a request with these condition values: each value equals the row's value
 * of the column its placeholder compares with (else of the field it came from), or, where neither
 * is a column of the row, one of the row's values. (Beam pairs a row with any request one of whose
 * values the row holds anywhere, which pairs id 2 with a row whose quantity is 2.)
 */
function rowMatches(row: BigQueryRow, values: readonly unknown[], columns: readonly (string | undefined)[], fields: readonly string[] | undefined): boolean {
  let cells: string[] | undefined;
  return values.every((v, i) => {
    const column = [columns[i], fields?.[i]].find((c) => c !== undefined && c in row);
    if (column !== undefined) return String(row[column]) === String(v);
    cells ??= Object.values(row).map((c) => String(c));
    return cells.includes(String(v));
  });
}

/**
 * Looks requests up in BigQuery (see the module comment). `Req` is the input element type,
 * `Resp` the row type you expect (not checked).
 *
 *     new BigQueryEnrichmentHandler<Order, Product>({ project, tableName: "p.shop.products", rowRestrictionTemplate: "id = {}", fields: ["id"] })
 */
export class BigQueryEnrichmentHandler<Req extends object = BigQueryRow, Resp extends object = BigQueryRow> implements EnrichmentSourceHandler<Req, Resp> {
  /** Names the handler (and scopes Enrichment's cache): its query template, or "query_fn" (whose cache keys are whole queries). */
  readonly name: string;
  private readonly queryTemplate: string | undefined;
  private readonly batching: EnrichmentBatching | undefined;

  constructor(
    /** The options given. */
    readonly options: BigQueryEnrichmentHandlerOptions<Req>,
  ) {
    validate(options as unknown as Record<string, unknown>);
    if (typeof options.project !== "string" || options.project === "") throw new ValidationError("BigQueryEnrichmentHandler needs the project that runs its queries");
    const select = options.columnNames !== undefined && options.columnNames.length > 0 ? options.columnNames.join(",") : "*";
    if (options.queryFn === undefined) {
      this.queryTemplate = `SELECT ${select} FROM \`${options.tableName.replace(/^`|`$/g, "")}\` WHERE `;
      this.batching = { minBatchSize: options.minBatchSize ?? 1, maxBatchSize: options.maxBatchSize ?? 10_000 };
      // The whole query, not only the table: the name scopes Enrichment's cache, whose keys are the
      // condition values, and two lookups of one table by different columns must not share them.
      this.name = `BigQueryEnrichmentHandler(${this.queryTemplate}${options.rowRestrictionTemplate})`;
    } else {
      this.name = "BigQueryEnrichmentHandler(query_fn)";
    }
  }

  /** Loads the client (lazily required, per process and project). */
  setup(): void {
    bigqueryClient(this.options.project);
  }

  /** The template's values for a request. */
  private conditionValues(request: Req): readonly unknown[] {
    const { fields, conditionValueFn } = this.options;
    if (conditionValueFn !== undefined) return conditionValueFn(request);
    return fields!.map((f) => {
      if (!(f in request)) throw new Error(`the request has no field '${f}' (one of the handler's fields); make sure fields name properties of the input elements`);
      return (request as Record<string, unknown>)[f];
    });
  }

  /** The first row of the request's query (Beam's unbatched `__call__`). */
  async call(request: Req): Promise<Resp> {
    const query = this.options.queryFn !== undefined ? this.options.queryFn(request) : this.queryTemplate! + fillTemplate(this.options.rowRestrictionTemplate!, this.conditionValues(request));
    const rows = await this.execute(query);
    if (rows.length === 0) throw new UserCodeExecutionError(`no row matched the query: ${query}`);
    return rows[0] as Resp;
  }

  /** One query for the batch, its conditions ORed; each request paired with the first row that has its values. */
  async callBatch(requests: readonly Req[]): Promise<readonly EnrichmentPair<Req, Resp>[]> {
    if (this.options.queryFn !== undefined) return Promise.all(requests.map(async (r) => [r, await this.call(r)] as const));
    const template = this.options.rowRestrictionTemplate!;
    const values = requests.map((r) => this.conditionValues(r));
    const where = requests.length === 1 ? fillTemplate(template, values[0]!) : values.map((v) => `(${fillTemplate(template, v)})`).join(" OR ");
    const rows = await this.execute(this.queryTemplate + where);
    const fields = this.options.fields as readonly string[] | undefined;
    const columns = placeholderColumns(template);
    const pairs: EnrichmentPair<Req, Resp>[] = [];
    requests.forEach((request, i) => {
      const row = rows.find((r) => rowMatches(r, values[i]!, columns, fields));
      if (row !== undefined) pairs.push([request, row as Resp]);
    });
    return pairs;
  }

  /** The cache key: the condition values joined by ";" (Beam's), or the request as JSON with a queryFn. */
  getCacheKey(request: Req): string {
    if (this.options.queryFn !== undefined) return this.options.queryFn(request);
    return this.conditionValues(request).map(String).join(";");
  }

  /** The batch sizes (Beam's batch_elements_kwargs): none with a queryFn. */
  batchElementsKwargs(): EnrichmentBatching | undefined {
    return this.batching;
  }

  /** Runs a query and reads all of its rows, typed by its schema. */
  private async execute(query: string): Promise<BigQueryRow[]> {
    const client = bigqueryClient(this.options.project);
    try {
      let page = await rawRequest<RowsPage & { jobReference?: { jobId: string; location?: string } }>(client, {
        uri: "/queries",
        method: "POST",
        json: { query, useLegacySql: false, timeoutMs: 10_000, formatOptions: { useInt64Timestamp: true } },
      });
      const job = page.jobReference;
      const rows: BigQueryRow[] = [];
      for (;;) {
        if (page.jobComplete !== false) {
          for (const r of page.rows ?? []) rows.push(rowFromCells(page.schema?.fields ?? [], r.f));
          if (page.pageToken === undefined) return rows;
        }
        if (job === undefined) return rows;
        const qs: Record<string, unknown> = { timeoutMs: 10_000, "formatOptions.useInt64Timestamp": true, ...(job.location ? { location: job.location } : {}) };
        if (page.jobComplete !== false) qs["pageToken"] = page.pageToken;
        const schema = page.schema;
        page = await rawRequest<RowsPage>(client, { uri: `/queries/${job.jobId}`, qs });
        if (page.schema === undefined && schema !== undefined) page = { ...page, schema };
      }
    } catch (e) {
      if (e instanceof UserCodeExecutionError) throw e;
      // Beam raises BadRequest with this advice; a quota or rate limit (429, or the API's quotaExceeded) is worth a retry.
      const message = `Could not execute the query: ${query}. Please check that the query is properly formatted and that the BigQuery table exists: ${messageOf(e)}`;
      if (errorCode(e) === 429 || /quotaExceeded|rateLimitExceeded/.test(messageOf(e))) throw new UserCodeQuotaError(message, { cause: e });
      throw new UserCodeExecutionError(message, { cause: e });
    }
  }
}
