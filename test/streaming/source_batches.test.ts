import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { Count, DoFn, FixedWindows, IntervalWindow, KV, ParDo, ProcessContext, WithKeys, Window } from "../../lib";
import { ReadUnbounded } from "../../lib/io/read_unbounded";
import { MIN_TIMESTAMP } from "../../lib/model/window";
import { isStreamingResult, StreamingPipelineResult } from "../../runners/streaming";
import { SourceBundle, SourceQueue } from "../../runners/streaming/source_queue";
import { runDirect } from "../helpers";

/** The (value, timestamp) pairs of a bundle. */
function pairs(b: SourceBundle): [unknown, number][] {
  const out: [unknown, number][] = [];
  let i = b.from;
  b.runTimes.forEach((t, r) => {
    for (let n = 0; n < b.runLengths[r]!; n++) out.push([b.values[i++], t]);
  });
  assert.equal(i, b.to, "the runs cover the bundle's range");
  return out;
}

describe("Streaming DirectRunner: the source queue", () => {
  it("cuts bundles across runs of equal timestamps, and a bundle stays intact while more is queued", () => {
    const q = new SourceQueue();
    q.addAll(["a", "b", "c"], 10, undefined);
    q.add("d", 10, undefined);
    q.addAll(["e", "f"], [20, 5], undefined);
    assert.equal(q.length, 6);
    assert.equal(q.minTimestamp, 5);
    const first = q.take(2);
    // Queued after the take (into the same array, or a new one): the bundle does not change.
    q.addAll(["g", "h", "i", "j", "k", "l", "m"], 30, undefined);
    q.add("n", 30, undefined);
    assert.deepEqual(pairs(first), [
      ["a", 10],
      ["b", 10],
    ]);
    assert.deepEqual(pairs(q.take(3)), [
      ["c", 10],
      ["d", 10],
      ["e", 20],
    ]);
    assert.equal(q.minTimestamp, 5);
    assert.deepEqual(pairs(q.take(2)), [
      ["f", 5],
      ["g", 30],
    ]);
    assert.equal(q.minTimestamp, 30);
    assert.deepEqual(
      pairs(q.take(100)).map(([v]) => v),
      ["h", "i", "j", "k", "l", "m", "n"],
    );
    assert.equal(q.length, 0);
    assert.equal(q.minTimestamp, Infinity);
  });

  it("fills the array of a finished bundle again (recycle), and a bundle in progress never changes", () => {
    const q = new SourceQueue();
    q.addAll([1, 2, 3], 10, undefined);
    const a = q.take(10);
    q.recycle(a);
    q.addAll([4, 5], 20, undefined);
    const b = q.take(10);
    assert.notEqual(b.values, a.values);
    // The queue now fills a's array from its start; b (still running) keeps its own.
    q.addAll([6, 7, 8], 30, undefined);
    q.add(9, 30, "r9");
    assert.deepEqual(pairs(b), [
      [4, 20],
      [5, 20],
    ]);
    q.recycle(a); // no longer lent: ignored
    const c = q.take(2);
    assert.equal(c.values, a.values);
    q.recycle(c); // a partial take: the queue still fills this array
    q.addAll([10], 40, ["r10"]);
    assert.deepEqual(pairs(c), [
      [6, 30],
      [7, 30],
    ]);
    q.recycle(b);
    const d = q.take(10);
    assert.deepEqual(pairs(d), [
      [8, 30],
      [9, 30],
      [10, 40],
    ]);
    assert.deepEqual(d.receipts, ["r9", "r10"]);
    // Without recycling (the slow path), the same elements come out.
    const plain = new SourceQueue();
    for (const [vs, t] of [
      [[1, 2, 3], 10],
      [[4, 5], 20],
      [[6, 7, 8, 9, 10], 30],
    ] as const)
      plain.addAll(vs, t, undefined);
    assert.deepEqual(pairs(plain.take(100)).map(([v]) => v), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("keeps receipts in step with their elements, from the first one given (by emit or in a batch)", () => {
    const q = new SourceQueue();
    q.add(1, 0, undefined);
    q.addAll([2, 3], 0, undefined);
    q.addAll([4, 5, 6], 0, [undefined, "r5", undefined]);
    q.add(7, 0, "r7");
    assert.deepEqual(q.take(4).receipts, []);
    assert.deepEqual(q.take(2).receipts, ["r5"]);
    q.addAll([8, 9], 1, ["r8", "r9"]);
    assert.deepEqual(q.take(10).receipts, ["r7", "r8", "r9"]);
  });

  it("fills arrays of one elements kind: new and recycled alike (numbers do not make a new one small-integer only)", () => {
    // In a fresh process (V8 remembers kinds per allocation site, and other tests store strings),
    // with V8's own view of an array's elements kind (natives syntax).
    const script = `
      const { SourceQueue } = require(${JSON.stringify(require.resolve("../../runners/streaming/source_queue"))});
      const q = new SourceQueue();
      q.addAll([1, 2, 3], 10, undefined);
      const first = q.take(10);
      const firstSmi = %HasSmiElements(first.values);
      q.recycle(first);
      q.addAll([4, 5], 20, undefined);
      const second = q.take(10); // into the array made when the first emptied the queue
      const secondSmi = %HasSmiElements(second.values);
      const values = [...second.values.slice(second.from, second.to)];
      q.recycle(second);
      q.addAll([6], 30, undefined);
      const third = q.take(10); // into the first array, recycled
      console.log(JSON.stringify({ firstSmi, secondSmi, values, reused: third.values === first.values, sameMap: %HaveSameMap(second.values, third.values), third: third.values[0] }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--allow-natives-syntax", "-e", script], { encoding: "utf8" }));
    assert.deepEqual(out, { firstSmi: false, secondSmi: false, values: [4, 5], reused: true, sameMap: true, third: 6 });
  });

  it("stays correct through many partial takes (the arrays are compacted as they are consumed)", () => {
    const q = new SourceQueue();
    const seen: [unknown, number][] = [];
    let next = 0;
    for (let round = 0; round < 200; round++) {
      // Batches of 37 at one timestamp, single elements at their own: taken 50 at a time.
      q.addAll(
        Array.from({ length: 37 }, () => next++),
        round,
        undefined,
      );
      q.add(next++, round + 0.5, undefined);
      while (q.length > 20) seen.push(...pairs(q.take(50)));
    }
    while (q.length > 0) seen.push(...pairs(q.take(50)));
    assert.equal(seen.length, next);
    seen.forEach(([v, t], i) => {
      assert.equal(v, i);
      assert.equal(t, i % 38 === 37 ? Math.floor(i / 38) + 0.5 : Math.floor(i / 38));
    });
  });
});

class Record extends DoFn<KV<string, number>, never> {
  constructor(private readonly out: string[]) {
    super();
  }
  process(e: KV<string, number>, ctx: ProcessContext<never>): void {
    this.out.push(`${(ctx.window as IntervalWindow).start} ${e.key}=${e.value}`);
  }
}

async function start(build: Parameters<typeof runDirect>[0]): Promise<StreamingPipelineResult> {
  const result = await runDirect(build, {}, { checkEveryElement: false });
  assert.ok(isStreamingResult(result));
  return result;
}

describe("Streaming DirectRunner: sources emitting batches (emitAll)", () => {
  it("counts per window what emitAll hands over, with one timestamp per batch or per element, and commits every receipt in order", async () => {
    const panes: string[] = [];
    const committed: unknown[] = [];
    const result = await start((p) => {
      p.apply(
        ReadUnbounded.from<string>({
          initialWatermark: MIN_TIMESTAMP,
          async read(ctx) {
            ctx.onCommit(async (receipts) => void committed.push(...receipts));
            await ctx.emitAll(["a", "b", "a"], 100, ["m1", "m2", "m3"]);
            await ctx.emitAll(["b", "a", "c"], [900, 1_100, 1_999]);
            ctx.advanceWatermark(1_000);
            await ctx.emit("c", 1_500, "m7");
            await ctx.emitAll([], 3_000);
          },
        }),
      )
        .apply(Window.into(new FixedWindows(1_000)))
        .apply(WithKeys.of((s: string) => s))
        .apply(Count.perKey())
        .apply("Record", ParDo.of(new Record(panes)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(panes.sort(), ["0 a=2", "0 b=2", "1000 a=1", "1000 c=2"]);
    assert.deepEqual(committed, ["m1", "m2", "m3", "m7"]);
  });

  it("fails the run with a clear error when the timestamps or receipts do not match the values", async () => {
    const result = await start((p) => {
      p.apply(
        ReadUnbounded.from<number>({
          async read(ctx) {
            await ctx.emitAll([1, 2, 3], [10, 20]);
          },
        }),
      ).apply("Record", ParDo.of((_: number) => undefined));
    });
    await assert.rejects(result.waitUntilFinish(), /emitAll got 3 values but 2 timestamps: give one timestamp per value, or one for all/);
  });
});
