import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadsAsCommonJs } from "../../runners/worker/program_loader";

describe("worker mode: how a program's module is loaded", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-module-kind-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A project folder with `pkg` as its package.json (none if undefined). */
  function project(name: string, pkg: string | undefined): string {
    const p = path.join(dir, name, "src");
    fs.mkdirSync(p, { recursive: true });
    if (pkg !== undefined) fs.writeFileSync(path.join(dir, name, "package.json"), pkg);
    return p;
  }

  it("requires what Node.js loads as CommonJS, imports ES modules and files a loader handles, as Node.js decides by package type", () => {
    const cjs = project("cjs", JSON.stringify({ type: "commonjs" }));
    const untyped = project("untyped", JSON.stringify({ name: "x" }));
    const esm = project("esm", JSON.stringify({ type: "module" }));
    assert.equal(loadsAsCommonJs(path.join(cjs, "job.js")), true);
    assert.equal(loadsAsCommonJs(path.join(untyped, "job.js")), true);
    assert.equal(loadsAsCommonJs(path.join(esm, "job.js")), false);
    assert.equal(loadsAsCommonJs(path.join(esm, "job.cjs")), true);
    assert.equal(loadsAsCommonJs(path.join(cjs, "job.mjs")), false);
    assert.equal(loadsAsCommonJs(path.join(cjs, "job.ts")), false);
  });

  it("leaves a module under an unreadable package.json to import(), which reports it", () => {
    const broken = project("broken", "{ not json");
    assert.equal(loadsAsCommonJs(path.join(broken, "job.js")), false);
  });
});
