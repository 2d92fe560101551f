/**
 * `beam:coder:custom_window:v1` (beam_runner_api.proto, StandardCoders; Beam Java's
 * TimestampPrefixingWindowCoder): a window of any WindowFn, prefixed by its maximum timestamp so
 * a runner that cannot decode the window can still order and expire it. The wire form is the max
 * timestamp (inclusive) as an 8-byte shifted timestamp, then the window in its own coder.
 */
import type { BoundedWindow } from "../model/window";
import { IntervalWindow } from "../model/window";
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { CoderError, describeValue } from "./errors";
import { timestampToInt64 } from "./timestamp";

export const CUSTOM_WINDOW_URN = "beam:coder:custom_window:v1";

const SIGN_FLIP = 1n << 63n;

/** The exact int64 max timestamp of `w`: an interval's end − 1 computed exactly even beyond ±2^53. */
function exactMaxTimestamp(w: BoundedWindow): bigint {
  if (w instanceof IntervalWindow) return timestampToInt64(w.end) - 1n;
  return timestampToInt64(w.maxTimestamp());
}

/** `beam:coder:custom_window:v1` around the window coder of a custom WindowFn. Decodes to the window itself. */
export class CustomWindowCoder<W extends BoundedWindow> implements Coder<W> {
  readonly urn = CUSTOM_WINDOW_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder of the windows. */
    readonly windowCoder: Coder<W>,
  ) {
    this.components = [windowCoder];
    this.deterministic = windowCoder.deterministic;
  }

  encode(value: W, out: ByteWriter, context: CoderContext): void {
    if (value === null || typeof value !== "object" || typeof (value as Partial<BoundedWindow>).maxTimestamp !== "function") {
      throw new CoderError(`CustomWindowCoder can only encode windows (objects with maxTimestamp()), got ${describeValue(value)}; the PCollection's window coder does not match its windowing`);
    }
    out.writeUint64BE(exactMaxTimestamp(value) + SIGN_FLIP);
    this.windowCoder.encode(value, out, context);
  }

  decode(input: ByteReader, context: CoderContext): W {
    // The prefix is for runners; the window's own encoding carries everything the SDK needs.
    input.skip(8);
    return this.windowCoder.decode(input, context);
  }
}
