/** Snippets of docs/guide/08-io.md. */
import {
  BigQueryEnrichmentHandler,
  Count,
  Create,
  Enrichment,
  ExponentialBackOffRepeater,
  FileIO,
  FileSystemError,
  FileSystems,
  ParDo,
  ReadAllFromText,
  ReadFromBigQuery,
  ReadFromCsv,
  ReadFromPubSub,
  ReadFromText,
  ReadFromAvro,
  ReadFromParquet,
  ReadFromParquetBatched,
  ReadFromTFRecord,
  RunInference,
  WriteToBigQuery,
  WriteToCsv,
  WriteToPubSub,
  WriteToText,
  WriteToAvro,
  WriteToParquet,
  WriteToParquetBatched,
  WriteToTFRecord,
  kv,
  parquetBatchOf,
  parquetBatchRows,
} from "beamline";
import type { KV, ModelHandler, ParquetBatch, ParquetRow, PCollection, Pipeline, PredictionResult, ReadableFile } from "beamline";

export function text(p: Pipeline, inputGlob: string, outputPrefix: string): PCollection<string> {
  // [START text]
  const lines = p.apply("ReadLogs", ReadFromText.from(inputGlob));   // a path, a glob (*, ?, **, [abc]) or a list; gs:// too; .gz, .deflate, .bz2, .zst, .xz/.lzma, .zip, .snappy and .lzo are decompressed
  const written = lines
    .filter("Errors", (line) => line.includes("ERROR"))
    .apply("WriteErrors", WriteToText.to(outputPrefix, { suffix: ".txt", numShards: 1, header: "errors" }));
  // written: the names of the files, once they are in place
  // [END text]
  return written;
}

export function csv(p: Pipeline, input: string, outputPrefix: string): { written: PCollection<string>; rejected: PCollection<string> } {
  // [START csv]
  const { rows, deadLetters } = p.apply("ReadOrders", ReadFromCsv.from(input, {
    schema: { id: "integer", product: "string", price: "number", coupon: "string?" },   // "?": an empty field is null
  }));
  // rows: PCollection<{ id: number; product: string; price: number; coupon: string | null }>
  const written = rows
    .map("WithTotal", (r) => ({ id: r.id, total: r.coupon === null ? r.price : r.price * 0.9 }))
    .apply("WriteTotals", WriteToCsv.to(outputPrefix, { columns: ["id", "total"], numShards: 1, shardNameTemplate: "", suffix: ".csv" }));
  const rejected = deadLetters.map("Describe", (d) => `${d.file}:${d.line}: ${d.reason}`);   // read it, or pass ignoreRejected: true
  // [END csv]
  return { written, rejected };
}

export function tfRecord(p: Pipeline, trainGlob: string, outputPrefix: string): PCollection<string> {
  // [START tfrecord]
  const examples = p.apply("ReadExamples", ReadFromTFRecord.from(trainGlob));   // Uint8Array records (e.g. serialized tf.train.Example); .gz, .deflate, .bz2, .zst, .xz, .zip, .snappy, .lzo decompressed
  const written = examples
    .filter("NotEmpty", (record) => record.length > 0)
    .apply("WriteExamples", WriteToTFRecord.to(outputPrefix, { suffix: ".tfrecord.gz", numShards: 2 }));
  // written: the names of the files (out-00000-of-00002.tfrecord.gz, ...), once they are in place
  // [END tfrecord]
  return written;
}

export function avro(p: Pipeline, usersGlob: string, outputPrefix: string): PCollection<string> {
  // [START avro]
  const USER = {
    type: "record", name: "User",
    fields: [{ name: "id", type: "long" }, { name: "name", type: "string" }, { name: "email", type: ["null", "string"], default: null }],
  } as const;
  const users = p.apply("ReadUsers", ReadFromAvro.from(usersGlob, { schema: USER }));   // split at sync markers; each file's schema resolved to USER
  // users: PCollection<{ id: number; name: string; email: string | null }>
  const written = users
    .filter("WithEmail", (u) => u.email !== null)
    .apply("WriteUsers", WriteToAvro.to(outputPrefix, { schema: USER, suffix: ".avro", numShards: 2 }));   // codec "deflate" by default, or "null"
  // written: the names of the files (out-00000-of-00002.avro, ...), once they are in place
  // [END avro]
  return written;
}

export function parquet(p: Pipeline, eventsGlob: string, outputPrefix: string): PCollection<string> {
  // [START parquet]
  const EVENT = {
    user: "string",
    count: "int64",
    at: "timestamp[ms]",
    tags: { list: "string" },
    note: { type: "string", nullable: true },
  } as const;
  type Event = ParquetRow<typeof EVENT>;   // { user: string; count: number; at: Date; tags: string[]; note: string | null }
  const events = p.apply("ReadEvents", ReadFromParquet.from<Event>(eventsGlob));   // split by row groups
  const names = p.apply("ReadUsers", ReadFromParquet.from<{ user: string }>(eventsGlob, { columns: ["user"] }));   // only the user column
  const written = events
    .filter("Busy", (e) => e.count > 1)
    .apply("WriteEvents", WriteToParquet.to(outputPrefix, { schema: EVENT, codec: "snappy", suffix: ".parquet", numShards: 2 }));   // codec "none" by default
  // written: the names of the files (out-00000-of-00002.parquet, ...), once they are in place
  // [END parquet]
  return written;
}

export function parquetBatches(p: Pipeline, ordersGlob: string, outputPrefix: string): PCollection<string> {
  // [START parquet_batches]
  const ORDER = {
    id: "int64",
    total: "decimal128(12, 2)",   // exact: a decimal string such as "1234.50"
    day: "date32",                // a Date at midnight UTC
    placed: "timestamp[us]",
    sku: "fixed_size_binary[8]",
  } as const;
  type Order = ParquetRow<typeof ORDER>;   // { id: number; total: string; day: Date; placed: Date; sku: Uint8Array }
  // One ParquetBatch per row group, { numRows, columns: { id: number[], total: string[], ... } }
  const batches: PCollection<ParquetBatch<Order>> = p.apply("ReadOrders", ReadFromParquetBatched.from<Order>(ordersGlob));
  const written = batches
    .map("Big", (b) => parquetBatchOf(parquetBatchRows(b).filter((o) => Number(o.total) >= 100), Object.keys(ORDER) as (keyof Order)[]))
    .apply("WriteBig", WriteToParquetBatched.to(outputPrefix, { schema: ORDER, codec: "lz4", shardNameTemplate: "" }));   // each batch one row group
  // [END parquet_batches]
  return written;
}

export function bigQuery(p: Pipeline, project: string): PCollection<string> {
  // [START bigquery]
  const scores = p.apply("ReadScores", ReadFromBigQuery.from<{ player: string; points: number }>({ table: `${project}.game.scores` }));
  // or ReadFromBigQuery.from({ query: "SELECT player, points FROM game.scores WHERE points > 0" })
  const { failedRows } = scores
    .map("KeyByPlayer", (s) => kv(s.player, s.points))
    .apply("CountPerPlayer", Count.perKey())
    .map("ToRow", (c) => ({ player: c.key, games: c.value }))
    .apply("WriteTotals", WriteToBigQuery.to(`${project}:game.totals`, {
      schema: "player:STRING, games:INTEGER",
      createDisposition: "CREATE_IF_NEEDED",
      writeDisposition: "WRITE_TRUNCATE",   // replaced atomically by one load job
    }));
  const failures = failedRows.map("Describe", (f) => `${JSON.stringify(f.row)}: ${f.errors.map((e) => e.message).join("; ")}`);
  // [END bigquery]
  return failures;
}

export function enrichment(p: Pipeline, project: string): { enriched: PCollection<string>; failed: PCollection<string> } {
  // [START enrichment]
  const orders = p.apply("Orders", Create.of({ order: "o-1", productId: 1 }, { order: "o-2", productId: 2 }, { order: "o-3", productId: 404 }));
  const products = new BigQueryEnrichmentHandler<{ order: string; productId: number }, { id: number; name: string; price: number }>({
    project,
    tableName: `${project}.shop.products`,
    rowRestrictionTemplate: "id = {}",   // one {} per value; a batch ORs one condition per order
    fields: ["productId"],
    maxBatchSize: 100,
  });
  const { main, failed } = orders.apply("AddProduct", Enrichment.of(products, {
    timeoutMillis: 10_000,
    repeater: new ExponentialBackOffRepeater({ numRetries: 3 }),   // retries quota errors, 429s and timeouts
  }));
  const enriched = main.map("Format", (o) => `${o.order}: ${o.name} at ${o.price}`);   // crossJoin: the order's fields and the product's
  const missing = failed.map("Why", (f) => `${f.element.order}: ${f.reason}`);   // no such product, or a bad query
  // [END enrichment]
  return { enriched, failed: missing };
}

export function pubSub(p: Pipeline, project: string): PCollection<number> {
  // [START pubsub]
  const read = ReadFromPubSub.from({
    subscription: `projects/${project}/subscriptions/orders-sub`,
    maxMessages: 3,               // bounded: stop after 3 messages (without bounds: a streaming read)
    timestampAttribute: "ts",     // event times from this attribute, else the publish time
  });
  const published = p
    .apply("ReadOrders", read)
    .map("Decode", (bytes) => new TextDecoder().decode(bytes).toUpperCase())
    .apply("Publish", WriteToPubSub.to(`projects/${project}/topics/shouted`));   // outputs the message ids
  const acknowledged = published.apply("Ack", read.commitAfter());   // acknowledge once the output is published
  // [END pubsub]
  return acknowledged;
}

export function fileIO(p: Pipeline, folders: readonly string[], configs: string): { lines: PCollection<KV<string, string>>; sizes: PCollection<string> } {
  // [START fileio]
  // Patterns as data: the lines of every file each one matches, with the file's path.
  const lines = p
    .apply("Folders", Create.from(folders.map((f) => `${f}/*.log`)))
    .apply("ReadAll", ReadAllFromText.withFilename());          // KV(path, line)
  // Whole files as elements: match, then read each match in a DoFn.
  const sizes = p
    .apply("MatchConfigs", FileIO.match(configs))                 // FileMetadata: path, sizeBytes
    .apply("ReadMatches", FileIO.readMatches())                   // ReadableFile
    .apply("Parse", ParDo.into<string>().of(async (file: ReadableFile, ctx) => {
      const config = JSON.parse(await file.readUtf8()) as Record<string, unknown>;
      ctx.output(`${file.metadata.path}: ${Object.keys(config).length} keys`);
    }));
  // [END fileio]
  return { lines, sizes };
}

interface Order {
  readonly customer: string;
  readonly day: string;
  readonly total: number;
}

export function writeDynamic(orders: PCollection<Order>, outputDir: string): { perCustomer: PCollection<KV<string, string>>; perDay: PCollection<KV<string, string>> } {
  // [START writedynamic]
  // One set of files per customer: out/orders/orders-<customer>-00000-of-00002.csv, ...
  const perCustomer = orders.apply("WritePerCustomer", FileIO.writeDynamic<Order>()
    .by((o) => o.customer)                                    // the destination: a string
    .via((o) => `${o.day},${o.total}`)                       // the line written for each element
    .to(`${outputDir}/orders`)
    .withPrefix("orders")
    .withSuffix(".csv")
    .withNumShards(2));                                       // KV(destination, file) for every file
  // Your own names per destination, here a gzip folder per day: out/days/2026-12-01/part-00000-of-00001.csv.gz
  const perDay = orders.apply("WritePerDay", FileIO.writeDynamic<Order>()
    .by((o) => o.day)
    .via((o) => `${o.customer},${o.total}`)
    .to(`${outputDir}/days`)
    .withNaming((day) => FileIO.defaultNaming(`${day}/part`, ".csv"))
    .withCompression("gzip"));
  // [END writedynamic]
  return { perCustomer, perDay };
}

export async function fileSystems(path: string): Promise<string[]> {
  // [START filesystems]
  const matches = await FileSystems.match(path);   // local paths and gs://, globs included
  const names = matches.map((m) => `${m.path} (${m.sizeBytes} bytes)`);
  // [END filesystems]
  return names;
}

export async function archive(files: readonly string[], archiveDir: string): Promise<string[]> {
  // [START filesystems_rename]
  const destinations = files.map((f) => FileSystems.join(archiveDir, f.slice(f.lastIndexOf("/") + 1)));
  try {
    // Every file is attempted; sources already moved (say by an earlier attempt) are skipped.
    await FileSystems.rename(files, destinations, { ignoreMissingFiles: true });
    return [];
  } catch (e) {
    if (!(e instanceof FileSystemError)) throw e;
    // One error for the lot: each failed path with its own error (e.g. EACCES).
    return (e.failures ?? []).map((f) => `${f.path}: ${f.error.code ?? f.error.message}`);
  }
  // [END filesystems_rename]
}

// [START model_handler]
/** A "model" that scores a sentence by the share of its words that are positive. */
class SentimentHandler implements ModelHandler<string, number, ReadonlySet<string>> {
  readonly modelKey = "sentiment-v1";

  async loadModel(): Promise<ReadonlySet<string>> {
    return new Set(["good", "great", "love"]);   // loaded once per worker process and shared
  }

  validate(sentence: string): string | undefined {
    return sentence.trim() === "" ? "empty sentence" : undefined;   // rejected examples go to `failed`
  }

  async runInference(batch: readonly string[], positive: ReadonlySet<string>): Promise<readonly number[]> {
    return batch.map((s) => {
      const words = s.toLowerCase().split(/\W+/).filter((w) => w !== "");
      return words.filter((w) => positive.has(w)).length / words.length;
    });
  }
}
// [END model_handler]

export function runInference(sentences: PCollection<string>): { scored: PCollection<string>; failed: PCollection<string> } {
  // [START run_inference]
  const { main, failed } = sentences.apply("Score", RunInference.of(new SentimentHandler(), { maxBatchSize: 64 }));
  const scored = main.map("Format", (r: PredictionResult<string, number>) => `${r.example} -> ${r.inference.toFixed(2)}`);
  const rejected = failed.map("Why", (f) => `${JSON.stringify(f.element)}: ${f.reason}`);
  // [END run_inference]
  return { scored, failed: rejected };
}

export function runInferenceWithFns(posts: PCollection<{ readonly text: string }>): PCollection<string> {
  // [START run_inference_fns]
  const labels = posts.apply(
    "Label",
    RunInference.of(new SentimentHandler())
      .withPreprocessFn((post: { readonly text: string }) => post.text)   // before batching
      .withPostprocessFn((r) => (r.inference >= 0.5 ? "positive" : "negative")),   // after the model
  ).main;   // PCollection<"positive" | "negative">
  // [END run_inference_fns]
  return labels;
}
