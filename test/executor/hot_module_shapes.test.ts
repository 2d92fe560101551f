/**
 * The modules whose exports the per-element code reads (`metrics_1.activeMetrics` in every step's
 * receive, `window_1.GlobalWindow` in the precombine, ...) must keep their exports objects in
 * V8's fast (shaped) mode. tsc compiles a value re-export (`export { X } from "./x"`) in a module
 * with exports of its own to a getter redefining a property first set to undefined, which turns
 * that module's exports object into a dictionary; each read of it from optimized code is then a
 * generic property lookup. metrics.ts re-exporting MetricResults did that, which cost the word
 * count ~15% of its instructions per word. This test asks V8 itself (a child process with
 * --allow-natives-syntax, which a test cannot turn on in its own process). lib/index is nearly all
 * re-exports, so it is made fast again once loaded (lib/model/fast_properties.ts).
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

/** Modules read per element on the batch and streaming hot paths (paths under dist/). */
const HOT_MODULES = [
  // The package's index, which user code reads per element (kv); made fast by toFastProperties.
  "lib/index",
  "lib/model/metrics",
  "lib/model/window",
  "lib/model/errors",
  "lib/io/text_splitters",
  "runners/executor/checks",
  "runners/executor/receiver",
  "runners/executor/operator",
  "runners/executor/grouping_key",
  "runners/executor/elementwise_operator",
  "runners/executor/combine_operator",
  "runners/executor/pardo_operator",
];

describe("hot-path modules' exports objects", () => {
  it("are fast-mode objects, not dictionaries (no value re-exports beside own exports)", () => {
    const dist = path.resolve(__dirname, "..", "..");
    const script = `
      const out = {};
      for (const m of ${JSON.stringify(HOT_MODULES)}) out[m] = %HasFastProperties(require(${JSON.stringify(dist)} + "/" + m + ".js"));
      process.stdout.write(JSON.stringify(out));`;
    const result = JSON.parse(execFileSync(process.execPath, ["--allow-natives-syntax", "-e", script], { encoding: "utf8" })) as Record<string, boolean>;
    const slow = HOT_MODULES.filter((m) => result[m] !== true);
    assert.deepEqual(slow, [], `dictionary-mode exports (move their value re-exports out, import from the defining module): ${slow.join(", ")}`);
  });
});
