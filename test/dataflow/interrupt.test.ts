/**
 * Ctrl-C on the pipeline CLI while it follows a cluster job, as a user does it: a child process
 * gets SIGINT. On Dataflow and on a portable runner's DOCKER/EXTERNAL workers the job keeps
 * running and the commands that stop it are printed (and work); --cancel_on_interrupt cancels
 * instead; --async returns right after submitting. (LOOPBACK, whose workers live in the CLI
 * process, still cancels: test/portable/cli.test.ts.)
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dataflowCli } from "../../runners/dataflow/cli";
import { portableCli } from "../../runners/portable/cli";
import { WorkerPoolServer } from "../../runners/worker/worker_pool";
import { MiniJobServer } from "../portable/job_server";
import { auth, FakeDataflow, withDataflowStandIns } from "./fake_dataflow";

const CHILD = path.resolve(__dirname, "cli_child.js");
const WORDCOUNT = path.resolve(__dirname, "..", "..", "pipelines", "wordcount.js");

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script; `interruptWhen` sends SIGINT once stderr matches it. */
function run(script: string, args: string[], env: Record<string, string>, interruptWhen?: RegExp): Promise<Exit> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, METADATA_SERVER_DETECTION: "none", ...env } });
    let stdout = "";
    let stderr = "";
    let signalled = false;
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (interruptWhen !== undefined && !signalled && interruptWhen.test(stderr)) {
        signalled = true;
        child.kill("SIGINT");
      }
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The arguments after `npx beamline dataflow|portable` in a printed command line. */
function printedCommand(stderr: string, command: string): string[] {
  const cli = /npx beamline (dataflow|portable) /;
  const line = stderr.split("\n").find((l) => l.includes(` ${command} `) && cli.test(l));
  assert.ok(line, `no '${command}' command printed in:\n${stderr}`);
  const m = cli.exec(line)!;
  return line.slice(m.index + m[0].length).trim().split(/\s+/);
}

describe("Ctrl-C and --async on the Dataflow CLI (child process)", function () {
  let dataflow: FakeDataflow;
  let gcsEndpoint: string;
  withDataflowStandIns((s) => ({ dataflow, gcsEndpoint } = s));

  const args = (...more: string[]): string[] => [
    ...["--runner", "DataflowRunner", "--project", "proj", "--region", "us-central1", "--temp_location", "gs://bkt/tmp", "--job_name", "counts"],
    ...["--sdk_container_image", "us-docker.pkg.dev/proj/repo/beamline-worker:1", "--dataflow_endpoint", dataflow.url, "--input", "gs://bkt/in.txt", "--output", "gs://bkt/o"],
    ...more,
  ];
  const env = (): Record<string, string> => ({ TEST_GCS_ENDPOINT: gcsEndpoint });

  it("Ctrl-C detaches: the job is not cancelled, the drain and cancel commands are printed and work", async () => {
    dataflow.states = ["JOB_STATE_RUNNING"];
    const r = await run(CHILD, args("--streaming"), env(), /is RUNNING/);
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(dataflow.requests.filter((q) => q.method === "PUT"), [], "no state change was requested");
    assert.equal(dataflow.jobs[0]!.currentState, "JOB_STATE_RUNNING");
    assert.match(r.stderr, /Ctrl-C: detached from job 2026-11-22_job-1, which keeps running on Dataflow \(--cancel_on_interrupt makes Ctrl-C cancel it\)/);
    assert.match(r.stdout, /wordcount: RUNNING in/);
    const drain = printedCommand(r.stderr, "drain");
    assert.deepEqual(drain, ["drain", "2026-11-22_job-1", "--project", "proj", "--region", "us-central1", "--dataflow_endpoint", dataflow.url]);
    const out: string[] = [];
    assert.equal(await dataflowCli(printedCommand(r.stderr, "cancel"), (l) => out.push(l), auth()), 0, out.join("\n"));
    assert.deepEqual(dataflow.requests.filter((q) => q.method === "PUT").map((q) => q.body), [{ requestedState: "JOB_STATE_CANCELLED" }]);
  });

  it("with --cancel_on_interrupt, Ctrl-C cancels the job and follows it to CANCELLED", async () => {
    dataflow.states = ["JOB_STATE_RUNNING"];
    const r = await run(CHILD, args("--cancel_on_interrupt"), env(), /is RUNNING/);
    assert.notEqual(r.code, 0);
    assert.deepEqual(dataflow.requests.filter((q) => q.method === "PUT").map((q) => q.body), [{ requestedState: "JOB_STATE_CANCELLED" }]);
    assert.match(r.stderr, /Ctrl-C: cancelling job 2026-11-22_job-1 \(--cancel_on_interrupt\)/);
    assert.match(r.stderr, /job 2026-11-22_job-1 is CANCELLED/);
  });

  it("--async creates the job, prints how to stop it and exits 0 without following it", async () => {
    dataflow.states = ["JOB_STATE_RUNNING"];
    const r = await run(CHILD, args("--async"), env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /--async: not following job 2026-11-22_job-1/);
    assert.deepEqual(printedCommand(r.stderr, "cancel").slice(0, 2), ["cancel", "2026-11-22_job-1"]);
    assert.deepEqual(dataflow.requests.map((q) => q.method), ["POST"], "created, never polled");
  });
});

describe("Ctrl-C on the PortableRunner CLI with EXTERNAL workers (child process)", function () {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-interrupt-"));
  const input = path.join(tmp, "in.txt");
  fs.writeFileSync(input, "a b a\n");
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("detaches: the job keeps running on the runner and the printed cancel command cancels it", async () => {
    const server = await MiniJobServer.start();
    // Workers for the job service to start; the job is held RUNNING and then cancelled, so it never runs a bundle.
    const pool = await WorkerPoolServer.start(async () => ({
      loadPipeline: () => {
        throw new Error("not needed: this job is cancelled before it runs");
      },
      runId: "interrupt-test",
    }));
    server.holdJobs = true;
    try {
      const r = await run(
        WORDCOUNT,
        ["--input", input, "--output", path.join(tmp, "out"), "--runner", "PortableRunner", "--job_endpoint", server.url, "--environment_type", "EXTERNAL", "--environment_config", pool.url],
        {},
        /is RUNNING/,
      );
      assert.equal(r.code, 130, r.stderr);
      const job = [...server.jobs.values()].at(-1)!;
      assert.equal(job.cancelled, false, "Ctrl-C did not cancel the job");
      assert.match(r.stderr, new RegExp(`Ctrl-C: detached from job ${job.id}, which keeps running on the runner`));
      const cancel = printedCommand(r.stderr, "cancel");
      assert.deepEqual(cancel, ["cancel", job.id, "--job_endpoint", server.url]);
      const out: string[] = [];
      assert.equal(await portableCli(cancel, (l) => out.push(l)), 0, out.join("\n"));
      assert.equal(job.cancelled, true);
    } finally {
      server.holdJobs = false;
      await server.stop();
      await pool.stop();
    }
    assert.equal([...server.jobs.values()].at(-1)!.state, 5 /* CANCELLED */);
  });
});
