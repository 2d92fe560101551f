/**
 * Where shuffles spill, and making sure nothing is left there: each spilling shuffle makes its
 * own directory, removed when the shuffle is disposed (end of run, failure, cancel). If the
 * process exits first (`process.exit`, or SIGINT/SIGTERM with nobody else listening), the
 * directories still alive are removed on the way out.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const live = new Set<string>();

/** The directory spill directories go in: a local --temp_location, else the OS temp directory ($TMPDIR). */
export function spillBase(tempLocation: string | undefined): string {
  if (tempLocation !== undefined && tempLocation !== "" && !/^[a-z][a-z0-9+.-]*:\/\//i.test(tempLocation)) return tempLocation;
  return os.tmpdir();
}

/** Makes a fresh spill directory under `base`, removed at exit if still there. */
export function makeSpillDirectory(base: string): string {
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, "beamline-shuffle-"));
  if (live.size === 0) listen();
  live.add(dir);
  return dir;
}

/** Removes a spill directory and everything in it. */
export function removeSpillDirectory(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
  if (live.size === 0) unlisten();
}

/** Stops removing `dir` at exit: a worker thread hands it, with its files, to the coordinator (`adoptSpillDirectory`). */
export function releaseSpillDirectory(dir: string): void {
  if (live.delete(dir) && live.size === 0) unlisten();
}

/** Takes over a spill directory another thread made (and released): removed at exit if still there. */
export function adoptSpillDirectory(dir: string): void {
  if (live.size === 0) listen();
  live.add(dir);
}

function removeAll(): void {
  for (const dir of live) fs.rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeAll();
  unlisten();
  // Only ours: end the process as the signal would have without us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function listen(): void {
  process.on("exit", removeAll);
  // Only when nobody else handles the signal: a handler of our own would stop Node's default exit.
  for (const s of ["SIGINT", "SIGTERM"] as const) if (process.listenerCount(s) === 0) process.on(s, onSignal);
}

function unlisten(): void {
  process.off("exit", removeAll);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
}
