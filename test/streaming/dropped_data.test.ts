/**
 * A streaming run that drops data says so: a ReadUnbounded replaying past event times, with the
 * default watermark (the clock), has every element dropped as late; the run warns once per step
 * with the count and the fix. With `initialWatermark` the same source's elements are on time.
 */
import { strict as assert } from "node:assert";
import { Count, FixedWindows, kv, Window } from "../../lib";
import { ReadUnbounded, type UnboundedSource } from "../../lib/io/read_unbounded";
import { MIN_TIMESTAMP } from "../../lib/model/window";
import { collect, type Observed } from "./collect";
import { runDirect } from "../helpers";

/** Ten events in 1970 (event times 0..9 s), then the source ends. */
function pastEvents(initialWatermark?: number): UnboundedSource<string> {
  return {
    ...(initialWatermark !== undefined ? { initialWatermark } : {}),
    async read(ctx) {
      for (let i = 0; i < 10; i++) await ctx.emit(i % 2 === 0 ? "even" : "odd", i * 1_000);
    },
  };
}

/** Runs the counting pipeline; returns what reached the sink and what went to stderr. */
async function countPerWindow(source: UnboundedSource<string>): Promise<{ out: Observed<[string, number]>[]; stderr: string[]; state: string }> {
  const out: Observed<[string, number]>[] = [];
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const result = await runDirect((p) => {
      const counted = p
        .apply("Events", ReadUnbounded.from(source))
        .apply("Window", Window.into(new FixedWindows(5_000)))
        .apply("CountWords", Count.perElement<string>())
        .map("Pair", (e) => [e.key, e.value] as [string, number]);
      collect(counted, out);
    }, {}, { checkEveryElement: false });
    return { out, stderr, state: await result.waitUntilFinish() };
  } finally {
    process.stderr.write = write;
  }
}

describe("Streaming DirectRunner: dropped data is reported", () => {
  it("warns once per dropping step, with the count and the fix, when a source's past event times are late", async () => {
    const { out, stderr, state } = await countPerWindow(pastEvents());
    assert.equal(state, "DONE");
    assert.deepEqual(out, [], "every element was behind the clock-driven watermark");
    const warnings = stderr.join("").split("\n").filter((l) => l.startsWith("WARNING:"));
    assert.equal(warnings.length, 1, stderr.join(""));
    assert.match(warnings[0]!, /^WARNING: CountWords\/\S+ dropped 10 elements as late data/);
    assert.match(warnings[0]!, /initialWatermark/);
    assert.match(warnings[0]!, /allowedLatenessMillis/);
    assert.match(warnings[0]!, /beamline\/droppedDueToLateness/);
  });

  it("a source's initialWatermark holds the watermark back until it advances it: nothing is late", async () => {
    const { out, stderr, state } = await countPerWindow(pastEvents(MIN_TIMESTAMP));
    assert.equal(state, "DONE");
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value[0]}=${o.value[1]}`).sort(),
      ["0:5000 even=3", "0:5000 odd=2", "5000:10000 even=2", "5000:10000 odd=3"],
    );
    assert.deepEqual(stderr.filter((l) => l.includes("WARNING")), []);
  });
});
