/**
 * The Flipkart catalogue cleaning as typed, reusable transforms:
 *
 *   ReadFromCsv ──rows──▶ Distribute ─▶ CleanProducts ─▶ TransferImages ─▶ WriteToCsv (one file)
 *        │                                  │                                  ▲ columns
 *        └─deadLetters──┐                   └─ rejected ─┐     MaxDepth ───────┘ (side input)
 *                       └──────────── WriteToCsv (dead letters) ◀┘
 *
 * Output columns: the input's, minus product_specifications and product_category_tree, plus
 * image_uri, attributes, c0_name … cN_name, where N + 1 is the depth of the deepest category tree
 * in the data. A distributed run cannot know that depth while it writes rows, so it is computed
 * by a global max over all products and read as a side input both by the row formatter (to pad
 * missing levels) and by the header.
 */
import { DoFn, ProcessContext } from "../../lib/model/dofn";
import { Metrics } from "../../lib/model/metrics";
import { PBegin, PCollection } from "../../lib/model/pcollection";
import { ParDo } from "../../lib/model/pardo";
import { AsSingleton } from "../../lib/model/side_inputs";
import { ValidationError } from "../../lib/model/errors";
import { PTransform, type ValidationContext } from "../../lib/model/transform";
import { FileSystems } from "../../lib/io/filesystems/registry";
import { Combine, Combiners } from "../../lib/transforms/combine";
import { Flatten } from "../../lib/model/primitives";
import { Reshuffle } from "../../lib/transforms/util";
import { ReadFromCsv, type CsvDeadLetter } from "../../lib/io/csv/read";
import { formatCsvLine, WriteToCsv } from "../../lib/io/csv/write";
import { attributesOf } from "./attributes";
import { categoryColumns, categoryLevels } from "./categories";
import { cleanDescription, loadDescriptionModel } from "./description";
import type { FetchSettings } from "./fetch";
import { TransferImages } from "./images";
import { BASE_COLUMNS, FLIPKART_SCHEMA, type CatalogueProduct, type CleanedProduct, type RawProduct } from "./schema";

export { BASE_COLUMNS, FLIPKART_SCHEMA, type CatalogueProduct, type CleanedProduct, type RawProduct } from "./schema";

/** uniq_id names image objects: letters, digits, `_`, `-` and `.` only (never a path). */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Cleans description, attributes and categories; products that cannot be cleaned go to `rejected`. */
export class CleanProducts extends DoFn<RawProduct, CleanedProduct, { rejected: CsvDeadLetter }> {
  private readonly unparseable = Metrics.counter("flipkart", "attributesUnparseable");

  constructor(private readonly input: string) {
    super();
  }

  setup(): void {
    loadDescriptionModel();
  }

  process(p: RawProduct, ctx: ProcessContext<CleanedProduct, { rejected: CsvDeadLetter }>): void {
    if (!SAFE_ID.test(p.uniq_id)) {
      ctx.outputTo("rejected", this.deadLetter(p, `uniq_id ${JSON.stringify(p.uniq_id)} cannot name an image file: use 1-128 letters, digits, '_', '-' or '.'`));
      return;
    }
    const attributes = attributesOf(p.product_specifications);
    if (attributes.error !== undefined) {
      this.unparseable.inc();
      console.warn(`Unparseable product_specifications for product ${p.uniq_id} (attributes set to {}): ${attributes.error}`);
    }
    const { product_specifications: _spec, product_category_tree: tree, ...rest } = p;
    ctx.output({ ...rest, description: cleanDescription(p.description), attributes: attributes.json, categories: categoryLevels(tree) });
  }

  private deadLetter(p: RawProduct, reason: string): CsvDeadLetter {
    return { file: this.input, line: 0, raw: formatCsvLine(Object.keys(FLIPKART_SCHEMA).map((c) => p[c as keyof RawProduct])), reason };
  }
}

/** Settings of the whole job. */
export interface FlipkartOptions {
  readonly input: string;
  /** The cleaned catalogue: exactly this file. */
  readonly output: string;
  /** Directory or gs:// prefix for the images. */
  readonly images: string;
  /** The dead-letter CSV (file, line, reason, raw): exactly this file. */
  readonly deadLetter: string;
  readonly fetch: FetchSettings;
  /** Byte ranges read in parallel (ReadFromCsv's desiredBundleSizeBytes); default 64 MiB. */
  readonly desiredBundleSizeBytes?: number;
}

/** The row written for a product: base columns, then its category levels by column name. */
function outputRow(p: CatalogueProduct): Record<string, string> {
  const row: Record<string, string> = {};
  for (const c of BASE_COLUMNS) row[c] = p[c];
  p.categories.forEach((level, i) => (row[`c${i}_name`] = level));
  return row;
}

/** The whole job; produces the path of the cleaned catalogue. */
export class FlipkartCatalogue extends PTransform<PBegin, PCollection<string>> {
  constructor(readonly options: FlipkartOptions) {
    super("flipkart");
  }

  expand(root: PBegin): PCollection<string> {
    const o = this.options;
    const read = root.apply(
      "Read",
      ReadFromCsv.from(o.input, { schema: FLIPKART_SCHEMA, ...(o.desiredBundleSizeBytes !== undefined ? { desiredBundleSizeBytes: o.desiredBundleSizeBytes } : {}) }),
    );
    // One file is often one range: spread its rows over the workers before the expensive steps.
    const cleaned = read.rows
      .apply("Distribute", Reshuffle.viaRandomKey())
      .apply("CleanProducts", ParDo.of(new CleanProducts(o.input)).withOutputs("rejected"));
    const withImages = cleaned.main.apply("TransferImages", ParDo.of(new TransferImages<CleanedProduct>(o.images, o.fetch)));
    const depth = cleaned.main
      .map("Depth", (p: CleanedProduct) => p.categories.length)
      .apply("MaxDepth", Combine.globally(Combiners.max()));
    const columns = depth.map("Columns", (d: number | undefined) => [...BASE_COLUMNS, ...categoryColumns(d ?? 0)]);
    read.deadLetters.apply("DeadLetters", Flatten.with(cleaned.rejected)).apply(
      "WriteDeadLetters",
      WriteToCsv.to(o.deadLetter, { columns: ["file", "line", "reason", "raw"], numShards: 1, shardNameTemplate: "" }),
    );
    return withImages
      .map("ToRow", outputRow)
      .apply("Write", WriteToCsv.to<Record<string, string>>(o.output, { columns: AsSingleton(columns), numShards: 1, shardNameTemplate: "" }));
  }

  /** Before the run: images can be written (the reads and writes check their own locations). */
  override async validate(ctx: ValidationContext): Promise<void> {
    const dir = this.options.images.endsWith("/") ? this.options.images : `${this.options.images}/`;
    try {
      await FileSystems.forPath(dir).checkWritable(dir);
    } catch (e) {
      throw new ValidationError(`${ctx.transformName}: cannot write images to '${this.options.images}': ${(e as Error).message}`, { cause: e });
    }
  }
}
