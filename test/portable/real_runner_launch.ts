/** Test helper: starts and stops a real runner's launcher (real_runners.test.ts describes them). */
import { spawn, type ChildProcess } from "node:child_process";

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

