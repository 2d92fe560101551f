/** A timer-family program of the parallel streaming tests (worker threads rebuild it from this module). */
import { definePipeline, DoFn, FixedWindows, kv, KV, ParDo, ProcessContext, Window } from "../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";
import { StatefulDoFn, StatefulProcessContext, TimerContext, TimerSpec } from "../../lib/model/state";
import { IntervalWindow } from "../../lib/model/window";

/** An input message: its id, and the keys it goes to. */
export interface TaggedInput {
  readonly id: number;
  readonly keys: readonly string[];
}

class Explode extends DoFn<Uint8Array, KV<string, number>> {
  process(data: Uint8Array, ctx: ProcessContext<KV<string, number>>): void {
    const m = JSON.parse(Buffer.from(data).toString("utf8")) as TaggedInput;
    for (const k of m.keys) ctx.output(kv(k, m.id));
  }
}

/**
 * Per element: the family's tag `m<id>` 50 ms after the element (at most the window's end), and
 * the tag "shared" at the window's end, set again by every element of the key and window.
 */
class PerMessage extends StatefulDoFn<string, number, Uint8Array> {
  readonly perTag = TimerSpec.eventTimeFamily("perTag");
  process(e: KV<string, number>, ctx: StatefulProcessContext<Uint8Array>): void {
    ctx.timer(this.perTag, `m${e.value}`).set(Math.min(ctx.timestamp + 50, ctx.window.maxTimestamp()));
    ctx.timer(this.perTag, "shared").set(ctx.window.maxTimestamp());
  }
  onTimer(timer: string, ctx: TimerContext<string, Uint8Array>): void {
    const w = ctx.window as IntervalWindow;
    ctx.output(Buffer.from(`${ctx.key} ${w.start}:${w.end} ${timer}/${ctx.timerTag}@${ctx.timestamp}`));
  }
}

/** Pub/Sub → (key, id) per key → fixed windows → a timer family's tags → "key window family/tag@time" → Pub/Sub. */
export const keyedTimerFamilies = definePipeline({
  name: "test-parallel-streaming-timer-families",
  description: "a stateful DoFn with a timer family on parallel streaming instances",
  flags: {
    input: { type: "string", describe: "subscription to read (timestamps in the 'ts' attribute)", required: true },
    output: { type: "string", describe: "topic to write the results to", required: true },
  },
  build(root, f) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: f.input, timestampAttribute: "ts" }))
      .apply("Explode", ParDo.of(new Explode()))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("PerMessage", ParDo.of(new PerMessage()))
      .apply("Write", WriteToPubSub.to(f.output));
  },
});
