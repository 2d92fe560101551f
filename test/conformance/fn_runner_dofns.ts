/**
 * The DoFns of the Beam Python fn_runner_test.py ports (beam_py_fn_runner_state.test.ts,
 * beam_py_fn_runner_sdf.test.ts), shared with the real-runner programs (test/portable/fn_runner_programs.ts),
 * which workers load: this module registers no tests.
 */
import { Combiners, Metrics, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ProcessContinuation, SplittableDoFn, WatermarkEstimators, type KV } from "../../lib";
import type { RestrictionTracker, SplittableProcessContext, WatermarkEstimator } from "../../lib";
import { StatefulDoFn, StateSpec, TimerSpec, type StatefulProcessContext, type TimerContext } from "../../lib/model/state";

/** Python's AddIndex of test_pardo_state_only: a running count (CombiningValueState of sum) and "value:index" (ReadModifyWriteState). */
export class AddIndex extends StatefulDoFn<string, string, [string, string, number, string]> {
  readonly index = StateSpec.combining("index", Combiners.sum());
  readonly valueAndIndex = StateSpec.value<string>("value:index");
  process(e: KV<string, string>, ctx: StatefulProcessContext<[string, string, number, string]>): void {
    ctx.state(this.index).add(1);
    ctx.state(this.valueAndIndex).write(`${e.value}:${ctx.state(this.index).read()}`);
    ctx.output([e.key, e.value, ctx.state(this.index).read(), ctx.state(this.valueAndIndex).read()!]);
  }
}

/** portable_runner_test.py's AddIndex: only the running count. */
export class RunningIndex extends StatefulDoFn<number, string, [number, string, number]> {
  readonly index = StateSpec.combining("index", Combiners.sum());
  process(e: KV<number, string>, ctx: StatefulProcessContext<[number, string, number]>): void {
    ctx.state(this.index).add(1);
    ctx.output([e.key, e.value, ctx.state(this.index).read()]);
  }
}

/** test_pardo_timers: sets its timer to ts, then 2 ts; on firing, once per key, sets it again to twice the firing time. */
export class TimerDoFn extends StatefulDoFn<string, number, string> {
  readonly timer = TimerSpec.eventTime("timer");
  readonly numCalled = StateSpec.combining("num_called", Combiners.sum());
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.timer(this.timer).set(e.value);
    ctx.timer(this.timer).set(2 * e.value);
  }
  onTimer(_name: string, ctx: TimerContext<string, string>): void {
    if (ctx.state(this.numCalled).read() === 0) {
      ctx.state(this.numCalled).add(1);
      ctx.timer(this.timer).set(2 * ctx.timestamp);
    }
    ctx.output("fired");
  }
}

/** test_pardo_timers_clear: a second timer set and then cleared never fires. */
export class ClearingTimerDoFn extends StatefulDoFn<string, number, string> {
  readonly timer = TimerSpec.eventTime("timer");
  readonly clearTimer = TimerSpec.eventTime("clear_timer");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.timer(this.timer).set(e.value);
    ctx.timer(this.timer).set(2 * e.value);
    ctx.timer(this.clearTimer).set(e.value);
    ctx.timer(this.clearTimer).clear();
  }
  onTimer(name: string, ctx: TimerContext<string, string>): void {
    ctx.output(name === "timer" ? "fired" : "should not fire");
  }
}

/** _run_pardo_state_timers' BufferDoFn: buffers in a bag, outputs 3 at a time, and the rest when its timer (just before the window's end) fires. */
export class BufferDoFn extends StatefulDoFn<string, string, string[]> {
  readonly state = StateSpec.bag<string>("state");
  readonly timer = TimerSpec.eventTime("timer");
  process(e: KV<string, string>, ctx: StatefulProcessContext<string[]>): void {
    const bag = ctx.state(this.state);
    bag.add(e.value);
    const buffer = bag.read();
    if (buffer.length >= 3) {
      bag.clear();
      ctx.output([...buffer]);
    } else ctx.timer(this.timer).set(ctx.timestamp + 1000 - 1);
  }
  onTimer(_name: string, ctx: TimerContext<string, string[]>): void {
    const buffer = ctx.state(this.state).read();
    ctx.state(this.state).clear();
    ctx.output([...buffer]);
  }
}

/** test_pardo_dynamic_timer: one timer per tag (Beamline's timer family); the callback outputs the tag and its time. */
export class DynamicTimerDoFn extends StatefulDoFn<string, number, [string, number]> {
  readonly dynamicTimer = TimerSpec.eventTimeFamily("dynamic_timer");
  process(e: KV<string, number>, ctx: StatefulProcessContext<[string, number]>): void {
    ctx.timer(this.dynamicTimer, e.key).set(e.value);
  }
  onTimer(_name: string, ctx: TimerContext<string, [string, number]>): void {
    ctx.output([ctx.timerTag, ctx.timestamp]);
  }
}

/** Python's ExpandStringsProvider: [0, len), split into pieces of half its size. */
export abstract class ExpandStrings extends SplittableDoFn<string, string, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  initialRestriction(element: string): OffsetRange {
    return new OffsetRange(0, element.length);
  }
  splitRestriction(_element: string, range: OffsetRange): OffsetRange[] {
    return range.split(Math.max(1, Math.floor(range.size() / 2)));
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
}

/** test_sdf: claims each offset and outputs its character. */
export class ExpandingStringsDoFn extends ExpandStrings {
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    for (let cur = tracker.currentRestriction().from; tracker.tryClaim(cur); cur++) ctx.output(element[cur]!);
    return ProcessContinuation.stop();
  }
}

/** test_sdf_with_watermark_tracking / sdf_initiated_checkpointing: sets the watermark to each offset, checkpoints after odd ones. */
export class CheckpointingStrings extends ExpandStrings {
  static readonly counter = Metrics.counter("ns", "my_counter");
  constructor(private readonly ownEstimator: boolean) {
    super();
  }
  override newWatermarkEstimator(state: number): WatermarkEstimator {
    // test_sdf_with_dofn_as_watermark_estimator: the fn builds the manual estimator itself.
    return new WatermarkEstimators.Manual(state);
  }
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    for (let cur = tracker.currentRestriction().from; tracker.tryClaim(cur); cur++) {
      CheckpointingStrings.counter.inc();
      ctx.watermarkEstimator.setWatermark(cur);
      if (ctx.watermarkEstimator.currentWatermark() !== cur && cur > 0) throw new Error(`the estimate is ${ctx.watermarkEstimator.currentWatermark()}, set to ${cur}`);
      ctx.output(element[cur]!);
      if (cur % 2 === 1) return this.ownEstimator ? ProcessContinuation.resume().withResumeDelay(0) : ProcessContinuation.resume();
    }
    return ProcessContinuation.stop();
  }
}

/** OffsetRangeProviderWithTruncate: [0, element), truncated to its first half (only when draining). */
export class TruncatingSdf extends SplittableDoFn<number, number, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  constructor(private readonly checkpointEvery: number) {
    super();
  }
  initialRestriction(element: number): OffsetRange {
    return new OffsetRange(0, element);
  }
  truncateRestriction(_element: number, range: OffsetRange): OffsetRange {
    return new OffsetRange(range.from, Math.floor(range.to / 2));
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(_element: number, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<number>): ProcessContinuation {
    let claimed = 0;
    for (let cur = tracker.currentRestriction().from; tracker.tryClaim(cur); cur++) {
      ctx.output(cur);
      if (this.checkpointEvery > 0 && ++claimed === this.checkpointEvery) return ProcessContinuation.resume();
    }
    return ProcessContinuation.stop();
  }
}

/**
 * test_register_finalizations: the first processing asks for finalization and checkpoints without
 * output; once the callback ran, a later processing outputs the element.
 */
export class FinalizableSdf extends SplittableDoFn<number, number, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  override readonly requestsFinalization = true;
  static finalized = false;
  initialRestriction(element: number): OffsetRange {
    return new OffsetRange(0, element);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(element: number, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<number>): ProcessContinuation {
    const start = tracker.currentRestriction().from;
    if (FinalizableSdf.finalized) {
      tracker.tryClaim(start);
      ctx.output(element);
      tracker.tryClaim(element);
      return ProcessContinuation.stop();
    }
    if (tracker.tryClaim(start)) {
      ctx.afterBundleCommit(() => {
        FinalizableSdf.finalized = true;
      });
      return ProcessContinuation.resume();
    }
    return ProcessContinuation.stop();
  }
}

