/**
 * The coder of Reify.windows()'s elements (Beam Java's `ValueInSingleWindow.Coder`): the
 * timestamp, the window (with the input's window coder), the pane, then the value. A window is a
 * class instance (IntervalWindow, GlobalWindow), which the default JS value coder refuses.
 */
import type { BoundedWindow, Instant, PaneInfo } from "../model/window";
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { readTimestamp, writeTimestamp } from "./timestamp";
import { readPane, writePane } from "./windowed";

export const VALUE_IN_SINGLE_WINDOW_URN = "beamline:coder:value_in_single_window:v1";

/** An element with its timestamp, its one window and its pane, as data (Beam's ValueInSingleWindow). */
export interface ValueInSingleWindow<T> {
  /** The element. */
  readonly value: T;
  /** Its event time (epoch milliseconds). */
  readonly timestamp: Instant;
  /** The window it was in. */
  readonly window: BoundedWindow;
  /** The pane it came out in. */
  readonly pane: PaneInfo;
}

/** Encodes ValueInSingleWindow: timestamp, window, pane, then the value in the outer context. */
export class ValueInSingleWindowCoder<T> implements Coder<ValueInSingleWindow<T>> {
  readonly urn = VALUE_IN_SINGLE_WINDOW_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic = false;

  constructor(
    readonly valueCoder: Coder<T>,
    readonly windowCoder: Coder<BoundedWindow>,
  ) {
    this.components = [valueCoder, windowCoder];
  }

  encode(v: ValueInSingleWindow<T>, out: ByteWriter, context: CoderContext): void {
    writeTimestamp(out, v.timestamp);
    this.windowCoder.encode(v.window, out, "nested");
    writePane(out, v.pane);
    this.valueCoder.encode(v.value, out, context);
  }

  decode(input: ByteReader, context: CoderContext): ValueInSingleWindow<T> {
    const timestamp = readTimestamp(input);
    const window = this.windowCoder.decode(input, "nested");
    const pane = readPane(input);
    return { value: this.valueCoder.decode(input, context), timestamp, window, pane };
  }
}
