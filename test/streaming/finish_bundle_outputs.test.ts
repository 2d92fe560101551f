import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Count, Create, DoFn, FixedWindows, GroupByKey, ParDo, Sessions, TestStream, Window, WriteToText, kv } from "../../lib";
import type { BundleContext, ProcessContext } from "../../lib/model/dofn";
import { BoundedWindow, Instant, IntervalWindow, KV } from "../../lib/model/window";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { ReadUnbounded } from "../../lib/io/read_unbounded";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PCollection } from "../../lib/model/pcollection";

/** Buffers a bundle's elements and emits them, in their windows, from finishBundle (as sinks and batching DoFns do). */
class EmitAtBundleEnd extends DoFn<KV<string, number>, KV<string, number>> {
  private buffered: KV<string, number>[] = [];
  startBundle(): void {
    this.buffered = [];
  }
  process(e: KV<string, number>): void {
    this.buffered.push(e);
  }
  finishBundle(ctx: BundleContext<KV<string, number>>): void {
    for (const e of this.buffered) ctx.output(e, { timestamp: e.value, window: new IntervalWindow(Math.floor(e.value / 10) * 10, Math.floor(e.value / 10) * 10 + 10) });
  }
}

/** Buffers a bundle's elements and emits them from finishBundle at their own timestamps and windows. */
class FlushAtBundleEnd extends DoFn<KV<string, number>, KV<string, number>> {
  private buffered: { e: KV<string, number>; t: Instant; w: BoundedWindow }[] = [];
  startBundle(): void {
    this.buffered = [];
  }
  process(e: KV<string, number>, ctx: ProcessContext<KV<string, number>>): void {
    this.buffered.push({ e, t: ctx.timestamp, w: ctx.window });
  }
  finishBundle(ctx: BundleContext<KV<string, number>>): void {
    for (const b of this.buffered) ctx.output(b.e, { timestamp: b.t, window: b.w });
  }
}

/** Keeps each key's sum in state; at the window's end its timer puts the sum in a buffer that finishBundle emits (a batching stateful DoFn). */
class SumAtWindowEndFlushedAtBundleEnd extends StatefulDoFn<string, number, KV<string, number>> {
  readonly sum = StateSpec.value<number>("sum");
  readonly end = TimerSpec.eventTime("end");
  private buffered: { e: KV<string, number>; t: Instant; w: BoundedWindow }[] = [];
  startBundle(): void {
    this.buffered = [];
  }
  process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
    const s = ctx.state(this.sum);
    s.write((s.read() ?? 0) + e.value);
    ctx.timer(this.end).set(ctx.window.maxTimestamp());
  }
  onTimer(_t: string, ctx: TimerContext<string, KV<string, number>>): void {
    this.buffered.push({ e: kv(ctx.key, ctx.state(this.sum).read() ?? 0), t: ctx.timestamp, w: ctx.window });
  }
  finishBundle(ctx: BundleContext<KV<string, number>>): void {
    for (const b of this.buffered) ctx.output(b.e, { timestamp: b.t, window: b.w });
  }
}

/** Passes elements on as they come; has a finishBundle (that outputs nothing), so the driver holds its output while it takes any in. */
class PassOnWithFinishBundle extends DoFn<KV<string, number>, KV<string, number>> {
  process(e: KV<string, number>, ctx: ProcessContext<KV<string, number>>): void {
    ctx.output(e);
  }
  finishBundle(): void {}
}

/** Passes elements on as they come; a timer at the window's end clears its state and outputs nothing. */
class PassOnAndCleanUp extends StatefulDoFn<string, number, KV<string, number>> {
  readonly seen = StateSpec.value<number>("seen");
  readonly cleanup = TimerSpec.eventTime("cleanup");
  process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
    ctx.state(this.seen).write(1);
    ctx.timer(this.cleanup).set(ctx.window.maxTimestamp());
    ctx.output(e);
  }
  onTimer(_t: string, ctx: TimerContext<string, KV<string, number>>): void {
    ctx.state(this.seen).clear();
  }
  finishBundle(): void {}
}

/**
 * a@1 and a@2 in fixed windows of 10, grouped, ungrouped, passed through `middle`, and grouped
 * again: what the middle steps emit must reach the second grouping before its watermark does.
 */
function regrouped(p: Pipeline, middle: (c: PCollection<KV<string, number>>) => PCollection<KV<string, number>>): PCollection<KV<string, number[]>> {
  const ungrouped = p
    .apply(TestStream.create<KV<string, number>>().addElements({ value: kv("a", 1), timestamp: 1 }, { value: kv("a", 2), timestamp: 2 }).advanceWatermarkToInfinity())
    .apply(Window.into(new FixedWindows(10)))
    .apply("Group1", GroupByKey.create())
    .flatMap("Ungroup", (g: KV<string, number[]>) => g.value.map((v) => kv(g.key, v)));
  return middle(ungrouped).apply("Group2", GroupByKey.create());
}

describe("streaming driver: outputs of finishBundle", () => {
  it("reach a downstream grouping before its watermark passes them (nothing dropped as late)", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    // The first grouping fires when the watermark passes the window, in the same bundle
    // that then advances the second grouping's watermark.
    const result = await runDirect((p) => collect(regrouped(p, (c) => c.apply("EmitAtBundleEnd", ParDo.of(new EmitAtBundleEnd()))), out));
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(
      out.map((o) => `${o.value.key}:${[...o.value.value].sort().join(",")} ${o.window}`),
      ["a:1,2 0:10"],
    );
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness"), 0);
  });

  it("outputs a timer buffered for finishBundle reach a downstream grouping before its watermark passes them", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const grouped = p
        // The watermark passes the window in a bundle without elements: only the timer fires.
        .apply(TestStream.create<KV<string, number>>().addElements({ value: kv("a", 1), timestamp: 1 }, { value: kv("a", 2), timestamp: 2 }).advanceWatermarkTo(100).advanceWatermarkToInfinity())
        .apply(Window.into(new FixedWindows(10)))
        .apply("SumAtWindowEnd", ParDo.of(new SumAtWindowEndFlushedAtBundleEnd()))
        .apply("Group", GroupByKey.create());
      collect(grouped, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness"), 0, "nothing dropped as late");
    assert.deepEqual(
      out.map((o) => `${o.value.key}:${[...o.value.value].join(",")} ${o.window}`),
      ["a:3 0:10"],
    );
  });

  it("under a steady stream (an element in every bundle) its output watermark still advances: windows fire while the stream goes on", async () => {
    const N = 40;
    let emitted = 0;
    let emittedAtFirstPane: number | undefined;
    let processed: (() => void) | undefined;
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect(
      (p) => {
        const grouped = p
          .apply(
            ReadUnbounded.from<KV<string, number>>({
              initialWatermark: 0,
              // One element at a time, the next once the previous is processed: every bundle the driver runs has one.
              async read(ctx) {
                for (let i = 0; i < N; i++) {
                  const done = new Promise<void>((resolve) => (processed = resolve));
                  emitted++;
                  await ctx.emit(kv("a", i * 1_000), i * 1_000);
                  ctx.advanceWatermark(i * 1_000);
                  await done;
                }
              },
            }),
          )
          .map("Processed", (e: KV<string, number>) => {
            processed?.();
            return e;
          })
          .apply(Window.into(new FixedWindows(5_000)))
          .apply("FlushAtBundleEnd", ParDo.of(new FlushAtBundleEnd()))
          .apply("Group", GroupByKey.create());
        grouped.apply(
          "Record",
          ParDo.of(() => {
            emittedAtFirstPane ??= emitted;
          }),
        );
        collect(grouped, out);
      },
      {},
      { checkEveryElement: false },
    );
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(out.length, N / 5, "a pane per window");
    assert.ok(emittedAtFirstPane !== undefined && emittedAtFirstPane < N, `the first window fired while the stream went on (at element ${emittedAtFirstPane} of ${N})`);
  });

  it("at the end of the input, a last round in which only a timer fires (no element) still lets the watermark reach the end", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    // The first grouping fires at the end of the input; what it fires goes through a ParDo with
    // finishBundle, which holds the next step's input watermark a round more; then only the timer fires.
    const result = await runDirect((p) =>
      collect(
        regrouped(p, (c) => c.apply("PassOn", ParDo.of(new PassOnWithFinishBundle())).apply("CleanUp", ParDo.of(new PassOnAndCleanUp()))),
        out,
      ),
    );
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(
      out.map((o) => `${o.value.key}:${[...o.value.value].sort().join(",")} ${o.window}`),
      ["a:1,2 0:10"],
      "the last grouping fires its window",
    );
  });

  it("a bounded pipeline run by the streaming driver (sessions) writes every window's result to its text sink", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-flush-"));
    try {
      const result = await runDirect((p) => {
        p.apply(Create.timestamped([{ value: "a", timestamp: 1 }, { value: "a", timestamp: 5 }, { value: "b", timestamp: 100 }]))
          .apply(Window.into(new Sessions(10)))
          .apply(Count.perElement())
          .map("Format", (e) => `${e.key}:${e.value}`)
          .apply(WriteToText.to(path.join(dir, "counts")));
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
      const text = fs.readFileSync(path.join(dir, "counts-00000-of-00001"), "utf8");
      assert.deepEqual(text.split("\n").filter((l) => l !== "").sort(), ["a:2", "b:1"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
