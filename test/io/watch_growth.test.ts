/**
 * Watch.Growth termination conditions on their own (Beam Java's WatchTest
 * testTerminationConditions* cases, with Beam's expectations; durations in ms), Beamline's
 * afterIterations, and that a condition's state is plain data that survives the coder a watch's
 * restriction is checkpointed with.
 */
import { strict as assert } from "node:assert";
import { JsValueCoder } from "../../lib/coders/js_value";
import { decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { canStopPolling, forNewInput, Growth, onPollComplete, onSeenNewOutput, type TerminationCondition, type TerminationState } from "../../lib/transforms/watch";

const SECOND = 1000;

describe("Watch.Growth termination conditions", () => {
  const now = Date.UTC(2024, 0, 1);

  it("never() (Beam's testTerminationConditionsNever)", () => {
    const c = Growth.never();
    const state = forNewInput(c, now);
    assert.equal(canStopPolling(c, now, state), false);
    assert.equal(canStopPolling(c, now + 1_000_000 * SECOND, onPollComplete(c, onSeenNewOutput(c, now, state))), false);
  });

  it("afterTotalOf (Beam's testTerminationConditionsAfterTotalOf): strictly longer than the duration since the first poll", () => {
    const c = Growth.afterTotalOf(5 * SECOND);
    const state = forNewInput(c, now);
    assert.equal(canStopPolling(c, now, state), false);
    assert.equal(canStopPolling(c, now + 3 * SECOND, state), false);
    assert.equal(canStopPolling(c, now + 5 * SECOND, state), false, "Beam's Duration.isLongerThan: not at exactly the duration");
    assert.equal(canStopPolling(c, now + 6 * SECOND, state), true);
    assert.equal(canStopPolling(c, now + 6 * SECOND, onSeenNewOutput(c, now + 5 * SECOND, state)), true, "new output does not restart it");
  });

  it("afterTimeSinceNewOutput (Beam's testTerminationConditionsAfterTimeSinceNewOutput): never before a first output; then measured from the last", () => {
    const c = Growth.afterTimeSinceNewOutput(5 * SECOND);
    let state = forNewInput(c, now);
    assert.equal(canStopPolling(c, now, state), false);
    assert.equal(canStopPolling(c, now + 3 * SECOND, state), false);
    assert.equal(canStopPolling(c, now + 6 * SECOND, state), false);

    state = onSeenNewOutput(c, now + 3 * SECOND, state);
    assert.equal(canStopPolling(c, now + 3 * SECOND, state), false);
    assert.equal(canStopPolling(c, now + 6 * SECOND, state), false);
    assert.equal(canStopPolling(c, now + 9 * SECOND, state), true);

    state = onSeenNewOutput(c, now + 5 * SECOND, state);
    assert.equal(canStopPolling(c, now + 3 * SECOND, state), false);
    assert.equal(canStopPolling(c, now + 6 * SECOND, state), false);
    assert.equal(canStopPolling(c, now + 9 * SECOND, state), false);
    assert.equal(canStopPolling(c, now + 11 * SECOND, state), true);
  });

  it("eitherOf (Beam's testTerminationConditionsEitherOf) and allOf (testTerminationConditionsAllOf)", () => {
    const a = Growth.afterTotalOf(5 * SECOND);
    const b = Growth.afterTotalOf(10 * SECOND);
    const either = Growth.eitherOf(a, b);
    let state = forNewInput(either, now);
    assert.equal(canStopPolling(either, now + 3 * SECOND, state), false);
    assert.equal(canStopPolling(either, now + 7 * SECOND, state), true);
    assert.equal(canStopPolling(either, now + 12 * SECOND, state), true);

    const all = Growth.allOf(a, b);
    state = forNewInput(all, now);
    assert.equal(canStopPolling(all, now + 3 * SECOND, state), false);
    assert.equal(canStopPolling(all, now + 7 * SECOND, state), false);
    assert.equal(canStopPolling(all, now + 12 * SECOND, state), true);
  });

  it("afterIterations (Beamline's): holds once that many polls completed; combined conditions update every part", () => {
    const c = Growth.afterIterations(2);
    let state = forNewInput(c, now);
    assert.equal(canStopPolling(c, now, state), false);
    state = onPollComplete(c, state);
    assert.equal(canStopPolling(c, now, state), false);
    state = onPollComplete(c, state);
    assert.equal(canStopPolling(c, now, state), true);

    const nested = Growth.allOf(Growth.afterIterations(1), Growth.eitherOf(Growth.afterTimeSinceNewOutput(SECOND), Growth.never()));
    let s = forNewInput(nested, now);
    s = onPollComplete(nested, onSeenNewOutput(nested, now, s));
    assert.deepEqual(s, [1, [now, 0]]);
    assert.equal(canStopPolling(nested, now + SECOND, s), false);
    assert.equal(canStopPolling(nested, now + SECOND + 1, s), true);
  });

  it("conditions and their states are plain data: they survive the coder checkpoints use", () => {
    const c: TerminationCondition = Growth.eitherOf(Growth.afterTotalOf(7), Growth.allOf(Growth.afterTimeSinceNewOutput(3), Growth.afterIterations(4)));
    const state: TerminationState = onPollComplete(c, forNewInput(c, now));
    const coder = JsValueCoder.INSTANCE;
    assert.deepEqual(decodeFromBytes(coder, encodeToBytes(coder, { c, state })), { c, state });
  });
});
