/**
 * The container boot logic in-process: a fake provision service and artifact retrieval service,
 * then the harnesses (own id + siblings) against a runner-side Fn API server.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { wordcount } from "../../pipelines/wordcount";
import { fileArtifact } from "../../runners/portable/artifacts";
import { startServer, stopServer } from "../../runners/portable/grpc";
import { flatOptions } from "../../runners/portable/pipeline_options";
import { artapi, artifactApi, provapi, provisionApi, runnerApi, structApi } from "../../runners/portable/protos";
import { spawnSync } from "node:child_process";
import { boot, parseBootFlags } from "../../runners/worker/boot";
import { workerMainFor } from "../../runners/worker/entry";
import { FnApiServer } from "./fn_server";
import { countWordsThroughHarness } from "./word_count_stage";

describe("worker container boot", function () {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-boot-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("parses the container contract flags", () => {
    const f = parseBootFlags(["--id=w1", "--provision_endpoint", "localhost:1234", "--semi_persist_dir=/tmp/x", "--logging_endpoint=l:1"]);
    assert.deepEqual([f.id, f.provisionEndpoint, f.semiPersistDir, f.loggingEndpoint, f.workerPool], ["w1", "localhost:1234", "/tmp/x", "l:1", false]);
    assert.equal(parseBootFlags(["--worker_pool", "--program", "dist/pipelines"], {}).workerPool, true);
    assert.equal(parseBootFlags(["--worker_pool"], { BEAMLINE_PROGRAM: "dist/pipelines" }).program, "dist/pipelines");
    assert.throws(() => parseBootFlags(["--id=w1"]), /--provision_endpoint/);
  });

  it("provisions (Dataflow-shaped options), materialises artifacts, starts sibling harnesses that run bundles", async () => {
    const fn = await FnApiServer.start();
    const p = wordcount.create({ input: path.join(tmp, "in.txt"), output: path.join(tmp, "out") });
    const dep = fileArtifact(p.program!.modulePath, "pipeline_module.js");
    const provisionCalls: string[] = [];
    // Dataflow nests the options one level down: {options: {...}, display_data: [...]}.
    const options = { options: flatOptions(p.options, p.program, p.fingerprint(), "run-boot"), display_data: [] };
    const info: provapi.ProvisionInfo = provisionApi.ProvisionInfo.create({
      pipelineOptions: structApi.Struct.fromJson(options as never),
      controlEndpoint: { url: fn.url, authentication: undefined },
      loggingEndpoint: { url: fn.url, authentication: undefined },
      dependencies: [dep],
      runnerCapabilities: ["beam:protocol:monitoring_info_short_ids:v1"],
      siblingWorkerIds: ["sdk-1"],
    });
    const services = await startServer([
      {
        service: provisionApi.ProvisionService,
        impl: {
          GetProvisionInfo: (call: grpc.ServerUnaryCall<provapi.GetProvisionInfoRequest, provapi.GetProvisionInfoResponse>, cb: grpc.sendUnaryData<provapi.GetProvisionInfoResponse>) => {
            provisionCalls.push(String(call.metadata.get("worker_id")[0]));
            cb(null, { info: { ...info, artifactEndpoint: { url: services.url, authentication: undefined } } });
          },
        },
      },
      {
        service: artifactApi.ArtifactRetrievalService,
        impl: {
          ResolveArtifacts: (call: grpc.ServerUnaryCall<artapi.ResolveArtifactsRequest, artapi.ResolveArtifactsResponse>, cb: grpc.sendUnaryData<artapi.ResolveArtifactsResponse>) =>
            cb(null, { replacements: call.request.artifacts }),
          GetArtifact: (call: grpc.ServerWritableStream<artapi.GetArtifactRequest, artapi.GetArtifactResponse>) => {
            const data = fs.readFileSync(runnerApi.ArtifactFilePayload.fromBinary(call.request.artifact!.typePayload).path);
            call.write({ data: data.subarray(0, 100) });
            call.write({ data: data.subarray(100) });
            call.end();
          },
        },
      },
    ]);
    const worker = await boot({ id: "sdk-0", provisionEndpoint: services.url, semiPersistDir: tmp });
    try {
      assert.deepEqual(provisionCalls, ["sdk-0"]);
      assert.equal(worker.harnesses.length, 2);
      assert.equal(worker.program.runId, "run-boot");
      assert.equal(JSON.parse(fs.readFileSync(worker.optionsFile, "utf8")).options.beamline_fingerprint, p.fingerprint());
      assert.equal(process.env["PIPELINE_OPTIONS_FILE"], worker.optionsFile);
      assert.deepEqual(worker.artifacts.map((a) => path.basename(a)), ["pipeline_module.js"]);
      assert.deepEqual(fs.readFileSync(worker.artifacts[0]!), fs.readFileSync(p.program!.modulePath));

      // A bundle through the booted harness.
      const counts = await countWordsThroughHarness(fn, p, "wordcount/Split", "to be or not to be");
      assert.deepEqual(counts, { to: 2, be: 2, or: 1, not: 1 });
      await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual([...fn.workerIds].sort(), ["sdk-0", "sdk-1"], "the sibling harness connected too");
    } finally {
      await fn.stop();
      await worker.done;
      await worker.stop();
      await stopServer(services.server);
    }
  });
});

describe("worker entry (the container runs the worker of the program's own beamline)", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-entry-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A user project: dist/pipeline.js and node_modules/beamline with a worker main that reports its arguments. */
  function project(name: string): { program: string; main: string } {
    const root = path.join(tmp, name);
    const pkg = path.join(root, "node_modules", "beamline");
    fs.mkdirSync(path.join(pkg, "dist", "lib"), { recursive: true });
    fs.mkdirSync(path.join(pkg, "dist", "runners", "worker"), { recursive: true });
    fs.mkdirSync(path.join(root, "dist"), { recursive: true });
    fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "beamline", main: "dist/lib/index.js" }));
    fs.writeFileSync(path.join(pkg, "dist", "lib", "index.js"), "");
    const main = path.join(pkg, "dist", "runners", "worker", "main.js");
    fs.writeFileSync(main, `exports.main = async (argv) => { process.stdout.write("their worker: " + argv.join(" ")); return 3; };`);
    const program = path.join(root, "dist", "pipeline.js");
    fs.writeFileSync(program, `require("beamline");`);
    return { program, main: fs.realpathSync(main) };
  }

  it("runs this package's worker for its own programs, and a project's beamline for the project's programs", () => {
    const own = path.join(path.dirname(require.resolve("../../runners/worker/entry")), "main.js");
    assert.equal(workerMainFor(["--worker_pool"], {}), own);
    assert.equal(workerMainFor([], { BEAMLINE_PROGRAM: path.resolve(__dirname, "programs.js") }), own);
    const a = project("a");
    assert.equal(workerMainFor(["--program", a.program], {}), a.main);
    assert.equal(workerMainFor([], { BEAMLINE_PROGRAM: path.dirname(a.program) }), a.main);
    const b = project("b");
    assert.throws(() => workerMainFor([`--program=${a.program},${b.program}`], {}), /use different copies of beamline/);
  });

  it("starts that worker with the container's arguments and exits with its status", () => {
    const a = project("c");
    const entry = path.resolve(__dirname, "..", "..", "runners", "worker", "entry.js");
    const r = spawnSync(process.execPath, [entry, "--worker_pool", "--service_port", "0"], { env: { ...process.env, BEAMLINE_PROGRAM: a.program }, encoding: "utf8", timeout: 30_000 });
    assert.equal(r.stdout, "their worker: --worker_pool --service_port 0");
    assert.equal(r.status, 3);
  });
});
