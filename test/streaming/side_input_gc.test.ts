/**
 * Side inputs in long streaming runs: a side-input window is kept while a consumer may read it
 * and dropped after (main and side watermarks past its end plus the allowed lateness), so
 * windowed side inputs do not accumulate; a main-input element whose side-input window is gone
 * is dropped and counted; readers see data added to a window after a first read.
 */
import { strict as assert } from "node:assert";
import { AsIterable, AsSingleton, Create, FixedWindows, ParDo, Pipeline, ProcessContext, SideInput, Window } from "../../lib";
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
    const view = AsIterable(Pipeline.create().apply(Create.of(0)).apply(Window.into<number>(new FixedWindows(10))));
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
        .apply("SideWindows", Window.into<number>(new FixedWindows(10)));
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
        main.apply("MainWindows", Window.into<string>(new FixedWindows(10))).apply(
          "Read",
          ParDo.of((x: string, ctx: ProcessContext<string>) => ctx.output(`${x}:${ctx.sideInput(limit)}`), { sideInputs: [limit] }),
        ),
        out,
      );
    });
    assert.deepEqual(out.map((o) => o.value).sort(), ["a:0", "b:100", "c:1500"]);
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness", "Read"), 1, "the late element is counted, not read against a dropped window");
  });
});
