/**
 * Users' own programs, outside the repository, as new Node projects write them: a CommonJS
 * program that calls `job.main()` without a `require.main === module` guard, and an ES module
 * program with a top-level `await job.main()`. Both import "beamline" (this repository's build)
 * and run as their own processes:
 * - on the DirectRunner with --direct_num_workers 2 (worker threads load the module);
 * - on the PortableRunner with LOOPBACK against the test Job API server;
 * - as the Fn API worker container (`runners/worker/main.js`, the Beam container contract),
 *   which loads the module to rebuild the graph and must not start a job.
 * In every case `main()` runs the job exactly once: never in a worker.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { definePipeline, type Pipeline } from "../../lib";
import { startServer, stopServer } from "../../runners/portable/grpc";
import { flatOptions } from "../../runners/portable/pipeline_options";
import { provapi, provisionApi, structApi } from "../../runners/portable/protos";
import { MiniJobServer } from "../portable/job_server";
import { FnApiServer } from "./fn_server";
import { readShards } from "../helpers";
import { countWordsThroughHarness } from "./word_count_stage";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** The graph both programs build (a module of their own project). */
const PIPELINE_CJS = `
const { Combine, Combiners, Create, WriteToText, kv } = require("beamline");
exports.build = (root, flags) => {
  root.apply("Lines", Create.of("to be or not", "to be"))
    .flatMap("Split", (line) => line.split(" "))
    .map("PairWithOne", (w) => kv(w, 1))
    .apply("Count", Combine.perKey(Combiners.sum()))
    .map("Format", (e) => e.key + ": " + e.value)
    .apply("Write", WriteToText.to(flags.output));
};
`;

const FLAGS = `{ output: { type: "string", required: true, describe: "output prefix" } }`;

const PROGRAMS = {
  "CommonJS, main() without a guard": {
    file: "count.cjs",
    name: "user-cjs",
    source: `const { definePipeline } = require("beamline");
const { build } = require("./pipeline.cjs");
const job = definePipeline({ name: "user-cjs", description: "a CommonJS program", flags: ${FLAGS}, build });
job.main();
`,
  },
  "ES module, top-level await main()": {
    file: "count.mjs",
    name: "user-esm",
    source: `import { definePipeline } from "beamline";
import { build } from "./pipeline.cjs";
const job = definePipeline({ name: "user-esm", description: "an ES module program", flags: ${FLAGS}, build });
await job.main();
`,
  },
} as const;

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs node with `args` in `cwd`; kills it after `timeoutMs` (a program that runs itself again in every worker never ends). */
function runNode(args: readonly string[], cwd: string, timeoutMs = 60_000): { exit: Promise<Exit>; kill(): void } {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, METADATA_SERVER_DETECTION: "none" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exit = new Promise<Exit>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { exit, kill: () => child.kill("SIGKILL") };
}


const COUNTS = ["be: 2", "not: 1", "or: 1", "to: 2"];

/** main() ran once and only once (its "running" line is the only one it printed to stderr), to DONE, with the right output. */
function assertRanOnce(name: string, exit: Exit, output: string): void {
  assert.equal(exit.code, 0, `exit ${exit.code}\n${exit.stdout}\n${exit.stderr}`);
  const mainLines = exit.stderr.split("\n").filter((l) => l.includes(name));
  assert.deepEqual(mainLines, [`${name}: running on ${mainLines[0]?.includes("PortableRunner") ? "PortableRunner" : "DirectRunner"}...`], `main() ran more than once:\n${exit.stderr}`);
  assert.equal(exit.stdout.split(`${name}: DONE`).length - 1, 1, exit.stdout);
  assert.deepEqual(readShards(output), COUNTS);
}

describe("users' own programs (CommonJS and ES modules, outside the repository)", function () {
  this.timeout(120_000);
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-user-project-"));

  before(() => {
    fs.mkdirSync(path.join(project, "node_modules"));
    fs.symlinkSync(REPO, path.join(project, "node_modules", "beamline"), "dir");
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-pipelines", private: true, type: "commonjs" }));
    fs.writeFileSync(path.join(project, "pipeline.cjs"), PIPELINE_CJS);
    for (const p of Object.values(PROGRAMS)) fs.writeFileSync(path.join(project, p.file), p.source);
  });
  after(() => fs.rmSync(project, { recursive: true, force: true }));

  for (const [kind, p] of Object.entries(PROGRAMS)) {
    it(`${kind}: --direct_num_workers 2 runs the job once, its worker threads load the module`, async () => {
      const output = path.join(project, "out-direct", p.name, "counts");
      const exit = await runNode([p.file, "--output", output, "--direct_num_workers", "2", "--direct_worker_threads", "always"], project).exit;
      assertRanOnce(p.name, exit, output);
    });
  }

  it("a program calling run() at its top level: the job runs once; in each worker thread run() is refused with a clear error", async () => {
    fs.writeFileSync(
      path.join(project, "run-at-top.cjs"),
      `const { definePipeline } = require("beamline");
const { build } = require("./pipeline.cjs");
const job = definePipeline({ name: "user-run", description: "calls run()", flags: ${FLAGS}, build });
job.run({ output: ${JSON.stringify(path.join(project, "out-run", "counts"))} }, { directNumWorkers: 2, directWorkerThreads: "always" })
  .then((r) => r.waitUntilFinish())
  .then((state) => console.log("state " + state), (e) => { console.log("failed: " + e.message); process.exitCode = 1; });
`,
    );
    const exit = await runNode(["run-at-top.cjs"], project).exit;
    assert.equal(exit.code, 0, exit.stdout + exit.stderr);
    const lines = exit.stdout.split("\n").filter((l) => l !== "");
    assert.deepEqual(lines.filter((l) => l.startsWith("state")), ["state DONE"], exit.stdout);
    const refused = lines.filter((l) => l.startsWith("failed"));
    assert.equal(refused.length, 2, "one refusal per worker thread");
    for (const l of refused) assert.match(l, /^failed: Pipeline program 'user-run' was asked to run while a worker loaded its module to rebuild the graph; a worker must not start a job\. Start runs with main\(\)/);
    assert.deepEqual(readShards(path.join(project, "out-run", "counts")), COUNTS);
  });

  describe("PortableRunner, LOOPBACK", () => {
    let jobServer: MiniJobServer;
    before(async () => {
      jobServer = await MiniJobServer.start();
    });
    after(async () => {
      await jobServer.stop();
    });

    for (const [kind, p] of Object.entries(PROGRAMS)) {
      it(`${kind}: runs to DONE once, with the DirectRunner's output`, async () => {
        const output = path.join(project, "out-loopback", p.name, "counts");
        const exit = await runNode([p.file, "--output", output, "--runner", "PortableRunner", "--job_endpoint", jobServer.url, "--environment_type", "LOOPBACK"], project).exit;
        assertRanOnce(p.name, exit, output);
        const programOf = (options: Record<string, unknown>): string => (JSON.parse(String(options["beam:option:beamline_program:v1"])) as { name: string }).name;
        assert.equal([...jobServer.jobs.values()].filter((j) => programOf(j.options) === p.name).length, 1, "one job submitted");
      });
    }
  });

  describe("the Fn API worker container (runners/worker/main.js)", () => {
    for (const [kind, p] of Object.entries(PROGRAMS)) {
      it(`${kind}: loads the program in worker mode and runs bundles; main() starts nothing`, async () => {
        const { build } = require(path.join(project, "pipeline.cjs")) as { build: (root: Pipeline, flags: { output: string }) => void };
        const output = path.join(project, "out-worker", p.name, "counts");
        // The submitter's graph: the same program (by name and module), built with the same flags.
        const submitted: Pipeline = definePipeline({ name: p.name, description: "", flags: { output: { type: "string", required: true, describe: "" } }, build })
          .create({ output });
        const reference = { name: p.name, modulePath: path.join(project, p.file), flags: { output } };
        submitted.program = reference;
        await withProvisionedWorker(flatOptions(submitted.options, reference, submitted.fingerprint(), "run-user"), project, async (fn) => {
          const counts = await countWordsThroughHarness(fn, submitted, "Split", "to be or not to be");
          assert.deepEqual(counts, { to: 2, be: 2, or: 1, not: 1 });
        }).then((worker) => {
          assert.equal(worker.code, 0, worker.stderr);
          assert.doesNotMatch(worker.stderr, /running on|FAILED/, "the program's main() started nothing in the worker");
          assert.equal(fs.existsSync(path.dirname(output)), false, "no job ran in the worker");
        });
      });
    }
  });
});

/**
 * Starts the worker container's entry point as its own process against a provision service and a
 * runner-side Fn API server in this process, runs `drive`, then ends the worker; returns its exit.
 */
async function withProvisionedWorker(options: Record<string, unknown>, cwd: string, drive: (fn: FnApiServer) => Promise<void>): Promise<Exit> {
  const fn = await FnApiServer.start();
  const info: provapi.ProvisionInfo = provisionApi.ProvisionInfo.create({
    pipelineOptions: structApi.Struct.fromJson({ options } as never),
    controlEndpoint: { url: fn.url, authentication: undefined },
    loggingEndpoint: { url: fn.url, authentication: undefined },
  });
  const services = await startServer([
    {
      service: provisionApi.ProvisionService,
      impl: {
        GetProvisionInfo: (_call: grpc.ServerUnaryCall<provapi.GetProvisionInfoRequest, provapi.GetProvisionInfoResponse>, cb: grpc.sendUnaryData<provapi.GetProvisionInfoResponse>) =>
          cb(null, { info }),
      },
    },
  ]);
  const worker = runNode([path.join(REPO, "dist", "runners", "worker", "main.js"), "--id=sdk-user", `--provision_endpoint=${services.url}`, `--semi_persist_dir=${cwd}`], cwd);
  try {
    await drive(fn);
  } catch (e) {
    worker.kill();
    throw e;
  } finally {
    await fn.stop(); // ends the control stream: the worker exits
    await stopServer(services.server);
  }
  return worker.exit;
}
