/**
 * Parquet IO end to end on Prism (LOOPBACK), when its launcher is set (see real_runners.test.ts):
 * pyarrow's golden files read split by row groups, ReadAllFromParquet.withFilename with a column
 * projection, and WriteToParquet's two shards, the same as on the DirectRunner.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 */
import * as path from "node:path";
import "../../runners/direct";
import { checkParquetOutput, parquetProgram } from "../io/parquet_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

for (const runner of REAL_RUNNERS.filter((r) => r.name === "Prism")) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): ReadFromParquet, ReadAllFromParquet, WriteToParquet`, function () {
    this.timeout(180_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-parquet-");

    it("reads pyarrow's files and writes Parquet shards as the DirectRunner does", async () => {
      const output = path.join(tmp, "parquet");
      await runRemote(parquetProgram.create({ output }, options("parquet")));
      await checkParquetOutput(output, runner.name);
    });
  });
}
