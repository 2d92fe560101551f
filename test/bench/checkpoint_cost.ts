/**
 * The checkpoint cost part of `npm run bench` (`--only checkpoint`): the streaming benchmark's
 * windowed count (streaming_child.ts) without checkpoints and with `--checkpoint_dir` at the
 * default interval (5 s) and at 500 ms, alternating in fresh processes; medians and ratios.
 *
 * Flags: --ckpt_elements N (default 5000000: runs of several seconds, so several checkpoints), --ckpt_keys N (default 100), --ckpt_runs N (default 3).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { StreamingSample } from "./streaming_child";

const VARIANTS = [
  { label: "no checkpoints", interval: undefined },
  { label: "--checkpoint_dir, every 5 s", interval: 5000 },
  { label: "--checkpoint_dir, every 500 ms", interval: 500 },
] as const;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function runOnce(elements: number, keys: number, interval: number | undefined): StreamingSample {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-ckpt-bench-"));
  try {
    const args = [path.join(__dirname, "streaming_child.js"), ...(interval === undefined ? ["windowed", String(elements), String(keys)] : ["windowed-checkpoint", String(elements), String(keys), dir, String(interval)])];
    const stdout = execFileSync(process.execPath, args, { encoding: "utf8" });
    return JSON.parse(stdout.trim().split("\n").pop()!) as StreamingSample;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function benchCheckpointCost(flag: (name: string, fallback: string) => string): void {
  const elements = Number(flag("ckpt_elements", "5000000"));
  const keys = Number(flag("ckpt_keys", "100"));
  const runs = Number(flag("ckpt_runs", "3"));
  process.stdout.write(`\ncheckpoint cost: the streaming windowed count, ${elements.toLocaleString("en-US")} elements, ${keys} keys; ${runs} runs each, alternating, fresh processes\n`);
  const ms = new Map<string, number[]>(VARIANTS.map((v) => [v.label, []]));
  const rss = new Map<string, number[]>(VARIANTS.map((v) => [v.label, []]));
  /** Share of each run's wall time spent taking checkpoints (measured inside the run: robust to a busy machine). */
  const spent = new Map<string, number[]>(VARIANTS.map((v) => [v.label, []]));
  for (let i = 0; i < runs; i++) {
    for (const v of VARIANTS) {
      const s = runOnce(elements, keys, v.interval);
      if (s.total !== elements) throw new Error(`${v.label}: counted ${s.total} elements, expected ${elements}`);
      ms.get(v.label)!.push(s.ms);
      rss.get(v.label)!.push(s.maxRssMb);
      const ck = s.checkpoints;
      if (ck !== undefined) spent.get(v.label)!.push(ck.millis / s.ms);
      process.stdout.write(
        `  run ${i + 1} ${v.label.padEnd(32)} ${(s.ms / 1000).toFixed(2)} s  ${Math.round(elements / (s.ms / 1000)).toLocaleString("en-US")} el/s  peak RSS ${s.maxRssMb.toFixed(0)} MB` +
          (ck !== undefined ? `  ${ck.written} checkpoints taking ${ck.millis} ms (${((ck.millis / s.ms) * 100).toFixed(1)} % of the run)` : "") +
          "\n",
      );
    }
  }
  const base = median(ms.get(VARIANTS[0].label)!);
  for (const v of VARIANTS) {
    const m = median(ms.get(v.label)!);
    const share = spent.get(v.label)!;
    process.stdout.write(
      `  ${v.label.padEnd(32)} median ${(m / 1000).toFixed(2)} s = ${(m / base).toFixed(2)}x no checkpoints, peak RSS ${Math.max(...rss.get(v.label)!).toFixed(0)} MB` +
        (share.length > 0 ? `, ${(median(share) * 100).toFixed(1)} % of the wall time taking checkpoints` : "") +
        "\n",
    );
  }
}
