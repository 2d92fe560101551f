/**
 * `beamline describe my_job.js [job flags] [--describe_to FILE]`: the pipeline a program builds for
 * these flags, as Beam's portable Pipeline proto in JSON, without running it.
 *
 * The program runs in a child process exactly as `node my_job.js ... --runner PortableRunner
 * --describe_to FILE` would (its own flags are parsed, checked and used to build the graph; the
 * PortableRunner's dry run translates it and submits nothing). The JSON goes to FILE, or to stdout
 * with nothing else on it (the program's own output goes to stderr), so it can be piped.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const USAGE = `usage: beamline describe PROGRAM.js [the program's flags] [--describe_to FILE]

Builds the pipeline of PROGRAM.js (a compiled definePipeline program that calls main() when run)
for the given flags and writes it as Beam's portable Pipeline proto in JSON: to FILE, or to stdout.
Nothing runs and nothing is submitted. The environment is DOCKER unless the flags say otherwise
(--environment_type, --environment_config / --sdk_container_image).`;

/** The value of `--name VALUE` / `--name=VALUE`, and argv without it. */
function takeFlag(argv: readonly string[], name: string): { value?: string; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) value = argv[++i];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
    else rest.push(a);
  }
  return { value, rest };
}

export async function describeProgram(argv: readonly string[]): Promise<number> {
  const [program, ...flags] = argv;
  if (program === undefined || program === "--help" || program === "-h" || program.startsWith("--")) {
    process.stdout.write(`${USAGE}\n`);
    return program === undefined || program.startsWith("--") && program !== "--help" ? 2 : 0;
  }
  if (!fs.existsSync(program)) {
    process.stderr.write(`beamline describe: ${program} does not exist (give the compiled .js/.mjs file of your program, e.g. dist/my_job.js)\n`);
    return 2;
  }
  const target = takeFlag(flags, "describe_to");
  const runner = takeFlag(target.rest, "runner");
  if (runner.value !== undefined && runner.value !== "PortableRunner") {
    process.stderr.write(`beamline describe: describing with the PortableRunner's translation (the proto DataflowRunner submits too), not --runner ${runner.value}\n`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-describe-"));
  const out = path.join(tmp, "pipeline.json");
  try {
    const child = spawn(process.execPath, ["--enable-source-maps", program, ...runner.rest, "--runner", "PortableRunner", "--describe_to", out], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    // The program's own stdout (its summary, user logging) must not mix with the JSON.
    child.stdout.pipe(process.stderr);
    const code = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (c, signal) => resolve(c ?? (signal !== null ? 1 : 0)));
    });
    if (code !== 0) return code;
    if (!fs.existsSync(out)) {
      process.stderr.write(
        `beamline describe: ${program} exited without building a pipeline: a program must call main() when run as a script, ` +
          "e.g. `if (require.main === module) void program.main();` at the end of the file\n",
      );
      return 1;
    }
    if (target.value === undefined || target.value === "-") process.stdout.write(fs.readFileSync(out));
    else {
      fs.mkdirSync(path.dirname(path.resolve(target.value)), { recursive: true });
      fs.copyFileSync(out, target.value);
      process.stderr.write(`beamline describe: wrote ${target.value}\n`);
    }
    return 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
