/**
 * ReadFromBigQuery: the rows of a table, or of a query's result, typed by the schema
 * (see ./schema for the JS type of each BigQuery type).
 *
 * Like TextIO: Impulse → Plan (look up the table, or run the query job once) → split into row
 * ranges → Reshuffle → read each range in pages with `startIndex`/`maxResults`
 * (tabledata.list for tables, getQueryResults for the query's result), so large tables are read
 * in parallel. A missing table fails before the pipeline runs.
 */
import { DoFn, ProcessContext } from "../../model/dofn";
import { ValidationError } from "../../model/errors";
import { PBegin, PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { Impulse } from "../../model/primitives";
import { PTransform, ValidationContext } from "../../model/transform";
import { Reshuffle } from "../../transforms/util";
import { bigqueryClient } from "../gcp/clients";
import { gcpError } from "../gcp/errors";
import { getTableMetadata, missingTableError, rawRequest, tableError, tableHandle, type RowsPage } from "./api";
import { rowFromCells, type BigQueryRow, type Cell, type TableSchema } from "./schema";
import { parseTableSpec, type TableReference } from "./table_ref";

/** What to read: a table (`project.dataset.table` or `project:dataset.table`) or a GoogleSQL query. */
export type ReadFromBigQuerySource = { readonly table: string; readonly query?: undefined } | { readonly query: string; readonly table?: undefined };

/** Options of ReadFromBigQuery. */
export type ReadFromBigQueryOptions = ReadFromBigQuerySource & {
  /** Project that runs query jobs (default: --project, then the environment's). */
  readonly project?: string;
  /** Rows per parallel read range (default 50,000). */
  readonly rowsPerSplit?: number;
  /**
   * Largest number of rows per API page (default 10,000). A split's first page is smaller (at most
   * 500 rows) and the pages double from there, so the first rows flow downstream at once and the
   * next page is fetched while they are processed.
   */
  readonly pageSize?: number;
};

/** A range of rows to read. */
export interface BigQueryReadSplit {
  readonly source: { readonly kind: "table"; readonly ref: TableReference } | { readonly kind: "query"; readonly projectId: string; readonly jobId: string; readonly location?: string };
  readonly schema: TableSchema;
  readonly start: number;
  /** Rows to read; undefined = to the end. */
  readonly count?: number;
}

const DEFAULT_ROWS_PER_SPLIT = 50_000;
const DEFAULT_PAGE_SIZE = 10_000;
const FIRST_PAGE_SIZE = 500;
/** Pages of a split requested at a time (see ReadSplits.process). */
const PAGES_AHEAD = 2;
/** Rows handed on between turns of the event loop (see ReadSplits.process). */
const ROWS_PER_TURN = 256;

function splitRows(total: number, rowsPerSplit: number, make: (start: number, count: number | undefined) => BigQueryReadSplit): BigQueryReadSplit[] {
  const splits: BigQueryReadSplit[] = [];
  for (let start = 0; start < total || splits.length === 0; start += rowsPerSplit) {
    const last = start + rowsPerSplit >= total;
    splits.push(make(start, last ? undefined : rowsPerSplit));
  }
  return splits;
}

class PlanReads extends DoFn<Uint8Array, BigQueryReadSplit> {
  constructor(private readonly options: ReadFromBigQueryOptions) {
    super();
  }

  async process(_: Uint8Array, ctx: ProcessContext<BigQueryReadSplit>): Promise<void> {
    const rowsPerSplit = this.options.rowsPerSplit ?? DEFAULT_ROWS_PER_SPLIT;
    const splits = this.options.table !== undefined ? await this.planTable(this.options.table, rowsPerSplit) : await this.planQuery(this.options.query, rowsPerSplit, ctx.runtime.options.project);
    for (const s of splits) ctx.output(s);
  }

  private async planTable(spec: string, rowsPerSplit: number): Promise<BigQueryReadSplit[]> {
    const ref = parseTableSpec(spec);
    const { name } = tableHandle(ref);
    const metadata = await getTableMetadata(ref);
    if (metadata === undefined) throw missingTableError(name, "ReadFromBigQuery reads it");
    const schema = metadata.schema ?? { fields: [] };
    return splitRows(Number(metadata.numRows ?? 0), rowsPerSplit, (start, count) => ({ source: { kind: "table", ref }, schema, start, ...(count !== undefined ? { count } : {}) }));
  }

  private async planQuery(query: string, rowsPerSplit: number, optionsProject: string | undefined): Promise<BigQueryReadSplit[]> {
    const client = bigqueryClient(this.options.project ?? optionsProject);
    let jobId: string;
    let location: string | undefined;
    try {
      const [job] = await client.createQueryJob({ query, useLegacySql: false });
      jobId = job.id!;
      location = job.location;
    } catch (err) {
      throw gcpError(`run the BigQuery query '${query.slice(0, 200)}'`, `project ${client.projectId}`, err, {
        permission: "Grant the pipeline's account roles/bigquery.jobUser on the project and read access to the tables queried",
      });
    }
    let page: RowsPage;
    for (;;) {
      page = await rawRequest<RowsPage>(client, { uri: `/queries/${jobId}`, qs: { maxResults: 0, timeoutMs: 10_000, ...(location ? { location } : {}) } });
      if (page.jobComplete !== false) break;
    }
    const schema = page.schema ?? { fields: [] };
    const projectId = client.projectId;
    return splitRows(Number(page.totalRows ?? 0), rowsPerSplit, (start, count) => ({
      source: { kind: "query", projectId, jobId, ...(location ? { location } : {}) },
      schema,
      start,
      ...(count !== undefined ? { count } : {}),
    }));
  }
}

/** A page asked for: `size` rows from `start` (an offset in the split). */
interface PageRequest {
  readonly start: number;
  readonly size: number;
  readonly page: Promise<RowsPage>;
}

class ReadSplits<Row> extends DoFn<BigQueryReadSplit, Row> {
  constructor(private readonly pageSize: number) {
    super();
  }

  async process(split: BigQueryReadSplit, ctx: ProcessContext<Row>): Promise<void> {
    // One page of 10,000 MNIST rows is ~25 MB of JSON: fetched whole before any row moved on, the
    // model sat idle for over a second. Small first, then growing, pages keep both busy; and
    // PAGES_AHEAD pages are requested before the rows of the oldest are handed on, so the service
    // prepares the next while this thread takes in one (with one ahead, the two waited on each other).
    let pageSize = Math.min(this.pageSize, FIRST_PAGE_SIZE);
    /** The next row (offset in the split) not yet requested. */
    let requested = 0;
    let ended = false;
    const request = (start: number, size: number): PageRequest | undefined => {
      const wanted = split.count === undefined ? size : Math.min(size, split.count - start);
      if (wanted <= 0) return undefined;
      const page = this.fetch(split, { startIndex: String(split.start + start), maxResults: wanted, "formatOptions.useInt64Timestamp": true });
      // Awaited below unless an earlier step fails first.
      page.catch(() => undefined);
      return { start, size: wanted, page };
    };
    const ahead: PageRequest[] = [];
    const fill = () => {
      while (!ended && ahead.length < PAGES_AHEAD) {
        const next = request(requested, pageSize);
        if (next === undefined) return;
        ahead.push(next);
        requested += next.size;
        pageSize = Math.min(this.pageSize, pageSize * 2);
      }
    };
    fill();
    while (ahead.length > 0) {
      const current = ahead.shift()!;
      const page = await current.page;
      const rows = page.rows ?? [];
      if (rows.length === 0 || (rows.length < current.size && page.pageToken === undefined)) {
        // The table ends here (a split "to the end" of a table that had fewer rows than planned):
        // the pages requested past it are empty.
        ended = true;
        ahead.length = 0;
      } else if (rows.length < current.size) {
        // The service sent fewer rows than asked (it caps a page's bytes): the rest of the range first.
        const rest = request(current.start + rows.length, current.size - rows.length);
        if (rest !== undefined) ahead.unshift(rest);
      }
      fill();
      // A row's cells are let go once it is handed on: a page holds megabytes of strings, and while
      // the page array held them all, every young-generation GC during the page copied them again.
      const cells = rows as ({ readonly f: readonly Cell[] } | undefined)[];
      for (let i = 0; i < cells.length; i++) {
        const row = cells[i]!;
        cells[i] = undefined;
        ctx.output(rowFromCells(split.schema.fields, row.f) as Row);
        // Rows go on in slices, with a turn of the event loop between them: a step downstream that
        // waits for another thread (RunInference's model) hears back in time to keep it busy.
        if (i % ROWS_PER_TURN === ROWS_PER_TURN - 1) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  private async fetch(split: BigQueryReadSplit, qs: Record<string, unknown>): Promise<RowsPage> {
    const source = split.source;
    if (source.kind === "table") {
      const { table, name } = tableHandle(source.ref);
      try {
        return await rawRequest<RowsPage>(table, { uri: "/data", qs });
      } catch (err) {
        throw tableError("read rows of", name, err);
      }
    }
    const client = bigqueryClient(source.projectId);
    for (;;) {
      let page: RowsPage;
      try {
        page = await rawRequest<RowsPage>(client, { uri: `/queries/${source.jobId}`, qs: { ...qs, ...(source.location ? { location: source.location } : {}) } });
      } catch (err) {
        throw gcpError(`read the results of BigQuery query job ${source.jobId}`, `job ${source.jobId}`, err);
      }
      if (page.jobComplete !== false) return page;
    }
  }
}

/**
 * Reads a BigQuery table or query result as rows (`{column: value}`), typed by the schema.
 * `Row` lets you name the row type you expect (it is not checked).
 *
 *     p.apply(ReadFromBigQuery.from({ table: "my-project.MNIST.Images" }))
 *     p.apply(ReadFromBigQuery.from<{ ID: number }>({ query: "SELECT ID FROM `my-project.MNIST.Images`" }))
 */
export class ReadFromBigQuery<Row extends BigQueryRow = BigQueryRow> extends PTransform<PBegin, PCollection<Row>> {
  /** `p.apply(ReadFromBigQuery.from<Row>({ table: "proj.dataset.table" }))` (or `{ query }`): the rows, typed `Row`. */
  static from<Row extends BigQueryRow = BigQueryRow>(options: ReadFromBigQueryOptions): ReadFromBigQuery<Row> {
    return new ReadFromBigQuery<Row>(options);
  }

  private constructor(
    /** The table or query read, and read settings. */
    readonly options: ReadFromBigQueryOptions,
  ) {
    super("ReadFromBigQuery");
    const { table, query } = options as { table?: string; query?: string };
    if ((table === undefined) === (query === undefined)) throw new ValidationError("ReadFromBigQuery needs exactly one of {table} or {query}");
    if (table !== undefined) parseTableSpec(table);
  }

  expand(input: PBegin): PCollection<Row> {
    return input
      .apply("Impulse", Impulse.create())
      .apply("PlanReads", ParDo.of(new PlanReads(this.options)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRows", ParDo.of(new ReadSplits<Row>(this.options.pageSize ?? DEFAULT_PAGE_SIZE)));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    if (this.options.table === undefined) return;
    const ref = parseTableSpec(this.options.table);
    try {
      if ((await getTableMetadata(ref)) === undefined) throw missingTableError(tableHandle(ref).name, "ReadFromBigQuery reads it");
    } catch (e) {
      throw new ValidationError(`${ctx.transformName}: ${(e as Error).message}`, { cause: e });
    }
  }
}
