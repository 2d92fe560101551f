import { strict as assert } from "node:assert";
import { inGlobalWindow, WindowedValue } from "../../lib/model/window";
import { WorkQueue } from "../../runners/direct/work_queue";
import { type StagePace, workersWorthStarting, worthSharing } from "../../runners/direct/shared_stages";
import { workingMs } from "../../runners/direct/stage_run";

const elements = (n: number): WindowedValue<unknown>[] => Array.from({ length: n }, (_, i) => inGlobalWindow(i));

function drain(q: WorkQueue): number[][] {
  const chunks: number[][] = [];
  for (let c = q.take(); c !== undefined; c = q.take()) chunks.push(c.map((wv) => wv.value as number));
  return chunks;
}

describe("DirectRunner: the work queue shared by a stage's bundles", () => {
  it("hands out every element once, in order, about 32 chunks per participant", () => {
    const q = new WorkQueue(elements(1000), 1000, 2);
    assert.equal(q.chunksLeft, 67);
    const chunks = drain(q);
    assert.deepEqual(chunks.flat(), Array.from({ length: 1000 }, (_, i) => i));
    assert.equal(chunks[0]!.length, 15);
    assert.equal(chunks.length, 67);
    assert.equal(q.exhausted, true);
    assert.equal(q.chunksLeft, 0);
  });

  it("caps chunks at 4096 elements, and cuts an input of unknown size into chunks of 1024", () => {
    assert.equal(new WorkQueue(elements(1_000_000), 1_000_000, 2).take()!.length, 4096);
    const q = new WorkQueue(elements(2500), undefined, 2);
    assert.equal(q.chunksLeft, undefined);
    assert.deepEqual(drain(q).map((c) => c.length), [1024, 1024, 452]);
  });

  it("one element per chunk for small inputs; none for an empty one", () => {
    assert.deepEqual(drain(new WorkQueue(elements(3), 3, 2)), [[0], [1], [2]]);
    const empty = new WorkQueue([], 0, 2);
    assert.equal(empty.exhausted, true);
    assert.equal(empty.take(), undefined);
  });

  it("after a failure hands out nothing more and rethrows the first failure", () => {
    const q = new WorkQueue(elements(100), 100, 2);
    q.take();
    q.abort(new Error("first"));
    q.abort(new Error("second"));
    assert.equal(q.exhausted, true);
    assert.throws(() => q.take(), /first/);
  });
});

describe("DirectRunner: when worker threads are worth starting", () => {
  /** `done` chunks done: the first took `first` ms (cold code), each later one `each` ms; `running` ms into the next. */
  const pace = (done: number, first: number, each: number, running = 0): StagePace => {
    const lastChunkMs = done === 0 ? 0 : first + (done - 1) * each;
    return { elapsedMs: lastChunkMs + running, chunksDone: done, firstChunkMs: done === 0 ? 0 : first, lastChunkMs };
  };

  it("only when the work left, at this thread's pace after its first chunk, is over three times their start-up (400 ms)", () => {
    // 100 ms per chunk: 13 chunks left is 1,300 ms, 11 is 1,100 ms.
    assert.equal(workersWorthStarting(pace(3, 150, 100), 13), true);
    assert.equal(workersWorthStarting(pace(3, 150, 100), 11), false);
    assert.equal(workersWorthStarting(pace(10, 100, 100), 7), false);
    assert.equal(workersWorthStarting(pace(2, 5000, 5000), 0), false);
  });

  it("does not take a first chunk's cold code for the stage's pace", () => {
    // A first byte range of a 20 MB read: 100 ms cold, 35 ms warm; 18 ranges left are 630 ms of work.
    assert.equal(workersWorthStarting(pace(1, 100, 35), 18), false);
    assert.equal(workersWorthStarting(pace(2, 100, 35), 18), false);
    assert.equal(workersWorthStarting(pace(3, 100, 35, 20), 17), false);
    // A 100 MB read's 64 KiB first range, 60 ms cold: 76 ranges left are at least 76 × 20 ms.
    assert.equal(workersWorthStarting(pace(1, 60, 50), 76), true);
    // A smaller read: its second range has run 19 ms so far (at least 1,140 ms left, then 1,260 ms).
    assert.equal(workersWorthStarting(pace(1, 24, 40, 19), 60), false);
    assert.equal(workersWorthStarting(pace(1, 24, 40, 21), 60), true);
  });

  it("counts a first chunk that alone took as long as a worker's start (cold code is little of it)", () => {
    assert.equal(workersWorthStarting(pace(1, 450, 450), 3), true);
    assert.equal(workersWorthStarting(pace(1, 450, 450), 2), false);
    assert.equal(workersWorthStarting(pace(1, 350, 350), 5), false);
  });

  it("judges a first chunk still running only once it has run 400 ms", () => {
    assert.equal(workersWorthStarting(pace(0, 0, 0, 300), 100), false);
    assert.equal(workersWorthStarting(pace(0, 0, 0, 450), 3), true);
    assert.equal(workersWorthStarting(pace(0, 0, 0, 450), 1), false);
  });

  it("with an unknown amount of work, once the stage has run 1,200 ms", () => {
    assert.equal(workersWorthStarting(pace(5, 230, 230), undefined), false);
    assert.equal(workersWorthStarting(pace(5, 250, 250), undefined), true);
  });

  it("judges the pace by time worked: wall time less the time other processes held the cores", () => {
    // A loaded machine: 900 ms of wall time, 250 ms of it running; the stage is short after all.
    assert.equal(workingMs(900, 250, 0), 250);
    assert.equal(workersWorthStarting(pace(0, 0, 0, workingMs(900, 250, 0)), 2), false);
    // Waiting for I/O counts as work (the event loop was idle, not preempted).
    assert.equal(workingMs(900, 100, 700), 800);
    // Never more than the wall time (CPU time of helper threads running alongside).
    assert.equal(workingMs(500, 600, 0), 500);
  });
});

describe("DirectRunner: which stages worker threads already running take part in", () => {
  it("a stage of few elements (one per chunk) or of an unknown number, from its start", () => {
    assert.equal(worthSharing(1, 0, 0, 64), true);
    assert.equal(worthSharing(1024, 0, 0, undefined), true);
  });

  it("a stage of many small elements once it has worked 10 ms after its first chunk and the work left at that pace is over 100 ms", () => {
    assert.equal(worthSharing(76, 5, 1000, 1_000_000), false, "too early to judge (cold code)");
    // 10 µs per element: 4,000 elements left is 40 ms, 20,000 is 200 ms.
    assert.equal(worthSharing(76, 10, 1000, 4000), false);
    assert.equal(worthSharing(76, 10, 1000, 20_000), true);
    assert.equal(worthSharing(76, 50, 5000, 0), false);
  });
});
