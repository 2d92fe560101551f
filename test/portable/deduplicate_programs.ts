/**
 * A Deduplicate program for real runners: its expiry timers are set withNoOutputTimestamp(), which
 * reach the runner with Beam's no-hold timestamp (MAX + 1 ms); `--output/unique` must hold each
 * distinct event once (DEDUPLICATE_EXPECTED), in processing and in event time. A timer set
 * withOutputTimestamp stamps its onTimer output with that time, on the runner too.
 */
import { Create, Deduplicate, definePipeline, Flatten, ParDo, StatefulDoFn, StateSpec, TimerSpec, type KV, kv, type StatefulProcessContext, type TimerContext } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

const EVENTS: readonly KV<string, number>[] = [kv("a", 1), kv("b", 2), kv("a", 1), kv("c", 3), kv("b", 2), kv("a", 9)];

export const DEDUPLICATE_EXPECTED = ["both-clocks a", "both-clocks b", "both-clocks c", "by-id a", "by-id b", "by-id c", "event a:1", "event a:9", "event b:2", "event c:3", "stamped a@5005", "stamped b@4005", "stamped c@3005"];

/** Per key, an event-time timer 10 ms after its latest element, holding (and stamping its output) 5 ms after it. */
class StampLatest extends StatefulDoFn<string, number, string> {
  readonly latest = StateSpec.value<number>("latest");
  readonly flush = TimerSpec.eventTime("flush");
  process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const latest = Math.max(ctx.state(this.latest).read() ?? -Infinity, ctx.timestamp);
    ctx.state(this.latest).write(latest);
    ctx.timer(this.flush).withOutputTimestamp(latest + 5).set(latest + 10);
  }
  onTimer(_name: string, ctx: TimerContext<string, string>): void {
    ctx.output(`stamped ${ctx.key}@${ctx.timestamp}`);
  }
}

export const deduplicateProgram = definePipeline({
  name: "portable-test-deduplicate",
  description: "Deduplicate by value (processing time) and by id (event time)",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const events = root.apply("Events", Create.timestamped(EVENTS.map((value, i) => ({ value, timestamp: 1000 * i }))));
    const unique = events.apply("Unique", Deduplicate.values()).map("FormatEvent", (e: KV<string, number>) => `event ${e.key}:${e.value}`);
    const byId = events
      .apply("ById", Deduplicate.withRepresentativeValueFn((e: KV<string, number>) => e.key).withTimeDomain("EVENT_TIME").withDuration(60_000))
      .map("FormatId", (e: KV<string, number>) => `by-id ${e.key}`);
    // Beam Python's form with both clocks: two expiry timers per key (only the key is written: which of
    // a:1 and a:9 comes first is up to the runner).
    const bothClocks = events
      .apply("BothClocks", Deduplicate.perKey<string, number>({ processingTimeDuration: 600_000, eventTimeDuration: 60_000 }))
      .map("FormatBoth", (e: KV<string, number>) => `both-clocks ${e.key}`);
    const stamped = events.apply("StampLatest", ParDo.of(new StampLatest()));
    unique.apply("All", Flatten.with(byId, stamped, bothClocks)).apply("Write", WriteToText.to(`${flags.output}/unique`, { numShards: 1 }));
  },
});
