/**
 * Starts the local Pub/Sub, BigQuery and Cloud Storage emulators on 127.0.0.1 and runs until
 * SIGINT/SIGTERM:
 *
 *     node dist/setup/emulators/main.js [--pubsub_port 8085] [--bigquery_port 9050]
 *         [--storage_port 4443] [--data_dir DIR] [--services pubsub,bigquery,storage] [--project P]
 *         [--admin_port N] [--fault SERVICE:METHOD:COUNT[:WHAT]]... [--max_object_mb N]
 *         [--max_upload_mb N] [--query_timeout_s N]
 *
 * The `export ...` lines go to stdout (so `eval "$(node dist/setup/emulators/main.js &)"`-style
 * wrappers can pick them up); the human-readable banner goes to stderr.
 */
import { status as grpcStatus } from "@grpc/grpc-js";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { parseFaultSpec } from "./common/faults";
import { ALL_SERVICES, startEmulators, type EmulatedService } from "./index";

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("emulators")
    .usage("$0 [options]\n\nLocal GCP emulators (Pub/Sub gRPC, BigQuery REST, Cloud Storage JSON API) on 127.0.0.1.")
    .option("pubsub_port", { type: "number", default: 8085, describe: "Pub/Sub gRPC port (0 = any free port)" })
    .option("bigquery_port", { type: "number", default: 9050, describe: "BigQuery REST port (0 = any free port)" })
    .option("storage_port", { type: "number", default: 4443, describe: "Cloud Storage JSON API port (0 = any free port)" })
    .option("data_dir", { type: "string", describe: "Persist state here (a directory per service; object bytes as files); in memory when omitted" })
    .option("services", { type: "string", default: ALL_SERVICES.join(","), describe: "Comma-separated subset of pubsub,bigquery,storage" })
    .option("project", { type: "string", describe: "Also print PUBSUB_PROJECT_ID / GOOGLE_CLOUD_PROJECT for this project" })
    .option("admin_port", { type: "number", describe: "Serve the admin endpoint (fault injection, restarts) on this port (0 = any free port)" })
    .option("fault", { type: "string", array: true, default: [] as string[], describe: "Fail the first requests of a method: SERVICE:METHOD:COUNT[:STATUS|CODE|delay=MS|hold|reset], e.g. storage:storage.objects.insert:2:503 (repeatable)" })
    .option("max_object_mb", { type: "number", default: 1024, describe: "Cloud Storage: largest object an upload may create, in MiB" })
    .option("max_upload_mb", { type: "number", default: 1024, describe: "BigQuery: largest load-job upload, in MiB" })
    .option("query_timeout_s", { type: "number", default: 300, describe: "BigQuery: cancel queries running longer than this" })
    .check((args) => {
      for (const flag of ["pubsub_port", "bigquery_port", "storage_port"] as const) {
        const port = args[flag];
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${flag} must be an integer port between 0 and 65535, got ${String(port)}`);
      }
      if (args.admin_port !== undefined && (!Number.isInteger(args.admin_port) || args.admin_port < 0 || args.admin_port > 65535)) {
        throw new Error(`--admin_port must be an integer port between 0 and 65535, got ${String(args.admin_port)}`);
      }
      for (const flag of ["max_object_mb", "max_upload_mb", "query_timeout_s"] as const) {
        if (!(args[flag] > 0)) throw new Error(`--${flag} must be a positive number, got ${String(args[flag])}`);
      }
      for (const spec of args.fault) {
        const { service } = parseFaultSpec(spec, grpcCodes);
        if (!ALL_SERVICES.includes(service as EmulatedService)) throw new Error(`--fault ${spec}: unknown service "${service}" (known: ${ALL_SERVICES.join(", ")})`);
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
    adminPort: argv.admin_port,
    maxObjectBytes: Math.round(argv.max_object_mb * 1024 * 1024),
    maxUploadBytes: Math.round(argv.max_upload_mb * 1024 * 1024),
    maxQueryMs: Math.round(argv.query_timeout_s * 1000),
  });
  for (const spec of argv.fault) {
    const { service, rule } = parseFaultSpec(spec, grpcCodes);
    const target = emulators[service as EmulatedService];
    if (target === undefined) throw new Error(`--fault ${spec}: the ${service} emulator is not running`);
    target.faults.inject(rule);
  }

  const banner = ["Beamline GCP emulators on 127.0.0.1 (Ctrl-C to stop):"];
  if (emulators.pubsubHost) banner.push(`  Pub/Sub   ${emulators.pubsubHost} (gRPC)`);
  if (emulators.bigqueryEndpoint) banner.push(`  BigQuery  ${emulators.bigqueryEndpoint}`);
  if (emulators.storageEndpoint) banner.push(`  Storage   ${emulators.storageEndpoint}`);
  if (emulators.adminEndpoint) banner.push(`  Admin     ${emulators.adminEndpoint} (GET|POST|DELETE /faults, POST /restart)`);
  banner.push(`  Data      ${argv.data_dir ? `persisted in ${argv.data_dir}` : "in memory"}`, "");
  process.stderr.write(`${banner.join("\n")}\n`);

  const env: Record<string, string> = { ...emulators.env };
  if (emulators.adminEndpoint) env.BEAMLINE_EMULATORS_ADMIN = emulators.adminEndpoint;
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

/** gRPC status names for `--fault` (UNAVAILABLE, DEADLINE_EXCEEDED, ...). */
const grpcCodes = grpcStatus as unknown as Readonly<Record<string, number>>;

main().catch((e: unknown) => {
  process.stderr.write(`emulators: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
