#!/usr/bin/env node
/**
 * The `beamline` command (package.json `bin`):
 *
 *     beamline emulators [--pubsub_port 8085] ...        local Pub/Sub, BigQuery and Cloud Storage
 *     beamline describe my_job.js [job flags] [--describe_to FILE]
 *     beamline dataflow cancel|drain|status JOB_ID --project P --region R
 *     beamline portable cancel|status JOB_ID --job_endpoint HOST:PORT
 *     beamline worker --worker_pool | --id ID --provision_endpoint HOST:PORT
 *
 * Each command loads only what it needs (the emulators do not load the runners, and so on).
 */
import { describeProgram } from "./describe";

const USAGE = `Usage: beamline <command> [flags]

Commands:
  emulators [flags]                       Start the local Pub/Sub, BigQuery and Cloud Storage emulators
                                          on 127.0.0.1 and print the variables to export (Ctrl-C stops them)
  describe PROGRAM.js [flags]             Write the pipeline PROGRAM.js builds for these flags as Beam's
           [--describe_to FILE]           portable Pipeline proto in JSON (stdout by default); runs nothing
  dataflow cancel|drain|status JOB_ID     Stop or look up a Dataflow job
           --project P --region R [--dataflow_endpoint URL]
  portable cancel|status JOB_ID           Stop or look up a job on a Beam portable runner
           --job_endpoint HOST:PORT
  worker --worker_pool [--service_port N] Serve Beamline workers for --environment_type EXTERNAL
  worker --id ID --provision_endpoint H:P The Beam SDK container entry point (the worker image runs it)

Run \`beamline <command> --help\` for a command's flags. Pipelines themselves run as
\`node my_job.js [flags]\`; \`node my_job.js --help\` lists their flags.`;

const COMMANDS = ["emulators", "describe", "dataflow", "portable", "worker", "help"];

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../../package.json") as { version: string }).version;
}

/** Runs one command; resolves with the exit code (undefined: the command keeps the process alive itself). */
export async function beamline(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  const help = rest.includes("--help") || rest.includes("-h");
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    case "--version":
      process.stdout.write(`${version()}\n`);
      return 0;
    case "emulators":
      // setup/emulators/main.js parses process.argv (yargs' hideBin) and runs until SIGINT/SIGTERM.
      process.argv = [process.argv[0]!, "beamline emulators", ...rest];
      require("../setup/emulators/main");
      return undefined;
    case "describe":
      return describeProgram(rest);
    case "dataflow": {
      if (help) return usage("beamline dataflow cancel|drain|status JOB_ID --project P --region R [--dataflow_endpoint URL]", 0);
      const { dataflowCli } = await import("../runners/dataflow/cli");
      return dataflowCli(rest);
    }
    case "portable": {
      if (help) return usage("beamline portable cancel|status JOB_ID --job_endpoint HOST:PORT", 0);
      const { portableCli } = await import("../runners/portable/cli");
      return portableCli(rest);
    }
    case "worker": {
      if (help) {
        return usage(
          "beamline worker --worker_pool [--service_port 50000]            a worker pool for --environment_type EXTERNAL\n" +
            "       beamline worker --id ID --provision_endpoint HOST:PORT [--semi_persist_dir DIR]   the Beam container contract",
          0,
        );
      }
      const { main } = await import("../runners/worker/main");
      return main(rest);
    }
    default: {
      const close = COMMANDS.find((c) => c.startsWith(command.slice(0, 3)));
      process.stderr.write(`beamline: unknown command '${command}'${close !== undefined ? ` (did you mean '${close}'?)` : ""}\n\n${USAGE}\n`);
      return 2;
    }
  }
}

function usage(text: string, code: number): number {
  process.stdout.write(`usage: ${text}\n`);
  return code;
}

if (require.main === module) {
  beamline(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`beamline: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
