/**
 * ParDo against Beam Java's ParDoTest as the oracle, the parts not about state, timers or side
 * inputs: tagged outputs (declared, unwritten, only tagged, undeclared), empty inputs and outputs,
 * errors in each method, and finishBundle outputs placed in a window. Batch (Create) and
 * streaming (TestStream).
 */
import { strict as assert } from "node:assert";
import { DoFn, FixedWindows, IntervalWindow, ParDo, Window, GlobalWindow, MIN_TIMESTAMP, type BundleContext, type PCollection, type ProcessContext } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { labelledOutputs, runError, timestamped, type Mode } from "./beam_helpers";

type Tags = { additional1: string; additional2: string; additional3: string; unwrittenOutput: string };
type Tag = keyof Tags & string;

/** TestDoFn: "processing: n" to the main output and "<tag>: processing: n" to each of `tags`; "finished" from finishBundle. */
class TestDoFn extends DoFn<number, string, Tags> {
  constructor(private readonly tags: readonly Tag[] = []) {
    super();
  }
  process(n: number, ctx: ProcessContext<string, Tags>): void {
    ctx.output(`processing: ${n}`);
    for (const t of this.tags) ctx.outputTo(t, `${t}: processing: ${n}`);
  }
  finishBundle(ctx: BundleContext<string, Tags>): void {
    ctx.output("finished", { timestamp: MIN_TIMESTAMP, window: GlobalWindow.INSTANCE });
    for (const t of this.tags) ctx.outputTo(t, `${t}: finished`, { timestamp: MIN_TIMESTAMP, window: GlobalWindow.INSTANCE });
  }
}

/** HasExpectedOutput: one "processing" per input, and any number of "finished" (one per bundle). */
function assertExpected(outputs: readonly string[], inputs: readonly number[], tag = ""): void {
  const prefix = tag === "" ? "" : `${tag}: `;
  const processed = outputs.filter((o) => !o.includes("finished"));
  assert.deepEqual(processed, inputs.map((n) => `${prefix}processing: ${n}`).sort());
  for (const f of outputs.filter((o) => o.includes("finished"))) assert.equal(f, `${prefix}finished`);
}

const source = (p: Pipeline, mode: Mode, values: readonly number[]): PCollection<number> =>
  timestamped(p, "Input", mode, values.map((value) => ({ value, timestamp: 0 })));

const strings = (build: Parameters<typeof labelledOutputs>[0]): Promise<Record<string, string[]>> => labelledOutputs(build, (o) => String(o.value));

for (const mode of ["batch", "streaming"] as const) {
  describe(`Beam ParDo (ParDoTest.java), ${mode}`, () => {
    const inputs = [3, -42, 666];

    it("testParDo, testParDoEmpty, testParDoEmptyOutputs", async () => {
      const r = await strings((p, out) => {
        out("Some", source(p, mode, inputs).apply("TestDoFn", ParDo.of(new TestDoFn())));
        out("None", timestamped<number>(p, "Empty", mode, []).apply("TestDoFnEmpty", ParDo.of(new TestDoFn())));
        out("NoOutputs", timestamped<number>(p, "Empty2", mode, []).apply("TestNoOutputDoFn", ParDo.into<string>().of(() => undefined)));
      });
      assertExpected(r["Some"]!, inputs);
      assertExpected(r["None"]!, []);
      assert.deepEqual(r["NoOutputs"], []);
    });

    for (const [name, values] of [["testParDoWithTaggedOutput", inputs], ["testParDoEmptyWithTaggedOutput", []]] as const) {
      it(`${name}: each tag gets what was output to it; a requested tag never written is empty`, async () => {
        const r = await strings((p, out) => {
          const outs = source(p, mode, values).apply(
            ParDo.of(new TestDoFn(["additional1", "additional2", "additional3"])).withOutputs("additional3", "additional1", "unwrittenOutput", "additional2"),
          );
          for (const [tag, pc] of Object.entries(outs)) out(tag, pc);
        });
        assert.deepEqual(Object.keys(r).sort(), ["additional1", "additional2", "additional3", "main", "unwrittenOutput"]);
        assertExpected(r["main"]!, values);
        for (const tag of ["additional1", "additional2", "additional3"]) assertExpected(r[tag]!, values, tag);
        assert.deepEqual(r["unwrittenOutput"], []);
      });
    }

    it("testParDoWithEmptyTaggedOutput, testParDoWithOnlyTaggedOutput", async () => {
      const r = await strings((p, out) => {
        const none = timestamped<number>(p, "Empty", mode, []).apply("NoOutput", ParDo.into<string, Tags>().of(() => undefined).withOutputs("additional1", "additional2"));
        out("EmptyMain", none.main);
        out("Empty1", none.additional1);
        out("Empty2", none.additional2);
        const only = source(p, mode, inputs).apply("OnlyTagged", ParDo.into<never, { additional: number }>().of((n: number, ctx) => ctx.outputTo("additional", n)).withOutputs("additional"));
        out("OnlyMain", only.main);
        out("OnlyAdditional", only.additional);
      });
      assert.deepEqual(r, { EmptyMain: [], Empty1: [], Empty2: [], OnlyMain: [], OnlyAdditional: ["-42", "3", "666"] });
    });

    it("testParDoWritingToUndeclaredTag: the run fails, naming the tag", async () => {
      const e = await runError((p) => source(p, mode, inputs).apply("Undeclared", ParDo.of(new TestDoFn(["additional1"]))));
      assert.match(e.message, /additional1/);
      assert.match(e.message, /Undeclared/);
    });

    it("testMultiOutputAppliedMultipleTimesDifferentOutputs, testMultiOutputChaining", async () => {
      const by = (k: number): ParDo<number, number> => ParDo.into<number>().of((n, ctx) => (n % k === 0 ? ctx.output(n) : undefined));
      const multiFilter = ParDo.into<never, { by2: number; by3: number }>()
        .of((n: number, ctx) => {
          if (n % 2 === 0) ctx.outputTo("by2", n);
          if (n % 3 === 0) ctx.outputTo("by3", n);
        })
        .withOutputs("by2", "by3");
      const r = await strings((p, out) => {
        const input = timestamped(p, "Numbers", mode, [3, 4, 5, 6].map((value) => ({ value, timestamp: 0 })));
        const first = input.apply("First", multiFilter);
        const second = input.apply("Second", multiFilter);
        assert.notEqual(first.by2, second.by2);
        out("By2Then3", first.by2.apply("Filter3sAgain", by(3)));
        out("By3Then2", first.by3.apply("Filter2sAgain", by(2)));
        out("SecondBy3", second.by3);
      });
      assert.deepEqual(r, { By2Then3: ["6"], By3Then2: ["6"], SecondBy3: ["3", "6"] });
    });

    for (const [method, message] of [["startBundle", "test error in initialize"], ["process", "test error in process"], ["finishBundle", "test error in finalize"]] as const) {
      it(`testParDoWithErrorIn${method === "process" ? "ProcessElement" : method === "startBundle" ? "StartBatch" : "FinishBatch"}`, async () => {
        class Failing extends DoFn<number, string> {
          startBundle(): void {
            if (method === "startBundle") throw new Error(message);
          }
          process(): void {
            if (method === "process") throw new Error(message);
          }
          finishBundle(): void {
            if (method === "finishBundle") throw new Error(message);
          }
        }
        const e = await runError((p) => source(p, mode, inputs).apply(ParDo.of(new Failing())));
        assert.match(e.message, new RegExp(message));
        assert.match(e.message, /ParDo\(Failing\)/);
      });
    }

    it("a bundle output with no window, from a ParDo whose input is windowed, fails the step (Beam requires the window there)", async () => {
      class FinishWithoutWindow extends DoFn<string, string> {
        process(): void {}
        finishBundle(ctx: BundleContext<string>): void {
          ctx.output("finish");
        }
      }
      const e = await runError((p) =>
        timestamped(p, "Elem", mode, [{ value: "elem", timestamp: 1 }])
          .apply(Window.into(new FixedWindows(1)))
          .apply("NoWindow", ParDo.of(new FinishWithoutWindow())),
      );
      assert.match(e.message, /NoWindow/);
      assert.match(e.message, /without a window/);
    });

    it("testWindowingInStartAndFinishBundle: finishBundle's output is in the window it names, at its timestamp", async () => {
      const windowFn = new FixedWindows(1);
      class FinishInWindow extends DoFn<string, string> {
        process(e: string, ctx: ProcessContext<string>): void {
          ctx.output(e);
        }
        finishBundle(ctx: BundleContext<string>): void {
          ctx.output("finish", { timestamp: 3, window: new IntervalWindow(3, 4) });
        }
      }
      const r = await strings((p, out) => {
        const printed = timestamped(p, "Elem", mode, [{ value: "elem", timestamp: 1 }])
          .apply(Window.into(windowFn))
          .apply(ParDo.of(new FinishInWindow()))
          .apply("Printing", ParDo.into<string>().of((e, ctx) => ctx.output(`${e}:${ctx.timestamp}:${ctx.window.maxTimestamp()}`)));
        out("Printed", printed);
      });
      const printed = r["Printed"]!;
      assert.deepEqual(printed.filter((s) => s.startsWith("elem")), ["elem:1:1"]);
      assert.ok(printed.includes("finish:3:3"), `finish:3:3 is missing from ${JSON.stringify(printed)}`);
      assert.deepEqual(new Set(printed), new Set(["elem:1:1", "finish:3:3"]));
    });
  });
}
