/** The errors a ParDo's outputs fail with: where an output may not go, or what timestamp it may not have. */
import { TransformError } from "../../lib/model/errors";
import type { Instant } from "../../lib/model/window";

/**
 * As Beam, where a bundle output names its window (Java's FinishBundleContext.output(value,
 * timestamp, window); Python's finish_bundle yields WindowedValues): in a windowed collection,
 * the global window (the default in a globally windowed one) is no window of the collection, and
 * a grouping after it would keep such an output apart, or drop it as late.
 */
export function bundleOutputWithoutWindow(transformName: string): TransformError {
  return new TransformError(
    transformName,
    `Transform '${transformName}' output through its bundle context (in startBundle or finishBundle) without a window, but its input is ` +
      `windowed (not the global window), as Beam does not allow: say where the output goes, ctx.output(value, { window, timestamp }), ` +
      `e.g. the window and timestamp of the elements it stands for (ctx.window and ctx.timestamp in process, kept until then).`,
  );
}

/** An output from the onTimer of a timer set withNoOutputTimestamp(), which has no timestamp to give it. */
export function outputWithoutTimestamp(transformName: string): TransformError {
  return new TransformError(
    transformName,
    `Transform '${transformName}' output from onTimer of a timer set with withNoOutputTimestamp(), which has no output timestamp ` +
      `(it holds no watermark, so an output could be late anywhere). Set that timer without withNoOutputTimestamp() if its onTimer outputs.`,
  );
}

/**
 * Beam's check of an output's timestamp (Java's SimpleDoFnRunner): an output earlier than the
 * input (element, or timer at its output timestamp) minus the allowed skew may be behind the
 * watermark the input held, so a grouping downstream could drop it as late without a word.
 */
export function outputTooEarly(transformName: string, timestamp: Instant, inputTimestamp: Instant, skew: number): TransformError {
  return new TransformError(
    transformName,
    `Transform '${transformName}' output with timestamp ${describeInstant(timestamp)}, earlier than its input's timestamp ` +
      `${describeInstant(inputTimestamp)} minus the allowed skew (${skew} ms). Output timestamps must be no earlier than that, as in Beam: ` +
      `an earlier output may be behind the watermark and dropped as late. Output at or after the input's timestamp, assign event times ` +
      `where elements are first read, or set allowedTimestampSkewMillis on the DoFn to the furthest it moves timestamps back.`,
  );
}

/** An instant for an error message: its milliseconds, and the date when it has one. */
function describeInstant(t: Instant): string {
const d = new Date(t);
return Number.isNaN(d.getTime()) ? String(t) : `${t} (${d.toISOString()})`;
}
