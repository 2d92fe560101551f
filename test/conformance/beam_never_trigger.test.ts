/**
 * Beam Java's `Never.ever()` trigger (NeverTest; the GC firing of ReduceFnRunner): nothing fires
 * while a window is open, and its data comes out in one pane when the window expires, late data
 * included. Also its translation (Trigger.Never) and its model rules: it never finishes, so a
 * grouping under it needs no --allow_unsafe_triggers.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, FixedWindows, kv, Never, TestStream, Window, type KV } from "../../lib";
import { triggerMayFinish, triggersCompatible, describeTrigger, AfterCount } from "../../lib/model/triggers";
import { triggerProto } from "../../runners/portable/windowing_proto";
import { outputsOf } from "./beam_helpers";

const SECOND = 1000;
const sumPerKey = (allowedLatenessMillis: number) => (s: import("../../lib").PCollection<KV<string, number>>) =>
  s.apply(Window.into(new FixedWindows(10 * SECOND), { trigger: Never(), allowedLatenessMillis })).apply(Combine.perKey<string, number, number, number>(Combiners.sum()));

describe("Beam conformance: the Never trigger", () => {
  it("fires nothing while the window is open: one ON_TIME pane of everything when it expires (no lateness)", async () => {
    const stream = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("k", 1), timestamp: 1 * SECOND }, { value: kv("k", 2), timestamp: 2 * SECOND })
      .advanceProcessingTime(60 * SECOND)
      .addElements({ value: kv("k", 4), timestamp: 3 * SECOND })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, sumPerKey(0));
    assert.deepEqual(out.map((o) => `${o.window} ${o.value.value} ${o.pane.timing}${o.pane.isLast ? " last" : ""}`), ["0:10000 7 ON_TIME last"]);
  });

  // Beam's PaneInfoTracker: the first pane after the input watermark passes the window's end is
  // ON_TIME unless the output watermark has passed it too, which the window's hold prevents.
  it("with allowed lateness, the one pane comes at expiry and holds the late data too (ON_TIME, as Beam's first pane past the end)", async () => {
    const stream = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("k", 1), timestamp: 1 * SECOND })
      .advanceWatermarkTo(15 * SECOND)
      .addElements({ value: kv("k", 10), timestamp: 2 * SECOND })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, sumPerKey(30 * SECOND));
    assert.deepEqual(out.map((o) => `${o.window} ${o.value.value} ${o.pane.timing} #${o.pane.index}${o.pane.isLast ? " last" : ""}`), ["0:10000 11 ON_TIME #0 last"]);
  });

  it("translates to Trigger.Never, never finishes, and is compatible only with itself", () => {
    assert.deepEqual(triggerProto(Never()).trigger, { oneofKind: "never", never: {} });
    assert.equal(triggerMayFinish(Never(), 60_000), false);
    assert.equal(triggersCompatible(Never(), Never()), true);
    assert.equal(triggersCompatible(Never(), AfterCount(1)), false);
    assert.equal(describeTrigger(Never()), "Never");
  });
});
