/**
 * A Deduplicate program for real runners: its expiry timers are set withNoOutputTimestamp(), which
 * reach the runner with Beam's no-hold timestamp (MAX + 1 ms); `--output/unique` must hold each
 * distinct event once (DEDUPLICATE_EXPECTED), in processing and in event time.
 */
import { Create, Deduplicate, definePipeline, Flatten, type KV, kv } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

const EVENTS: readonly KV<string, number>[] = [kv("a", 1), kv("b", 2), kv("a", 1), kv("c", 3), kv("b", 2), kv("a", 9)];

export const DEDUPLICATE_EXPECTED = ["by-id a", "by-id b", "by-id c", "event a:1", "event a:9", "event b:2", "event c:3"];

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
    unique.apply("Both", Flatten.with(byId)).apply("Write", WriteToText.to(`${flags.output}/unique`, { numShards: 1 }));
  },
});
