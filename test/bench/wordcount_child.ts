/**
 * One timed word count in a fresh process, so peak RSS is per run. Prints one JSON line:
 * {"mode", "ms", "maxRssMb", "words"}.
 *
 *   node dist/test/bench/wordcount_child.js beamline|baseline INPUT OUTPUT_PREFIX [WORKERS]
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import "../../runners/direct";
import { wordcount } from "../../pipelines/wordcount";

/** The hand-written baseline: stream the file, split lines, regex, Map, write. */
async function baseline(input: string, output: string): Promise<number> {
  const counts = new Map<string, number>();
  let rest = "";
  const WORD = /[\p{L}\p{N}_']+/gu;
  const countLine = (line: string): void => {
    const words = line.match(WORD);
    if (words === null) return;
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  for await (const chunk of fs.createReadStream(input, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split("\n");
    rest = lines.pop()!;
    for (const line of lines) countLine(line);
  }
  countLine(rest);
  const out = fs.createWriteStream(`${output}-00000-of-00001`);
  let buf = "";
  for (const [w, n] of counts) {
    buf += `${w}: ${n}\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once("drain", () => r()));
      buf = "";
    }
  }
  out.write(buf);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return counts.size;
}

async function beamline(input: string, output: string, workers: number): Promise<number> {
  const result = await wordcount.run({ input, output }, { directNumWorkers: workers });
  await result.waitUntilFinish();
  return result.outputs.reduce((n, f) => n + fs.readFileSync(f, "utf8").split("\n").length - 1, 0);
}

async function main(): Promise<void> {
  const [mode, input, output] = process.argv.slice(2);
  if (!mode || !input || !output) throw new Error("usage: wordcount_child beamline|baseline INPUT OUTPUT_PREFIX");
  const start = performance.now();
  const workers = Number(process.argv[5] ?? "1");
  const words = mode === "baseline" ? await baseline(input, output) : await beamline(input, output, workers);
  const ms = performance.now() - start;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ mode, ms, maxRssMb, words })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e instanceof Error ? e.stack : e)}\n`);
  process.exitCode = 1;
});
