/** Test helper: starts and stops a real runner's launcher (real_runners.test.ts describes them). */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PipelineOptions } from "../../lib/model/options";
import type { Pipeline } from "../../lib/model/pipeline";
import { PortableRunner } from "../../runners/portable/portable_runner";

/** Starts a launcher on a free port; resolves with its endpoint once it prints the ready line. */
export function startRunner(launcher: string, ready: RegExp, log: string[]): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(launcher, ["0"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, METADATA_SERVER_DETECTION: "none" } });
  child.stderr!.on("data", (b: Buffer) => {
    log.push(b.toString());
    if (log.length > 200) log.splice(0, log.length - 200);
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`${launcher} printed no ready line within 60 s`)), 60_000);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      child.kill("SIGTERM");
      reject(new Error(`${e.message}\n${log.join("").slice(-2000)}`));
    };
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = ready.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, endpoint: m[1]! });
      }
    });
    child.once("error", fail);
    child.once("exit", (code) => fail(new Error(`${launcher} exited with ${code} before it was ready`)));
  });
}

export function stopRunner(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}


/** A real runner the tests can start: its launcher's environment variable, and the line it prints when ready. */
export interface RealRunnerSpec {
  readonly name: string;
  readonly envVar: string;
  readonly ready: RegExp;
}

/** Prism and Beam Python's job service, the runners these tests start (launchers outside the repo). */
export const REAL_RUNNERS: readonly RealRunnerSpec[] = [
  { name: "Prism", envVar: "BEAMLINE_PRISM", ready: /PRISM_READY (\S+)/ },
  { name: "Beam Python's job service", envVar: "BEAMLINE_BEAM_PYTHON_JOB_SERVER", ready: /BEAMPY_JOB_SERVER_READY (\S+)/ },
];

/** A runner started for one describe block, and how its tests submit jobs to it. */
export interface RealRunnerSession {
  /** A temporary folder for the block's outputs (removed after it). */
  readonly tmp: string;
  /** Options of a LOOPBACK job on the runner. */
  options(jobName: string): Partial<PipelineOptions>;
  /** Runs `p` on the runner to DONE; a failure shows the job's messages and the runner's log. */
  runRemote(p: Pipeline): Promise<void>;
}

/**
 * Call inside a describe: starts the runner before the block's tests (skipping them, with the
 * reason, when its launcher is not set) and stops it and removes the block's folder after them.
 */
export function realRunnerSession(runner: RealRunnerSpec, tmpPrefix: string): RealRunnerSession {
  const launcher = process.env[runner.envVar];
  let child: ChildProcess | undefined;
  let endpoint = "";
  const runnerLog: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  before(async function () {
    if (launcher === undefined || launcher === "" || !fs.existsSync(launcher)) {
      console.log(`      (skipped: set ${runner.envVar} to the runner's launcher to run these)`);
      this.skip();
    }
    ({ child, endpoint } = await startRunner(launcher!, runner.ready, runnerLog));
  });
  after(async () => {
    if (child !== undefined) await stopRunner(child);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return {
    tmp,
    options: (jobName) => ({ runner: "PortableRunner", jobName, extra: { job_endpoint: endpoint, environment_type: "LOOPBACK" } }),
    async runRemote(p) {
      const lines: string[] = [];
      const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
      try {
        assert.equal(await result.waitUntilFinish(), "DONE");
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- job messages ---\n${lines.join("\n")}\n--- runner log (tail) ---\n${runnerLog.join("").slice(-3000)}`, { cause: e });
      }
    },
  };
}
