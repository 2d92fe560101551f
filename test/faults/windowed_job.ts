/**
 * The streaming job the kill -9 test runs as a child process: a windowed count with state, from
 * Pub/Sub, into windowed text files.
 *
 *     node dist/test/faults/windowed_job.js --subscription S --output DIR/ids --checkpoint_dir D [--checkpoint_interval_ms 500]
 *
 * Each message's data is its number (also its `id` attribute, the dedup id). Per 2 s window of
 * publish time:
 * - `<output>-<window>-00000-of-00001`: one line `<count> <the numbers, sorted>` (a GroupByKey
 *   of the whole window: every element of the window, with repetitions if any were counted twice);
 * - `<output>_state-<window>-...`: one line per key `k0`..`k3` (number mod 4), `<key> <count>`,
 *   counted in a stateful DoFn's value state and emitted by an event-time timer at the window's end.
 */
import { definePipeline, FixedWindows, GroupByKey, kv, KV, ParDo, Window, WithKeys, WriteToText } from "../../lib";
import { ReadFromPubSub } from "../../lib/io/pubsub";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";

export const WINDOW_MS = 2000;

class CountPerKey extends StatefulDoFn<string, number, string> {
  readonly count = StateSpec.value<number>("count");
  readonly end = TimerSpec.eventTime("end");
  process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const c = ctx.state(this.count);
    c.write((c.read() ?? 0) + 1);
    ctx.timer(this.end).set(ctx.window.maxTimestamp());
  }
  onTimer(_t: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${ctx.key} ${ctx.state(this.count).read() ?? 0}`);
  }
}

export const windowedJob = definePipeline({
  name: "windowed_job",
  description: "Windowed count with state from Pub/Sub (the fault suite's kill -9 test).",
  flags: {
    subscription: { type: "string", describe: "Input subscription", required: true },
    output: { type: "string", describe: "Output prefix", required: true },
  },
  build(root, flags) {
    const numbers = root
      .apply("Read", ReadFromPubSub.from({ subscription: flags.subscription, idAttribute: "id" }))
      .map("Parse", (data: Uint8Array) => Number(Buffer.from(data).toString("ascii")))
      .apply("Window", Window.into(new FixedWindows(WINDOW_MS)));
    numbers
      .apply("All", WithKeys.of(() => "all"))
      .apply("Group", GroupByKey.create())
      .map("Format", (g: KV<string, number[]>) => `${g.value.length} ${[...g.value].sort((a, b) => a - b).join(" ")}`)
      .apply("WriteIds", WriteToText.to(flags.output));
    numbers
      .map("ByKey", (n: number) => kv(`k${n % 4}`, n))
      .apply("CountPerKey", ParDo.of(new CountPerKey()))
      .apply("WriteState", WriteToText.to(`${flags.output}_state`));
  },
});

void windowedJob.main();
