/**
 * Fault suite: kill -9 of a streaming job mid-stream, restarted with the same --checkpoint_dir.
 *
 * A child process runs a windowed count with state from Pub/Sub (windowed_job.ts) while this test
 * publishes N numbered messages at a steady rate. Once the child has written checkpoints and
 * fired windows (progress, not a fixed sleep), and while messages are still being published, it
 * is killed with SIGKILL and started again with the same arguments. When every number has been
 * counted, the job is drained. Every number must appear exactly once across the final window
 * files, and the stateful per-key counts of each window must add up to that window's count.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeTempDir, waitFor, within } from "../setup/emulators/helpers";
import { TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";

const N = 3000;
const PER_TICK = 25;
const TICK_MS = 80;

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: string;
}

/** The window files of a prefix (final names only), by name. */
function windowFiles(prefix: string): Map<string, string> {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  // Windowed files are `<prefix><window>-pane-…` (Beam Java's DefaultFilenamePolicy: no separator after the prefix).
  for (const f of fs.readdirSync(dir)) if (f.startsWith(base) && /^(\d|GlobalWindow)/.test(f.slice(base.length))) out.set(f, fs.readFileSync(path.join(dir, f), "utf8"));
  return out;
}

/** The window part of a file name (`<start>-<end>`). */
const windowOf = (file: string, base: string): string => file.slice(base.length).replace(/-pane-\d+(-late)?(-last)?-00000-of-00001$/, "");

function checkpointSeqs(dir: string): number[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((f) => /^checkpoint-(\d+)\.ckpt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
}

describe("faults: kill -9 of a streaming job with windows and state, restarted from its checkpoint", function () {
  this.timeout(150_000);
  const emulator = usePubSubEmulator();

  it("counts every published message exactly once in the final windows, none lost, none twice", async () => {
    const [topic] = await emulator.pubsub.createTopic("kill-in");
    await topic.createSubscription("kill-in-sub", { ackDeadlineSeconds: 10 });
    const dir = makeTempDir("beamline-kill-");
    const checkpointDir = path.join(dir, "checkpoints");
    const prefix = path.join(dir, "out", "ids");
    const args = [
      path.join(__dirname, "windowed_job.js"),
      "--subscription",
      `projects/${TEST_PROJECT}/subscriptions/kill-in-sub`,
      "--output",
      prefix,
      "--checkpoint_dir",
      checkpointDir,
      "--checkpoint_interval_ms",
      "500",
    ];
    const start = (): Child => {
      const child = spawn(process.execPath, args, { env: { ...process.env, ...emulator.env.emulators.env, GOOGLE_CLOUD_PROJECT: TEST_PROJECT }, stdio: ["ignore", "ignore", "pipe"] });
      const c: Child = { process: child, stderr: "", exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))) };
      child.stderr!.on("data", (b: Buffer) => (c.stderr += b.toString()));
      return c;
    };
    const children: Child[] = [];
    let published = 0;
    let stopPublishing = false;
    const publisher = topic; // batching: the client sends what accumulated every few ms
    const producing = (async () => {
      while (published < N && !stopPublishing) {
        const batch = Array.from({ length: Math.min(PER_TICK, N - published) }, (_, i) => published + i);
        await Promise.all(batch.map((n) => publisher.publishMessage({ data: Buffer.from(String(n)), attributes: { id: String(n) } })));
        published += batch.length;
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
    })();
    try {
      const first = start();
      children.push(first);
      // Mid-stream: checkpoints taken, windows fired, and messages still being published.
      await waitFor(
        "the job to checkpoint and fire windows",
        () => published >= N / 3 && checkpointSeqs(checkpointDir).some((s) => s >= 3) && windowFiles(prefix).size >= 2,
        60_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\nchild stderr:\n${first.stderr}`);
      });
      assert.ok(published < N, `the kill must happen while messages are still published (${published}/${N} already)`);
      first.process.kill("SIGKILL");
      const killed = await first.exited;
      assert.equal(killed.signal, "SIGKILL");
      const atKill = { published, checkpoint: Math.max(...checkpointSeqs(checkpointDir)), windows: windowFiles(prefix).size };

      const second = start();
      children.push(second);
      await within("the producer", 60_000, producing);
      const counted = (): number => [...windowFiles(prefix).values()].reduce((n, text) => n + Number(text.split(" ")[0] || 0), 0);
      await waitFor(`all ${N} messages counted`, () => counted() >= N, 90_000).catch((e: Error) => {
        throw new Error(`${e.message} (counted ${counted()})\nsecond child's stderr:\n${second.stderr}`);
      });
      second.process.kill("SIGTERM");
      const drained = await within("the drain", 30_000, second.exited);
      assert.equal(drained.code, 0, `the drained job exits 0\n${second.stderr}`);
      assert.match(second.stderr, new RegExp(`Resuming from checkpoint ${atKill.checkpoint} `), "the second run resumed from the last checkpoint the first wrote");

      // Every number exactly once across the windows.
      const ids = windowFiles(prefix);
      const seen = new Map<number, number>();
      const perWindow = new Map<string, number>();
      for (const [file, text] of ids) {
        const [count, ...numbers] = text.trim().split(" ").map(Number);
        assert.equal(numbers.length, count, `${file}: its count matches its list`);
        perWindow.set(windowOf(file, "ids"), count!);
        for (const n of numbers) seen.set(n, (seen.get(n) ?? 0) + 1);
      }
      const twice = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
      const missing = Array.from({ length: N }, (_, i) => i).filter((n) => !seen.has(n));
      assert.deepEqual({ twice: twice.slice(0, 20), missing: missing.slice(0, 20) }, { twice: [], missing: [] }, `${twice.length} counted twice, ${missing.length} lost`);
      assert.equal(seen.size, N);
      // The stateful counts agree, window by window.
      const state = windowFiles(`${prefix}_state`);
      for (const [file, text] of state) {
        const window = windowOf(file, "ids_state");
        const total = text
          .trim()
          .split("\n")
          .reduce((n, line) => n + Number(line.split(" ")[1]), 0);
        assert.equal(total, perWindow.get(window), `stateful counts of window ${window}`);
      }
      assert.equal(state.size, ids.size, "a state file per window");
      assert.equal(fs.readdirSync(checkpointDir).filter((f) => f.endsWith(".ckpt")).length, 0, "the drain removed the checkpoints");
      process.stdout.write(
        `      killed after ${atKill.published}/${N} published, at checkpoint ${atKill.checkpoint} with ${atKill.windows} windows written; ` +
          `after the restart ${N} counted once each in ${ids.size} windows\n`,
      );
    } finally {
      stopPublishing = true;
      await producing.catch(() => undefined);
      for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill("SIGKILL");
      await Promise.all(children.map((c) => c.exited));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
