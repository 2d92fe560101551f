/**
 * The pipeline CLI with --runner PortableRunner, as a user runs it: a child process submits to
 * the in-test job service (LOOPBACK), prints job states and messages, and exits 0 on DONE,
 * non-zero on failure; Ctrl-C cancels the job.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MiniJobServer } from "./job_server";

const WORDCOUNT = path.resolve(__dirname, "..", "..", "pipelines", "wordcount.js");

function run(args: string[], onStderr?: (text: string, child: ChildProcess) => void): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORDCOUNT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on("close", (code) => resolve({ code, stderr, stdout }));
  });
}

describe("wordcount CLI on the PortableRunner", function () {
  let server: MiniJobServer;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-cli-"));
  const input = path.join(tmp, "in.txt");
  fs.writeFileSync(input, "a b a\nc a b\n");
  before(async () => (server = await MiniJobServer.start()));
  after(async () => {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("prints states and messages and exits 0 when the job is DONE", async () => {
    const r = await run(["--input", input, "--output", path.join(tmp, "out", "counts"), "--runner", "PortableRunner", "--job_endpoint", server.url, "--environment_type", "LOOPBACK"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /is RUNNING/);
    assert.match(r.stderr, /is DONE/);
    assert.match(r.stderr, /\[DETAILED\] running stage/);
    const out = fs.readdirSync(path.join(tmp, "out")).flatMap((f) => fs.readFileSync(path.join(tmp, "out", f), "utf8").split("\n")).filter((l) => l !== "").sort();
    assert.deepEqual(out, ["a: 3", "b: 2", "c: 1"]);
  });

  it("exits non-zero when the job service is unreachable", async () => {
    const r = await run(["--input", input, "--output", path.join(tmp, "o2"), "--runner", "PortableRunner", "--job_endpoint", "127.0.0.1:1", "--environment_type", "LOOPBACK"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FAILED: Submitting to the job service at 127\.0\.0\.1:1 failed/);
  });

  it("cancels the job on Ctrl-C and exits non-zero", async () => {
    server.holdJobs = true;
    let signalled = false;
    try {
      const r = await run(["--input", input, "--output", path.join(tmp, "o3"), "--runner", "PortableRunner", "--job_endpoint", server.url, "--environment_type", "LOOPBACK"], (text, child) => {
        if (!signalled && /is RUNNING/.test(text)) {
          signalled = true;
          child.kill("SIGINT");
        }
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /cancelling job/);
      assert.match(r.stderr, /is CANCELLED/);
      assert.equal([...server.jobs.values()].at(-1)!.state, 5 /* CANCELLED */);
    } finally {
      server.holdJobs = false;
    }
  });
});
