/**
 * The soak part of `npm run bench` (`--only soak`): a streaming Pub/Sub job (soak_child.ts, its own
 * process) fed at a steady rate from the emulator for a long time, its RSS sampled every 5 s. The
 * slope of RSS over time after a warm-up (least squares) tells whether memory is stable; at the
 * end every published message must have been counted once.
 *
 * Flags: --soak_seconds N (default 600), --soak_rate N msg/s (default 1000),
 * --soak_checkpoint true|false (default true: with --checkpoint_dir, every 5 s).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import { startEmulators } from "../../setup/emulators";

interface MemorySample {
  readonly t: number;
  readonly rssMb: number;
  readonly heapMb: number;
}

const PROJECT = "beamline-bench";
const TICK_MS = 100;

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchSoak(flag: (name: string, fallback: string) => string): Promise<void> {
  const seconds = Number(flag("soak_seconds", "600"));
  const rate = Number(flag("soak_rate", "1000"));
  const checkpoint = flag("soak_checkpoint", "true") !== "false";
  const emulators = await startEmulators({ services: ["pubsub"], pubsubPort: 0 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-soak-"));
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
  try {
    const [topic] = await pubsub.createTopic("soak");
    await topic.createSubscription("soak-sub");
    process.stdout.write(
      `\nsoak: ${rate} msg/s for ${seconds} s through Pub/Sub → 5 s windows → Count.perKey (100 keys)${checkpoint ? ", --checkpoint_dir (every 5 s)" : ""}; RSS every 5 s\n`,
    );
    const args = [path.join(__dirname, "soak_child.js"), "--subscription", `projects/${PROJECT}/subscriptions/soak-sub`];
    if (checkpoint) args.push("--checkpoint_dir", path.join(dir, "checkpoints"));
    const child = spawn(process.execPath, args, { env: { ...process.env, ...emulators.env, GOOGLE_CLOUD_PROJECT: PROJECT, METADATA_SERVER_DETECTION: "none" }, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let stderr = "";
    child.stderr!.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-20_000)));
    const samples: MemorySample[] = [];
    let counted = 0;
    let pending = "";
    child.stdout!.on("data", (b: Buffer) => {
      const lines = (pending + b.toString()).split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith("{")) continue; // the job's own messages (e.g. its final state)
        const m = JSON.parse(line) as { counted?: number } & Partial<MemorySample>;
        if (m.counted !== undefined) counted += m.counted;
        else samples.push(m as MemorySample);
      }
    });

    // Publish on a fixed schedule: message i is due at i / rate seconds (late ticks catch up).
    const publisher = topic; // the client batches what accumulates between ticks
    const total = Math.round(rate * seconds);
    const start = Date.now();
    let published = 0;
    let nextReport = 60_000;
    while (published < total) {
      const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate));
      const sends: Promise<string>[] = [];
      for (; published < due; published++) sends.push(publisher.publishMessage({ data: Buffer.from(String(published)), attributes: { id: String(published) } }));
      await Promise.all(sends);
      if (Date.now() - start >= nextReport) {
        const last = samples[samples.length - 1];
        process.stdout.write(`  ${Math.round((Date.now() - start) / 1000)} s: published ${published}, counted ${counted}, RSS ${last?.rssMb.toFixed(0)} MB, heap ${last?.heapMb.toFixed(0)} MB\n`);
        nextReport += 60_000;
      }
      await sleep(TICK_MS);
    }
    const publishSeconds = (Date.now() - start) / 1000;
    // The last windows close when the watermark passes them: wait for every message to be counted.
    const deadline = Date.now() + 120_000;
    while (counted < total && Date.now() < deadline && child.exitCode === null) await sleep(500);
    child.kill("SIGTERM");
    const code = await exited;
    if (code !== 0) throw new Error(`the soak job exited with ${code}:\n${stderr}`);
    if (counted !== total) throw new Error(`counted ${counted} of ${total} published messages`);

    const warmup = Math.min(60_000, (seconds * 1000) / 5);
    const steady = samples.filter((s) => s.t >= warmup);
    const minutes = steady.map((s) => s.t / 60_000);
    const rssSlope = slope(minutes, steady.map((s) => s.rssMb));
    const heapSlope = slope(minutes, steady.map((s) => s.heapMb));
    const rss = steady.map((s) => s.rssMb);
    process.stdout.write(
      `  published ${total} in ${publishSeconds.toFixed(0)} s (${(total / publishSeconds).toFixed(0)} msg/s), counted ${counted} (the window counts add up to what was published)\n` +
        `  RSS after the ${warmup / 1000} s warm-up: first ${rss[0]?.toFixed(0)} MB, last ${rss[rss.length - 1]?.toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB over ${steady.length} samples\n` +
        `  RSS slope ${rssSlope.toFixed(2)} MB/min (heap ${heapSlope.toFixed(2)} MB/min) = ${((rssSlope * 60) / Math.max(1, rss[0] ?? 1) * 100).toFixed(1)} % of the first steady RSS per hour\n` +
        `  RSS per minute: ${samples
          .filter((s, i) => i === 0 || Math.floor(s.t / 60_000) !== Math.floor(samples[i - 1]!.t / 60_000))
          .map((s) => `${Math.round(s.t / 1000)}s ${s.rssMb.toFixed(0)}`)
          .join(", ")} MB\n`,
    );
  } finally {
    await pubsub.close();
    await emulators.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
