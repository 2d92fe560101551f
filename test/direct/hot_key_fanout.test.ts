/**
 * Combine.perKey(fn).withHotKeyFanout(n) on the batch DirectRunner: the same results as
 * Combine.perKey(fn) (Beam Java's CombineTest.testHotKeyCombining and
 * testHotKeyCombiningWithAccumulationMode), in windows (fixed, sliding, merging sessions) with the
 * same timestamps, and errors that name the step.
 */
import { strict as assert } from "node:assert";
import { AfterCount, Combine, Combiners, Create, FixedWindows, GlobalWindows, kv, KV, ParDo, PCollection, ProcessContext, Repeatedly, Sessions, SlidingWindows, Window } from "../../lib";
import { PipelineConstructionError } from "../../lib/model/errors";
import { IntervalWindow } from "../../lib/model/window";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect, runOk } from "../helpers";

/** Each result as "key=value@timestamp[window]", for comparing with and without fanout. */
function described<V>(pc: PCollection<KV<string, V>>, label: string): PCollection<string> {
  return pc.apply(
    label,
    ParDo.into<string>().of((e: KV<string, V>, ctx: ProcessContext<string>) => {
      const w = ctx.window instanceof IntervalWindow ? `[${ctx.window.start},${ctx.window.end})` : "global";
      ctx.output(`${e.key}=${JSON.stringify(e.value)}@${ctx.timestamp}${w}`);
    }),
  );
}

const timestamped = (pairs: readonly [string, number, number][]) => Create.timestamped(pairs.map(([key, value, timestamp]) => ({ value: kv(key, value), timestamp })));

describe("DirectRunner: Combine.perKey(fn).withHotKeyFanout", () => {
  it("gives Combine.perKey's results for no, constant, per-key and random fanout (Beam's testHotKeyCombining)", async () => {
    await runOk((p) => {
      const five = [kv("a", 1), kv("a", 1), kv("a", 4), kv("b", 1), kv("b", 13)];
      const input = p.apply(Create.from(Array.from({ length: 10 }, () => five).flat()));
      const expected = [kv("a", 2), kv("b", 7)];
      assertThat(input.apply("ColdMean", Combine.perKey(Combiners.mean()).withHotKeyFanout(0)), equalTo(expected), "AssertCold");
      assertThat(input.apply("WarmMean", Combine.perKey(Combiners.mean()).withHotKeyFanout((k: string) => (k === "a" ? 3 : 0))), equalTo(expected), "AssertWarm");
      assertThat(input.apply("HotMean", Combine.perKey(Combiners.mean()).withHotKeyFanout(5)), equalTo(expected), "AssertHot");
      assertThat(input.apply("SplitMean", Combine.perKey(Combiners.mean()).withHotKeyFanout(() => (Math.random() < 0.5 ? 3 : 0))), equalTo(expected), "AssertSplit");
    });
  });

  it("pre-combines a hot key under several intermediate keys and merges their accumulators", async () => {
    await runOk((p) => {
      const input = p.apply(Create.from(Array.from({ length: 20 }, (_, i) => kv("k", i))));
      const fanned = input.apply("Sum", Combine.perKey(Combiners.sum()).withHotKeyFanout(4));
      assertThat(fanned, equalTo([kv("k", 190)]));
      // The steps as Beam's: AddNonce splits, PreCombineHot runs per (key, nonce), PostCombine per key.
      const names = p.transforms().map((t) => t.fullName);
      for (const step of ["Sum/AddNonce", "Sum/PreCombineHot", "Sum/StripNonce", "Sum/PrepareCold", "Sum/Flatten", "Sum/PostCombine"]) assert.ok(names.includes(step), `${step} in ${names.join(", ")}`);
    });
  });

  for (const [name, windowFn] of [
    ["fixed windows", new FixedWindows(10)],
    ["sliding windows", new SlidingWindows(10, 5)],
    ["merging session windows", new Sessions(5)],
  ] as const) {
    it(`gives Combine.perKey's results, windows and timestamps in ${name}`, async () => {
      await runOk((p) => {
        const input = p
          .apply(timestamped([["a", 1, 0], ["a", 2, 3], ["a", 4, 7], ["a", 8, 14], ["a", 16, 30], ["b", 32, 2], ["b", 64, 9]]))
          .apply(Window.into(windowFn));
        const plain = described(input.apply("Plain", Combine.perKey(Combiners.sum())), "DescribePlain");
        const fanned = described(input.apply("Fanned", Combine.perKey(Combiners.sum()).withHotKeyFanout(3)), "DescribeFanned");
        const expected = {
          "fixed windows": ["a=7@9[0,10)", "a=8@19[10,20)", "a=16@39[30,40)", "b=96@9[0,10)"],
          "sliding windows": ["a=3@4[-5,5)", "a=7@9[0,10)", "a=12@14[5,15)", "a=8@19[10,20)", "a=16@34[25,35)", "a=16@39[30,40)", "b=32@4[-5,5)", "b=96@9[0,10)", "b=64@14[5,15)"],
          // 0, 3 and 7 merge into one session; 14, 2 and 9 have sessions of their own.
          "merging session windows": ["a=7@11[0,12)", "a=8@18[14,19)", "a=16@34[30,35)", "b=32@6[2,7)", "b=64@13[9,14)"],
        }[name];
        assertThat(plain, equalTo(expected), "AssertPlain");
        assertThat(fanned, equalTo(expected), "AssertFanned");
      });
    });
  }

  it("does not count a hot key's values twice under an accumulating trigger (Beam's testHotKeyCombiningWithAccumulationMode)", async () => {
    await runOk((p) => {
      const sums = p
        .apply(Create.of(1, 2, 3, 4, 5))
        .map("KeyAll", (n: number) => kv("all", n))
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }))
        .apply("Sum", Combine.perKey(Combiners.sum()).withHotKeyFanout(2));
      // Accumulating panes: each the total so far; the last holds every value once.
      const last = sums.apply(
        "Last",
        ParDo.into<number>().of((e: KV<string, number>, ctx: ProcessContext<number>) => {
          if (e.value > 15) throw new Error(`a pane summed to ${e.value}, more than the 15 of all values: some were counted twice`);
          if (ctx.pane.isLast) ctx.output(e.value);
        }),
      );
      assertThat(last, equalTo([15]));
    });
  });

  it("fails the run, naming the step, when the fanout function returns a non-integer", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of(kv("a", 1))).apply("Sum", Combine.perKey(Combiners.sum()).withHotKeyFanout(() => 2.5));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Sum\/AddNonce/);
    assert.match(result.error!.message, /returned 2\.5 for key "a"; it must return an integer/);
  });

  it("refuses a fanout that is not an integer or a function", () => {
    assert.throws(() => Combine.perKey(Combiners.sum()).withHotKeyFanout(1.5), (e: unknown) => e instanceof PipelineConstructionError && /withHotKeyFanout needs an integer/.test(e.message));
  });
});
