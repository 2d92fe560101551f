/**
 * Turns on Node.js's on-disk compile cache (Node.js ≥ 22.1: `module.enableCompileCache`) before
 * the SDK's modules load, so a program's later starts skip compiling the ~100 modules a run
 * loads. Older Node.js versions have no such API and start as before. The cache lives where
 * Node.js puts it (`NODE_COMPILE_CACHE`, else the temp directory); `NODE_DISABLE_COMPILE_CACHE=1`
 * turns it off. Coverage runs (NODE_V8_COVERAGE) are left alone: cached code reports coarser
 * coverage.
 */
import * as nodeModule from "node:module";

const api = nodeModule as { enableCompileCache?: () => unknown };
if (api.enableCompileCache !== undefined && process.env["NODE_V8_COVERAGE"] === undefined) api.enableCompileCache();
