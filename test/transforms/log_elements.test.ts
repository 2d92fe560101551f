/**
 * LogElements and Tee (Beam Python's util.LogElements and beam.Tee): LogElements logs each
 * element (prefix, timestamp, window, at a level or to stdout) and passes it on unchanged; Tee
 * applies each consumer to its input and returns the input.
 */
import { strict as assert } from "node:assert";
import { Count, Create, FixedWindows, LogElements, Tee, Window, type PCollection } from "../../lib";
import { logLine } from "../../lib/transforms/log_elements";
import { GlobalWindow, IntervalWindow } from "../../lib/model/window";
import { runDirect } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

type Method = "log" | "debug" | "info" | "warn" | "error";

/** Runs `body` with the console's methods recording their lines instead of printing them. */
async function capturingConsole(body: () => Promise<void>): Promise<Record<Method, string[]>> {
  const lines: Record<Method, string[]> = { log: [], debug: [], info: [], warn: [], error: [] };
  const saved = new Map<Method, (...args: unknown[]) => void>();
  for (const m of Object.keys(lines) as Method[]) {
    saved.set(m, console[m]);
    console[m] = (...args: unknown[]) => lines[m].push(args.map(String).join(" "));
  }
  try {
    await body();
  } finally {
    for (const [m, fn] of saved) console[m] = fn;
  }
  return lines;
}

describe("LogElements and Tee (Beam Python's util.LogElements, beam.Tee)", () => {
  it("logs each element with its prefix, timestamp and window at the level asked, and passes the elements on unchanged", async () => {
    const out: Observed<string>[] = [];
    const lines = await capturingConsole(async () => {
      const r = await runDirect((p) =>
        collect(
          p
            .apply(Create.timestamped([{ value: "a", timestamp: 1_500 }, { value: "b", timestamp: 12_000 }]))
            .apply(Window.into(new FixedWindows(10_000)))
            .apply(LogElements.of({ prefix: "got: ", withTimestamp: true, withWindow: true, level: "info" })),
          out,
        ),
      );
      await r.waitUntilFinish();
    });
    assert.deepEqual(lines.info.sort(), [
      "got: a, timestamp='1970-01-01T00:00:01.500000Z', window(start=1970-01-01T00:00:00Z, end=1970-01-01T00:00:10Z)",
      "got: b, timestamp='1970-01-01T00:00:12Z', window(start=1970-01-01T00:00:10Z, end=1970-01-01T00:00:20Z)",
    ]);
    assert.deepEqual(lines.log, []);
    assert.deepEqual(
      out.map((o) => [o.value, o.timestamp, o.window]).sort(),
      [
        ["a", 1_500, "0:10000"],
        ["b", 12_000, "10000:20000"],
      ],
    );
  });

  it("without a level prints to stdout (console.log), as Beam's print; warning and critical go to console.warn and console.error", async () => {
    const lines = await capturingConsole(async () => {
      const r = await runDirect((p) => {
        const nums = p.apply(Create.of(1, 2));
        nums.apply("Print", LogElements.of());
        nums.apply("Warn", LogElements.of({ prefix: "w", level: "warning" }));
        nums.apply("Critical", LogElements.of({ prefix: "c", level: "critical" }));
      });
      await r.waitUntilFinish();
    });
    assert.deepEqual(lines.log.sort(), ["1", "2"]);
    assert.deepEqual(lines.warn.sort(), ["w1", "w2"]);
    assert.deepEqual(lines.error.sort(), ["c1", "c2"]);
  });

  it("formats elements that are not strings on one line, the global window by name, and epoch seconds with useEpochTime", () => {
    assert.equal(logLine({ k: [1, 2] }, 0, GlobalWindow.INSTANCE, { withWindow: true }), "{ k: [ 1, 2 ] }, window=GlobalWindow");
    assert.equal(logLine("x", 2_500, new IntervalWindow(0, 10_000), { withTimestamp: true, withWindow: true, useEpochTime: true }), "x, timestamp=2.5, window(start=0, end=10)");
  });

  it("refuses an unknown level when built", () => {
    assert.throws(() => LogElements.of({ level: "verbose" as "info" }), /LogElements: level "verbose" is not one of debug, info, warning, error, critical/);
  });

  it("Tee applies each consumer (transforms and functions) to its input and returns the input itself", async () => {
    const main: Observed<number>[] = [];
    const counted: Observed<number>[] = [];
    const doubled: Observed<number>[] = [];
    let returned: PCollection<number> | undefined;
    let input: PCollection<number> | undefined;
    const r = await runDirect((p) => {
      input = p.apply(Create.of(1, 2, 3));
      returned = input.apply(
        Tee.of<number>(
          (pc) => collect(pc.apply(Count.globally()), counted, "CollectCount"),
          (pc) => collect(pc.map("Double", (x: number) => x * 2), doubled, "CollectDoubled"),
        ),
      );
      collect(returned, main, "CollectMain");
    });
    await r.waitUntilFinish();
    assert.equal(returned, input, "Tee returns its input");
    assert.deepEqual(
      main.map((o) => o.value).sort(),
      [1, 2, 3],
    );
    assert.deepEqual(
      counted.map((o) => o.value),
      [3],
    );
    assert.deepEqual(
      doubled.map((o) => o.value).sort(),
      [2, 4, 6],
    );
  });
});
