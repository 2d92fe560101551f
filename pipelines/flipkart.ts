/**
 * flipkart: cleans the Flipkart product catalogue (the Kaggle "flipkart-products" CSV).
 *
 *     node dist/pipelines/flipkart.js --input gs://BUCKET/raw/flipkart_com-ecommerce_sample.csv \
 *         --output gs://BUCKET/flipkart_preprocessed_dataset/flipkart.csv --images gs://BUCKET/flipkart_images
 *
 * Steps (pipelines/flipkart/catalogue.ts): read the CSV (rows that do not parse → dead letters),
 * clean descriptions (lemmas), parse specifications into attributes, split category trees into
 * c0_name..cN_name, download each product's first working image to `<images>/<uniq_id>_<index>.jpg`,
 * and write one CSV with a header. Every input row ends up in the output or in the dead-letter
 * file, which holds file, line, reason and the raw record.
 */
import { definePipeline } from "../lib";
import { DEFAULT_FETCH_SETTINGS } from "./flipkart/fetch";
import { FlipkartCatalogue } from "./flipkart/catalogue";

/** The dead-letter file beside the output: `x.csv` → `x.dead_letter.csv`. */
export function defaultDeadLetterPath(output: string): string {
  return /\.csv$/i.test(output) ? output.replace(/\.csv$/i, ".dead_letter.csv") : `${output}.dead_letter.csv`;
}

export const flipkart = definePipeline({
  name: "flipkart",
  description:
    "Cleans the Flipkart product catalogue: descriptions, attributes, categories and images. Writes one CSV (--output) and a " +
    "dead-letter CSV of the rows that could not be read, with the reason (--dead_letter, default beside the output: x.csv -> x.dead_letter.csv).",
  flags: {
    input: { type: "string", describe: "Input CSV file or glob (local or gs://)", required: true },
    output: { type: "string", describe: "The cleaned catalogue: exactly this CSV file (local or gs://)", required: true },
    images: { type: "string", describe: "Directory or gs:// prefix for the images (<images>/<uniq_id>_<index>.jpg)", required: true },
    dead_letter: { type: "string", describe: "CSV of rejected rows (file,line,reason,raw); default: beside --output, x.csv -> x.dead_letter.csv" },
    image_timeout_ms: { type: "number", describe: "Deadline of one image download attempt (connect, headers and body)", default: DEFAULT_FETCH_SETTINGS.timeoutMs },
    image_attempts: { type: "number", describe: "Attempts per image URL (timeouts, connection errors, 429 and 5xx are retried with backoff)", default: DEFAULT_FETCH_SETTINGS.maxAttempts },
    image_max_bytes: { type: "number", describe: "Largest image downloaded (bytes)", default: DEFAULT_FETCH_SETTINGS.maxBytes },
    image_concurrency: { type: "number", describe: "Image downloads in flight per worker process", default: DEFAULT_FETCH_SETTINGS.maxConcurrent },
    image_memory_mb: { type: "number", describe: "Image bytes held in memory per worker process (MB)", default: DEFAULT_FETCH_SETTINGS.maxBufferedBytes / (1024 * 1024) },
  },
  build(root, flags) {
    const positive = (name: string, v: number): number => {
      if (!(Number.isFinite(v) && v >= 1)) throw new RangeError(`--${name} must be a positive number, got ${v}`);
      return v;
    };
    root.apply(
      new FlipkartCatalogue({
        input: flags.input,
        output: flags.output,
        images: flags.images,
        deadLetter: flags.dead_letter ?? defaultDeadLetterPath(flags.output),
        fetch: {
          ...DEFAULT_FETCH_SETTINGS,
          timeoutMs: positive("image_timeout_ms", flags.image_timeout_ms),
          maxAttempts: Math.floor(positive("image_attempts", flags.image_attempts)),
          maxBytes: Math.floor(positive("image_max_bytes", flags.image_max_bytes)),
          maxConcurrent: Math.floor(positive("image_concurrency", flags.image_concurrency)),
          maxBufferedBytes: Math.max(Math.floor(positive("image_memory_mb", flags.image_memory_mb) * 1024 * 1024), Math.floor(flags.image_max_bytes)),
        },
      }),
    );
  },
});

if (require.main === module) void flipkart.main();
