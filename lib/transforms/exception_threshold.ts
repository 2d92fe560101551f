/**
 * The failure threshold of a ParDo with exception handling (Beam Python's
 * `with_exception_handling(threshold=..., threshold_windowing=...)`): the input and the failed
 * elements are counted per window, and a window in which more than `threshold` of the input
 * failed fails the run.
 *
 * Built from transforms rather than kept in the operator, as in Beam: the counts must cover the
 * whole input of a window, which bundles, worker threads and SDK harnesses each see only a part of.
 */
import { countsWithoutReading, type FailedElement } from "../model/dead_letter";
import { DoFn, type ProcessContext } from "../model/dofn";
import { PipelineConstructionError, TransformError } from "../model/errors";
import { MapTransform } from "../model/elementwise";
import type { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Window } from "../model/primitives";
import { AsSingleton } from "../model/side_inputs";
import type { WindowFn } from "../model/windowing";
import { Combine, Combiners } from "./combine";

/**
 * Adds to the composite being expanded (`transformName`) the steps that fail the run when, in a
 * window of `windowFn` (default: the input's), more than `threshold` of `input` ended on `failed`.
 */
export function checkFailureThreshold<In>(input: PCollection<In>, failed: PCollection<FailedElement<In>>, threshold: number, windowFn: WindowFn | undefined, transformName: string): void {
  const windowing = windowFn ?? input.windowing.windowFn;
  if (windowing.isMerging) {
    throw new PipelineConstructionError(
      `withExceptionHandling({ threshold }) counts failures per window, and its input is windowed into sessions, which cannot be ` +
        `counted against each other (merged sessions are not known until they close); give the windows to count in, e.g. { threshold, thresholdWindowing: new FixedWindows(60_000) }`,
      transformName,
    );
  }
  const count = <T>(pcoll: PCollection<T>, label: string, toOne: MapTransform<T, number>): PCollection<number> => {
    let ones = pcoll.apply(`${label}/One`, toOne);
    if (windowFn !== undefined) ones = ones.apply(`${label}/Window`, Window.into<number>(windowFn));
    return ones.apply(`${label}/Sum`, Combine.globally(Combiners.sum(), { withoutDefaults: true }));
  };
  const total = count(input, "CountAll", new MapTransform<In, number>(one));
  // Counting the failures is not handling them: an unread `failed` output still fails the run at the first one.
  const bad = count(failed, "CountFailed", countsWithoutReading(new MapTransform<FailedElement<In>, number>(one)));
  bad.apply("CheckThreshold", ParDo.of(new CheckThreshold(threshold, transformName), { sideInputs: { total: AsSingleton(total, { default: 0 }) } }));
}

function one(): number {
  return 1;
}

/** Fails the run when a window's failures (its input) exceed `threshold` of its elements (the side input). */
class CheckThreshold extends DoFn<number, never, {}, { total: number }> {
  constructor(
    private readonly threshold: number,
    private readonly transformName: string,
  ) {
    super();
  }
  process(bad: number, ctx: ProcessContext<never, {}, { total: number }>): void {
    const total = ctx.sideInputs.total;
    if (bad <= total * this.threshold) return;
    const window = ctx.window.id() === "global" ? "the global window" : String(ctx.window);
    throw new TransformError(
      this.transformName,
      `Transform '${this.transformName}' failed on ${bad} of the ${total} elements in window ${window}: ${bad} / ${total} = ${round(bad / total)} > ${this.threshold}, ` +
        `its threshold (withExceptionHandling({ threshold: ${this.threshold} })), so the run fails. Its 'failed' output holds each failed element with its error: ` +
        `fix what makes them fail, or raise the threshold if that many failures are expected.`,
    );
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
