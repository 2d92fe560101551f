#!/usr/bin/env node
/**
 * Build step: takes the Beam model's protobuf-ts message modules (runner, Fn, Job, artifact,
 * provision APIs and what they import) from the `apache-beam` devDependency into `generated/`
 * (type-checked by tsc) and `dist/generated/` (loaded at run time, shipped in the package).
 *
 * Why: depending on `apache-beam` at run time installs 58 MB and an old Google client tree into
 * every user's project, while the message modules need only @protobuf-ts/runtime and
 * @protobuf-ts/runtime-rpc. No npm package ships Beam's .proto files, so we cannot run a
 * generator ourselves without committing copies of them; the generated code is taken as it is,
 * never committed (both folders are build outputs, see .gitignore).
 *
 *     node scripts/beam_protos.js    (run by `npm run build`; a no-op when up to date)
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const TARGETS = [path.join(ROOT, "generated", "beam_model"), path.join(ROOT, "dist", "generated", "beam_model")];
/** The modules runners/portable/protos.ts loads, relative to the package's proto folder. */
const ENTRY_MODULES = [
  "org/apache/beam/model/pipeline/v1/beam_runner_api",
  "org/apache/beam/model/pipeline/v1/metrics",
  "org/apache/beam/model/pipeline/v1/endpoints",
  "org/apache/beam/model/pipeline/v1/standard_window_fns",
  // Schemas: the payload of beam:coder:row:v1 (lib/coders/schema_proto.ts).
  "org/apache/beam/model/pipeline/v1/schema",
  "org/apache/beam/model/fn_execution/v1/beam_fn_api",
  "org/apache/beam/model/fn_execution/v1/beam_provision_api",
  "org/apache/beam/model/job_management/v1/beam_job_api",
  "org/apache/beam/model/job_management/v1/beam_artifact_api",
  "google/protobuf/struct",
];
/** The only packages the copied modules may require (they are our runtime dependencies). */
const ALLOWED_PACKAGES = new Set(["@protobuf-ts/runtime", "@protobuf-ts/runtime-rpc"]);

function sourceDir() {
  // The package's `exports` hides package.json; its proto folder is public as apache-beam/proto/*.
  const dir = path.dirname(require.resolve("apache-beam/proto/beam_runner_api", { paths: [ROOT] }));
  const pkgJson = path.join(dir, "..", "..", "..", "..", "package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgJson, "utf8"));
  if (pkg.name !== "apache-beam") throw new Error(`expected apache-beam's package.json at ${pkgJson}`);
  return { dir, version: pkg.version };
}

/** Every module reachable from the entries through relative requires. */
function closure(dir) {
  const seen = new Set();
  const todo = [...ENTRY_MODULES];
  while (todo.length > 0) {
    const mod = todo.pop();
    if (seen.has(mod)) continue;
    seen.add(mod);
    const code = fs.readFileSync(path.join(dir, `${mod}.js`), "utf8");
    for (const m of code.matchAll(/require\("([^"]+)"\)/g)) {
      const spec = m[1];
      if (spec.startsWith(".")) todo.push(path.posix.normalize(path.posix.join(path.posix.dirname(mod), spec)));
      else if (!ALLOWED_PACKAGES.has(spec)) throw new Error(`${mod}.js requires '${spec}', which is not a runtime dependency of beamline`);
    }
  }
  return [...seen].sort();
}

function main() {
  const { dir, version } = sourceDir();
  // The module list is part of the stamp: adding an entry module regenerates the copies.
  const stamp = `apache-beam ${version}\n${ENTRY_MODULES.join("\n")}\n`;
  const upToDate = TARGETS.every((t) => {
    try {
      return fs.readFileSync(path.join(t, "SOURCE"), "utf8") === stamp;
    } catch {
      return false;
    }
  });
  if (upToDate) return;
  const modules = closure(dir);
  for (const target of TARGETS) {
    fs.rmSync(target, { recursive: true, force: true });
    for (const mod of modules) {
      fs.mkdirSync(path.join(target, path.dirname(mod)), { recursive: true });
      for (const ext of [".js", ".d.ts"]) {
        // Source maps are left out: they point at TypeScript files the package does not ship.
        const code = fs.readFileSync(path.join(dir, mod + ext), "utf8").replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
        fs.writeFileSync(path.join(target, mod + ext), code);
      }
    }
    fs.writeFileSync(
      path.join(target, "README.md"),
      `Generated code, not edited and not committed: Apache Beam's model protos compiled by protobuf-ts, as published in the\n` +
        `\`apache-beam\` npm package ${version} (Apache License 2.0), taken in by scripts/beam_protos.js at build time.\n`,
    );
    fs.writeFileSync(path.join(target, "SOURCE"), stamp);
  }
  process.stderr.write(`beam_protos: ${modules.length} modules from apache-beam ${version} -> generated/beam_model\n`);
}

main();
