/**
 * `requiresTimeSortedInput` (Beam Java's `@RequiresTimeSortedInput`) against ParDoTest's
 * TimeSortedInputTests as the oracle: testRequiresTimeSortedInput, ...WithTestStream,
 * ...WithLateDataAndAllowedLateness, ...WithLateData, testTwoRequiresTimeSortedInputWithLateData.
 * Their DoFn outputs each element's difference from the previous one of its key: sorted input
 * gives all ones. As Beam's StatefulDoFnRunner does, the DirectRunner buffers each key's elements
 * until the input watermark passes them (plus the allowed lateness) and drops what is later.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GlobalWindows, kv, ParDo, StatefulDoFn, StateSpec, TestStream, Window, type KV, type PCollection, type StatefulProcessContext } from "../../lib";
import { GLOBAL_WINDOW_MAX_TIMESTAMP } from "../../lib/model/window";
import type { Pipeline } from "../../lib/model/pipeline";
import { collect, type Observed } from "../streaming/collect";
import { runOk } from "../helpers";

/** ParDoTest's timeSortedDoFn: outputs value - previous value of the key (1 for the first). */
class TimeSorted extends StatefulDoFn<string, number, number> {
  readonly requiresTimeSortedInput = true;
  readonly last = StateSpec.value<number>("last");
  process(e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    const last = ctx.state(this.last).read() ?? e.value - 1;
    ctx.state(this.last).write(e.value);
    ctx.output(e.value - last);
  }
}

const N = 1000;
/** N, N-1, ..., 1: each at its own value as timestamp, in descending order. */
const descending = Array.from({ length: N }, (_, i) => N - i);

/** Runs `build`, collecting what it returns; the outputs and the count of elements dropped as late. */
async function run(build: (p: Pipeline) => PCollection<number>): Promise<{ out: Observed<number>[]; dropped: number }> {
  const out: Observed<number>[] = [];
  const result = await runOk((p) => collect(build(p), out));
  return { out, dropped: result.metrics.counterTotal("beamline", "droppedDueToLateness") };
}

const sorted = (input: PCollection<number>, name = "sorted"): PCollection<number> =>
  input.map(`${name}.MapElements`, (e: number) => kv("", e)).apply(`${name}.ParDo`, ParDo.of(new TimeSorted()));

/** A TestStream of `descending`, one element per event; at 100 the watermark moves to `advanceAt100`. */
function stream(p: Pipeline, advanceAt100?: number): PCollection<number> {
  let s = TestStream.create<number>();
  for (const stamp of descending) {
    s = s.addElements({ value: stamp, timestamp: stamp });
    if (stamp === 100 && advanceAt100 !== undefined) s = s.advanceWatermarkTo(advanceAt100);
  }
  return p.apply("Input", s.advanceWatermarkToInfinity());
}

const allOnes = (out: readonly Observed<number>[]): boolean => out.every((o) => o.value === 1);

describe("Beam conformance: requiresTimeSortedInput (ParDoTest TimeSortedInputTests)", () => {
  it("testRequiresTimeSortedInput: a bounded input in descending order reaches process sorted", async () => {
    const { out } = await run((p) => sorted(p.apply("Input", Create.timestamped(descending.map((v) => ({ value: v, timestamp: v }))))));
    assert.equal(out.length, N);
    assert.ok(allOnes(out), `not all ones: ${out.filter((o) => o.value !== 1).length} differ`);
  });

  it("testRequiresTimeSortedInputWithTestStream: one element per TestStream event, sorted", async () => {
    const { out } = await run((p) => sorted(stream(p)));
    assert.equal(out.length, N);
    assert.ok(allOnes(out));
  });

  it("testRequiresTimeSortedInputWithLateDataAndAllowedLateness: data behind the watermark but within the allowed lateness is still sorted in", async () => {
    const { out, dropped } = await run((p) => sorted(stream(p, 100).apply(Window.into(new GlobalWindows(), { allowedLatenessMillis: 5_000 }))));
    assert.equal(out.length, N);
    assert.ok(allOnes(out));
    assert.equal(dropped, 0);
  });

  it("testRequiresTimeSortedInputWithLateData: data after the watermark passed the window's end is dropped and counted", async () => {
    const { out, dropped } = await run((p) => sorted(stream(p, GLOBAL_WINDOW_MAX_TIMESTAMP + 1_000)));
    assert.ok(out.length >= N - 100 && out.length <= N - 1, `${out.length} outputs`);
    assert.equal(out.length, N - 99, "the elements 1000 down to 100, before the watermark moved; no more");
    assert.ok(allOnes(out), "those sorted");
    assert.equal(dropped, 99);
  });

  it("testTwoRequiresTimeSortedInputWithLateData: a second sorted step loses nothing more", async () => {
    const { out } = await run((p) => sorted(sorted(stream(p, GLOBAL_WINDOW_MAX_TIMESTAMP + 1_000), "first").map("ToLong", (n: number) => n), "second"));
    assert.ok(out.length >= N - 100 && out.length <= N - 1, `${out.length} outputs`);
  });

  it("sorts per key and window, and holds elements until the watermark passes them", async () => {
    const seen: string[] = [];
    class Order extends StatefulDoFn<string, number, string> {
      readonly requiresTimeSortedInput = true;
      process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        seen.push(`${e.key}${e.value}`);
        ctx.output(`${e.key}${e.value}`);
      }
    }
    const input = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("a", 5), timestamp: 5 }, { value: kv("b", 3), timestamp: 3 }, { value: kv("a", 2), timestamp: 2 })
      .advanceWatermarkTo(4) // a2 and b3 are due; a5 waits
      .addElements({ value: kv("a", 4), timestamp: 4 }, { value: kv("a", 12), timestamp: 12 }, { value: kv("a", 11), timestamp: 11 })
      .advanceWatermarkTo(6) // a4 and a5, in that order
      .addElements({ value: kv("a", 1), timestamp: 1 }) // behind the watermark: dropped
      .advanceWatermarkToInfinity();
    const out: Observed<string>[] = [];
    const result = await runOk((p) => collect(p.apply("Input", input).apply(Window.into(new FixedWindows(10))).apply("Order", ParDo.of(new Order())), out));
    const a = seen.filter((s) => s.startsWith("a"));
    assert.deepEqual(a, ["a2", "a4", "a5", "a11", "a12"], "a's elements in timestamp order, window by window; a1 came too late");
    assert.deepEqual(seen.filter((s) => s.startsWith("b")), ["b3"]);
    assert.deepEqual(out.map((o) => `${o.value}@${o.timestamp}`).sort(), ["a11@11", "a12@12", "a2@2", "a4@4", "a5@5", "b3@3"], "each output keeps its element's timestamp");
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness"), 1);
  });

  it("refuses a state or timer name the runner reserves", async () => {
    class Reserved extends StatefulDoFn<string, number, number> {
      readonly mine = StateSpec.value<number>("__beamline_sortBuffer");
      process(): void {}
    }
    await assert.rejects(runOk((p) => void p.apply(Create.of(kv("a", 1))).apply("Reserved", ParDo.of(new Reserved()))), /'__beamline_sortBuffer'.*reserved/);
  });
});
