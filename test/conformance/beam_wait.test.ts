/**
 * Beam's own tests of Wait.on, as the oracle: Beam Java's WaitTest on the streaming DirectRunner.
 * Main input and signal are streams with bounded disorder (elements within the allowed lateness
 * of the watermark), fired element by element (Repeatedly(AfterCount(1))); the property checked
 * is WaitTest's: once the main input's output has reached timestamp t, no signal element earlier
 * than t is still to come. Plus testWindowExpiration, and the batch form (a signal written before
 * the main input goes on).
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  Create,
  DoFn,
  FixedWindows,
  GlobalWindows,
  GroupByKey,
  ParDo,
  PTransform,
  Repeatedly,
  SlidingWindows,
  TestStream,
  Values,
  Wait,
  Window,
  WithKeys,
  type PCollection,
  type Pipeline,
  type WindowFn,
} from "../../lib";
import type { ProcessContext } from "../../lib/model/dofn";
import { readShards, runDirect } from "../helpers";
import { WAIT_EXPECTED, waitProgram } from "../portable/wait_programs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { prng } from "../prng";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * WaitTest's generateStreamWithBoundedDisorder: the values [0, n), n random monotonic watermark
 * updates over `durationMs`, each followed by an element within `latenessMs` before it, spread
 * over processing time.
 */
function streamWithBoundedDisorder(rand: () => number, base: number, durationMs: number, n: number, latenessMs: number): TestStream<number> {
  const watermarks = Array.from({ length: n }, () => base + Math.floor(durationMs * rand())).sort((a, b) => a - b);
  let stream = TestStream.create<number>();
  let lastProcessingTime = base;
  for (let i = 0; i < n; i++) {
    const processingTime = base + Math.floor((i * durationMs) / (n + 1));
    if (processingTime > lastProcessingTime) stream = stream.advanceProcessingTime(processingTime - lastProcessingTime);
    lastProcessingTime = processingTime;
    stream = stream.advanceWatermarkTo(watermarks[i]!);
    stream = stream.addElements({ value: i, timestamp: watermarks[i]! - Math.floor(rand() * latenessMs) });
  }
  return stream.advanceWatermarkToInfinity();
}

/** WaitTest's Fire: a GroupByKey over one key, so each pane the trigger fires passes on at once. */
class Fire extends PTransform<PCollection<number>, PCollection<number>> {
  constructor() {
    super("Fire");
  }
  expand(input: PCollection<number>): PCollection<number> {
    return input
      .apply(WithKeys.of<number, string>(""))
      .apply(GroupByKey.create<string, number>())
      .apply(Values.create<number[]>())
      .flatMap("FlattenIterables", (vs: number[]) => vs);
  }
}

/** Runs WaitTest's testWaitWithParameters; windowFns undefined: default windowing (a bounded input in Java; here, Create). */
async function waitWithParameters(seed: number, latenessMs: number, numMain: number, mainWindowFn: WindowFn | undefined, numSignal: number, signalWindowFn: WindowFn | undefined): Promise<void> {
  const rand = prng(seed);
  const base = 1_700_000_000_000;
  const duration = MINUTE;
  let maxMainTimestamp: number | undefined;
  const violations: string[] = [];
  const outputs: number[] = [];
  const windowed = (p: Pipeline, name: string, n: number, fn: WindowFn | undefined): PCollection<number> => {
    const stream = streamWithBoundedDisorder(rand, base, duration, n, latenessMs);
    if (fn === undefined) return p.apply(name, Create.timestamped(Array.from({ length: n }, (_, i) => ({ value: i, timestamp: base + i }))));
    return p
      .apply(name, stream)
      .apply(`Window ${name}`, Window.into<number>(fn, { accumulationMode: "DISCARDING", trigger: Repeatedly(AfterCount(1)), allowedLatenessMillis: latenessMs }));
  };
  const result = await runDirect(
    (p) => {
      const main = windowed(p, "main", numMain, mainWindowFn).apply("Fire main", new Fire());
      const signal = windowed(p, "signal", numSignal, signalWindowFn)
        .apply("Fire signal", new Fire())
        .apply(
          "Check sequencing",
          ParDo.into<number>().of((v: number, ctx: ProcessContext<number>) => {
            if (maxMainTimestamp !== undefined && ctx.timestamp < maxMainTimestamp) {
              violations.push(`signal at ${ctx.timestamp} after the main input's output reached ${maxMainTimestamp}`);
            }
            ctx.output(v);
          }),
        );
      main.apply(Wait.on<number>(signal)).apply(
        "Update main timestamp",
        ParDo.into<number>().of((v: number, ctx: ProcessContext<number>) => {
          maxMainTimestamp = maxMainTimestamp === undefined ? ctx.timestamp : Math.max(maxMainTimestamp, ctx.timestamp);
          outputs.push(v);
          ctx.output(v);
        }),
      );
    },
    { allowUnsafeTriggers: true },
  );
  assert.equal(await result.waitUntilFinish(), "DONE");
  assert.deepEqual(violations, []);
  assert.deepEqual(outputs.sort((a, b) => a - b), Array.from({ length: numMain }, (_, i) => i));
}

describe("Beam conformance: Wait.on (WaitTest)", () => {
  for (const seed of [1, 2, 3]) {
    it(`testWaitWithSameFixedWindows (seed ${seed})`, () => waitWithParameters(seed, 15 * SECOND, 20, new FixedWindows(15 * SECOND), 20, new FixedWindows(15 * SECOND)));
    it(`testWaitWithDifferentFixedWindows (seed ${seed})`, () => waitWithParameters(seed, 15 * SECOND, 20, new FixedWindows(15 * SECOND), 20, new FixedWindows(7 * SECOND)));
    it(`testWaitWithSignalInSlidingWindows (seed ${seed})`, () => waitWithParameters(seed, 15 * SECOND, 20, new FixedWindows(15 * SECOND), 20, new SlidingWindows(7 * SECOND, SECOND)));
    it(`testWaitInGlobalWindow (seed ${seed})`, () => waitWithParameters(seed, 15 * SECOND, 20, new GlobalWindows(), 20, new GlobalWindows()));
    it(`testWaitWithSomeSignalWindowsEmpty (seed ${seed})`, () => waitWithParameters(seed, 0, 20, new FixedWindows(SECOND), 10, new FixedWindows(SECOND)));
  }
  it("testWaitBoundedInDefaultWindow", () => waitWithParameters(4, 15 * SECOND, 20, undefined, 20, undefined));

  it("testWindowExpiration: each 2 s window passes the Wait only after the signal's window closed", async () => {
    // 200 values at second i; every 2 seconds the watermark advances, with a marker element. A
    // marker at watermark w checks (through the signal branch) that values w-1 and w-2 were
    // already verified by the step after the Wait: the Wait released their window once it closed.
    const processed = new Set<number>();
    const verified = new Set<number>();
    const verifiedAtMarkers: number[] = [];
    const verifiedOut: number[] = [];
    type Value = { readonly watermarkAdvance?: number; readonly value: number };
    let stream = TestStream.create<Value>().advanceWatermarkTo(0);
    for (let i = 0; i < 200; i++) {
      if (i > 0 && i % 2 === 0) {
        stream = stream.advanceWatermarkTo(i * SECOND).addElements({ value: { watermarkAdvance: i * SECOND, value: -1 }, timestamp: i * SECOND });
      }
      stream = stream.addElements({ value: { value: i }, timestamp: i * SECOND });
    }
    stream = stream.advanceWatermarkTo(200 * SECOND).addElements({ value: { watermarkAdvance: 200 * SECOND, value: -1 }, timestamp: 200 * SECOND });
    const result = await runDirect((p) => {
      const values = p.apply(stream.advanceWatermarkToInfinity());
      const signal = values.apply(
        "Track",
        ParDo.into<number>().of((e: Value, ctx: ProcessContext<number>) => {
          if (e.watermarkAdvance !== undefined) {
            const upper = e.watermarkAdvance / SECOND;
            for (const v of [upper - 1, upper - 2]) if (verified.has(v)) verifiedAtMarkers.push(v);
          }
          processed.add(e.value);
          ctx.output(e.value);
        }),
      );
      const fixed = new FixedWindows(2 * SECOND);
      values
        .flatMap("flatmap", (e: Value) => (e.watermarkAdvance === undefined ? [e.value] : []))
        .apply("w1", Window.into<number>(fixed))
        .apply(Wait.on<number>(signal.apply("w2", Window.into<number>(fixed))))
        .apply(
          "verify",
          ParDo.into<number>().of((v: number, ctx: ProcessContext<number>) => {
            if (processed.has(v)) {
              verified.add(v);
              verifiedOut.push(v);
              ctx.output(v);
            }
          }),
        );
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    const all = Array.from({ length: 200 }, (_, i) => i);
    assert.deepEqual([...verifiedOut].sort((a, b) => a - b), all);
    assert.deepEqual([...verifiedAtMarkers].sort((a, b) => a - b), all);
  });

  it("batch: a signal's writes are all done before the main input passes the Wait", async () => {
    const written: string[] = [];
    const seenByMain: number[] = [];
    class WriteFirst extends DoFn<string, string> {
      process(row: string, ctx: ProcessContext<string>): void {
        written.push(row);
        ctx.output(row);
      }
    }
    const result = await runDirect((p) => {
      const rows = p.apply("Rows", Create.of("a", "b", "c", "d"));
      const firstWrites = rows.apply("WriteFirst", ParDo.of(new WriteFirst()));
      rows.apply(Wait.on<string>(firstWrites)).apply(
        "WriteSecond",
        ParDo.into<string>().of((row: string, ctx: ProcessContext<string>) => {
          seenByMain.push(written.length);
          ctx.output(row);
        }),
      );
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(seenByMain, [4, 4, 4, 4]);
  });

  it("the real-runner program (test/portable/wait_programs.ts) gives WAIT_EXPECTED on the DirectRunner", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "wait-"));
    try {
      const result = await waitProgram.run({ output: out });
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(out, "waited")), WAIT_EXPECTED);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("refuses Wait.on() with no signal, saying what to pass", () => {
    assert.throws(() => Wait.on(), /Wait\.on\(\) was given no signal/);
  });

  it("the output is the input's elements, windows and timestamps", async () => {
    const seen: string[] = [];
    const result = await runDirect((p) => {
      const main = p.apply("Main", Create.timestamped([{ value: "x", timestamp: 1_500 }, { value: "y", timestamp: 4_200 }])).apply("Win", Window.into<string>(new FixedWindows(2 * SECOND)));
      const signal = p.apply("Signal", Create.timestamped([{ value: 1, timestamp: 100 }])).apply("WinS", Window.into<number>(new FixedWindows(2 * SECOND)));
      main.apply(Wait.on<string>(signal)).apply(
        "Observe",
        ParDo.into<string>().of((v: string, ctx: ProcessContext<string>) => {
          seen.push(`${v}@${ctx.timestamp} ${ctx.window.id()}`);
        }),
      );
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(seen.sort(), ["x@1500 0:2000", "y@4200 4000:6000"]);
  });
});
