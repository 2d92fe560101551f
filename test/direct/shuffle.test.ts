import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Combiners, GlobalWindow, IntervalWindow } from "../../lib";
import { DeterministicJsValueCoder, JsValueCoder } from "../../lib/coders/js_value";
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { Shuffle } from "../../runners/direct/shuffle";
import { groupIdentity, keyIdentity } from "../../runners/executor/grouping_key";

const keyCoder = new DeterministicJsValueCoder() as Coder<unknown>;
const valueCoder = new JsValueCoder() as Coder<unknown>;

describe("DirectRunner shuffle", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "shuffle-test-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("spills past its memory budget and still returns every group exactly once", () => {
    const shuffle = new Shuffle({ keyCoder, valueCoder, memoryBudgetBytes: 64 * 1024, spillDirectory: dir });
    const expected = new Map<string, number[]>();
    for (let i = 0; i < 20_000; i++) {
      const key = `key-${i % 1500}`;
      const window = i % 2 === 0 ? GlobalWindow.INSTANCE : new IntervalWindow(0, 1000);
      shuffle.add(groupIdentity(keyIdentity(key, keyCoder), window), key, window, i, { i });
      const id = `${key}|${window.id()}`;
      expected.set(id, [...(expected.get(id) ?? []), i]);
    }
    assert.ok(shuffle.spills > 3, `expected several spills, got ${shuffle.spills}`);
    let groups = 0;
    for (const g of shuffle.read()) {
      groups++;
      const id = `${g.key as string}|${g.window.id()}`;
      const values = (g.values as { i: number }[]).map((v) => v.i).sort((a, b) => a - b);
      assert.deepEqual(values, expected.get(id), `group ${id}`);
      assert.equal(g.minTimestamp, values[0]);
      assert.equal(g.maxTimestamp, values[values.length - 1]);
    }
    assert.equal(groups, expected.size);
    assert.deepEqual(fs.readdirSync(dir), [], "spill files are removed after reading");
  });

  it("merges accumulators of a lifted combine across spills", () => {
    const shuffle = new Shuffle({
      keyCoder,
      valueCoder,
      combineFn: Combiners.sum() as unknown as CombineFnLike,
      memoryBudgetBytes: 4 * 1024,
      spillDirectory: dir,
    });
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 200; k++) shuffle.add(keyIdentity(k, keyCoder), k, GlobalWindow.INSTANCE, 0, round);
    }
    assert.ok(shuffle.spills > 0);
    const sums = new Map<number, number>();
    for (const g of shuffle.read()) {
      assert.equal(g.values.length, 1);
      sums.set(g.key as number, g.values[0] as number);
    }
    assert.equal(sums.size, 200);
    for (const v of sums.values()) assert.equal(v, (49 * 50) / 2);
  });
});
