import { strict as assert } from "node:assert";
import { FixedWindows, Pipeline, SlidingWindows, Window } from "../../lib";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import type { PCollection } from "../../lib/model/pcollection";
import { TestStream } from "../../lib/testing/test_stream";
import type { StreamingResult } from "../../runners/streaming/result";
import { runDirect } from "../helpers";

/**
 * The streaming driver counts every PCollection's elements (progress, monitoring): element-wise
 * steps and Window.into count their own outputs (no counting receiver after them), with strict
 * checks on or off.
 */
describe("streaming DirectRunner: element counts per PCollection", () => {
  for (const strictChecks of [true, false]) {
    it(`counts the outputs of Map, Filter, FlatMap and Window.into (strict checks ${strictChecks ? "on" : "off"})`, async () => {
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
          // Sliding windows of 4 every 2: each element in two windows; re-windowed, each copy is an element.
          const sliding = read.apply("Sliding", Window.into(new SlidingWindows(4, 2)));
          const fixed = sliding.apply("Fixed", Window.into(new FixedWindows(5)));
          pcolls.splice(0, pcolls.length, read, doubled, multiplesOf4, twice, generated, sliding, fixed);
        },
        { strictChecks },
      )) as unknown as StreamingResult;
      await result.waitUntilFinish();
      assert.equal(result.state, "DONE");
      const counts = result.elementCounts();
      // 0..9, doubled; 0, 4, 8, 12, 16; each twice; 0+1+2+3+4; 10 elements (each in 2 windows); 2 copies of each.
      assert.deepEqual(
        pcolls.map((pc) => counts.get(pc.id) ?? 0),
        [10, 10, 5, 10, 10, 10, 20],
      );
    });
  }

  it("still checks Window.into's outputs against a coder set on them that differs from its input's", async () => {
    const result = await runDirect((p: Pipeline) => {
      p.apply(TestStream.create<unknown>().addElements({ value: { n: 1 }, timestamp: 1 }).advanceWatermarkToInfinity())
        .apply("Windowed", Window.into(new FixedWindows(5)))
        .setCoder(StringUtf8Coder.INSTANCE as never);
    });
    assert.equal(result.state, "FAILED");
    assert.equal(result.error!.name, "ModelCheckError");
    assert.match(result.error!.message, /Windowed/);
  });
});
