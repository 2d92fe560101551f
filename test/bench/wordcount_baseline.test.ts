/**
 * The bench's hand-written baseline split over threads (`--threads N`) counts exactly what the
 * one-thread loop counts: its ranges start and end at line boundaries, also where a cut falls
 * inside a multi-byte character, and when there are more threads than lines.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const BASELINE = path.join(__dirname, "wordcount_baseline.js");

function run(input: string, threads: number, dir: string): string[] {
  const out = path.join(dir, `counts-${threads}.txt`);
  execFileSync(process.execPath, [BASELINE, input, out, ...(threads > 1 ? ["--threads", String(threads)] : [])]);
  return fs.readFileSync(out, "utf8").split("\n").filter((l) => l !== "").sort();
}

describe("bench: hand-written wordcount baseline", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-baseline-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("counts the same words on 1, 2 and 3 threads", () => {
    const input = path.join(dir, "input.txt");
    // Lines of different lengths with multi-byte words, so the byte cuts land mid-line and mid-character.
    const lines = Array.from({ length: 400 }, (_, i) => `${"straße ".repeat(i % 7)}königin ${i % 13} l'été_${i % 5}`);
    fs.writeFileSync(input, lines.join("\n")); // no newline at the end: the last line counts too
    const one = run(input, 1, dir);
    assert.ok(one.includes("königin: 400"), one.join("\n"));
    for (const threads of [2, 3]) assert.deepEqual(run(input, threads, dir), one, `${threads} threads`);
  });

  it("gives threads without lines nothing to count", () => {
    const input = path.join(dir, "one-line.txt");
    fs.writeFileSync(input, "the quick brown fox the\n");
    assert.deepEqual(run(input, 4, dir), ["brown: 1", "fox: 1", "quick: 1", "the: 2"]);
  });
});
