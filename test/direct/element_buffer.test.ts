import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Create, Flatten, Reshuffle } from "../../lib";
import { GlobalWindowCoder, WindowedValueCoder } from "../../lib/coders";
import { JsValueCoder } from "../../lib/coders/js_value";
import { WriteToText } from "../../lib/io/textio";
import type { Coder } from "../../lib/coders/coder";
import { inGlobalWindow, type WindowedValue } from "../../lib/model/window";
import { ElementBuffer } from "../../runners/direct/spill/element_buffer";
import { readShards, runDirect } from "../helpers";
import { spillingBuffersProgram } from "./spill_programs";

const coder = new WindowedValueCoder(new JsValueCoder(), new GlobalWindowCoder()) as Coder<WindowedValue<unknown>>;

function element(i: number): WindowedValue<unknown> {
  return inGlobalWindow({ i, text: `element-${i}` });
}

/** The `i`s of the buffer's elements, sorted (the buffer keeps no order). */
function ids(buffer: Iterable<WindowedValue<unknown>>): number[] {
  return [...buffer].map((e) => (e.value as { i: number }).i).sort((a, b) => a - b);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

/** Everything under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String);
}

describe("DirectRunner element buffers (Flatten, Reshuffle, main inputs of side-input ParDos)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "element-buffer-test-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const newBuffer = (budget = 16 * 1024): ElementBuffer => new ElementBuffer({ coder: () => coder, memoryBudgetBytes: budget, spillDirectory: dir, stepName: "Flatten" });

  it("spills past its budget and reads every element back exactly once, as often as it is read", () => {
    const b = newBuffer();
    for (let i = 0; i < 20_000; i++) b.push(element(i));
    assert.ok(b.spills >= 10, `spills: ${b.spills}`);
    assert.equal(b.length, 20_000);
    assert.deepEqual(ids(b), range(0, 20_000));
    assert.deepEqual(ids(b), range(0, 20_000), "read a second time (a retried stage)");
    const first = [...b].find((e) => (e.value as { i: number }).i === 7)!;
    assert.deepEqual(first, element(7), "values, timestamps, windows and panes survive the spill");
    b.dispose();
  });

  it("keeps a small buffer in memory, writing nothing", () => {
    const b = newBuffer(1 << 20);
    for (let i = 0; i < 100; i++) b.push(element(i));
    assert.equal(b.spills, 0);
    assert.deepEqual(filesUnder(dir), []);
    assert.deepEqual(ids(b), range(0, 100));
  });

  it("rolls back to a mark taken before a spill, and to one taken after", () => {
    const b = newBuffer();
    for (let i = 0; i < 50; i++) b.push(element(i));
    const beforeSpill = b.mark();
    for (let i = 50; i < 5_000; i++) b.push(element(i));
    assert.ok(b.spills > 0);
    b.rollback(beforeSpill);
    assert.equal(b.length, 50);
    assert.deepEqual(ids(b), range(0, 50));

    // Now some elements on disk, some in memory, then a failed attempt that spills again.
    for (let i = 50; i < 5_000; i++) b.push(element(i));
    const spilled = b.spills;
    const afterSpill = b.mark();
    for (let i = 5_000; i < 9_000; i++) b.push(element(i));
    assert.ok(b.spills > spilled);
    b.rollback(afterSpill);
    assert.deepEqual(ids(b), range(0, 5_000));

    // A failed attempt that did not spill.
    const noSpill = b.mark();
    for (let i = 5_000; i < 5_010; i++) b.push(element(i));
    b.rollback(noSpill);
    assert.deepEqual(ids(b), range(0, 5_000));
    for (let i = 5_000; i < 6_000; i++) b.push(element(i));
    assert.deepEqual(ids(b), range(0, 6_000), "appends after a rollback");
    b.dispose();
  });

  it("hands its spill files to another buffer by path (a worker thread to the coordinator), each element once", () => {
    const worker = newBuffer();
    for (let i = 0; i < 5_000; i++) worker.push(element(i));
    assert.ok(worker.spills > 0);
    const handed = worker.handOver();
    assert.equal(worker.length, 0);
    assert.ok(handed.spilled.length === 1 && handed.elements.length > 0, "spilled elements by file, the rest encoded");
    const coordinator = newBuffer();
    for (let i = 5_000; i < 5_100; i++) coordinator.push(element(i));
    const mark = coordinator.mark();
    coordinator.receive(handed);
    assert.equal(coordinator.length, 5_100);
    assert.deepEqual(ids(coordinator), range(0, 5_100));
    coordinator.rollback(mark);
    assert.deepEqual(ids(coordinator), range(5_000, 5_100), "a rolled-back bundle's files are dropped");
    assert.ok(!fs.existsSync(handed.spilled[0]!.file));
    coordinator.receive(worker.handOver());
    coordinator.dispose();
    assert.deepEqual(filesUnder(dir), []);
  });

  it("removes its spill files when disposed, also in the middle of a read", () => {
    const b = newBuffer();
    for (let i = 0; i < 5_000; i++) b.push(element(i));
    const reading = b[Symbol.iterator]();
    for (let i = 0; i < 4_000; i++) assert.equal(reading.next().done, false);
    assert.notDeepEqual(filesUnder(dir), []);
    b.dispose();
    assert.deepEqual(filesUnder(dir), []);
    assert.equal(b.length, 0);
    reading.return?.(undefined);
  });

  it("removes its spill files when the process exits before the run ends", () => {
    const script = `
      const { ElementBuffer } = require(${JSON.stringify(path.join(__dirname, "../../runners/direct/spill/element_buffer"))});
      const { WindowedValueCoder, GlobalWindowCoder } = require(${JSON.stringify(path.join(__dirname, "../../lib/coders"))});
      const { JsValueCoder } = require(${JSON.stringify(path.join(__dirname, "../../lib/coders/js_value"))});
      const { inGlobalWindow } = require(${JSON.stringify(path.join(__dirname, "../../lib/model/window"))});
      const coder = new WindowedValueCoder(new JsValueCoder(), new GlobalWindowCoder());
      const b = new ElementBuffer({ coder: () => coder, memoryBudgetBytes: 8192, spillDirectory: process.argv[1], stepName: "Flatten" });
      for (let i = 0; i < 2000; i++) b.push(inGlobalWindow("e" + i));
      if (b.spills < 2) throw new Error("did not spill");
      b[Symbol.iterator]().next();
      process.exit(3);`;
    const r = spawnSync(process.execPath, ["-e", script, dir], { encoding: "utf8" });
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("runs a Flatten and a Reshuffle holding several times the JavaScript heap (V8 aborted the process)", function () {
    this.timeout(60_000);
    // The young generation as Node 24's default (64 MB semi-spaces: V8 counts 192 MB of young
    // reserve in heap_size_limit, more than the 96 MB old generation that aborts).
    // 600,000 lines of ~100 characters through a Flatten, then a Reshuffle: ~200 MB as strings
    // (and more as elements) in a heap of 96 MB. Each line once: a count and a checksum.
    const script = `
      const { Pipeline, Create, Flatten, Reshuffle, Count, Combine, Combiners } = require(${JSON.stringify(path.join(__dirname, "../../lib"))});
      require(${JSON.stringify(path.join(__dirname, "../../runners/direct"))});
      (async () => {
        const p = Pipeline.create({ tempLocation: process.argv[1] });
        const lines = (name) => p.apply(name + "Seeds", Create.from(Array.from({ length: 30 }, (_, i) => i)))
          .flatMap(name + "Lines", (s) => Array.from({ length: 10000 }, (_, j) => name + "-" + (s * 10000 + j) + "-" + "x".repeat(90)));
        const all = lines("a").apply("Both", Flatten.with(lines("b"))).apply("Mix", Reshuffle.viaRandomKey());
        const counted = [];
        all.apply(Count.globally()).map("KeepCount", (n) => { counted.push(n); return n; });
        all.map("Number", (l) => Number(l.split("-")[1])).apply("Sum", Combine.globally(Combiners.sum())).map("KeepSum", (n) => { counted.push(n); return n; });
        const result = await p.run();
        await result.waitUntilFinish();
        console.log(JSON.stringify({ state: result.state, counted: counted.sort((a, b) => a - b), spills: result.metrics.counterTotal("beamline", "shuffleSpills") }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = spawnSync(process.execPath, ["--max-old-space-size=96", "--max-semi-space-size=64", "-e", script, dir], { encoding: "utf8" });
    assert.equal(r.status, 0, `the child failed (signal ${String(r.signal)}): ${r.stderr.slice(-2000)}`);
    const out = JSON.parse(r.stdout) as { state: string; counted: number[]; spills: number };
    const n = 300_000;
    assert.deepEqual(out.counted, [2 * n, n * (n - 1)]);
    assert.equal(out.state, "DONE");
    assert.ok(out.spills >= 2, `spills: ${out.spills}`);
    assert.deepEqual(fs.readdirSync(dir), [], "no spill files left");
  });

  it("rolls back a retried bundle's spilled output (--direct_bundle_retries)", async () => {
    let seen = 0;
    const out = path.join(dir, "out", "lines");
    const result = await runDirect(
      (p) => {
        const left = p.apply("Left", Create.from(range(0, 20_000)));
        const right = p.apply("Right", Create.from(range(20_000, 30_000)));
        left
          .map("Flaky", (i: number) => {
            if (i === 19_000 && ++seen === 1) throw new Error("flaky dependency");
            return i;
          })
          .apply("Both", Flatten.with(right))
          .apply("Mix", Reshuffle.viaRandomKey())
          .map("Text", (i: number) => String(i))
          .apply("Write", WriteToText.to(out));
      },
      { directBundleRetries: 1, directShuffleMemoryMb: 0.25, tempLocation: path.join(dir, "spill") },
    );
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.equal(seen, 2, "failed once, then retried");
    assert.ok(result.metrics.counterTotal("beamline", "shuffleSpills", "Both") > 0, "the Flatten spilled");
    assert.deepEqual(readShards(out).map(Number).sort((a, b) => a - b), range(0, 30_000));
    assert.deepEqual(filesUnder(path.join(dir, "spill")), []);
  });

  it("gives worker threads that spill exactly the output of one thread", async function () {
    this.timeout(60_000);
    const run = async (name: string, options: object): Promise<string[]> => {
      const output = path.join(dir, name, "out");
      const result = await spillingBuffersProgram.run({ n: 20_000, output }, { directShuffleMemoryMb: 1, tempLocation: path.join(dir, "spill"), ...options });
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
      for (const step of ["Both", "Mix", "Spread"]) assert.ok(result.metrics.counterTotal("beamline", "shuffleSpills", step) > 0, `${name}: ${step} spilled`);
      return readShards(output);
    };
    const one = await run("one", {});
    assert.equal(one.length, 40_000);
    assert.equal(new Set(one).size, 40_000);
    assert.ok(one.every((l) => l.endsWith("!")));
    const two = await run("two", { directNumWorkers: 2, directWorkerThreads: "always" });
    assert.deepEqual(two, one);
    assert.deepEqual(filesUnder(path.join(dir, "spill")), [], "no spill files left");
  });
});
