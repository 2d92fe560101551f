/** OffsetRange, OffsetRangeTracker and OffsetRangeCoder: Beam Java's OffsetRangeTrackerTest cases (offsets are safe integers here). */
import { strict as assert } from "node:assert";
import { decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { coderFromSpec } from "../../lib/coders/registry";
import { OffsetRange, OffsetRangeCoder, OffsetRangeTracker } from "../../lib/model/offset_range";

const r = (from: number, to: number): OffsetRange => new OffsetRange(from, to);
const tracker = (from = 100, to = 200): OffsetRangeTracker => new OffsetRangeTracker(r(from, to));

describe("OffsetRangeTracker (Beam Java's OffsetRangeTrackerTest)", () => {
  it("tryClaim: succeeds inside the range, fails at its end", () => {
    const t = tracker();
    assert.deepEqual(t.currentRestriction(), r(100, 200));
    assert.equal(t.tryClaim(100), true);
    assert.equal(t.tryClaim(150), true);
    assert.equal(t.tryClaim(199), true);
    assert.equal(t.tryClaim(200), false);
  });

  it("checkpoints: unstarted, just started, regular, after claiming the last, after a failed claim", () => {
    let t = tracker();
    assert.deepEqual(t.trySplit(0), { primary: r(100, 100), residual: r(100, 200) });
    t.checkDone();
    t = tracker();
    assert.equal(t.tryClaim(100), true);
    assert.deepEqual(t.trySplit(0)!.residual, r(101, 200));
    assert.deepEqual(t.currentRestriction(), r(100, 101));
    t.checkDone();
    t = tracker();
    t.tryClaim(105);
    t.tryClaim(110);
    assert.deepEqual(t.trySplit(0)!.residual, r(111, 200));
    assert.deepEqual(t.currentRestriction(), r(100, 111));
    t.checkDone();
    t = tracker();
    t.tryClaim(105);
    t.tryClaim(110);
    t.tryClaim(199);
    assert.equal(t.trySplit(0), undefined);
    assert.deepEqual(t.currentRestriction(), r(100, 200));
    t.checkDone();
    t = tracker();
    t.tryClaim(105);
    t.tryClaim(160);
    assert.equal(t.tryClaim(240), false);
    assert.equal(t.trySplit(0), undefined);
    t.checkDone();
  });

  it("trySplit: at a fraction of the remainder; not after a checkpoint; not on an empty range", () => {
    let t = tracker();
    t.tryClaim(100);
    assert.deepEqual(t.trySplit(0.509), { primary: r(100, 150), residual: r(150, 200) });
    assert.equal(t.trySplit(1), undefined);
    t = tracker();
    t.tryClaim(105);
    t.trySplit(0);
    assert.equal(t.trySplit(0.1), undefined);
    t = tracker(100, 100);
    for (const f of [0, 0.1, 1]) assert.equal(t.trySplit(f), undefined);
  });

  it("refuses non-monotonic claims and claims before the range", () => {
    const t = tracker();
    t.tryClaim(105);
    t.tryClaim(110);
    assert.throws(() => t.tryClaim(103), /Trying to claim offset 103 while last attempted was 110/);
    assert.throws(() => tracker().tryClaim(90), /Trying to claim offset 90 before start of the range \[100, 200\)/);
  });

  it("checkDone: fails before any claim and with work left; passes once a claim reached or passed the end", () => {
    assert.throws(() => tracker().checkDone(), /Last attempted offset should not be null. No work was claimed in non-empty range \[100, 200\)/);
    for (const last of [220, 200]) {
      const t = tracker();
      t.tryClaim(150);
      t.tryClaim(175);
      assert.equal(t.tryClaim(last), false);
      t.checkDone();
    }
    const t = tracker();
    t.tryClaim(150);
    t.tryClaim(175);
    t.tryClaim(199);
    t.checkDone();
    const left = tracker();
    left.tryClaim(150);
    left.tryClaim(175);
    assert.throws(() => left.checkDone(), /Last attempted offset was 175 in range \[100, 200\), claiming work in \[176, 200\) was not attempted/);
  });

  it("progress: unstarted, finished, partly done", () => {
    assert.deepEqual(tracker(0, 200).getProgress(), { workCompleted: 0, workRemaining: 200 });
    assert.deepEqual(tracker().getProgress(), { workCompleted: 0, workRemaining: 100 });
    let t = tracker(0, 200);
    t.tryClaim(300);
    assert.deepEqual(t.getProgress(), { workCompleted: 200, workRemaining: 0 });
    t = tracker();
    t.tryClaim(150);
    assert.deepEqual(t.getProgress(), { workCompleted: 50, workRemaining: 50 });
  });

  it("small ranges of large values split exactly (Beam's testSmallRangeWithLargeValue, within safe integers)", () => {
    const big = 2 ** 52;
    const t = tracker(big + 1, big + 3);
    assert.equal(t.tryClaim(big + 1), true);
    assert.deepEqual(t.trySplit(0.5), { primary: r(big + 1, big + 2), residual: r(big + 2, big + 3) });
  });

  it("OffsetRange: from <= to, safe integers; split into parts of a size", () => {
    assert.throws(() => r(5, 4), /from must not be greater than to/);
    assert.throws(() => r(0, 2 ** 60), /safe integers/);
    assert.deepEqual(r(0, 10).split(4), [r(0, 4), r(4, 8), r(8, 10)]);
    assert.deepEqual(r(0, 10).split(4, 3), [r(0, 4), r(4, 10)]);
  });

  it("the coder writes from and to as varints (Beam Java's OffsetRange.Coder) and is registered for the worker", () => {
    const bytes = encodeToBytes(OffsetRangeCoder.INSTANCE, r(1, 300));
    assert.deepEqual([...bytes], [1, 0xac, 0x02]);
    assert.deepEqual(decodeFromBytes(coderFromSpec({ urn: "beamline:coder:offset_range:v1" }), bytes), r(1, 300));
  });
});
