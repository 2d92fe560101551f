/**
 * Triggers, panes and TestStream on real Beam runners: every Beam model conformance case
 * (test/conformance/cases/*.json: Beam Java's trigger, lateness, accumulation, timestamp
 * combiner, session-merging and closing-behaviour cases) run as a TestStream program
 * (trigger_case_programs.ts) on the DirectRunner and on each runner whose launcher is set
 * (see real_runners.test.ts), each pane compared exactly (key, window, values, timestamp,
 * timing, index, on-time index, first, last) with the case's expected panes. Where a runner
 * differs, real_runner_trigger_quirks.ts says why (with the runner's source) and the test checks
 * the runner still does what is recorded there.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { loadCases } from "../conformance/cases";
import { readShards } from "../helpers";
import { realRunnerSession, type RealRunnerSpec } from "./real_runner_launch";
import { PRISM_TRIGGER_QUIRKS, type TriggerCaseQuirk } from "./real_runner_trigger_quirks";
import { expectedPanes, TEST_STREAM_CODERS_EXPECTED, testStreamCodersProgram, triggerCaseProgram } from "./trigger_case_programs";

interface TriggerRunner extends RealRunnerSpec {
  /** How the runner differs from Beam, by case name. */
  readonly quirks: Readonly<Record<string, TriggerCaseQuirk>>;
  /** Why the runner cannot run a TestStream at all (it must then refuse one with an error matching `error`). */
  readonly noTestStream?: { readonly error: RegExp; readonly why: string };
}

const RUNNERS: readonly TriggerRunner[] = [
  { name: "Prism", envVar: "BEAMLINE_PRISM", ready: /PRISM_READY (\S+)/, quirks: PRISM_TRIGGER_QUIRKS },
  {
    name: "Beam Python's job service",
    envVar: "BEAMLINE_BEAM_PYTHON_JOB_SERVER",
    ready: /BEAMPY_JOB_SERVER_READY (\S+)/,
    quirks: {},
    noTestStream: {
      error: /NotImplementedError: beam:transform:teststream:v1/,
      why: "Beam 2.66's FnApiRunner (behind its job service) refuses every transform it does not implement, TestStream's beam:transform:teststream:v1 among them (apache_beam/runners/portability/fn_api_runner/fn_runner.py:371 _check_requirements)",
    },
  },
];

const CASES = loadCases();

/** A pane without its PaneInfo: "key window values @timestamp". */
const withoutPaneInfo = (pane: string): string => pane.replace(/ (EARLY|ON_TIME|LATE|UNKNOWN)#.*$/, "");

for (const runner of RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): the conformance cases' triggers and panes from a TestStream`, function () {
    this.timeout(180_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-triggers-");
    const flags = (i: number, where: string) => ({ case_name: CASES[i]!.name, output: path.join(tmp, `case-${i}`, where) });
    // The cases are Beam's own, some with triggers that finish: as run_case.ts, allow them.
    const remote = (i: number) => triggerCaseProgram.create(flags(i, "remote"), { ...options(`trigger-case-${i}`), allowUnsafeTriggers: true });

    for (const kind of ["words", "blobs"] as const) {
      it(`TestStream elements in ${kind === "words" ? "StringUtf8Coder" : "KV(StringUtf8Coder, BytesCoder)"} arrive as the DirectRunner's (each encodes alike in the outer and nested contexts)`, async function () {
        if (runner.noTestStream !== undefined) this.skip();
        const out = (where: string) => ({ kind, output: path.join(tmp, `teststream-${kind}`, where) });
        assert.equal(await (await testStreamCodersProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
        assert.deepEqual(readShards(path.join(out("direct").output, "elements")), TEST_STREAM_CODERS_EXPECTED[kind], "DirectRunner");
        await runRemote(testStreamCodersProgram.create(out("remote"), options(`teststream-${kind}`)));
        assert.deepEqual(readShards(path.join(out("remote").output, "elements")), TEST_STREAM_CODERS_EXPECTED[kind], runner.name);
      });
    }

    if (runner.noTestStream !== undefined) {
      const { error, why } = runner.noTestStream;
      it("refuses a TestStream (so the cases cannot run there)", async () => {
        console.log(`      (${runner.name}: ${why})`);
        await assert.rejects(runRemote(remote(0)), error);
      });
      return;
    }

    CASES.forEach((c, i) => {
      it(`${c.file}: ${c.name}`, async () => {
        const expected = expectedPanes(c);
        assert.equal(await (await triggerCaseProgram.run(flags(i, "direct"), { runner: "DirectRunner", allowUnsafeTriggers: true })).waitUntilFinish(), "DONE");
        assert.deepEqual(readShards(path.join(flags(i, "direct").output, "panes")), expected, "DirectRunner");
        const quirk = runner.quirks[c.name];
        if (quirk !== undefined && "refused" in quirk) {
          console.log(`      (${runner.name}: ${quirk.why.split(" (")[0]})`);
          await assert.rejects(runRemote(remote(i)), quirk.refused);
          return;
        }
        await runRemote(remote(i));
        const panes = readShards(path.join(flags(i, "remote").output, "panes"));
        if (quirk === undefined) {
          assert.deepEqual(panes, expected, runner.name);
          return;
        }
        // The reasons' first clauses; real_runner_trigger_quirks.ts has them in full, with the runner's source.
        console.log(`      (${runner.name} differs: ${quirk.why.map((w) => w.split(" (")[0]).join("; ")})`);
        assert.deepEqual(panes.map(withoutPaneInfo).sort(), quirk.data ?? expected.map(withoutPaneInfo).sort(), `${runner.name}: ${panes.join(" | ")}`);
      });
    });
  });
}
