/**
 * Preloaded into a benchmarked process (`node --require report_usage.js program.js ...`): at exit,
 * writes the whole process's peak RSS and CPU time (all threads) to the file named by
 * BEAMLINE_BENCH_USAGE, so the benchmark measures the program exactly as a user runs it.
 */
import * as fs from "node:fs";

const target = process.env["BEAMLINE_BENCH_USAGE"];
if (target !== undefined) {
  process.on("exit", () => {
    const u = process.resourceUsage();
    fs.writeFileSync(target, JSON.stringify({ maxRssMb: u.maxRSS / 1024, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
}
