/**
 * The heap guard's old-generation limit: V8 aborts when the old generation is full, and
 * `heap_size_limit` also counts the young generation's reserve (three semi-spaces), which from
 * Node 24 (64 MB semi-spaces) is larger than a small container's `--max-old-space-size`.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { flagMegabytes } from "../../runners/direct/spill/heap_guard";

const MB = 1 << 20;

function limitsIn(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { heap: number; old: number } {
  const guard = JSON.stringify(path.join(__dirname, "../../runners/direct/spill/heap_guard"));
  const script = `const v8 = require("node:v8"); console.log(JSON.stringify({ heap: v8.getHeapStatistics().heap_size_limit, old: require(${guard}).oldGenerationLimitBytes() }));`;
  const r = spawnSync(process.execPath, [...args, "-e", script], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { heap: number; old: number };
}

describe("DirectRunner heap guard", () => {
  it("reads V8 size flags as the command line and NODE_OPTIONS give them (=, a separate value, underscores; the last wins)", () => {
    assert.equal(flagMegabytes(["--max-old-space-size=96"], "max-old-space-size"), 96);
    assert.equal(flagMegabytes(["--max_old_space_size", "200", "--inspect"], "max-old-space-size"), 200);
    assert.equal(flagMegabytes(["--max-old-space-size=96", "--max-old-space-size=512"], "max-old-space-size"), 512);
    assert.equal(flagMegabytes(["--max-semi-space-size=8"], "max-old-space-size"), undefined);
    assert.equal(flagMegabytes(["--max-old-space-size=lots"], "max-old-space-size"), undefined);
  });

  it("takes the old generation's limit from --max-old-space-size, not the heap's limit with the young generation's reserve", () => {
    const big = limitsIn(["--max-old-space-size=96", "--max-semi-space-size=64"]);
    assert.equal(big.heap, 288 * MB, "V8 counts 3 semi-spaces of young reserve in the heap's limit");
    assert.equal(big.old, 96 * MB);
    const fromEnv = limitsIn([], { ...process.env, NODE_OPTIONS: "--max-old-space-size=128 --max-semi-space-size=32" });
    assert.deepEqual(fromEnv, { heap: 224 * MB, old: 128 * MB });
  });

  it("without --max-old-space-size, takes the young generation's reserve off the heap's limit", () => {
    const limits = limitsIn(["--max-semi-space-size=32"], { ...process.env, NODE_OPTIONS: "" });
    assert.equal(limits.old, limits.heap - 96 * MB);
  });
});
