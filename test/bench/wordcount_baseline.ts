/**
 * The hand-written word count `npm run bench` compares Beamline's wordcount with: the simplest
 * fast single-pass Node.js code a user would write (stream the file, split lines, the same word
 * regex, a Map, one buffered write). It imports nothing but Node's own modules, so its process
 * start-up is Node's alone.
 *
 *   node dist/test/bench/wordcount_baseline.js INPUT OUTPUT_FILE
 */
import * as fs from "node:fs";

async function main(input: string, output: string): Promise<void> {
  const counts = new Map<string, number>();
  const WORD = /[\p{L}\p{N}_']+/gu;
  const countLine = (line: string): void => {
    const words = line.match(WORD);
    if (words === null) return;
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  let rest = "";
  for await (const chunk of fs.createReadStream(input, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split("\n");
    rest = lines.pop()!;
    for (const line of lines) countLine(line);
  }
  countLine(rest);
  const out = fs.createWriteStream(output);
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
}

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  process.stderr.write("usage: wordcount_baseline INPUT OUTPUT_FILE\n");
  process.exitCode = 2;
} else {
  main(input, output).catch((e: unknown) => {
    process.stderr.write(`${String(e instanceof Error ? e.stack : e)}\n`);
    process.exitCode = 1;
  });
}
