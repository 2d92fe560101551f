import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Combiners, Create, GlobalWindow, GroupByKey, IntervalWindow, kv, KV } from "../../lib";
import { DeterministicJsValueCoder, JsValueCoder } from "../../lib/coders/js_value";
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { BoundedWindow } from "../../lib/model/window";
import { Group, Shuffle } from "../../runners/direct/shuffle";
import { recordHead, recordValues, RunReader, RunWriter } from "../../runners/direct/spill/run_file";
import { sortIds, sortIdsWith } from "../../runners/direct/spill/sort_ids";
import { groupIdentity, keyIdentity } from "../../runners/executor/grouping_key";
import { runDirect } from "../helpers";

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

  it("returns groups of one value and of many, in the order added, when nothing spilled", () => {
    const shuffle = new Shuffle({ keyCoder, valueCoder, memoryBudgetBytes: 1 << 30, spillDirectory: dir });
    const add = (key: string, value: unknown, t: number): void => shuffle.add(groupIdentity(keyIdentity(key, keyCoder), GlobalWindow.INSTANCE), key, GlobalWindow.INSTANCE, t, value);
    add("one", { v: 1 }, 5);
    add("many", "a", 7);
    add("many", null, 3);
    add("many", "c", 9);
    add("solo-null", null, 1);
    assert.equal(shuffle.spills, 0);
    assert.deepEqual(
      [...shuffle.read()].map((g) => [g.key, g.values, g.minTimestamp, g.maxTimestamp]),
      [
        ["one", [{ v: 1 }], 5, 5],
        ["many", ["a", null, "c"], 3, 9],
        ["solo-null", [null], 1, 1],
      ],
    );
    const summed = new Shuffle({ keyCoder, valueCoder, combineFn: Combiners.sum() as unknown as CombineFnLike, memoryBudgetBytes: 1 << 30, spillDirectory: dir });
    for (const v of [1, 2, 3]) summed.add(keyIdentity("k", keyCoder), "k", GlobalWindow.INSTANCE, 0, v);
    summed.add(keyIdentity("single", keyCoder), "single", GlobalWindow.INSTANCE, 0, 10);
    assert.deepEqual([...summed.read()].map((g) => [g.key, g.values]), [["k", [6]], ["single", [10]]]);
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
  /**
   * Adds the same elements to a shuffle: keys of every kind (non-ASCII; U+FFFF and U+10000, which
   * UTF-16 and UTF-8 order differently; numbers, objects), two windows.
   */
  function fill(shuffle: Shuffle, n: number): void {
    const odd = ["é", "日本", "\ud800\udc00", "\uffff", "a\u0000b", ""];
    for (let i = 0; i < n; i++) {
      const m = (i * 7919) % 2300;
      const key: unknown = m % 5 === 0 ? m : m % 5 === 1 ? { id: m, tag: "x" } : m % 5 === 2 ? `${odd[m % odd.length]}-${m}` : `key-${m}`;
      const window: BoundedWindow = i % 3 === 0 ? new IntervalWindow(0, 1000) : GlobalWindow.INSTANCE;
      shuffle.add(groupIdentity(keyIdentity(key, keyCoder), window), key, window, i % 1000, { i, text: "v".repeat(i % 50) });
    }
  }

  function byId(groups: Iterable<Group>): Map<string, Group> {
    const out = new Map<string, Group>();
    for (const g of groups) out.set(groupIdentity(keyIdentity(g.key, keyCoder), g.window), g);
    return out;
  }

  it("with a tiny budget and fan-in 3 (many runs, several merge passes) returns exactly the in-memory groups, in id order", () => {
    const inMemory = new Shuffle({ keyCoder, valueCoder, memoryBudgetBytes: 1 << 30, spillDirectory: dir });
    fill(inMemory, 30_000);
    assert.equal(inMemory.spills, 0);
    const expected = byId(inMemory.read());

    const spilling = new Shuffle({ keyCoder, valueCoder, memoryBudgetBytes: 32 * 1024, spillDirectory: dir, mergeFanIn: 3 });
    fill(spilling, 30_000);
    assert.ok(spilling.spills > 20, `expected many spills, got ${spilling.spills}`);
    const ids: string[] = [];
    const got = new Map<string, Group>();
    for (const g of spilling.read()) {
      const id = groupIdentity(keyIdentity(g.key, keyCoder), g.window);
      ids.push(id);
      got.set(id, g);
    }
    assert.ok(spilling.mergedRuns >= spilling.spills / 3, `expected merge passes, got ${spilling.mergedRuns} merged runs for ${spilling.spills} spills`);
    assert.equal(got.size, expected.size);
    // Values in the order they were added, timestamps and windows as when nothing spilled.
    for (const [id, g] of expected) assert.deepEqual(got.get(id), g, `group ${JSON.stringify(id)}`);
    assert.deepEqual(ids, [...ids].sort(), "groups come out sorted by group id");
    assert.equal(new Set(ids).size, ids.length, "each group once");
    assert.deepEqual(fs.readdirSync(dir), [], "spill files are removed after reading");
  });

  it("removes its spill files when reading stops early or the run is disposed mid-read", () => {
    for (const stop of ["return", "dispose"] as const) {
      const shuffle = new Shuffle({ keyCoder, valueCoder, memoryBudgetBytes: 16 * 1024, spillDirectory: dir, mergeFanIn: 4 });
      fill(shuffle, 5_000);
      assert.ok(shuffle.spills > 4);
      const it = shuffle.read();
      assert.equal(it.next().done, false);
      assert.notDeepEqual(fs.readdirSync(dir), [], "spilled runs exist while reading");
      if (stop === "return") it.return(undefined);
      else shuffle.dispose();
      assert.deepEqual(fs.readdirSync(dir), [], `no spill files after ${stop}`);
    }
  });

  it("removes its spill files when the process exits before the run ends", () => {
    const script = `
      const { Shuffle } = require(${JSON.stringify(path.join(__dirname, "../../runners/direct/shuffle"))});
      const { JsValueCoder, DeterministicJsValueCoder } = require(${JSON.stringify(path.join(__dirname, "../../lib/coders/js_value"))});
      const { GlobalWindow } = require(${JSON.stringify(path.join(__dirname, "../../lib/model/window"))});
      const s = new Shuffle({ keyCoder: new DeterministicJsValueCoder(), valueCoder: new JsValueCoder(), memoryBudgetBytes: 8192, spillDirectory: process.argv[1] });
      for (let i = 0; i < 2000; i++) s.add("n" + i, i, GlobalWindow.INSTANCE, 0, i);
      if (s.spills < 2) throw new Error("did not spill");
      s.read().next();
      process.exit(3);`;
    const r = spawnSync(process.execPath, ["-e", script, dir], { encoding: "utf8" });
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("spills before its budget when the heap nears its limit, instead of running out (which aborts the process)", function () {
    this.timeout(120_000);
    // The young generation as Node 24's default (64 MB semi-spaces: V8 counts 192 MB of young
    // reserve in heap_size_limit, more than the 96 MB old generation that aborts).
    // A 1 GB budget in a heap of 96 MB: 600,000 groups of 40-character keys hold ~200 MB of live
    // groups, so without the guard V8 aborts the child ("JavaScript heap out of memory").
    const script = `
      const { Shuffle } = require(${JSON.stringify(path.join(__dirname, "../../runners/direct/shuffle"))});
      const { JsValueCoder, DeterministicJsValueCoder } = require(${JSON.stringify(path.join(__dirname, "../../lib/coders/js_value"))});
      const { GlobalWindow } = require(${JSON.stringify(path.join(__dirname, "../../lib/model/window"))});
      const s = new Shuffle({ keyCoder: new DeterministicJsValueCoder(), valueCoder: new JsValueCoder(), memoryBudgetBytes: 1 << 30, spillDirectory: process.argv[1], stepName: "Count/GroupByKey" });
      const N = 600000;
      for (let i = 0; i < N; i++) {
        const key = "session-" + String(i).padStart(32, "0");
        s.add("s" + key, key, GlobalWindow.INSTANCE, i, 1);
        if (i % 3 === 0) s.add("s" + key, key, GlobalWindow.INSTANCE, i, 2);
      }
      let groups = 0, values = 0, sum = 0, last = "";
      for (const g of s.read()) {
        if (!(g.key > last)) throw new Error("groups out of order or repeated at " + g.key);
        last = g.key; groups++; values += g.values.length; for (const v of g.values) sum += v;
      }
      console.log(JSON.stringify({ groups, values, sum, spills: s.spills, early: s.earlySpills }));`;
    const r = spawnSync(process.execPath, ["--max-old-space-size=96", "--max-semi-space-size=64", "-e", script, dir], { encoding: "utf8" });
    assert.equal(r.status, 0, `the child failed (signal ${String(r.signal)}): ${r.stderr.slice(-2000)}`);
    const out = JSON.parse(r.stdout) as { groups: number; values: number; sum: number; spills: number; early: number };
    assert.deepEqual({ groups: out.groups, values: out.values, sum: out.sum }, { groups: 600_000, values: 800_000, sum: 1_000_000 });
    // Every spill but the last (the read writes what is left) came early: the budget was never reached.
    assert.ok(out.early >= 2 && out.spills === out.early + 1, `spills ${out.spills}, early ${out.early}`);
    assert.match(r.stderr, /Warning: the shuffle of Count\/GroupByKey spilled to disk before its budget \(--direct_shuffle_memory_mb 1024 MB.*% full.*--max-old-space-size/);
    assert.equal(r.stderr.match(/Warning: the shuffle/g)?.length, 1, "warned once");
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("says where and what to do when it cannot write its spill files", () => {
    const notADirectory = path.join(dir, "file");
    fs.writeFileSync(notADirectory, "");
    const shuffle = new Shuffle({ keyCoder, valueCoder, memoryBudgetBytes: 1024, spillDirectory: notADirectory, stepName: "Count/GroupByKey" });
    assert.throws(
      () => fill(shuffle, 1000),
      (e: Error) => /The shuffle of Count\/GroupByKey could not write its spill files in .*file/.test(e.message) && /--temp_location/.test(e.message),
    );
  });

  it("reads records larger than its block and ids of any length from run files", () => {
    const file = path.join(dir, "run.bin");
    const w = new RunWriter(file);
    const records = [
      { id: "a", head: Buffer.from([1, 2]), values: Buffer.alloc(0), count: 0 },
      { id: "b".repeat(300), head: Buffer.alloc(200, 7), values: Buffer.alloc(3_000_000, 9), count: 1 },
      { id: "c\ud800", head: Buffer.alloc(0), values: Buffer.from([5]), count: 1 },
    ];
    for (const [i, r] of records.entries()) w.writeRecord(r.id, i, 10 + i, r.count, r.head, [r.values.subarray(0, 1), r.values.subarray(1)]);
    w.close();
    const reader = new RunReader(file, 7);
    for (const [i, r] of records.entries()) {
      assert.ok(reader.advance());
      const got = reader.record;
      assert.deepEqual(
        { id: got.id, min: got.minTimestamp, max: got.maxTimestamp, count: got.count, head: Buffer.from(recordHead(got)), values: Buffer.from(recordValues(got)) },
        { id: r.id, min: i, max: 10 + i, count: r.count, head: r.head, values: r.values },
      );
    }
    assert.equal(reader.advance(), false);
    reader.close();
    fs.truncateSync(file, fs.statSync(file).size - 1);
    const truncated = new RunReader(file, 1 << 16);
    assert.throws(() => {
      while (truncated.advance());
    }, /spill file .* is truncated/);
    truncated.close();
  });

  it("spills under --temp_location, and a failed run leaves nothing there", async () => {
    const values = Array.from({ length: 20_000 }, (_, i) => kv(`k${i % 4000}`, i));
    const spillDirsSeen: string[][] = [];
    for (const fail of [false, true]) {
      const result = await runDirect(
        (p) => {
          p.apply(Create.from(values))
            .apply(GroupByKey.create<string, number>())
            .map("Check", (g: KV<string, number[]>) => {
              // Runs while the shuffle's runs are merged: its spill directory is there now.
              if (g.key === "k0") spillDirsSeen.push(fs.readdirSync(dir));
              if (fail && g.key === "k3999") throw new Error("boom");
              return g.value.length;
            });
        },
        { directShuffleMemoryMb: 0.05, tempLocation: dir },
      );
      assert.equal(result.state, fail ? "FAILED" : "DONE", result.error?.message);
      if (!fail) assert.ok(result.metrics.counterTotal("beamline", "shuffleSpills", "GroupByKey") > 5);
      assert.deepEqual(fs.readdirSync(dir), [], `nothing left in --temp_location after a ${fail ? "failed" : "successful"} run`);
    }
    assert.equal(spillDirsSeen.length, 2);
    for (const seen of spillDirsSeen) assert.match(seen.join(","), /^beamline-shuffle-/);
  });

  it("sorts group ids exactly as Array.prototype.sort does (radix on characters, any character)", () => {
    // Characters around the key's cut-offs (253-256), surrogates, U+FFFF, NUL; shared prefixes; ids that are prefixes of others.
    const alphabet = ["a", "b", "\u00fd", "\u00fe", "\u00ff", "\u0100", "\ud800", "\udc00", "\uffff", "\u0000", "é", "日"];
    let seed = 7;
    const random = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 8) % n);
    for (let round = 0; round < 60; round++) {
      const prefix = "s".repeat(random(3)) + (round % 2 === 0 ? "session-000" : "");
      const ids = new Set<string>();
      const n = 50 + random(3000);
      while (ids.size < n) {
        let id = prefix;
        for (let i = random(10); i > 0; i--) id += alphabet[random(alphabet.length)];
        ids.add(id);
      }
      const list = [...ids];
      assert.deepEqual(sortIds(list), [...list].sort(), `round ${round}`);
      // The spill's variant sorts in place and moves each id's group along with it.
      const sorted = [...list];
      const items = sorted.map((id) => ({ id }));
      sortIdsWith(sorted, items);
      assert.deepEqual(sorted, [...list].sort(), `round ${round} (in place)`);
      assert.ok(
        items.every((item, i) => item.id === sorted[i]),
        `round ${round}: every item next to its id`,
      );
    }
  });

  it("keeps short ids that are not ASCII exact through run files (latin-1, BMP, lone surrogates)", () => {
    const file = path.join(dir, "short.bin");
    const w = new RunWriter(file);
    const ids = ["", "plain", "caf\u00e9", "\u00ff\u0080", "\u65e5\u672c", "x\udc00", "a".repeat(64), "\u00e9".repeat(65)];
    for (const id of ids) w.writeGroup(id, 1, 2, 1, Buffer.from([9, 1, 2, 3]), 1);
    w.close();
    const reader = new RunReader(file, 1 << 16);
    for (const id of ids) {
      assert.ok(reader.advance());
      assert.equal(reader.record.id, id);
      assert.deepEqual([Buffer.from(recordHead(reader.record)), Buffer.from(recordValues(reader.record))], [Buffer.from([9]), Buffer.from([1, 2, 3])]);
    }
    assert.equal(reader.advance(), false);
    reader.close();
  });
});
