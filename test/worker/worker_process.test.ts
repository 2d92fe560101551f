/**
 * The worker as a process (`node dist/runners/worker/main.js`, what the container's boot runs)
 * against the runner-side driver: bounded memory for a large bundle, start-up failures that exit
 * non-zero with the reason (on stderr and in the runner's logs), SIGTERM.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fnApi } from "../../runners/portable/protos";
import { FnApiServer } from "./fn_server";
import { passThroughProgram } from "./programs";
import { OutputTally, sendRepeated, serveStage } from "./stream_input";
import { deadPort, provisionFor, startWorkerProcess, TEST_PROGRAMS, WorkerProcess } from "./worker_process";

const MB = 1 << 20;

describe("worker process", function () {
  this.timeout(120_000);
  let server: FnApiServer;
  let worker: WorkerProcess | undefined;

  beforeEach(async () => {
    server = await FnApiServer.start();
  });
  afterEach(async () => {
    if (worker !== undefined && worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
    worker = undefined;
    await server.stop();
  });

  it("streams 8× more input through a stage with little more peak memory, and stops promptly on SIGTERM", async () => {
    const p = passThroughProgram.create({ async: true });
    provisionFor(server, p);
    worker = startWorkerProcess(["--id=w-rss", `--provision_endpoint=${server.url}`, `--program=${TEST_PROGRAMS}`]);
    const { stage, inCoder, sink } = serveStage(server, p, "Pass");
    const run = async (bytes: number): Promise<number> => {
      const tally = new OutputTally();
      const bundle = await server.startBundle(stage.id, [sink], (_, data) => tally.add(data));
      // Pre-encoded chunks: the runner side sends much faster than the stage decodes and re-encodes.
      const sent = await sendRepeated(bundle, stage.sourceId, inCoder, bytes);
      await bundle.result;
      // The stage passes strings through: the output stream is the input stream, byte for byte.
      assert.equal(tally.bytes, sent.bytes);
      assert.equal(tally.rawDigest(), sent.digest);
      return worker!.peakRss();
    };
    const small = await run(32 * MB);
    const large = await run(256 * MB);
    const growth = (large - small) / MB;
    process.stdout.write(`      peak RSS after 32 MiB: ${(small / MB).toFixed(0)} MiB, after 256 MiB more: ${(large / MB).toFixed(0)} MiB\n`);
    // Buffering the input would grow the peak by about the 224 MiB extra; 41–64 MiB of growth is
    // measured (more under c8's instrumentation and garbage-collector timing), so half of it bounds it.
    assert.ok(growth < 112, `peak RSS grew by ${growth.toFixed(0)} MiB for 8× the input`);

    worker.child.kill("SIGTERM");
    assert.equal(await worker.exited, 0);
    assert.match(worker.stderr(), /SIGTERM: stopping/);
  });

  it("exits non-zero with the reason, on stderr and in the runner's logs, when the control service cannot be reached", async () => {
    const dead = `127.0.0.1:${await deadPort()}`;
    provisionFor(server, passThroughProgram.create({ async: false }), { control: dead });
    worker = startWorkerProcess(["--id=w-dead", `--provision_endpoint=${server.url}`, `--program=${TEST_PROGRAMS}`, "--startup_timeout_secs=2"]);
    const code = await worker.exited;
    assert.equal(code, 1);
    const reason = `could not connect to the control service at ${dead} within 2 s`;
    assert.ok(worker.stderr().includes(reason), worker.stderr());
    const logged = server.logs.find((l) => l.message.includes(reason));
    assert.ok(logged, `the reason reaches the logging service: ${server.logs.map((l) => l.message).join(" | ")}`);
    assert.equal(logged.severity, fnApi.LogEntry_Severity_Enum.ERROR);
  });

  it("exits non-zero with the reason when the provision service does not answer in time, and logs it to --logging_endpoint", async () => {
    const dead = `127.0.0.1:${await deadPort()}`;
    worker = startWorkerProcess(["--id=w-noprov", `--provision_endpoint=${dead}`, `--logging_endpoint=${server.url}`, `--program=${TEST_PROGRAMS}`, "--startup_timeout_secs=1"]);
    assert.equal(await worker.exited, 1);
    assert.match(worker.stderr(), new RegExp(`boot failed: Error: could not get the provision info from ${dead} within 1 s`));
    assert.ok(server.logs.some((l) => l.message.includes("boot failed") && l.severity === fnApi.LogEntry_Severity_Enum.ERROR && l.logLocation === "beamline/boot"));
  });

  it("starts through the container's boot script (setup/worker/boot), which hands SIGTERM to the worker", async () => {
    provisionFor(server, passThroughProgram.create({ async: false }));
    const root = path.resolve(__dirname, "..", "..", "..");
    const child = spawn(path.join(root, "setup", "worker", "boot"), ["--id=w-boot", `--provision_endpoint=${server.url}`], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, METADATA_SERVER_DETECTION: "none", BEAMLINE_HOME: root, BEAMLINE_PROGRAM: TEST_PROGRAMS },
    });
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await server.connected();
    assert.deepEqual([...server.workerIds], ["w-boot"]);
    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /w-boot: SIGTERM: stopping/);
  });

  it("exits 0 when the runner ends the control stream", async () => {
    provisionFor(server, passThroughProgram.create({ async: false }));
    worker = startWorkerProcess(["--id=w-end", `--provision_endpoint=${server.url}`, `--program=${TEST_PROGRAMS}`]);
    await server.connected();
    await server.stop();
    assert.equal(await worker.exited, 0);
    server = await FnApiServer.start();
  });
});
