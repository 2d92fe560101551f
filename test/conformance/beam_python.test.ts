/**
 * The conformance cases on Beam Python's own DirectRunner, the reference for Beam semantics
 * this suite was checked against. Runs only when BEAMLINE_BEAM_PYTHON names a python launcher
 * with apache_beam importable (e.g. a local build of Beam; see the project's notes); skipped
 * otherwise.
 *
 * Each case must give Beam Python the panes it lists (all steps together: Beam Python's runner
 * gives no step-by-step order to compare), or the ones its `beamPython` entry records with the
 * reason they differ. One difference is systematic and not recorded per case: Beam Python marks
 * a pane last only when the trigger finishes, while Beam Java's runners-core (and Beamline) also
 * mark the pane a window emits when it expires (garbage collection) last; the `last` flags are
 * compared only on panes of finished triggers.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CASES_DIR, loadCases } from "./cases";

const launcher = process.env["BEAMLINE_BEAM_PYTHON"];
const SCRIPT = path.resolve(CASES_DIR, "..", "beam_python.py");

interface PythonResult {
  readonly panes: string[];
  /** The error Beam Python's runner ended with (or "timeout"), if it did not finish. */
  error?: string;
}

/** The panes of each case (by name), and how its run ended. */
async function runOnBeamPython(files: readonly string[]): Promise<Map<string, PythonResult>> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(launcher!, [SCRIPT, ...files], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, METADATA_SERVER_DETECTION: "none" } }, (err, out, errOut) => {
      if (err) reject(new Error(`${err.message}\n${errOut.slice(-4000)}`));
      else resolve(out);
    });
  });
  const results = new Map<string, PythonResult>();
  let current: PythonResult | undefined;
  for (const line of stdout.split("\n")) {
    const m = /^(CASE|PANE|ERROR) (.*)$/.exec(line);
    if (m === null) continue;
    const text = JSON.parse(m[2]!) as string;
    if (m[1] === "CASE") results.set(text, (current = { panes: [] }));
    else if (m[1] === "PANE") current?.panes.push(text);
    else if (current !== undefined) current.error = text;
  }
  return results;
}

const withoutLast = (pane: string): string => pane.replace(/ last$/, "");

describe("Beam model conformance on Beam Python's DirectRunner (BEAMLINE_BEAM_PYTHON)", function () {
  this.timeout(15 * 60_000);
  const cases = loadCases();
  let results: Map<string, PythonResult>;

  before(async function () {
    if (launcher === undefined || !fs.existsSync(launcher)) return this.skip();
    const files = fs.readdirSync(CASES_DIR).filter((n) => n.endsWith(".json")).sort().map((n) => path.join(CASES_DIR, n));
    results = await runOnBeamPython(files);
  });

  for (const c of cases) {
    it(c.name, function () {
      if (c.beamPython?.skip === true) return this.skip();
      const got = results.get(c.name);
      assert.ok(got !== undefined, `Beam Python did not run '${c.name}'`);
      const recorded = c.beamPython;
      if (got.error !== undefined && recorded?.error !== true) assert.fail(`Beam Python failed: ${got.error}`);
      if (got.error === undefined && recorded?.error === true) assert.fail(`Beam Python no longer fails on '${c.name}': update its beamPython entry`);
      const expected = recorded?.fires ?? c.script.flatMap((s) => s.fires ?? []);
      assert.deepEqual([...got.panes].map(withoutLast).sort(), [...expected].map(withoutLast).sort(), recorded?.differs);
      // `last` must agree where Beam Python sets it (a finished trigger).
      for (const pane of got.panes.filter((p) => p.endsWith(" last"))) assert.ok(expected.includes(pane), `Beam Python's last pane ${pane}`);
    });
  }
});
