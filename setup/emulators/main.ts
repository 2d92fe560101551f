/**
 * Starts the local Pub/Sub, BigQuery and Cloud Storage emulators on 127.0.0.1 and runs until
 * SIGINT/SIGTERM:
 *
 *     node dist/setup/emulators/main.js [--pubsub_port 8085] [--bigquery_port 9050]
 *         [--storage_port 4443] [--data_dir DIR] [--services pubsub,bigquery,storage] [--project P]
 *
 * The `export ...` lines go to stdout (so `eval "$(node dist/setup/emulators/main.js &)"`-style
 * wrappers can pick them up); the human-readable banner goes to stderr.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ALL_SERVICES, startEmulators, type EmulatedService } from "./index";

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("emulators")
    .usage("$0 [options]\n\nLocal GCP emulators (Pub/Sub gRPC, BigQuery REST, Cloud Storage JSON API) on 127.0.0.1.")
    .option("pubsub_port", { type: "number", default: 8085, describe: "Pub/Sub gRPC port (0 = any free port)" })
    .option("bigquery_port", { type: "number", default: 9050, describe: "BigQuery REST port (0 = any free port)" })
    .option("storage_port", { type: "number", default: 4443, describe: "Cloud Storage JSON API port (0 = any free port)" })
    .option("data_dir", { type: "string", describe: "Persist state here (one JSON snapshot per service); in memory when omitted" })
    .option("services", { type: "string", default: ALL_SERVICES.join(","), describe: "Comma-separated subset of pubsub,bigquery,storage" })
    .option("project", { type: "string", describe: "Also print PUBSUB_PROJECT_ID / GOOGLE_CLOUD_PROJECT for this project" })
    .check((args) => {
      for (const flag of ["pubsub_port", "bigquery_port", "storage_port"] as const) {
        const port = args[flag];
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${flag} must be an integer port between 0 and 65535, got ${String(port)}`);
      }
      for (const s of args.services.split(",")) {
        if (!ALL_SERVICES.includes(s.trim() as EmulatedService)) throw new Error(`--services: unknown service "${s}" (known: ${ALL_SERVICES.join(", ")})`);
      }
      return true;
    })
    .strict()
    .help()
    .parse();

  const services = argv.services.split(",").map((s) => s.trim() as EmulatedService);
  const emulators = await startEmulators({
    pubsubPort: argv.pubsub_port,
    bigqueryPort: argv.bigquery_port,
    storagePort: argv.storage_port,
    dataDir: argv.data_dir,
    services,
  });

  const banner = ["Beamline GCP emulators on 127.0.0.1 (Ctrl-C to stop):"];
  if (emulators.pubsubHost) banner.push(`  Pub/Sub   ${emulators.pubsubHost} (gRPC)`);
  if (emulators.bigqueryEndpoint) banner.push(`  BigQuery  ${emulators.bigqueryEndpoint}`);
  if (emulators.storageEndpoint) banner.push(`  Storage   ${emulators.storageEndpoint}`);
  banner.push(`  Data      ${argv.data_dir ? `persisted in ${argv.data_dir}` : "in memory"}`, "");
  process.stderr.write(`${banner.join("\n")}\n`);

  const env: Record<string, string> = { ...emulators.env };
  if (argv.project) {
    env.PUBSUB_PROJECT_ID = argv.project;
    env.GOOGLE_CLOUD_PROJECT = argv.project;
  }
  process.stdout.write(Object.entries(env).map(([k, v]) => `export ${k}=${v}\n`).join(""));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`${signal}: stopping emulators...\n`);
    emulators.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`error while stopping: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((e: unknown) => {
  process.stderr.write(`emulators: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
