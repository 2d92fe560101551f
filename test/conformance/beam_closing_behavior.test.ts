/**
 * Beam Java's `Window.ClosingBehavior` (`withAllowedLateness(d, ClosingBehavior.FIRE_ALWAYS)`)
 * beyond the pane cases of cases/09_closing_behavior.json: how Window.configure sets it, that
 * the empty last pane reaches a later grouping, and its runner API form (ClosingBehavior
 * EMIT_ALWAYS / EMIT_IF_NONEMPTY), where strategies differing only in it stay apart.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, FixedWindows, kv, Pipeline, TestStream, Window, type KV, type PCollection } from "../../lib";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { outputsOf } from "./beam_helpers";

const sums = (s: PCollection<KV<string, number>>, label: string): PCollection<KV<string, number>> =>
  s.apply(label, Combine.perKey<string, number, number, number>(Combiners.sum()));

const pane = (o: { window: string; value: KV<string, number>; pane: { timing: string; index: number; isLast: boolean } }): string =>
  `${o.window} ${o.value.key}=${o.value.value} ${o.pane.timing}#${o.pane.index}${o.pane.isLast ? " last" : ""}`;

describe("Beam conformance: the closing behaviour of a window", () => {
  const stream = (): TestStream<KV<string, number>> =>
    TestStream.create<KV<string, number>>().addElements({ value: kv("k", 3), timestamp: 1 }).advanceWatermarkTo(50).advanceWatermarkTo(109).advanceWatermarkTo(110).advanceWatermarkToInfinity();

  it("Window.configure sets it on the input's windows: FIRE_ALWAYS adds an empty last pane at expiry", async () => {
    const build = (closing: "FIRE_ALWAYS" | undefined) => (s: PCollection<KV<string, number>>) =>
      sums(
        s
          .apply(Window.into(new FixedWindows(10)))
          .apply(Window.configure({ allowedLatenessMillis: 100, ...(closing !== undefined ? { closingBehavior: closing } : {}) })),
        "Sum",
      );
    assert.deepEqual((await outputsOf(stream(), build(undefined))).map(pane), ["0:10 k=3 ON_TIME#0"]);
    assert.deepEqual((await outputsOf(stream(), build("FIRE_ALWAYS"))).map(pane), ["0:10 k=3 ON_TIME#0", "0:10 k=0 LATE#1 last"]);
  });

  it("the empty last pane reaches a later grouping as late data within its allowed lateness", async () => {
    const out = await outputsOf(stream(), (s) =>
      sums(sums(s.apply(Window.into(new FixedWindows(10), { allowedLatenessMillis: 100, closingBehavior: "FIRE_ALWAYS" })), "First"), "Second"),
    );
    // The second grouping has the same windowing: its on-time pane sums the first's on-time pane,
    // a late pane the empty last one, and its own last pane at expiry is empty again.
    assert.deepEqual(out.map(pane), ["0:10 k=3 ON_TIME#0", "0:10 k=0 LATE#1", "0:10 k=0 LATE#2 last"]);
  });

  it("translates to the runner API's ClosingBehavior, a strategy of its own", () => {
    const { proto } = translatePipeline(
      Pipeline.build({}, (p) => {
        const input = p.apply(TestStream.create<KV<string, number>>().addElements({ value: kv("k", 1), timestamp: 1 }).advanceWatermarkToInfinity());
        sums(input.apply("Always", Window.into(new FixedWindows(10), { allowedLatenessMillis: 5, closingBehavior: "FIRE_ALWAYS" })), "SumAlways");
        sums(input.apply("IfNonEmpty", Window.into(new FixedWindows(10), { allowedLatenessMillis: 5 })), "SumIfNonEmpty");
      }),
      dockerEnvironment("beamline/worker:test"),
    );
    const c = proto.components!;
    const strategyOf = (uniqueName: string) => {
      const t = Object.values(c.transforms).find((x) => x.uniqueName === uniqueName)!;
      return c.pcollections[Object.values(t.outputs)[0]!]!.windowingStrategyId;
    };
    const always = strategyOf("Always");
    const ifNonEmpty = strategyOf("IfNonEmpty");
    assert.notEqual(always, ifNonEmpty);
    assert.equal(c.windowingStrategies[always]!.closingBehavior, runnerApi.ClosingBehavior_Enum.EMIT_ALWAYS);
    assert.equal(c.windowingStrategies[ifNonEmpty]!.closingBehavior, runnerApi.ClosingBehavior_Enum.EMIT_IF_NONEMPTY);
  });
});
