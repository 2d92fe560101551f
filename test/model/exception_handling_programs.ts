/** Pipeline programs with exception handling (worker threads and the Fn API harness load this module). */
import { Create, definePipeline, DoFn, FixedWindows, ParDo, Reshuffle, WithTimestamps, type ProcessContext } from "../../lib";
import { assertThat, equalTo } from "../../lib/testing/passert";

/** Beam's DeadLettersTest.die_if_negative: a negative input throws (a RangeError here, Python's ValueError). */
export class DieIfNegative extends DoFn<number, number> {
  process(x: number, ctx: ProcessContext<number>): void {
    if (x < 0) throw new RangeError(String(x));
    ctx.output(x);
  }
}

/** Beam's test_threshold input. */
export const THRESHOLD_INPUT = [-1, -2, 0, 1, 2, 3, 4, 5];

/**
 * Beam's DeadLettersTest.test_threshold as a program: `threshold` over the input's windowing, or
 * per fixed window of 10 ms when `windowed` (each element timestamped with its own value).
 */
export const thresholdProgram = definePipeline({
  name: "exception-threshold",
  description: "fails when too many elements fail",
  flags: {
    threshold: { type: "number", describe: "largest fraction of failing elements", default: 0.5 },
    windowed: { type: "boolean", describe: "count per fixed window of 10 ms", default: false },
    type_errors_only: { type: "boolean", describe: "only TypeErrors are dead letters (the RangeErrors fail the run)", default: false },
  },
  build(root, flags) {
    let nums = root.apply("Create", Create.from(THRESHOLD_INPUT)).apply(Reshuffle.viaRandomKey());
    if (flags.windowed) nums = nums.apply("Stamp", WithTimestamps.of((x: number) => x));
    const out = nums.apply(
      "DieIfNegative",
      ParDo.of(new DieIfNegative()).withExceptionHandling({
        threshold: flags.threshold,
        ...(flags.windowed ? { thresholdWindowing: new FixedWindows(10) } : {}),
        ...(flags.type_errors_only ? { errorClass: TypeError } : {}),
      }),
    );
    assertThat(out.main, equalTo([0, 1, 2, 3, 4, 5]), "CheckGood");
    assertThat(out.failed.map("Elements", (f) => f.element), equalTo([-1, -2]), "CheckBad");
  },
});

