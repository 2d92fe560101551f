/**
 * WriteToText and windows: bounded windowed input is written as one set of shards (nothing is
 * lost to the finalizing step's global window); unbounded input gets windowed writes, one set of
 * shards per window and pane, each appearing as its pane fires; an unbounded run that fails later
 * keeps the windows it completed, a bounded one (TestStream) leaves nothing.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AfterCount, AfterWatermark, Create, DoFn, FixedWindows, GlobalWindows, isStreamingResult, ParDo, Pipeline, Window } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import { ReadUnbounded } from "../../lib/io/read_unbounded";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect, runOk } from "../helpers";

const iso = (ms: number): string => new Date(ms).toISOString();
/** Beam Java's DefaultFilenamePolicy name of a window's pane (template W-P-SSSSS-of-NNNNN): no separator after the prefix. */
const windowed = (prefix: string, start: number, end: number, pane: string, shard = "00000-of-00001"): string => `${prefix}${iso(start)}-${iso(end)}-${pane}-${shard}`;

describe("WriteToText with windows", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "textio-windowed-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const read = (name: string): string[] => fs.readFileSync(path.join(dir, name), "utf8").split("\n").filter((l) => l !== "");

  it("writes every line of bounded input in fixed windows as one set of shards", async () => {
    const prefix = path.join(dir, "counts");
    await runOk((p) => {
      p.apply(Create.timestamped([{ value: "x", timestamp: 5 }, { value: "y", timestamp: 150 }, { value: "z", timestamp: 999 }]))
        .apply(Window.into(new FixedWindows(100)))
        .apply(WriteToText.to(prefix, { numShards: 2 }));
    });
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, ["counts-00000-of-00002", "counts-00001-of-00002"]);
    assert.deepEqual(names.flatMap(read).sort(), ["x", "y", "z"]);
  });

  it("writes unbounded input per window as each window fires, with later panes in their own files", async () => {
    const prefix = path.join(dir, "events");
    const result = await runOk((p) => {
      p.apply(
        TestStream.create<string>()
          .addElements({ value: "a", timestamp: 1_000 }, { value: "b", timestamp: 2_000 }, { value: "c", timestamp: 61_000 })
          .advanceWatermarkTo(60_000) // [0, 60 s) fires on time
          .addElements({ value: "late", timestamp: 3_000 }) // a late pane for [0, 60 s)
          .advanceWatermarkToInfinity(),
      )
        .apply(Window.into(new FixedWindows(60_000), { trigger: AfterWatermark({ late: AfterCount(1) }), allowedLatenessMillis: 600_000 }))
        .apply(WriteToText.to(prefix, { suffix: ".txt" }));
    });
    const onTime = `${windowed("events", 0, 60_000, "pane-0")}.txt`;
    const late = `${windowed("events", 0, 60_000, "pane-1-late")}.txt`;
    const second = `${windowed("events", 60_000, 120_000, "pane-0-last")}.txt`;
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, [onTime, late, second].sort(), "no hidden files left");
    assert.deepEqual(read(onTime).sort(), ["a", "b"]);
    assert.deepEqual(read(late), ["late"]);
    assert.deepEqual(read(second), ["c"]);
    assert.deepEqual(result.outputs.map((o) => path.basename(o)).sort(), names);
  });

  it("spreads a window's lines over numShards files", async () => {
    const prefix = path.join(dir, "s");
    await runOk((p) => {
      p.apply(TestStream.create<string>().addElements(...["a", "b", "c", "d"].map((value, i) => ({ value, timestamp: i }))).advanceWatermarkToInfinity())
        .apply(Window.into(new FixedWindows(10)))
        .apply(WriteToText.to(prefix, { numShards: 2 }));
    });
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, [windowed("s", 0, 10, "pane-0-last", "00000-of-00002"), windowed("s", 0, 10, "pane-0-last", "00001-of-00002")]);
    assert.deepEqual(names.flatMap(read).sort(), ["a", "b", "c", "d"]);
  });

  it("windowed writes carry the header, footer and delimiter into every window's files", async () => {
    const prefix = path.join(dir, "w");
    await runOk((p) => {
      p.apply(TestStream.create<string>().addElements({ value: "a", timestamp: 1 }, { value: "b", timestamp: 15 }).advanceWatermarkToInfinity())
        .apply(Window.into(new FixedWindows(10)))
        .apply(WriteToText.to(prefix, { header: "H", footer: "F", delimiter: ";" }));
    });
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, [windowed("w", 0, 10, "pane-0-last"), windowed("w", 10, 20, "pane-0-last")]);
    assert.deepEqual(names.map((n) => fs.readFileSync(path.join(dir, n), "utf8")), ["H;a;F;", "H;b;F;"]);
  });

  it("takes a shardNameTemplate with the window and pane, and names the global window GlobalWindow", async () => {
    const prefix = path.join(dir, "g");
    await runOk((p) => {
      p.apply(TestStream.create<string>().addElements({ value: "a", timestamp: 1 }).advanceWatermarkToInfinity())
        .apply(Window.into(new GlobalWindows(), { trigger: AfterWatermark() }))
        .apply(WriteToText.to(prefix, { shardNameTemplate: "-W-P-SS", suffix: ".txt" }));
    });
    assert.deepEqual(fs.readdirSync(dir), ["g-GlobalWindow-pane-0-last-00.txt"]);
    assert.deepEqual(read("g-GlobalWindow-pane-0-last-00.txt"), ["a"]);
  });

  it("refuses a windowed shardNameTemplate without the window or the pane, naming the sink", () => {
    const p = Pipeline.create();
    const lines = p.apply(TestStream.create<string>().addElements({ value: "a", timestamp: 1 }).advanceWatermarkToInfinity()).apply(Window.into(new FixedWindows(10)));
    assert.throws(() => lines.apply("Out", WriteToText.to(path.join(dir, "x"), { shardNameTemplate: "-W-SSSSS" })), /Out: windowed writes .*"-W-SSSSS" lacks P \(the pane\)/);
    assert.throws(() => lines.apply("Out2", WriteToText.to(path.join(dir, "x"), { shardNameTemplate: "" })), /Out2: .*lacks W \(the window\) and P \(the pane\)/);
  });

  const checkLines = () =>
    ParDo.of(
      new (class extends DoFn<string, string> {
        process(x: string, ctx: { output(v: string): void }): void {
          if (x === "boom") throw new Error("bad line");
          ctx.output(x);
        }
      })(),
    );

  it("a bounded run (TestStream) that fails later leaves no file, not even of windows that fired", async () => {
    const prefix = path.join(dir, "w");
    const result = await runDirect((p) => {
      p.apply(
        TestStream.create<string>()
          .addElements({ value: "ok", timestamp: 1 })
          .advanceWatermarkTo(20)
          .addElements({ value: "boom", timestamp: 25 })
          .advanceWatermarkToInfinity(),
      )
        .apply("Check", checkLines())
        .apply(Window.into(new FixedWindows(10)))
        .apply(WriteToText.to(prefix));
    });
    assert.equal(result.state, "FAILED");
    assert.deepEqual(fs.readdirSync(dir), [], "no output and no hidden files");
  });

  it("an unbounded run keeps the shards of windows that completed when it fails later", async () => {
    const prefix = path.join(dir, "w");
    let written: () => void = () => undefined;
    const firstWindowWritten = new Promise<void>((resolve) => (written = resolve));
    // A live source's watermark starts at the wall clock: event times an hour ahead, 10 ms windows.
    let base = 0;
    const result = await runDirect((p) => {
      p.apply(
        ReadUnbounded.from<string>({
          async read(ctx) {
            base = Math.floor(Date.now() / 10) * 10 + 3_600_000;
            await ctx.emit("ok", base + 1);
            ctx.advanceWatermark(base + 20);
            await firstWindowWritten; // the window [base, base + 10) has fired and its file is in place
            await ctx.emit("boom", base + 25);
            await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          },
        }),
      )
        .apply("Check", checkLines())
        .apply(Window.into(new FixedWindows(10)))
        .apply(WriteToText.to(prefix))
        .apply("Written", ParDo.of(() => written()));
    });
    assert.ok(isStreamingResult(result));
    await assert.rejects(result.waitUntilFinish(), /bad line/);
    assert.deepEqual(fs.readdirSync(dir), [windowed("w", base, base + 10, "pane-0-last")]);
  });
});
