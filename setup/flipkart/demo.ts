/**
 * `npm run demo:flipkart [-- --rows 500 --latency_ms 20]`: the Flipkart pipeline offline, on a
 * fresh clone. Starts the Cloud Storage emulator and the local image server (both on 127.0.0.1, in
 * this process), uploads the 48 real rows (image URLs pointed at the local server) plus generated
 * rows and three malformed ones, runs the pipeline on the DirectRunner into the emulator, prints
 * the metrics and a sample of the output, and stops everything.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import yargs from "yargs";
import "../../runners/direct";
import { startEmulators } from "../emulators";
import { resetGcpClients, storageClient } from "../../lib/io/gcp/clients";
import { flipkart } from "../../pipelines/flipkart";
import { generateCatalogue } from "./generate";
import { startImageServer } from "./image_server";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const SAMPLE = path.join(ROOT, "test", "fixtures", "flipkart", "flipkart_sample.csv");
const BUCKET = "flipkart-demo";

async function main(): Promise<void> {
  const argv = yargs(process.argv.slice(2))
    .option("rows", { type: "number", default: 500, describe: "Generated rows added to the 48 real ones" })
    .option("latency_ms", { type: "number", default: 20, describe: "Image server latency per request" })
    .strict()
    .parseSync();
  // Offline: no credentials, no metadata server, every client pointed at the local emulator.
  process.env["METADATA_SERVER_DETECTION"] = "none";
  delete process.env["GOOGLE_APPLICATION_CREDENTIALS"];
  process.env["CLOUDSDK_CONFIG"] = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-demo-gcloud-"));
  process.env["GOOGLE_CLOUD_PROJECT"] = "beamline-demo";

  const emulators = await startEmulators({ services: ["storage"], storagePort: 0 });
  const images = await startImageServer({ latencyMs: argv.latency_ms, rates: { notFound: 0.05, serverErrorOnce: 0.03, slow: 0.01 }, slowMs: 500 });
  try {
    process.env["STORAGE_EMULATOR_HOST"] = emulators.storageEndpoint!;
    await resetGcpClients();
    const storage = storageClient();
    await storage.createBucket(BUCKET);

    const real = fs.readFileSync(SAMPLE, "utf8").replace(/http:\/\/(img\da\.flixcart\.com)\//g, `${images.url}/$1/`).trimEnd().split("\n");
    const lines: string[] = [...real];
    await generateCatalogue({ rows: argv.rows, seed: 7, imageBase: images.url, badRows: 3 }, (batch) => {
      lines.push(...(lines.length === real.length ? batch.slice(1) : batch)); // the generator's header once is enough
    });
    const input = `gs://${BUCKET}/flipkart_raw_dataset/flipkart_com-ecommerce_sample.csv`;
    await storage.bucket(BUCKET).file("flipkart_raw_dataset/flipkart_com-ecommerce_sample.csv").save(lines.join("\n") + "\n");
    process.stdout.write(`Input: ${input} (48 real rows, ${argv.rows} generated, 3 of them malformed)\nImages served by ${images.url} (latency ${argv.latency_ms} ms, 5% not found, 3% fail once, 1% slow)\n\n`);

    const output = `gs://${BUCKET}/flipkart_preprocessed_dataset/flipkart.csv`;
    const started = Date.now();
    const result = await flipkart.run({
      input,
      output,
      images: `gs://${BUCKET}/flipkart_images`,
      dead_letter: undefined,
      image_timeout_ms: 10_000,
      image_attempts: 3,
      image_max_bytes: 10 * 1024 * 1024,
      image_concurrency: 64,
      image_memory_mb: 256,
    });
    const state = await result.waitUntilFinish();
    process.stdout.write(`\nflipkart: ${state} in ${((Date.now() - started) / 1000).toFixed(1)} s\nCounters:\n`);
    for (const c of result.metrics.counters()) process.stdout.write(`  ${c.step}: ${c.namespace}/${c.name} = ${c.value}\n`);

    const [csv] = await storage.bucket(BUCKET).file("flipkart_preprocessed_dataset/flipkart.csv").download();
    const [dead] = await storage.bucket(BUCKET).file("flipkart_preprocessed_dataset/flipkart.dead_letter.csv").download();
    const [imageObjects] = await storage.bucket(BUCKET).getFiles({ prefix: "flipkart_images/" });
    const text = csv.toString("utf8");
    process.stdout.write(
      `\nOutput: ${output} (${csv.length} bytes)\n  header: ${text.slice(0, text.indexOf("\n"))}\n` +
        `Images: ${imageObjects.length} objects under gs://${BUCKET}/flipkart_images/\n` +
        `Dead letters (gs://${BUCKET}/flipkart_preprocessed_dataset/flipkart.dead_letter.csv):\n${dead.toString("utf8").trimEnd().split("\n").map((l) => `  ${l.slice(0, 160)}`).join("\n")}\n`,
    );
  } finally {
    await images.stop();
    await resetGcpClients();
    await emulators.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo:flipkart FAILED: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
