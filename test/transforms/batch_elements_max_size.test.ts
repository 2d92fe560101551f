/**
 * BatchElements never hands on a batch larger than maxBatchSize (Beam Python's BatchElements:
 * every batch has min_batch_size to max_batch_size elements, the last of a bundle or window
 * possibly fewer), however the timings of its batches look. Under machine load one slow batch of
 * another size is an outlier the estimator's fit drops (Cook's distance), leaving timings of a
 * single size through which no line fits; the size it picked from that fit was not a number, and
 * a batch compared against it never filled, so everything up to the bundle's (or window's) end
 * went out as one batch (seen as a batch of 33 where at most 8 were allowed). A fake clock,
 * advanced by the fused step after BatchElements (the time BatchElements measures), makes the
 * batches of 8 quick and the others slow, deterministically.
 */
import { strict as assert } from "node:assert";
import { BatchElements, Create, ParDo, TestStream, type PCollection, type ProcessContext } from "../../lib";
import { runDirect } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The fake clock's seconds (module state: the closures below share it in this one process). */
let fakeNow = 0;
const clock = (): number => fakeNow;

/** Batches of 8 take 1 ms, all others 1 s: after a few slow small batches, ten quick ones of 8. */
function slowUnlessFull(batches: PCollection<number[]>): PCollection<number[]> {
  return batches.apply(
    "Timed",
    ParDo.of((batch: number[], ctx: ProcessContext<number[]>) => {
      fakeNow += batch.length === 8 ? 0.001 : 1;
      ctx.output(batch);
    }),
  );
}

async function batchesOf(input: (p: Parameters<Parameters<typeof runDirect>[0]>[0]) => PCollection<number>, stateful: boolean): Promise<Observed<number[]>[]> {
  fakeNow = 0;
  const out: Observed<number[]>[] = [];
  const result = await runDirect((p) => collect(slowUnlessFull(input(p).apply(BatchElements.of({ minBatchSize: 3, maxBatchSize: 8, clock, ...(stateful ? { maxBatchDurationSecs: 100 } : {}) }))), out));
  assert.equal(await result.waitUntilFinish(), "DONE");
  return out;
}

function assertWithinMax(out: readonly Observed<number[]>[], n: number): void {
  const sizes = out.map((o) => o.value.length);
  for (const s of sizes) assert.ok(s >= 1 && s <= 8, `a batch of ${s} (maximum 8); sizes: ${sizes.join(" ")}`);
  assert.deepEqual(
    out.flatMap((o) => o.value).sort((a, b) => a - b),
    range(n),
  );
  assert.ok(sizes.filter((s) => s === 8).length > 10, `the fit had ten timings of 8 and more batches followed: ${sizes.join(" ")}`);
}

describe("BatchElements keeps every batch within maxBatchSize when one size's timings are all the fit has left", () => {
  it("within bundles (Create): no batch over 8 after the slow batches of 3 and 6 are dropped as outliers", async () => {
    assertWithinMax(await batchesOf((p) => p.apply(Create.from(range(200))), false), 200);
  });

  it("across bundles (maxBatchDurationSecs, in state): no batch over 8 either", async () => {
    const stream = TestStream.create<number>()
      .addElements(...range(200).map((value) => ({ value, timestamp: value })))
      .advanceWatermarkToInfinity();
    assertWithinMax(await batchesOf((p) => p.apply(stream), true), 200);
  });
});
