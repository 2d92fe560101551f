/**
 * Side inputs in long streaming runs: a side-input window is kept while a consumer may read it
 * and dropped after (main and side watermarks past its end plus the allowed lateness), so
 * windowed side inputs do not accumulate; a main-input element whose side-input window is gone
 * is dropped and counted; readers see data added to a window after a first read.
 */
import { strict as assert } from "node:assert";
import { AfterCount, AfterProcessingTime, AsIterable, AsSingleton, Create, FixedWindows, GlobalWindows, ParDo, Pipeline, Repeatedly, SideInput, Window } from "../../lib";
import { GlobalWindow, IntervalWindow, NO_FIRING } from "../../lib/model/window";
import { SideInputReader } from "../../runners/executor/side_input_reader";
import { SideInputStore } from "../../runners/streaming/side_input_store";
import { TestStream } from "../../lib/testing/test_stream";
import { runOk } from "../helpers";
import { collect, Observed } from "./collect";

describe("Streaming DirectRunner: side-input windows over a long run", () => {
  it("keeps a window while a consumer may read it, drops it after, and readers see later additions", () => {
    const store = new SideInputStore();
    let readable = 0;
    store.addConsumer({ readable: () => readable });
    const view = AsIterable(Pipeline.create().apply(Create.of(0)).apply(Window.into(new FixedWindows(10))));
    const reader = new SideInputReader("T", new Map([[view as SideInput<unknown>, store]]));
    const put = (v: number, start: number) => store.receive(v, { timestamp: start, windows: [new IntervalWindow(start, start + 10)], pane: NO_FIRING });
    for (let w = 0; w < 100; w++) put(w, w * 10);
    assert.equal(store.windowCount, 100);
    assert.deepEqual(reader.get(view, new IntervalWindow(500, 510)), [50]);
    put(51, 500); // more data for a window already read
    assert.deepEqual(reader.get(view, new IntervalWindow(500, 510)), [50, 51], "the cached view is rebuilt");
    readable = 500;
    store.collect();
    assert.equal(store.windowCount, 50, "windows ending before 500 are dropped");
    assert.ok(!store.holds(new IntervalWindow(480, 490)));
    assert.ok(store.holds(new IntervalWindow(500, 510)));
    readable = Infinity;
    store.collect();
    assert.equal(store.windowCount, 0);
    assert.ok(!store.holds(GlobalWindow.INSTANCE));
  });

  it("reads each main window's side-input window and drops a late element whose side-input window was collected", async () => {
    const out: Observed<string>[] = [];
    const result = await runOk((p) => {
      const side = p
        .apply("Side", TestStream.create<number>().addElements(...Array.from({ length: 20 }, (_, w) => ({ value: w * 100, timestamp: w * 10 + 5 }))).advanceWatermarkToInfinity())
        .apply("SideWindows", Window.into(new FixedWindows(10)));
      const limit = AsSingleton(side);
      const main = p.apply(
        "Main",
        TestStream.create<string>()
          .addElements({ value: "a", timestamp: 7 }, { value: "b", timestamp: 17 })
          .advanceWatermarkTo(150)
          .addElements({ value: "c", timestamp: 155 })
          .addElements({ value: "late", timestamp: 3 }) // its window [0, 10) ended long ago (no allowed lateness)
          .advanceWatermarkToInfinity(),
      );
      collect(
        main.apply("MainWindows", Window.into(new FixedWindows(10))).apply(
          "Read",
          ParDo.into<string>().of((x, ctx) => ctx.output(`${x}:${ctx.sideInputs.limit}`), { sideInputs: { limit } }),
        ),
        out,
      );
    });
    assert.deepEqual(out.map((o) => o.value).sort(), ["a:0", "b:100", "c:1500"]);
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness", "Read"), 1, "the late element is counted, not read against a dropped window");
  });
});

describe("Streaming DirectRunner: triggered side inputs (slowly updating)", () => {
  it("reads the latest pane of a global-window side input with a trigger, as its panes fire", async () => {
    const out: Observed<string>[] = [];
    await runOk((p) => {
      // The configuration changes over time; each element fires its own pane (DISCARDING).
      const config = p
        .apply("Config", TestStream.create<string>().addElements({ value: "v1", timestamp: 0 }).addElements({ value: "v2", timestamp: 0 }).addElements({ value: "v3", timestamp: 0 }).advanceWatermarkToInfinity())
        .apply("Latest", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)) }));
      const current = AsSingleton(config);
      const events = p.apply(
        "Events",
        TestStream.create<string>().addElements({ value: "a", timestamp: 1 }).addElements({ value: "b", timestamp: 2 }).addElements({ value: "c", timestamp: 3 }).advanceWatermarkToInfinity(),
      );
      collect(events.apply("Tag", ParDo.into<string>().of((e, ctx) => ctx.output(`${e}@${ctx.sideInputs.current}`), { sideInputs: { current } })), out);
    });
    // Each script event is its own bundle, the side input's first: a sees v1, b sees v2, c sees v3.
    assert.deepEqual(out.map((o) => o.value), ["a@v1", "b@v2", "c@v3"]);
  });

  it("holds elements until the first pane of a processing-time-triggered side input fires", async () => {
    const out: Observed<string>[] = [];
    await runOk((p) => {
      const config = p
        .apply(
          "Config",
          TestStream.create<number>()
            .addElements({ value: 10, timestamp: 0 })
            .advanceProcessingTime(30_000)
            .addElements({ value: 20, timestamp: 0 })
            .advanceProcessingTime(30_000)
            .advanceWatermarkToInfinity(),
        )
        .apply("Every30s", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterProcessingTime(30_000)) }));
      const threshold = AsSingleton(config);
      // Scripts advance one event each per step, the side input's first: 15 arrives before any
      // pane (and waits for the first, 10); 25 after it; 5 after the second pane (20).
      const events = p.apply(
        "Events",
        TestStream.create<number>()
          .addElements({ value: 15, timestamp: 1 })
          .addElements({ value: 25, timestamp: 2 })
          .advanceWatermarkTo(3)
          .addElements({ value: 5, timestamp: 4 })
          .advanceWatermarkToInfinity(),
      );
      collect(events.apply("Above", ParDo.into<string>().of((n, ctx) => ctx.output(`${n}>${ctx.sideInputs.threshold}:${n > ctx.sideInputs.threshold}`), { sideInputs: { threshold } })), out);
    });
    assert.deepEqual(out.map((o) => o.value), ["15>10:true", "25>10:true", "5>20:false"]);
  });
});
