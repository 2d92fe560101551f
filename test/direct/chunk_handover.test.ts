import { strict as assert } from "node:assert";
import { inGlobalWindow, WindowedValue } from "../../lib/model/window";
import { ChunkHandover } from "../../runners/direct/chunk_handover";
import { StageRun } from "../../runners/direct/stage_run";
import { WorkQueue } from "../../runners/direct/work_queue";
import type { Stage } from "../../runners/direct/plan";
import { runStageInstances } from "../../runners/direct/stage_runner";

const elements = (n: number): WindowedValue<unknown>[] => Array.from({ length: n }, (_, i) => inGlobalWindow(i));
const values = (chunk: readonly WindowedValue<unknown>[] | undefined): unknown[] | undefined => chunk?.map((wv) => wv.value);

/** A stage run over `n` elements shared by 2 participants (one element per chunk below 64). */
function stageRun(n: number): StageRun {
  return new StageRun({ id: 0 } as Stage, new WorkQueue(elements(n), n, 2), () => ({}));
}

describe("DirectRunner: chunks handed to worker threads", () => {
  it("runs each chunk once: the worker's claim and the coordinator's taking back exclude each other", () => {
    const coordinator = new ChunkHandover();
    const worker = new ChunkHandover(coordinator.buffer);
    coordinator.sent(0);
    coordinator.sent(1);
    assert.equal(worker.claim(0), true);
    assert.equal(coordinator.takeBack(0), false, "already started in the worker");
    assert.equal(coordinator.takeBack(1), true);
    assert.equal(worker.claim(1), false, "taken back: the worker skips it");
    assert.equal(coordinator.settled(0) && coordinator.settled(1), true);
  });

  it("tells a worker it is finished only once nothing more will be sent and it has received every chunk sent", async () => {
    const coordinator = new ChunkHandover();
    const worker = new ChunkHandover(coordinator.buffer);
    coordinator.sent(0);
    coordinator.sent(1);
    let woken = false;
    const waiting = worker.untilNoMore().then(() => (woken = true));
    assert.equal(worker.finished(2), false, "more may come");
    coordinator.noMore();
    await waiting;
    assert.equal(woken, true);
    assert.equal(worker.finished(1), false, "chunk 1 is still on its way");
    assert.equal(worker.finished(2), true);
    await worker.untilNoMore();
  });

  it("refuses to reuse the slot of a chunk still unsettled", () => {
    const h = new ChunkHandover();
    for (let seq = 0; seq < 8; seq++) h.sent(seq);
    assert.throws(() => h.sent(8), /chunk 8 while chunk 0 was still unsettled/);
    h.takeBack(0);
    h.sent(8);
  });
});

describe("DirectRunner: a stage's chunks between this thread and worker threads", () => {
  it("once the queue is empty, this thread takes back the newest chunk a worker has not started", () => {
    const run = stageRun(4);
    assert.deepEqual(values(run.takeHere()), [0]);
    const first = run.firstFor(false)!;
    assert.deepEqual(values(first.chunk), [1]);
    const worker = new ChunkHandover(first.bundle.handover.buffer);
    assert.equal(worker.claim(0), true);
    const second = run.nextFor(first.bundle)!;
    const third = run.nextFor(first.bundle)!;
    assert.deepEqual([second.seq, values(second.chunk), third.seq, values(third.chunk)], [1, [2], 2, [3]]);
    assert.equal(run.nextFor(first.bundle), undefined);
    assert.equal(worker.finished(3), true, "the queue is empty and all 3 chunks were sent");
    // The worker is still busy with chunk 0: this thread runs chunks 2 and 1, newest first.
    assert.deepEqual(values(run.takeHere()), [3]);
    assert.equal(worker.claim(1), true, "the worker started chunk 1 meanwhile");
    assert.equal(run.takeHere(), undefined);
    assert.equal(worker.claim(2), false);
  });

  it("tells a worker bundle started on an empty queue that nothing more will come", () => {
    const run = stageRun(0);
    const first = run.firstFor(true)!;
    assert.deepEqual(first.chunk, []);
    assert.equal(new ChunkHandover(first.bundle.handover.buffer).finished(1), true);
    assert.equal(run.firstFor(false), undefined);
  });

  it("after a failure gives out nothing more and wakes waiting workers", async () => {
    const run = stageRun(10);
    const first = run.firstFor(false)!;
    const failed = Promise.reject(new Error("boom"));
    run.track(failed);
    await assert.rejects(run.finished(), /boom/);
    assert.equal(run.nextFor(first.bundle), undefined);
    await new ChunkHandover(first.bundle.handover.buffer).untilNoMore();
  });
});

describe("DirectRunner: a bundle fed chunk by chunk", () => {
  it("takes its next chunk only once the last one's async work has ended (it holds no chunk it cannot start)", async () => {
    const log: string[] = [];
    const pending: (() => void)[] = [];
    const input = {
      receive: (value: unknown): Promise<void> => {
        log.push(`start ${String(value)}`);
        return new Promise<void>((resolve) => pending.push(() => (log.push(`end ${String(value)}`), resolve())));
      },
    };
    async function* chunks(): AsyncGenerator<WindowedValue<unknown>[]> {
      for (const n of [1, 2]) {
        log.push(`take ${n}`);
        yield [inGlobalWindow(n)];
      }
    }
    const done = runStageInstances([{ operators: [], input }], chunks(), 1);
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    await settle();
    assert.deepEqual(log, ["take 1", "start 1"]);
    pending.shift()!();
    await settle();
    assert.deepEqual(log, ["take 1", "start 1", "end 1", "take 2", "start 2"]);
    pending.shift()!();
    await done;
    assert.deepEqual(log.slice(5), ["end 2"]);
  });
});
