/**
 * The Flipkart benchmark (`npm run bench -- --only flipkart [--flipkart_rows 20000] [--latency_ms 50]`):
 * a generated catalogue with images from the local image server (its own process, 50 ms per
 * request, 5% of URLs 404, 2% fail once), run by the pipeline (DirectRunner, `--flipkart_workers`
 * default 1, images to a local directory) and by a hand-written single-process job doing the same work, alternating;
 * then the text cleaning alone in rows/s. Reports wall time, peak RSS and the ratios.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { parse } from "csv-parse/sync";
import { attributesOf } from "../../pipelines/flipkart/attributes";
import { categoryLevels } from "../../pipelines/flipkart/categories";
import { cleanDescription, loadDescriptionModel } from "../../pipelines/flipkart/description";
import { generateCatalogue } from "../../setup/flipkart/generate";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const DATA = path.join(ROOT, "bench-data", "flipkart");
const CHILD = path.join(__dirname, "flipkart_child.js");

interface Sample {
  mode: string;
  ms: number;
  maxRssMb: number;
  rows: number;
  uploaded: number;
}

async function startServer(latencyMs: number): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [CHILD, "server", String(latencyMs)], { stdio: ["pipe", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`image server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", resolve);
  });
  return { url, stop: () => child.stdin!.end() };
}

function runChild(mode: "pipeline" | "baseline", input: string, workers: number): Sample {
  const out = path.join(DATA, `out-${mode}`);
  const log = fs.openSync(path.join(DATA, `${mode}.log`), "w");
  try {
    const stdout = execFileSync(process.execPath, [CHILD, mode, input, out, String(workers)], { encoding: "utf8", stdio: ["ignore", "pipe", log] });
    return JSON.parse(stdout.trim().split("\n").pop()!) as Sample;
  } finally {
    fs.closeSync(log);
  }
}

/** Description, attributes and categories of (up to) 5,000 rows, repeating the file's rows if it has fewer. */
function textCleaningRate(input: string): { rowsPerSecond: number; rows: number } {
  loadDescriptionModel();
  const products = parse(fs.readFileSync(input), { columns: true, relax_column_count: true }) as Record<string, string>[];
  const sample = Array.from({ length: Math.min(5000, Math.max(products.length, 2000)) }, (_, i) => products[i % products.length]!);
  const start = performance.now();
  for (const p of sample) {
    cleanDescription(p["description"] ?? "");
    attributesOf(p["product_specifications"] ?? "");
    categoryLevels(p["product_category_tree"] ?? "");
  }
  return { rowsPerSecond: sample.length / ((performance.now() - start) / 1000), rows: sample.length };
}

export async function benchFlipkart(flag: (name: string, fallback: string) => string): Promise<void> {
  const rows = Number(flag("flipkart_rows", "20000"));
  const latencyMs = Number(flag("latency_ms", "50"));
  const runs = Number(flag("flipkart_runs", "2"));
  const workers = Number(flag("flipkart_workers", "1"));
  fs.mkdirSync(DATA, { recursive: true });
  const server = await startServer(latencyMs);
  try {
    const input = path.join(DATA, `catalogue-${rows}.csv`);
    const lines: string[] = [];
    await generateCatalogue({ rows, seed: 11, imageBase: server.url }, (batch) => void lines.push(...batch));
    fs.writeFileSync(input, lines.join("\n") + "\n");
    process.stdout.write(
      `flipkart benchmark: ${rows} generated products (${(fs.statSync(input).size / 1e6).toFixed(1)} MB), images from ${server.url} at ${latencyMs} ms per request, ` +
        `${runs} runs each, alternating; pipeline with --direct_num_workers ${workers}, images to a local directory\n`,
    );
    const samples: Record<string, Sample[]> = { baseline: [], pipeline: [] };
    for (let i = 0; i < runs; i++) {
      for (const mode of ["baseline", "pipeline"] as const) {
        const s = runChild(mode, input, workers);
        samples[mode]!.push(s);
        process.stdout.write(`  run ${i + 1} ${mode.padEnd(8)} ${(s.ms / 1000).toFixed(2)} s  peak RSS ${s.maxRssMb.toFixed(0)} MB  (${s.rows} rows, ${s.uploaded} images)\n`);
      }
    }
    const best = (xs: Sample[]) => Math.min(...xs.map((s) => s.ms));
    const rss = (xs: Sample[]) => Math.max(...xs.map((s) => s.maxRssMb));
    const p = samples["pipeline"]!;
    const b = samples["baseline"]!;
    if (p[0]!.rows !== b[0]!.rows) throw new Error(`outputs differ: pipeline ${p[0]!.rows} rows, baseline ${b[0]!.rows}`);
    const text = textCleaningRate(input);
    const real = textCleaningRate(path.join(ROOT, "test", "fixtures", "flipkart", "flipkart_sample.csv"));
    process.stdout.write(
      `\nbest wall time: pipeline ${(best(p) / 1000).toFixed(2)} s (target < 30 s; the original: 18-20 min), hand-written ${(best(b) / 1000).toFixed(2)} s, ` +
        `ratio ${(best(p) / best(b)).toFixed(2)}x\n` +
        `peak RSS: pipeline ${rss(p).toFixed(0)} MB (target < 500 MB), hand-written ${rss(b).toFixed(0)} MB\n` +
        `text cleaning alone (description + attributes + categories, one thread): ${text.rowsPerSecond.toFixed(0)} rows/s on generated rows, ` +
        `${real.rowsPerSecond.toFixed(0)} rows/s on the 48 real rows (longer descriptions)\n` +
        `load average during the run: ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} (2 cores)\n`,
    );
  } finally {
    server.stop();
  }
}
