/**
 * Command line for the Flipkart test tools:
 *
 *     node dist/setup/flipkart/main.js generate --rows 20000 --output data/catalogue.csv --image_base http://127.0.0.1:8000 [--seed 1] [--bad_rows 10]
 *     node dist/setup/flipkart/main.js serve-images [--port 8000] [--latency_ms 50] [--not_found_rate 0.05] [--server_error_rate 0.02] \
 *         [--slow_rate 0] [--slow_ms 3000] [--hang_rate 0] [--huge_rate 0] [--image_bytes 20000]
 *
 * The image server listens on 127.0.0.1 only, until Ctrl-C.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import yargs from "yargs";
import { generateCatalogue } from "./generate";
import { startImageServer } from "./image_server";

async function generate(argv: { rows: number; output: string; image_base: string; seed: number; bad_rows: number }): Promise<void> {
  fs.mkdirSync(path.dirname(path.resolve(argv.output)), { recursive: true });
  const out = fs.createWriteStream(argv.output);
  const result = await generateCatalogue({ rows: argv.rows, seed: argv.seed, imageBase: argv.image_base, badRows: argv.bad_rows }, async (lines) => {
    if (!out.write(lines.join("\n") + "\n")) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  });
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  process.stdout.write(`Wrote ${argv.rows} products (${result.badLines.length} malformed) to ${argv.output}\n`);
}

async function serve(argv: Record<string, number>): Promise<void> {
  const server = await startImageServer({
    port: argv["port"],
    latencyMs: argv["latency_ms"],
    imageBytes: argv["image_bytes"],
    slowMs: argv["slow_ms"],
    rates: { notFound: argv["not_found_rate"], serverErrorOnce: argv["server_error_rate"], slow: argv["slow_rate"], hang: argv["hang_rate"], huge: argv["huge_rate"] },
  });
  process.stdout.write(`Image server on ${server.url} (127.0.0.1 only); Ctrl-C to stop.\n`);
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  await server.stop();
}

async function main(): Promise<void> {
  await yargs(process.argv.slice(2))
    .scriptName("flipkart-tools")
    .command(
      "generate",
      "Write a synthetic catalogue CSV",
      (y) =>
        y
          .option("rows", { type: "number", demandOption: true, describe: "Products to generate" })
          .option("output", { type: "string", demandOption: true, describe: "CSV file to write" })
          .option("image_base", { type: "string", demandOption: true, describe: "Base URL of the image server" })
          .option("seed", { type: "number", default: 1 })
          .option("bad_rows", { type: "number", default: 0, describe: "Malformed rows to include" }),
      (argv) => generate(argv),
    )
    .command(
      "serve-images",
      "Serve JPEGs on 127.0.0.1 with latency and failures",
      (y) =>
        y
          .option("port", { type: "number", default: 8000 })
          .option("latency_ms", { type: "number", default: 50 })
          .option("image_bytes", { type: "number", default: 20_000 })
          .option("not_found_rate", { type: "number", default: 0.05 })
          .option("server_error_rate", { type: "number", default: 0.02 })
          .option("slow_rate", { type: "number", default: 0 })
          .option("slow_ms", { type: "number", default: 3_000 })
          .option("hang_rate", { type: "number", default: 0 })
          .option("huge_rate", { type: "number", default: 0 }),
      (argv) => serve(argv as unknown as Record<string, number>),
    )
    .demandCommand(1)
    .strict()
    .help()
    .parseAsync();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
