import { strict as assert } from "node:assert";
import { Pipeline } from "../../lib";
import type { PCollection } from "../../lib/model/pcollection";
import { TestStream } from "../../lib/testing/test_stream";
import type { StreamingResult } from "../../runners/streaming/result";
import { runDirect } from "../helpers";

/**
 * The streaming driver counts every PCollection's elements (progress, monitoring): element-wise
 * steps count their own outputs (no counting receiver after them), with strict checks on or off,
 * and a PCollection read by a further step is counted once.
 */
describe("streaming DirectRunner: element counts per PCollection", () => {
  for (const strictChecks of [true, false]) {
    it(`counts the outputs of Map, Filter and FlatMap (strict checks ${strictChecks ? "on" : "off"})`, async () => {
      const pcolls: PCollection<unknown>[] = [];
      const result = (await runDirect(
        (p: Pipeline) => {
          const read = p.apply(TestStream.create<number>().addElements(...Array.from({ length: 10 }, (_, i) => ({ value: i, timestamp: i }))).advanceWatermarkToInfinity());
          const doubled = read.map("Double", (n: number) => 2 * n);
          const multiplesOf4 = doubled.filter("MultiplesOf4", (n: number) => n % 4 === 0);
          const twice = multiplesOf4.flatMap("Twice", (n: number) => [n, { n }]);
          const generated = multiplesOf4.flatMap("Generated", function* (n: number) {
            for (let i = 0; i < n / 4; i++) yield i;
          });
          // The builder runs twice (the reconstruction check): the last run's PCollections are the ones run.
          pcolls.splice(0, pcolls.length, read, doubled, multiplesOf4, twice, generated);
        },
        { strictChecks },
      )) as unknown as StreamingResult;
      await result.waitUntilFinish();
      assert.equal(result.state, "DONE");
      const counts = result.elementCounts();
      // 0..9, doubled; 0, 4, 8, 12, 16; each twice; 0+1+2+3+4.
      assert.deepEqual(
        pcolls.map((pc) => counts.get(pc.id) ?? 0),
        [10, 10, 5, 10, 10],
      );
    });
  }
});
