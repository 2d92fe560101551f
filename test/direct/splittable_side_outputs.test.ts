/**
 * Splittable DoFns with side inputs and tagged outputs on the DirectRunner (batch; 1 and 2
 * workers): Beam Java's SplittableDoFnTest testSideInput, testWindowedSideInput,
 * testWindowedSideInputWithCheckpoints and testAdditionalOutput, bounded and unbounded per element.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AsSingleton, Create, FixedWindows, GroupByKey, kv, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn, Window } from "../../lib";
import type { KV, RestrictionTracker, SplittableProcessContext } from "../../lib";
import { assertThat, containsInAnyOrder } from "../../lib/testing/passert";
import { readShards, runDirect } from "../helpers";
import { SdfWithAdditionalOutput, SdfWithSideInput, sdfSideInputProgram, sdfTaggedOutputProgram, WINDOWED_SIDE_EXPECTED, windowedSideInput } from "../portable/sdf_side_programs";

/** Beam's SDFWithMultipleOutputsPerBlockAndSideInput: block starts claimed, each block's indices output keyed by "<side>:<element>", a checkpoint every `claimsPerCall` claims. */
class BlocksWithSideInput extends SplittableDoFn<number, KV<string, number>, OffsetRange, number, {}, { side: string }> {
  static readonly MAX_INDEX = 98765;
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  constructor(
    readonly unboundedPerElement: boolean,
    private readonly claimsPerCall: number,
  ) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, BlocksWithSideInput.MAX_INDEX);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(element: number, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<KV<string, number>, {}, { side: string }>): ProcessContinuation {
    const starts = [-1, 0, 12, 123, 1234, 12345, 34567, BlocksWithSideInput.MAX_INDEX];
    const from = tracker.currentRestriction().from;
    let i = 1;
    while (!(from > starts[i - 1]! && from <= starts[i]!)) i++;
    for (let n = 1; tracker.tryClaim(starts[i]!); i++, n++) {
      for (let index = starts[i]!; index < starts[i + 1]!; index++) ctx.output(kv(`${ctx.sideInputs.side}:${element}`, index));
      if (n === this.claimsPerCall) return ProcessContinuation.resume();
    }
    return ProcessContinuation.stop();
  }
}

describe("DirectRunner: splittable DoFns with side inputs and tagged outputs", function () {
  this.timeout(60_000);

  for (const unbounded of [false, true]) {
    const kind = unbounded ? "Unbounded" : "Bounded";

    it(`reads a global singleton side input (Beam's testSideInput${kind})`, async () => {
      const result = await runDirect((p) => {
        const side = AsSingleton(p.apply("SideInput", Create.of("foo")));
        const res = p.apply("Input", Create.of(0, 1, 2)).apply(ParDo.splittable(new SdfWithSideInput(unbounded), { sideInputs: { side } }));
        assertThat(res, containsInAnyOrder(["foo:0", "foo:1", "foo:2"]));
      });
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    });

    it(`reads the side input in each element's window (Beam's testWindowedSideInput${kind})`, async () => {
      const result = await runDirect((p) => assertThat(windowedSideInput(p, unbounded), containsInAnyOrder(WINDOWED_SIDE_EXPECTED)));
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    });

    it(`outputs to a tagged output (Beam's testAdditionalOutput${kind})`, async () => {
      const result = await runDirect((p) => {
        const res = p.apply("Input", Create.of(0, 1, 2)).apply(ParDo.splittable(new SdfWithAdditionalOutput(unbounded)).withOutputs("additional"));
        assertThat(res.main, containsInAnyOrder(["main:0", "main:1", "main:2"]), "AssertMain");
        assertThat(res.additional, containsInAnyOrder(["additional:0", "additional:1", "additional:2"]), "AssertAdditional");
      });
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    });
  }

  it("reads the windowed side input across checkpoints, every index once per element (Beam's testWindowedSideInputWithCheckpointsBounded)", async () => {
    const grouped: KV<string, number[]>[] = [];
    const result = await runDirect((p) => {
      const main = p.apply("Main", Create.timestamped([0, 1, 2, 3].map((i) => ({ value: i, timestamp: i })))).apply("Window1", Window.into(new FixedWindows(1)));
      const side = p.apply("Side", Create.timestamped([{ value: "a", timestamp: 0 }, { value: "b", timestamp: 2 }])).apply("Window2", Window.into(new FixedWindows(2)));
      const res = main.apply(ParDo.splittable(new BlocksWithSideInput(false, 3), { sideInputs: { side: AsSingleton(side) } }));
      res.apply(GroupByKey.create()).apply("Record", ParDo.of((g: KV<string, Iterable<number>>) => void grouped.push(kv(g.key, [...g.value]))));
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.deepEqual(grouped.map((g) => g.key).sort(), ["a:0", "a:1", "b:2", "b:3"]);
    for (const g of grouped) {
      const sorted = g.value.sort((x, y) => x - y);
      assert.equal(sorted.length, BlocksWithSideInput.MAX_INDEX, g.key);
      assert.ok(sorted.every((v, i) => v === i), `${g.key}: every index once`);
    }
  });

  it("refuses an output to a tag it did not request, naming the transform", async () => {
    const result = await runDirect((p) => void p.apply("Input", Create.of(0)).apply("Untagged", ParDo.splittable(new SdfWithAdditionalOutput(false))));
    await result.waitUntilFinish().catch(() => undefined);
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /'additional'/);
    assert.match(result.error!.message, /Untagged/);
  });

  // SDFs run on the streaming driver (their step is stateful), whose parallel instances need a
  // real-time source and no side inputs (eligibility.ts): with 2 workers these run on one thread.
  describe("with --direct_num_workers 2", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-sdf-side-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const workers = { directNumWorkers: 2, directWorkerThreads: "always" as const };

    it("side inputs in each element's window (testWindowedSideInput)", async () => {
      const result = await sdfSideInputProgram.run({ output: dir, unbounded: false }, workers);
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
      assert.deepEqual(readShards(path.join(dir, "res")), [...WINDOWED_SIDE_EXPECTED].sort());
    });

    it("tagged outputs (testAdditionalOutput)", async () => {
      const result = await sdfTaggedOutputProgram.run({ output: dir, unbounded: false }, workers);
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
      assert.deepEqual(readShards(path.join(dir, "main")), ["main:0", "main:1", "main:2"]);
      assert.deepEqual(readShards(path.join(dir, "additional")), ["additional:0", "additional:1", "additional:2"]);
    });
  });
});
