/** A worker process (dist/runners/worker/main.js) booted against the runner-side driver, for tests and the worker benchmark. */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { Pipeline } from "../../lib/model/pipeline";
import { flatOptions, jobApiOptions } from "../../runners/portable/pipeline_options";
import { provisionApi, structApi } from "../../runners/portable/protos";
import type { FnApiServer } from "./fn_server";

export const WORKER_MAIN = path.resolve(__dirname, "..", "..", "runners", "worker", "main.js");
export const TEST_PROGRAMS = path.resolve(__dirname, "programs.js");

/** Makes `fn` provision workers for `p`, with the given control and logging endpoints. */
export function provisionFor(fn: FnApiServer, p: Pipeline, endpoints: { control?: string; logging?: string } = {}): void {
  const options = jobApiOptions(flatOptions(p.options, p.program, p.fingerprint(), "run-process"));
  fn.provisionInfo = provisionApi.ProvisionInfo.create({
    pipelineOptions: structApi.Struct.fromJson(options as never),
    controlEndpoint: { url: endpoints.control ?? fn.url, authentication: undefined },
    loggingEndpoint: { url: endpoints.logging ?? fn.url, authentication: undefined },
  });
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Exit code (or signal name) once it exits. */
  readonly exited: Promise<number | string>;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number;
}

/** Starts `node main.js` with `args`. */
export function startWorkerProcess(args: readonly string[], nodeArgs: readonly string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [...nodeArgs, WORKER_MAIN, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, METADATA_SERVER_DETECTION: "none" } });
  let err = "";
  child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  return {
    child,
    stderr: () => err,
    exited,
    peakRss: () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m === null) throw new Error("no VmHWM in /proc/<pid>/status");
      return Number(m[1]) * 1024;
    },
  };
}
