/**
 * The Beam model conformance suite on the DirectRunner: every case in test/conformance/cases
 * (see cases.ts for the format) must fire exactly its panes, at its steps.
 */
import { strict as assert } from "node:assert";
import { ConformanceCase, loadCases, parseTrigger } from "./cases";
import { compare, runCase } from "./run_case";

const cases = loadCases();

describe("Beam model conformance (DirectRunner)", () => {
  it("has cases, each with a unique name, a source and an end", () => {
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    const names = new Set<string>();
    for (const c of cases) {
      assert.ok(!names.has(c.name), `duplicate case name: ${c.name}`);
      names.add(c.name);
      assert.ok(c.about.length > 0, `${c.name}: say which Beam rule it checks`);
      const last = c.script[c.script.length - 1];
      assert.ok(last !== undefined && "watermark" in last && last.watermark === "inf", `${c.name}: the script ends with the watermark at "inf"`);
      if (c.windowing.trigger !== undefined) parseTrigger(c.windowing.trigger);
    }
  });

  const byFile = new Map<string, ConformanceCase[]>();
  for (const c of cases) byFile.set(c.file!, [...(byFile.get(c.file!) ?? []), c]);
  for (const [file, list] of byFile) {
    describe(file, () => {
      for (const c of list) {
        it(c.name, async () => {
          const run = await runCase(c);
          assert.equal(run.result.state, "DONE", run.result.error?.message);
          const problems = compare(c, run);
          assert.deepEqual(problems, [], `${c.name}\n  fired:\n    ${run.panes.map((p) => `${p.pane}  (steps ${Math.max(p.from, 0)}..${p.to - 1})`).join("\n    ")}`);
        });
      }
    });
  }
});
