/**
 * One process of the Flipkart benchmark:
 *
 *   node dist/test/bench/flipkart_child.js server LATENCY_MS          image server; prints its URL, runs until stdin closes
 *   node dist/test/bench/flipkart_child.js pipeline INPUT OUT WORKERS  the pipeline (DirectRunner); prints one JSON line
 *   node dist/test/bench/flipkart_child.js baseline INPUT OUT          a hand-written single-process job doing the same work
 *
 * The JSON line: {"mode", "ms", "maxRssMb", "rows", "uploaded"}.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import "../../runners/direct";
import { flipkart } from "../../pipelines/flipkart";
import { attributesOf } from "../../pipelines/flipkart/attributes";
import { categoryColumns, categoryLevels, imageUrls } from "../../pipelines/flipkart/categories";
import { cleanDescription } from "../../pipelines/flipkart/description";
import { DEFAULT_FETCH_SETTINGS, ImageFetcher } from "../../pipelines/flipkart/fetch";
import { BASE_COLUMNS, type RawProduct } from "../../pipelines/flipkart/schema";
import { startImageServer } from "../../setup/flipkart/image_server";

const CONCURRENCY = 64;

async function serve(latencyMs: number): Promise<void> {
  const server = await startImageServer({ latencyMs, rates: { notFound: 0.05, serverErrorOnce: 0.02 } });
  process.stdout.write(`${server.url}\n`);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once("end", () => resolve()));
  await server.stop();
  process.exit(0);
}

async function pipeline(input: string, out: string, workers: number): Promise<{ rows: number; uploaded: number }> {
  const result = await flipkart.run(
    {
      input,
      output: path.join(out, "flipkart.csv"),
      images: path.join(out, "images"),
      dead_letter: undefined,
      image_timeout_ms: DEFAULT_FETCH_SETTINGS.timeoutMs,
      image_attempts: DEFAULT_FETCH_SETTINGS.maxAttempts,
      image_max_bytes: DEFAULT_FETCH_SETTINGS.maxBytes,
      image_concurrency: CONCURRENCY,
      image_memory_mb: 256,
    },
    { directNumWorkers: workers },
  );
  await result.waitUntilFinish();
  const rows = (parse(fs.readFileSync(path.join(out, "flipkart.csv")), { columns: true }) as unknown[]).length;
  return { rows, uploaded: result.metrics.counterTotal("flipkart", "imagesUploaded") };
}

/** The same work without Beamline: parse all, clean, fetch with the same concurrency, write. */
async function baseline(input: string, out: string): Promise<{ rows: number; uploaded: number }> {
  const products = parse(fs.readFileSync(input), { columns: true, relax_column_count: true }) as RawProduct[];
  fs.mkdirSync(path.join(out, "images"), { recursive: true });
  const fetcher = new ImageFetcher({ ...DEFAULT_FETCH_SETTINGS, maxConcurrent: CONCURRENCY });
  const rows: Record<string, string>[] = new Array(products.length);
  let depth = 1;
  let next = 0;
  let uploaded = 0;
  const warn = console.warn;
  console.warn = () => undefined;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < products.length) {
        const i = next++;
        const p = products[i]!;
        if (Object.keys(p).length !== 15) continue;
        const levels = categoryLevels(p.product_category_tree);
        depth = Math.max(depth, levels.length);
        const row: Record<string, string> = { ...p, description: cleanDescription(p.description), attributes: attributesOf(p.product_specifications).json, image_uri: "" };
        levels.forEach((l, k) => (row[`c${k}_name`] = l));
        const urls = imageUrls(p.image);
        for (let k = 0; k < urls.length; k++) {
          const r = await fetcher.fetch(urls[k]!);
          if (!r.ok) continue;
          const file = path.join(out, "images", `${p.uniq_id}_${k}.jpg`);
          await fs.promises.writeFile(file, r.body);
          r.release();
          row.image_uri = file;
          uploaded++;
          break;
        }
        rows[i] = row;
      }
    }),
  );
  console.warn = warn;
  await fetcher.close();
  const columns = [...BASE_COLUMNS, ...categoryColumns(depth)];
  const kept = rows.filter((r) => r !== undefined);
  fs.writeFileSync(path.join(out, "flipkart.csv"), stringify(kept, { header: true, columns }));
  return { rows: kept.length, uploaded };
}

async function main(): Promise<void> {
  const [mode, a, b, c] = process.argv.slice(2);
  if (mode === "server") return serve(Number(a));
  if (!a || !b) throw new Error("usage: flipkart_child pipeline|baseline INPUT OUT [WORKERS]");
  fs.rmSync(b, { recursive: true, force: true });
  fs.mkdirSync(b, { recursive: true });
  const start = performance.now();
  const r = mode === "pipeline" ? await pipeline(a, b, Number(c ?? "2")) : await baseline(a, b);
  const ms = performance.now() - start;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ mode, ms, maxRssMb, ...r })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e instanceof Error ? e.stack : e)}\n`);
  process.exitCode = 1;
});
