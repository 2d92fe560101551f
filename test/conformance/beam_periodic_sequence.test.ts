/**
 * Beam's PeriodicSequence (Beam Java PeriodicSequenceTest, Beam Python periodicsequence_test.py)
 * on the DirectRunner: for each input definition { start, stop, intervalMillis }, the firings from
 * start to stop (exclusive, as Beam Python), each valued and timestamped at its instant and never
 * output before the wall clock reached it. Ranges in the past run at once; ranges in the future
 * use short intervals, and the test waits only for the run to end.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GroupByKey, kv, ParDo, PeriodicSequence, Window, type KV, type SequenceDefinition } from "../../lib";
import { OffsetRange } from "../../lib/model/offset_range";
import { isStreamingResult } from "../../lib/model/result";
import { MAX_TIMESTAMP } from "../../lib/model/window";
import { sequenceBacklogBytes } from "../../lib/transforms/periodic_sequence";
import { runDirect, runOk } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

/** Runs PeriodicSequence over `defs`; its outputs, the wall-clock time each was seen at, and whether the output is bounded. */
async function firingsOf(defs: SequenceDefinition[]): Promise<{ out: Observed<number>[]; seenAt: number[]; bounded: boolean }> {
  const out: Observed<number>[] = [];
  const seenAt: number[] = [];
  let bounded = true;
  await runOk((p) => {
    const firings = p.apply("Defs", Create.from(defs)).apply("Seq", PeriodicSequence.create());
    bounded = firings.isBounded;
    collect(
      firings.apply(
        "SeenAt",
        ParDo.into<number>().of((t: number, ctx) => {
          seenAt.push(Date.now());
          ctx.output(t);
        }),
      ),
      out,
    );
  });
  return { out, seenAt, bounded };
}

describe("Beam conformance: PeriodicSequence", () => {
  it("test_periodicsequence_outputs_valid_sequence_in_past: a definition 10 000 s in the past (5 s every 1 s) gives its 5 firings at once", async () => {
    const start = Date.now() - 10_000_000;
    const { out, bounded } = await firingsOf([{ start, stop: start + 5000, intervalMillis: 1000 }]);
    assert.equal(bounded, false, "the output is unbounded, as in Beam");
    assert.deepEqual(
      out.map((o) => `${o.value - start}@${o.timestamp - start} ${o.window}`).sort(),
      ["0@0 global", "1000@1000 global", "2000@2000 global", "3000@3000 global", "4000@4000 global"],
    );
  });

  it("PeriodicSequenceTest.testOutputsProperElements / test_periodicsequence_outputs_valid_sequence: future firings come no earlier than their instants, and the run then ends", async () => {
    const start = Date.now() + 300;
    const { out, seenAt } = await firingsOf([{ start, stop: start + 200, intervalMillis: 50 }]);
    assert.deepEqual(
      out.map((o) => o.value - start),
      [0, 50, 100, 150],
    );
    assert.ok(out.every((o) => o.timestamp === o.value));
    // Beam Java checks the firings were spread over processing time; none before its instant says more.
    for (const [i, o] of out.entries()) assert.ok(seenAt[i]! >= o.value, `firing +${o.value - start} was processed ${o.value - seenAt[i]!} ms before its instant`);
  });

  it("each input element is a sequence of its own; fixed windows of the interval group one firing each (Beam Java's test pipeline)", async () => {
    const a = Math.floor((Date.now() - 60_000) / 1000) * 1000;
    const b = a + 30_000;
    const out: Observed<KV<string, number[]>>[] = [];
    await runOk((p) => {
      const grouped = p
        .apply(Create.of<SequenceDefinition>({ start: a, stop: a + 3000, intervalMillis: 1000 }, { start: b - 1, stop: b + 1, intervalMillis: 1000 }))
        .apply(PeriodicSequence.create())
        .apply(Window.into<number>(new FixedWindows(1000)))
        .map("Key", (t: number) => kv("k", t))
        .apply(GroupByKey.create());
      collect(grouped, out);
    });
    assert.deepEqual(out.map((o) => `${o.value.value.map((t) => t - a).join(",")} ${o.window}`).sort(), [
      `0 ${a}:${a + 1000}`,
      `1000 ${a + 1000}:${a + 2000}`,
      `2000 ${a + 2000}:${a + 3000}`,
      `29999 ${b - 1000}:${b}`,
    ].sort());
  });

  it("a definition timestamped after its firings (read now, starting in the past) still gives them, each at its own instant", async () => {
    const now = Date.now();
    const start = now - 10_000;
    const out: Observed<number>[] = [];
    await runOk((p) => collect(p.apply(Create.timestamped([{ value: { start, stop: start + 3000, intervalMillis: 1000 } as SequenceDefinition, timestamp: now }])).apply(PeriodicSequence.create()), out));
    assert.deepEqual(
      out.map((o) => `${o.value - start}@${o.timestamp - start}`),
      ["0@0", "1000@1000", "2000@2000"],
    );
  });

  it("with --streaming too: the same firings (the sequence's input is bounded, its output unbounded either way)", async () => {
    const start = Date.now() + 100;
    const out: Observed<number>[] = [];
    await runOk((p) => collect(p.apply(Create.of<SequenceDefinition>({ start, stop: start + 100, intervalMillis: 50 })).apply(PeriodicSequence.create()), out), { streaming: true });
    assert.deepEqual(
      out.map((o) => o.value - start),
      [0, 50],
    );
  });

  it("a sequence without end runs until drained: a drain stops it at once (Beam's truncate to nothing), the firings so far intact", async () => {
    const start = Date.now();
    const out: Observed<number>[] = [];
    const result = await runDirect((p) => collect(p.apply(Create.of<SequenceDefinition>({ start, stop: MAX_TIMESTAMP, intervalMillis: 20 })).apply(PeriodicSequence.create()), out));
    assert.ok(isStreamingResult(result), "an endless sequence gives a streaming result that can be drained");
    // Poll the outputs (no sleep for synchronisation): three firings, then drain.
    while (out.length < 3) {
      assert.equal(result.state, "RUNNING", result.error?.message);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(await result.drain(), "DRAINED");
    const n = out.length;
    assert.deepEqual(
      out.map((o) => o.value - start),
      Array.from({ length: n }, (_, i) => i * 20),
    );
    assert.ok(out.every((o) => o.value <= Date.now()));
  });

  it("a definition that is not { start, stop, intervalMillis } fails the run naming the step", async () => {
    const run = async (): Promise<unknown> => (await runDirect((p) => void p.apply(Create.of<SequenceDefinition>({ start: 0, stop: 1000, intervalMillis: 0 })).apply("Seq", PeriodicSequence.create()))).waitUntilFinish();
    await assert.rejects(run(), /Seq: PeriodicSequence's intervalMillis must be a positive whole number of milliseconds, got 0/);
  });

  it("test_periodicsequence_output_size: the backlog is 8 bytes per firing due and not yet output", () => {
    // Beam Python's cases: element (0, 1e9 s, 10 s), `now` in seconds, ranges of firing indices.
    const d: SequenceDefinition = { start: 0, stop: 1e12, intervalMillis: 10_000 };
    const s = 1000;
    assert.equal(sequenceBacklogBytes(d, 100 * s, new OffsetRange(10, 100_000_000)), 0);
    assert.equal(sequenceBacklogBytes(d, 100 * s, new OffsetRange(9, 100_000_000)), 8);
    assert.equal(sequenceBacklogBytes(d, 100 * s, new OffsetRange(8, 100_000_000)), 16);
    assert.equal(sequenceBacklogBytes(d, 101 * s, new OffsetRange(9, 100_000_000)), 8);
    assert.equal(sequenceBacklogBytes(d, 10_000 * s, new OffsetRange(0, 100_000_000)), (8 * 10_000) / 10);
    assert.equal(sequenceBacklogBytes(d, 10_000 * s, new OffsetRange(1002, 1003)), 0);
    assert.equal(sequenceBacklogBytes(d, 10_100 * s, new OffsetRange(1002, 1003)), 8);
  });
});
