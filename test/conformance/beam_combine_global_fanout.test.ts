/**
 * Combine.globally(fn).withFanout(n) (Beam Java's `Combine.Globally.withFanout`, Python's
 * `CombineGlobally(fn).with_fanout(n)`) against Beam's tests as the oracle: Python's
 * combiners_test test_global_fanout and test_combining_with_accumulation_mode_and_fanout, Java's
 * CombineTest.testHotKeyCombiningWithAccumulationMode; in batch and streaming, on one and two workers.
 */
import { strict as assert } from "node:assert";
import { AfterAll, AfterCount, AfterWatermark, Combine, Combiners, Create, FixedWindows, GlobalWindows, Pipeline, Repeatedly, TestStream, Window } from "../../lib";
import { PipelineConstructionError } from "../../lib/model/errors";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

describe("Beam conformance: Combine.globally(fn).withFanout", () => {
  for (const mode of ["batch", "streaming"] as Mode[]) {
    for (const workers of [1, 2]) {
      const where = `${mode}, ${workers} worker${workers > 1 ? "s" : ""}`;
      const options = { directNumWorkers: workers, allowUnsafeTriggers: mode === "streaming" };

      it(`test_global_fanout: the mean of 0..99 over 11 intermediate keys; an empty input gives the default (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const input = timestamped(p, "Input", mode, Array.from({ length: 100 }, (_, value) => ({ value, timestamp: value })));
            collect("mean", input.apply("Mean", Combine.globally(Combiners.mean()).withFanout(11)));
            collect("list", input.apply("List", Combine.globally(Combiners.toList<number>()).withFanout(3)).map("Sort", (xs: number[]) => [...xs].sort((a, b) => a - b).join()));
            collect("empty", timestamped<number>(p, "Empty", mode, []).apply("EmptySum", Combine.globally(Combiners.sum()).withFanout(4)));
            collect(
              "windowed",
              input.apply(Window.into(new FixedWindows(50))).apply("Windowed", Combine.globally(Combiners.sum(), { withoutDefaults: true }).withFanout(5)),
            );
          },
          undefined,
          options,
        );
        assert.deepEqual(out.mean, ["49.5"]);
        assert.deepEqual(out.list, [JSON.stringify(Array.from({ length: 100 }, (_, i) => i).join())]);
        assert.deepEqual(out.empty, ["0"]);
        assert.deepEqual(out.windowed, ["1225", "3725"]);
      });
    }

    it(`testHotKeyCombiningWithAccumulationMode: accumulating panes never count a value twice; the last is 15 (${mode})`, async () => {
      const out = await labelledOutputs(
        (p, collect) => {
          const input = timestamped(p, "Input", mode, [1, 2, 3, 4, 5].map((value) => ({ value, timestamp: 0 })));
          collect(
            "sums",
            input
              .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }))
              .apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true }).withFanout(2)),
          );
        },
        (o) => JSON.stringify({ value: o.value, last: o.pane.isLast }),
        { allowUnsafeTriggers: true },
      );
      const panes = out.sums!.map((s) => JSON.parse(s) as { value: number; last: boolean });
      assert.ok(panes.every((x) => x.value <= 15), `a pane summed to more than 15: ${out.sums!.join(" ")}`);
      assert.ok(panes.some((x) => x.value === 15 && x.last), `no last pane of 15: ${out.sums!.join(" ")}`);
    });
  }

  it("test_combining_with_accumulation_mode_and_fanout: early panes 1, 3, 6, 10, then only 15", async () => {
    const out = await labelledOutputs(
      (p, collect) => {
        let stream = TestStream.create<number>().advanceWatermarkTo(0);
        for (const value of [1, 2, 3, 4, 5]) stream = stream.addElements({ value, timestamp: 0 });
        collect(
          "sums",
          p
            .apply(stream.advanceWatermarkToInfinity())
            .apply(Window.into(new GlobalWindows(), { trigger: AfterWatermark({ early: AfterAll(AfterCount(1)) }), accumulationMode: "ACCUMULATING" }))
            .apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true }).withFanout(2)),
        );
      },
      undefined,
      { allowUnsafeTriggers: true },
    );
    const sums = out.sums!.map(Number).sort((a, b) => a - b);
    assert.deepEqual(sums.slice(0, 4), [1, 3, 6, 10]);
    assert.ok(sums.length > 4 && sums.slice(4).every((s) => s === 15), `after the early panes, only 15: ${sums.join(" ")}`);
  });

  it("pre-combines under intermediate keys (as Combine.perKey(fn).withHotKeyFanout), keeping the default branch", () => {
    const p = Pipeline.create();
    p.apply("Input", Create.of(1, 2, 3)).apply("Sum", Combine.globally(Combiners.sum()).withFanout(3));
    const names = p.transforms().map((t) => t.fullName);
    for (const step of ["Sum/CombinePerKey/AddNonce", "Sum/CombinePerKey/PreCombineHot", "Sum/CombinePerKey/PostCombine", "Sum/InjectDefault"]) assert.ok(names.includes(step), `${step} in ${names.join(", ")}`);
    const plain = Pipeline.create();
    plain.apply("Input", Create.of(1, 2, 3)).apply("Sum", Combine.globally(Combiners.sum()).withFanout(1));
    assert.ok(!plain.transforms().some((t) => t.fullName.includes("AddNonce")), "a fanout below 2 is none");
  });

  it("refuses a fanout that is not an integer", () => {
    assert.throws(() => Combine.globally(Combiners.sum()).withFanout(2.5), (e: unknown) => e instanceof PipelineConstructionError && /withFanout needs an integer/.test(e.message));
  });
});
