/**
 * The API reference is generated from the TSDoc comments (`npm run docs`, TypeDoc; typedoc.json).
 * Every export of the package's entry points (beamline, beamline/ml, beamline/emulators,
 * beamline/runners/*), and every member of them, must be documented: TypeDoc's notDocumented
 * validation, with warnings as errors, fails this test and names each undocumented symbol.
 * Only the check runs here (`--emit none`, ~10 s); the HTML is built by `npm run docs`.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "./snippet_sync";

describe("docs: the API reference", function () {
  this.timeout(120_000);

  it("documents every public export (typedoc validation, warnings as errors)", () => {
    const typedoc = path.join(REPO_ROOT, "node_modules", "typedoc", "bin", "typedoc");
    const run = spawnSync(process.execPath, [typedoc, "--emit", "none", "--logLevel", "Warn"], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
    const output = `${run.stdout}${run.stderr}`.replace(/\u001b\[[0-9;]*m/g, "");
    const problems = output.split("\n").filter((l) => /\[(warning|error)\]/.test(l));
    assert.deepEqual(problems, [], `document these exports (a /** ... */ comment on each), then run npm run docs:\n${problems.join("\n")}`);
    assert.equal(run.status, 0, output);
  });
});
