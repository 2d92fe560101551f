/**
 * Streaming windowed writes on Prism (LOOPBACK), when its launcher is set (see real_runners.test.ts):
 * a TestStream in fixed windows, through nothing, a stateful DoFn, a GroupByKey or a Reshuffle,
 * written per window as text, Avro or with FileIO.writeDynamic. Each run on Prism must write the
 * files the DirectRunner writes for the same program (names, and each name's lines).
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";
import { readWindowedOutput, timerClearProgram, windowedWriteProgram, type WindowedWriteSink, type WindowedWriteSource, type WindowedWriteStep } from "./windowed_write_programs";

const window = (i: number): string => `${new Date(i * 10_000).toISOString()}-${new Date((i + 1) * 10_000).toISOString()}`;

/** The DirectRunner's text files for the plain program: Beam's expectation, written out so a change on both runners shows. */
const TEXT_EXPECTED = {
  [`out${window(0)}-pane-0-last-SSSSS-of-00001.txt`]: ["a:1", "a:3", "b:2"],
  [`out${window(1)}-pane-0-last-SSSSS-of-00001.txt`]: ["a:4", "b:5"],
  [`out${window(2)}-pane-0-last-SSSSS-of-00001.txt`]: ["b:6"],
};

/** The same flushed per key and window (by a stateful DoFn). */
const TEXT_EXPECTED_FLUSHED = {
  [`out${window(0)}-pane-0-last-SSSSS-of-00001.txt`]: ["a:1,3", "b:2"],
  [`out${window(1)}-pane-0-last-SSSSS-of-00001.txt`]: ["a:4", "b:5"],
  [`out${window(2)}-pane-0-last-SSSSS-of-00001.txt`]: ["b:6"],
};

const PRISM = "sdks/go/pkg/beam/runners/prism/internal";

/**
 * Prism 2.66 never marks an on-time pane last while the allowed lateness is above 0
 * (buildEventTimeBundle, engine/elementmanager.go:1747-1755; PANE_FLAGS in
 * real_runner_trigger_quirks.ts). Beam marks the on-time pane of a window the watermark passes
 * beyond its expiry at once the last (the late stream's final jump to +inf does that to window
 * [10 s, 20 s)), which names its files: WriteToText's and WriteToAvro's "pane-0-last", FileIO's pane part left out
 * for a pane that is both first and last (Beam Java's FileIO.Write.defaultNaming).
 */
const ON_TIME_PANE_NOT_LAST = `Prism marks no on-time pane last while the allowed lateness is above 0 (${PRISM}/engine/elementmanager.go:1749)`;

/** A case Prism runs differently: its names for the DirectRunner's (the rest alike), and why. */
interface PrismDifference {
  readonly why: string;
  readonly names: Readonly<Record<string, string>>;
}

const CASES: readonly { source?: WindowedWriteSource; step: WindowedWriteStep; sink: WindowedWriteSink; shards: number; prism?: PrismDifference }[] = [
  { step: "none", sink: "text", shards: 0 },
  { step: "none", sink: "text", shards: 3 },
  { step: "stateful", sink: "text", shards: 0 },
  { step: "stateful", sink: "text", shards: 2 },
  { step: "stateOnly", sink: "text", shards: 0 },
  { step: "gbk", sink: "text", shards: 0 },
  { step: "reshuffle", sink: "text", shards: 0 },
  { step: "none", sink: "avro", shards: 0 },
  { step: "stateful", sink: "avro", shards: 2 },
  { step: "gbk", sink: "avro", shards: 0 },
  { step: "reshuffle", sink: "avro", shards: 0 },
  { step: "none", sink: "fileio", shards: 1 },
  { step: "stateful", sink: "fileio", shards: 1 },
  { step: "gbk", sink: "fileio", shards: 2 },
  { step: "reshuffle", sink: "fileio", shards: 1 },
  {
    source: "late",
    step: "none",
    sink: "text",
    shards: 0,
    prism: { why: ON_TIME_PANE_NOT_LAST, names: { [`out${window(1)}-pane-0-last-SSSSS-of-00001.txt`]: `out${window(1)}-pane-0-SSSSS-of-00001.txt` } },
  },
  {
    source: "late",
    step: "none",
    sink: "avro",
    shards: 0,
    prism: { why: ON_TIME_PANE_NOT_LAST, names: { [`out${window(1)}-pane-0-last-SSSSS-of-00001.avro`]: `out${window(1)}-pane-0-SSSSS-of-00001.avro` } },
  },
  {
    source: "late",
    step: "gbk",
    sink: "fileio",
    shards: 1,
    prism: { why: ON_TIME_PANE_NOT_LAST, names: { [`lines-a-${window(1)}-SSSSS-of-00001.txt`]: `lines-a-${window(1)}-0-SSSSS-of-00001.txt` } },
  },
  // The script left open (no advanceWatermarkToInfinity): Prism ends the stream itself, without the panic below.
  { source: "processingTimeOpen", step: "processingFlush", sink: "text", shards: 0 },
  { source: "processingTimeOpen", step: "processingFlush", sink: "avro", shards: 0 },
  { source: "periodic", step: "none", sink: "text", shards: 0 },
  { source: "periodic", step: "stateful", sink: "avro", shards: 0 },
  { source: "periodic", step: "gbk", sink: "fileio", shards: 1 },
  { source: "periodic", step: "reshuffle", sink: "text", shards: 2 },
];

/**
 * Why Prism 2.66 writes nothing when the stateful DoFn also arms a processing-time timer it clears
 * at the flush (Beam Python 2.66's own SDK on the same Prism loses the same output):
 */
export const PRISM_LOSES_OUTPUT_AFTER_CLEARED_PROCESSING_TIMERS = [
  // 1. The clear is ignored, so the timer keeps holding the watermark (at its element's timestamp, as Beam's processing-time timers do) and stays pending.
  `Prism ignores a clear of a timer set in an earlier bundle: triageTimers only drops a timer set in the same bundle (${PRISM}/engine/elementmanager.go:962), ` +
    `though decodeTimerIter says existing timers must be removed (${PRISM}/engine/timers.go:46); the timer keeps its watermark hold, so the windows after it never close`,
  // 2. With that timer pending the job quiesces once the script has run, and the TestStream's final event panics.
  `with work still pending after the script, Prism runs the TestStream's final event (${PRISM}/engine/elementmanager.go:519), which panics on a nil set ` +
    `(${PRISM}/engine/teststream.go:256: updateWatermarks returns nil when the stream's watermark already reached +inf, elementmanager.go:1979)`,
  // 3. The panic ends the job as DONE.
  `the panic is recovered into a cancel (${PRISM}/engine/elementmanager.go:360), executePipeline returns nil when the bundle channel closes (${PRISM}/execute.go:347) ` +
    `and the job is reported DONE (${PRISM}/execute.go:95): whatever waited on the watermark (here the write's GroupByKey) is lost`,
];

for (const runner of REAL_RUNNERS.filter((r) => r.name === "Prism")) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): streaming windowed writes`, function () {
    this.timeout(180_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-windowed-writes-");

    for (const { source = "testStream", step, sink, shards, prism } of CASES) {
      it(`${source} → ${step} → windowed ${sink} write (${shards} shards) writes the DirectRunner's files${prism !== undefined ? " (but for Prism's pane flags)" : ""}`, async () => {
        const flags = { source, step, sink, shards };
        const direct = path.join(tmp, `${source}-${step}-${sink}-${shards}-direct`);
        const remote = path.join(tmp, `${source}-${step}-${sink}-${shards}-remote`);
        await (await windowedWriteProgram.run({ ...flags, output: direct }, { runner: "DirectRunner" })).waitUntilFinish();
        await runRemote(windowedWriteProgram.create({ ...flags, output: remote }, options(`windowed-${source}-${step}-${sink}`)));
        const expected = await readWindowedOutput(direct, sink);
        if (source === "testStream" && step === "none" && sink === "text" && shards === 0) assert.deepEqual(expected, TEXT_EXPECTED);
        assert.ok(Object.keys(expected).length >= 3, `the DirectRunner wrote ${JSON.stringify(expected)}`);
        const got = await readWindowedOutput(remote, sink);
        if (prism !== undefined) {
          console.log(`      (${runner.name}: ${prism.why})`);
          for (const [ours, theirs] of Object.entries(prism.names)) {
            assert.ok(ours in expected, `the DirectRunner wrote no ${ours}: ${JSON.stringify(Object.keys(expected))}`);
            expected[theirs] = expected[ours]!;
            delete expected[ours];
          }
        }
        assert.deepEqual(got, expected);
      });
    }

    it("an event-time timer cleared in a later bundle: Prism 2.66 still fires it (PRISM_LOSES_OUTPUT_AFTER_CLEARED_PROCESSING_TIMERS[0])", async () => {
      const direct = path.join(tmp, "timer-clear-direct");
      const remote = path.join(tmp, "timer-clear-remote");
      await (await timerClearProgram.run({ output: direct }, { runner: "DirectRunner" })).waitUntilFinish();
      const name = `out${window(0)}-pane-0-last-SSSSS-of-00001.txt`;
      assert.deepEqual(await readWindowedOutput(direct, "text"), { [name]: ["clear@1500", "set@1000"] });
      await runRemote(timerClearProgram.create({ output: remote }, options("timer-clear")));
      assert.deepEqual(
        await readWindowedOutput(remote, "text"),
        { [name]: ["clear@1500", "fired@5000", "set@1000"] },
        "Prism no longer fires the cleared timer: if the output matches the DirectRunner's, its bug is fixed; update this test and docs/guide/09-testing.md",
      );
    });

    it("processing-time timers still pending when an explicitly ended TestStream ends: Prism 2.66 loses their windows (PRISM_LOSES_OUTPUT_AFTER_CLEARED_PROCESSING_TIMERS[1-2])", async () => {
      const flags = { source: "processingTime", step: "processingFlush", sink: "text", shards: 0 };
      const direct = path.join(tmp, "processing-direct");
      const remote = path.join(tmp, "processing-remote");
      await (await windowedWriteProgram.run({ ...flags, output: direct }, { runner: "DirectRunner" })).waitUntilFinish();
      const expected = await readWindowedOutput(direct, "text");
      assert.deepEqual(expected, TEXT_EXPECTED_FLUSHED);
      try {
        await runRemote(windowedWriteProgram.create({ ...flags, output: remote }, options("windowed-processing")));
      } catch (e) {
        assert.match((e as Error).message, /panic in ElementManager\.Bundles/);
      }
      // Prism processes the second batch only at the final watermark advance (after the script's
      // processing time), so its timers are pending when the stream ends: the final event panics.
      const first = `out${window(0)}-pane-0-last-SSSSS-of-00001.txt`;
      assert.deepEqual(
        await readWindowedOutput(remote, "text"),
        { [first]: expected[first] },
        "Prism now writes more: if it matches the DirectRunner's, its bug is fixed; move this case into CASES and update docs/guide/09-testing.md",
      );
    });

    it("a processing-time timer cleared at the flush: Prism 2.66 writes nothing (its bugs, PRISM_LOSES_OUTPUT_AFTER_CLEARED_PROCESSING_TIMERS)", async () => {
      const flags = { source: "testStream", step: "idleCleared", sink: "text", shards: 0 };
      const direct = path.join(tmp, "idle-cleared-direct");
      const remote = path.join(tmp, "idle-cleared-remote");
      await (await windowedWriteProgram.run({ ...flags, output: direct }, { runner: "DirectRunner" })).waitUntilFinish();
      // Beam's output: the flushes, and no idle line (each idle timer is cleared before it is due).
      assert.deepEqual(await readWindowedOutput(direct, "text"), TEXT_EXPECTED_FLUSHED);
      try {
        await runRemote(windowedWriteProgram.create({ ...flags, output: remote }, options("windowed-idle-cleared")));
      } catch (e) {
        // Prism reports the job DONE unless its main loop sees the cancel before the closed bundle channel: then FAILED, naming the panic.
        assert.match((e as Error).message, /panic in ElementManager\.Bundles/);
      }
      console.log(`      (${runner.name}: ${PRISM_LOSES_OUTPUT_AFTER_CLEARED_PROCESSING_TIMERS[0]!.split(":")[0]}, then DONE without the windows)`);
      assert.deepEqual(
        await readWindowedOutput(remote, "text"),
        {},
        "Prism now writes output here: if it matches the DirectRunner's, its bugs are fixed; move this case into CASES and update docs/guide/09-testing.md",
      );
    });
  });
}
