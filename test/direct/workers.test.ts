import { strict as assert } from "node:assert";
import "../../runners/direct";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { busyWorkerProgram, divergentWorkersProgram, failingProgram, lateWorkersProgram, parallelProgram, windowedValuesProgram } from "./programs";

describe("DirectRunner: worker threads (--direct_num_workers > 1)", function () {
  this.timeout(60_000);

  it("runs bundles in worker threads that rebuild the pipeline, with the same results and metrics", async () => {
    const result = await parallelProgram.run({ n: 10_000 }, { directNumWorkers: 2, directWorkerThreads: "always" });
    await result.waitUntilFinish();
    assert.equal(result.metrics.counterTotal("test", "seen"), 10_000);
  });

  it("passes Create.windowedValues' elements between threads in the windows they name", async () => {
    const result = await windowedValuesProgram.run({}, { directNumWorkers: 2, directWorkerThreads: "always" });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
  });

  it("by default runs a short job in this thread alone", async () => {
    const result = await lateWorkersProgram.run({ n: 200, ms: 0 }, { directNumWorkers: 2 });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.equal(result.metrics.counterTotal("test", "inMainThread"), 200);
    assert.equal(result.metrics.counterTotal("test", "inWorkerThread"), 0);
  });

  it("starts worker threads part-way through a long stage; they take the elements left, each element once", async () => {
    const result = await lateWorkersProgram.run({ n: 1000, ms: 2 }, { directNumWorkers: 2 });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    const inMain = result.metrics.counterTotal("test", "inMainThread");
    const inWorker = result.metrics.counterTotal("test", "inWorkerThread");
    assert.equal(inMain + inWorker, 1000);
    assert.ok(inMain > 0 && inWorker > 0, `main thread ${inMain}, worker thread ${inWorker}`);
  });

  it("runs a chunk waiting in a busy worker thread in the main thread once the main thread has nothing left", async () => {
    // The second stage's 3 elements, one per chunk: the main thread takes one, the worker thread one
    // (500 ms there), and the worker asks for a third to keep waiting. The main thread, done with its
    // own in 20 ms, takes that one back and runs it instead of sitting idle for 500 ms.
    const result = await busyWorkerProgram.run({ n: 1000, ms: 2, few: 3, mainMs: 20, workerMs: 500, cheap: 0 }, { directNumWorkers: 2 });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.ok(result.metrics.counterTotal("test", "inWorkerThread") > 0, "the worker thread started during the first stage");
    assert.equal(result.metrics.counterTotal("test", "heavyInWorkerThread"), 1);
    assert.equal(result.metrics.counterTotal("test", "heavyInMainThread"), 2);
  });

  it("runs a short stage of many small elements in the main thread alone, though worker threads are running", async () => {
    // 1,000 elements costing next to nothing: a worker's bundle would cost more than it saves.
    const result = await busyWorkerProgram.run({ n: 1000, ms: 2, few: 0, mainMs: 0, workerMs: 0, cheap: 1000 }, { directNumWorkers: 2 });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.ok(result.metrics.counterTotal("test", "inWorkerThread") > 0, "the worker thread started during the first stage");
    assert.equal(result.metrics.counterTotal("test", "cheapInMainThread"), 1000);
    assert.equal(result.metrics.counterTotal("test", "cheapInWorkerThread"), 0);
  });

  it("fails the run, leaving no output, when a worker thread started part-way through a stage cannot rebuild the pipeline", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-divergent-"));
    try {
      const result = await divergentWorkersProgram.run({ output: path.join(dir, "out", "numbers") }, { directNumWorkers: 2 });
      assert.equal(result.state, "FAILED");
      assert.match(result.error!.message, /Building the pipeline twice gave different graphs/);
      assert.deepEqual(fs.existsSync(path.join(dir, "out")) ? fs.readdirSync(path.join(dir, "out")) : [], []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a worker thread's user-code failure with the transform name", async () => {
    const result = await failingProgram.run({}, { directNumWorkers: 2 });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Explode.*bad element/);
  });
});
