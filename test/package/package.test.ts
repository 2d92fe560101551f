/**
 * Beamline as users get it: the repository is packed (`npm pack`), the starter project
 * (examples/starter) is copied outside the repository and installed from the tarball without the
 * network, built with TypeScript against the package's types, and run from there: its tests, its
 * CommonJS program on the DirectRunner with two worker threads and on the portable LOOPBACK path,
 * an ES-module program, the `beamline` command, and type checks under node16 and bundler resolution.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MiniJobServer } from "../portable/job_server";
import { installStarter, packRepository, REPO } from "./offline_project";

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in the project (asynchronously: the portable test serves the job in this process). */
function run(cwd: string, command: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, METADATA_SERVER_DETECTION: "none" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function node(cwd: string, ...args: string[]): Promise<Run> {
  return run(cwd, process.execPath, args);
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** The sorted lines of every shard written under `prefix`. */
function shardLines(prefix: string): string[] {
  const dir = path.dirname(prefix);
  const shards = fs.readdirSync(dir).filter((f) => f.startsWith(`${path.basename(prefix)}-`));
  assert.ok(shards.length > 0, `no shards of ${prefix} in ${dir}: ${fs.readdirSync(dir).join(", ")}`);
  return shards.flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n")).filter((l) => l !== "").sort();
}

/** What the starter's sample text counts to. */
const SAMPLE_COUNTS = ["brown: 1", "dog: 2", "fox: 2", "jumps: 1", "lazy: 1", "over: 1", "quick: 1", "runs: 1", "sleeps: 1", "the: 4"];

const ESM_PROGRAM = `import { fileURLToPath } from "node:url";
import { Count, definePipeline, FileIO, ReadAllFromText, WriteToText } from "beamline";
import { StringUtf8Coder } from "beamline/coders";

export const program = definePipeline({
  name: "esm-wordcount",
  description: "The starter's word count, as an ES module",
  flags: {
    input: { type: "string", describe: "Text to read", required: true },
    output: { type: "string", describe: "Output prefix", required: true },
  },
  build(root, flags) {
    root
      // FileIO and ReadAllFromText load on first use: ES modules import them by name all the same.
      .apply("Match", FileIO.match(flags.input))
      .apply("Read", ReadAllFromText.create())
      .flatMap("Split", (line) => line.toLowerCase().match(/[\\p{L}\\p{N}']+/gu) ?? [])
      .apply("CountPerWord", Count.perElement())
      .map("Format", (e) => \`\${e.key}: \${e.value}\`)
      .setCoder(StringUtf8Coder.INSTANCE)
      .apply("Write", WriteToText.to(flags.output));
  },
});

if (process.argv[1] === fileURLToPath(import.meta.url)) await program.main();
`;

/** Typed use of the root export and the subpaths; @ts-expect-error fails the check if types were `any`. */
const TYPES_CHECK = `import { assertThat, Create, equalTo, kv, Pipeline, type KV, type PCollection, type PipelineResult } from "beamline";
import { BigIntVarIntCoder, KVCoder, StringUtf8Coder, type Coder } from "beamline/coders";
import { startEmulators } from "beamline/emulators";
import { DirectRunner } from "beamline/runners/direct";
import { PortableRunner } from "beamline/runners/portable";
import { DataflowRunner } from "beamline/runners/dataflow";

const p: Pipeline = Pipeline.create();
const numbers: PCollection<number> = p.apply(Create.of(1, 2, 3));
assertThat(numbers.map((x) => x * 2), equalTo([2, 4, 6]));
// @ts-expect-error a PCollection<number> is not a PCollection<string>
const strings: PCollection<string> = numbers;
const counts: PCollection<KV<string, bigint>> = p.apply("Counts", Create.of(kv("a", BigInt(1)))).setCoder(new KVCoder(StringUtf8Coder.INSTANCE, BigIntVarIntCoder.INSTANCE));
// @ts-expect-error a string coder does not encode numbers
const wrong: Coder<number> = StringUtf8Coder.INSTANCE;
export { counts, wrong };
export const run: () => Promise<PipelineResult> = () => new DirectRunner().run(p);
export { strings, startEmulators, PortableRunner, DataflowRunner };
`;

describe("the packed package in a user's project (offline install from the tarball)", function () {
  this.timeout(120_000);
  let tmp: string;
  let project: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-pack-"));
    project = installStarter(packRepository(tmp));
    execFileSync(path.join(project, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
  });
  after(() => {
    for (const dir of [project, tmp]) if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("ships the compiled SDK, runners, emulators, worker entry and command with types and maps; no tests, benchmarks or fixtures", () => {
    const root = path.join(project, "node_modules", "beamline");
    const files = execFileSync("find", [".", "-type", "f"], { cwd: root, encoding: "utf8" }).split("\n").filter((f) => f !== "");
    for (const f of ["dist/lib/index.js", "dist/lib/index.d.ts", "dist/lib/index.js.map", "dist/runners/worker/main.js", "dist/setup/emulators/index.js", "dist/bin/beamline.js", "dist/generated/beam_model/org/apache/beam/model/pipeline/v1/beam_runner_api.js"]) {
      assert.ok(files.includes(`./${f}`), `${f} is in the package`);
    }
    assert.deepEqual(files.filter((f) => /(^|\/)(test|bench|fixtures|pipelines)\/|\.tsbuildinfo$/.test(f)), []);
    assert.equal(fs.existsSync(path.join(project, "node_modules", "apache-beam")), false, "apache-beam is not installed for users");
  });

  it("the starter's own tests pass (assertThat, TestStream) with node --test", async () => {
    // As its `npm test` runs them (after the build the before hook did): the shell expands the glob.
    const r = ok(await run(project, "sh", ["-c", `"${process.execPath}" --test --test-reporter=tap dist/*.test.js`]), "node --test");
    assert.match(r.stdout, /# pass 3\b/);
    assert.match(r.stdout, /# fail 0\b/);
  });

  it("runs the starter's CommonJS program on the DirectRunner with --direct_num_workers 2", async () => {
    const out = path.join(project, "out", "cjs", "counts");
    ok(await node(project, "dist/main.js", "--input", "data/sample.txt", "--output", out, "--direct_num_workers", "2", "--direct_worker_threads", "always"), "dist/main.js");
    assert.deepEqual(shardLines(out), SAMPLE_COUNTS);
  });

  it("runs an ES-module program importing named exports from 'beamline'", async () => {
    fs.writeFileSync(path.join(project, "esm_job.mjs"), ESM_PROGRAM);
    const one = path.join(project, "out", "esm1", "counts");
    ok(await node(project, "esm_job.mjs", "--input", "data/sample.txt", "--output", one), "esm_job.mjs");
    assert.deepEqual(shardLines(one), SAMPLE_COUNTS);
  });

  it("runs the ES-module program with --direct_num_workers 2 (worker threads load the ES module)", async () => {
    fs.writeFileSync(path.join(project, "esm_job.mjs"), ESM_PROGRAM);
    const two = path.join(project, "out", "esm2", "counts");
    ok(await node(project, "esm_job.mjs", "--input", "data/sample.txt", "--output", two, "--direct_num_workers", "2", "--direct_worker_threads", "always"), "esm_job.mjs --direct_num_workers 2");
    assert.deepEqual(shardLines(two), SAMPLE_COUNTS);
  });

  it("require('beamline') and import from 'beamline' see the same exports, one module instance", async () => {
    const script = `const cjs = require("beamline");
import("beamline").then((esm) => {
  const names = (o) => Object.keys(o).filter((k) => !["default", "module.exports", "__esModule"].includes(k)).sort();
  process.stdout.write(JSON.stringify({ cjs: names(cjs), esm: names(esm), same: esm.Pipeline === cjs.Pipeline }));
});`;
    const r = ok(await node(project, "-e", script), "require/import");
    const { cjs, esm, same } = JSON.parse(r.stdout) as { cjs: string[]; esm: string[]; same: boolean };
    assert.ok(cjs.includes("Pipeline") && cjs.includes("definePipeline") && cjs.length > 50, cjs.join(","));
    assert.deepEqual(esm, cjs);
    assert.equal(same, true);
  });

  it("runs the starter's program on the portable LOOPBACK path through a Job API server", async () => {
    const server = await MiniJobServer.start();
    try {
      const out = path.join(project, "out", "portable", "counts");
      const r = await node(project, "dist/main.js", "--input", "data/sample.txt", "--output", out, "--runner", "PortableRunner", "--job_endpoint", server.url, "--environment_type", "LOOPBACK");
      ok(r, "dist/main.js --runner PortableRunner");
      assert.match(r.stderr, /is DONE/);
      assert.deepEqual(shardLines(out), SAMPLE_COUNTS);
    } finally {
      await server.stop();
    }
  });

  it("the beamline command: --help, describe (the pipeline proto as JSON), an unknown command", async () => {
    const bin = path.join(project, "node_modules", ".bin", "beamline");
    assert.match(ok(await run(project, bin, ["--help"]), "beamline --help").stdout, /emulators[\s\S]*describe[\s\S]*dataflow cancel\|drain\|status/);
    const described = ok(await run(project, bin, ["describe", "dist/main.js", "--input", "data/sample.txt", "--output", "out/x"]), "beamline describe");
    const proto = JSON.parse(described.stdout) as { components: { transforms: Record<string, { uniqueName: string }> } };
    const names = Object.values(proto.components.transforms).map((t) => t.uniqueName);
    for (const step of ["Read", "CountWords", "CountWords/Split", "Format", "Write"]) assert.ok(names.includes(step), `${step} in ${names.join(", ")}`);
    const unknown = await run(project, bin, ["emulator"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'emulator' \(did you mean 'emulators'\?\)/);
  });

  it("types resolve for TypeScript users with moduleResolution node16 (ESM and CJS files) and bundler", () => {
    const dir = path.join(project, "types_check");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "esm.mts"), TYPES_CHECK);
    fs.writeFileSync(path.join(dir, "cjs.cts"), TYPES_CHECK);
    fs.writeFileSync(path.join(dir, "bundled.ts"), TYPES_CHECK);
    const common = { strict: true, noEmit: true, target: "ES2022", lib: ["ES2024"], types: ["node"] };
    const configs = {
      // skipLibCheck off once: the package's declaration files must compile for a strict consumer (no devDependency types).
      "tsconfig.node16.json": { compilerOptions: { ...common, module: "node16", moduleResolution: "node16", skipLibCheck: false }, files: ["esm.mts", "cjs.cts"] },
      "tsconfig.bundler.json": { compilerOptions: { ...common, module: "preserve", moduleResolution: "bundler", skipLibCheck: true }, files: ["bundled.ts"] },
    };
    const tsc = path.join(project, "node_modules", ".bin", "tsc");
    for (const [name, config] of Object.entries(configs)) {
      fs.writeFileSync(path.join(dir, name), JSON.stringify(config));
      try {
        execFileSync(tsc, ["-p", name], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch (e) {
        assert.fail(`tsc -p ${name} failed:\n${(e as { stdout?: string }).stdout ?? (e as Error).message}`);
      }
    }
  });

  it("the repository's own package.json: publishable, engines, bin and exports as the tests above use them", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(pkg["private"], undefined);
    assert.deepEqual(Object.keys(pkg["exports"] as object), [".", "./ml", "./coders", "./emulators", "./runners/direct", "./runners/portable", "./runners/dataflow", "./package.json"]);
    assert.equal((pkg["dependencies"] as Record<string, string>)["apache-beam"], undefined);
  });
});
