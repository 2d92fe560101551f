/**
 * Beam Java ParDoTest cases the other ParDo conformance files do not port: side inputs (several,
 * one declared and never read, read twice, an element in several sliding windows, with tagged
 * outputs, in a stateful DoFn), a tagged output placed at a timestamp, the allowed timestamp skew
 * for outputs and timer output timestamps in process and onTimer (the DoFn catches the refusal),
 * and a DoFn that buffers a bundle and outputs it in finishBundle under an advancing watermark
 * (testWatermarkUpdateMidBundle). Batch (one worker and two) and streaming where the case runs so.
 */
import { strict as assert } from "node:assert";
import {
  AfterWatermark,
  AsList,
  AsSingleton,
  Combine,
  Combiners,
  Create,
  DoFn,
  FixedWindows,
  GlobalWindow,
  GlobalWindows,
  kv,
  KV,
  ParDo,
  SlidingWindows,
  TestStream,
  Window,
  type BundleContext,
  type ProcessContext,
} from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

const runs: { mode: Mode; workers: number }[] = [
  { mode: "batch", workers: 1 },
  { mode: "batch", workers: 2 },
  { mode: "streaming", workers: 1 },
];

for (const { mode, workers } of runs) {
  describe(`Beam Java ParDoTest (side inputs, tagged timestamps): ${mode}, ${workers} worker(s)`, () => {
    const run = (build: Parameters<typeof labelledOutputs>[0], format?: Parameters<typeof labelledOutputs>[1]) => labelledOutputs(build, format, { directNumWorkers: workers });
    const create = <T>(p: Parameters<Parameters<typeof labelledOutputs>[0]>[0], label: string, values: readonly T[]) => timestamped(p, label, mode, values.map((value) => ({ value, timestamp: 0 })));

    it("two side inputs read, one declared and unread; the same side input read twice (testParDoWithSideInputs, testSameSideInputReadTwice, testParDoWithSideInputsIsCumulative)", async () => {
      const out = await run((p, collectAs) => {
        const s1 = AsSingleton(create(p, "CreateSideInput1", [11]));
        const unread = AsSingleton(create(p, "CreateSideInputUnread", [-3333]));
        const s2 = AsSingleton(create(p, "CreateSideInput2", [222]));
        const input = create(p, "Create", [3, -42, 666]);
        collectAs("out", input.apply("TestDoFn", ParDo.into<string>().of((x, ctx) => ctx.output(`processing: ${x}, side inputs: ${ctx.sideInputs.s1},${ctx.sideInputs.s2}`), { sideInputs: { s1, unread, s2 } })));
        // testSameSideInputReadTwice: two ParDos (and two reads in one) of one view.
        const list = AsList(create(p, "CreateList", [1, 2, 3]));
        collectAs(
          "twice",
          input.apply("ReadTwiceA", ParDo.into<string>().of((x, ctx) => ctx.output(`A ${x}:${ctx.sideInputs.list.length}+${ctx.sideInputs.list.length}`), { sideInputs: { list } })),
        );
        collectAs("twiceB", input.apply("ReadTwiceB", ParDo.into<string>().of((x, ctx) => ctx.output(`B ${x}:${ctx.sideInputs.list.join(",")}`), { sideInputs: { list } })));
      }, (o) => String(o.value));
      assert.deepEqual(out.out, ["processing: -42, side inputs: 11,222", "processing: 3, side inputs: 11,222", "processing: 666, side inputs: 11,222"]);
      assert.deepEqual(out.twice, ["A -42:3+3", "A 3:3+3", "A 666:3+3"]);
      assert.deepEqual(out.twiceB, ["B -42:1,2,3", "B 3:1,2,3", "B 666:1,2,3"]);
    });

    it("side inputs with tagged outputs (testMultiOutputParDoWithSideInputs, testMultiOutputParDoWithSideInputsIsCumulative)", async () => {
      const out = await run((p, collectAs) => {
        const s1 = AsSingleton(create(p, "CreateSideInput1", [11]));
        const s2 = AsSingleton(create(p, "CreateSideInput2", [222]));
        const outs = create(p, "Create", [3, -42, 666]).apply(
          "TestDoFn",
          ParDo.into<string, { additional: string }>()
            .of(
              (x, ctx) => {
                ctx.output(`processing: ${x}, side inputs: ${ctx.sideInputs.s1},${ctx.sideInputs.s2}`);
                ctx.outputTo("additional", `additional: processing: ${x}, side inputs: ${ctx.sideInputs.s1},${ctx.sideInputs.s2}`);
              },
              { sideInputs: { s1, s2 } },
            )
            .withOutputs("additional"),
        );
        collectAs("main", outs.main);
        collectAs("additional", outs.additional);
      }, (o) => String(o.value));
      assert.deepEqual(out.main, ["processing: -42, side inputs: 11,222", "processing: 3, side inputs: 11,222", "processing: 666, side inputs: 11,222"]);
      assert.deepEqual(out.additional, ["additional: processing: -42, side inputs: 11,222", "additional: processing: 3, side inputs: 11,222", "additional: processing: 666, side inputs: 11,222"]);
    });

    it("an element in several sliding windows reads the side input in each (testSideInputsWithMultipleWindows)", async () => {
      const now = 1_700_000_000_000;
      const out = await run((p, collectAs) => {
        const view = AsSingleton(create(p, "CreateSide", [1]));
        const main = timestamped(p, "CreateMain", mode, [{ value: "a", timestamp: now }]).apply("Window", Window.into(new SlidingWindows(5000, 1000)));
        collectAs("out", main.apply("FnWithSideInputs", ParDo.into<string>().of((x, ctx) => ctx.output(`${x}:${ctx.sideInputs.view}`), { sideInputs: { view } })));
      }, (o) => `${String(o.value)} ${o.window}`);
      assert.deepEqual(out.out, [0, 1, 2, 3, 4].map((i) => `a:1 ${now - i * 1000}:${now - i * 1000 + 5000}`).sort());
    });

    it("a stateful DoFn reads a side input and keeps it in state (testStateSideInput)", async () => {
      class TestSimpleStatefulDoFn extends StatefulDoFn<number, number, number, {}, { tag1: number }> {
        readonly foo = StateSpec.bag<number>("foo");
        process(_e: KV<number, number>, ctx: StatefulProcessContext<number, {}, { tag1: number }>): void {
          ctx.state(this.foo).add(ctx.sideInputs.tag1);
          ctx.output(ctx.sideInputs.tag1);
        }
      }
      const out = await run((p, collectAs) => {
        const tag1 = AsSingleton(create(p, "CreateSideInput1", [2]));
        collectAs("out", create(p, "Create", [kv(1, 2)]).apply("Stateful", ParDo.of(new TestSimpleStatefulDoFn(), { sideInputs: { tag1 } })));
      });
      assert.deepEqual(out.out, ["2"]);
    });

    it("a tagged output placed at a timestamp keeps it downstream (testParDoTaggedOutputWithTimestamp)", async () => {
      const out = await run((p, collectAs) => {
        const outs = create(p, "Create", [3, 42, 6]).apply(
          "Tagged",
          ParDo.into<number, { additional: number }>()
            .of((x: number, ctx) => ctx.outputToWithTimestamp("additional", x, x))
            .withOutputs("additional"),
        );
        collectAs("out", outs.additional.apply("Format", ParDo.into<string>().of((x, ctx) => ctx.output(`processing: ${x}, timestamp: ${ctx.timestamp}`))));
      }, (o) => String(o.value));
      assert.deepEqual(out.out, ["processing: 3, timestamp: 3", "processing: 42, timestamp: 42", "processing: 6, timestamp: 6"]);
    });
  });
}

/** The output of a refused output or timer: what the DoFn catches, as Java's test does. */
const refused = (what: string, t: number, e: unknown): string => {
  const message = e instanceof Error ? e.message : String(e);
  if (!/minus the allowed skew/.test(message)) throw e;
  return `${what}${t}`;
};

describe("Beam Java ParDoTest timestamp skew (testProcessElementSkew, testOnTimerTimestampSkew)", () => {
  it("process: an output or a timer's output timestamp before the input minus the skew is refused where it is made", async () => {
    /** Outputs at the input's time minus the element's value; sets a timer with that output timestamp. */
    class ProcessElementSkewing extends StatefulDoFn<string, number, string> {
      readonly timer = TimerSpec.processingTime("testTimerId");
      constructor(readonly allowedTimestampSkewMillis: number) {
        super();
      }
      process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        const outputTimestamp = ctx.timestamp - e.value;
        try {
          ctx.outputWithTimestamp("output", outputTimestamp);
        } catch (err) {
          ctx.output(refused("output", outputTimestamp, err));
        }
        try {
          ctx.timer(this.timer).withOutputTimestamp(outputTimestamp).set(0);
          ctx.output("timer");
        } catch (err) {
          ctx.output(refused("timer", outputTimestamp, err));
        }
      }
      onTimer(): void {}
    }
    const out = await labelledOutputs((p, collectAs) => {
      const input = (label: string) => p.apply(label, Create.timestamped([{ value: kv("2", 1), timestamp: 1 }]));
      collectAs("noSkew", input("createNoSkew").apply("noSkew", ParDo.of(new ProcessElementSkewing(0))));
      collectAs("skew", input("createSkew").apply("skew", ParDo.of(new ProcessElementSkewing(2))));
    }, (o) => String(o.value));
    assert.deepEqual(out.noSkew, ["output0", "timer0"]);
    assert.deepEqual(out.skew, ["output", "timer"]);
  });

  it("onTimer: the same bounds, from the firing timer's time", async () => {
    class OnTimerSkewing extends StatefulDoFn<string, string, string> {
      readonly first = TimerSpec.eventTime("firstTestTimerId");
      readonly second = TimerSpec.eventTime("secondTestTimerId");
      constructor(
        readonly allowedTimestampSkewMillis: number,
        private readonly outputTimestampSkew: number,
      ) {
        super();
      }
      process(_e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.first).set(ctx.timestamp);
      }
      onTimer(timer: string, ctx: TimerContext<string, string>): void {
        if (timer !== "firstTestTimerId") return;
        const outputTimestamp = ctx.timestamp - this.outputTimestampSkew;
        try {
          ctx.outputWithTimestamp("output", outputTimestamp);
        } catch (err) {
          ctx.output(refused("output", outputTimestamp, err));
        }
        try {
          ctx.timer(this.second).withOutputTimestamp(outputTimestamp).set(ctx.timestamp);
          ctx.output("timer");
        } catch (err) {
          ctx.output(refused("timer", outputTimestamp, err));
        }
      }
    }
    const out = await labelledOutputs((p, collectAs) => {
      const input = (label: string) => p.apply(label, Create.timestamped([{ value: kv("0", "0"), timestamp: 0 }]));
      collectAs("noSkew", input("createNoSkew").apply("noskew", ParDo.of(new OnTimerSkewing(0, 3))));
      collectAs("skew", input("createSkew").apply("skew", ParDo.of(new OnTimerSkewing(3, 2))));
    }, (o) => String(o.value));
    assert.deepEqual(out.noSkew, ["output-3", "timer-3"]);
    assert.deepEqual(out.skew, ["output", "timer"]);
  });
});

describe("Beam Java ParDoTest.testWatermarkUpdateMidBundle: streaming", () => {
  it("elements a DoFn buffers until finishBundle are not late downstream, however the watermark moved meanwhile", async () => {
    /** Buffers (value, timestamp) pairs; outputs them in the global window at finishBundle. */
    class BufferDoFn extends DoFn<string, string> {
      private readonly buffer = new Map<string, { value: string; timestamp: number }>();
      process(value: string, ctx: ProcessContext<string>): void {
        this.buffer.set(`${value}@${ctx.timestamp}`, { value, timestamp: ctx.timestamp });
      }
      finishBundle(ctx: BundleContext<string>): void {
        for (const { value, timestamp } of this.buffer.values()) ctx.output(value, { timestamp, window: GlobalWindow.INSTANCE });
        this.buffer.clear();
      }
    }
    const numBundles = 200;
    let stream = TestStream.create<string>().advanceWatermarkTo(0);
    for (let r = 0; r < numBundles; r++) {
      stream = stream.addElements(...Array.from({ length: r + 1 }, (_, v) => ({ value: String(v), timestamp: r }))).advanceWatermarkTo(r + 1);
    }
    const out = await labelledOutputs((p, collectAs) => {
      const counts = p
        .apply("Stream", stream.advanceWatermarkToInfinity())
        .apply("Buffer", ParDo.of(new BufferDoFn()))
        .apply("milliWindow", Window.into(new FixedWindows(1)))
        .apply("count", Combine.globally(Combiners.count(), { withoutDefaults: true }))
        .apply("globalWindow", Window.into(new GlobalWindows(), { trigger: AfterWatermark(), allowedLatenessMillis: 0, accumulationMode: "DISCARDING" }));
      collectAs("sum", counts.apply("sum", Combine.globally(Combiners.sum())));
    });
    assert.deepEqual(out.sum, [String((numBundles * numBundles + numBundles) / 2)]);
  });
});

