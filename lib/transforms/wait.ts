/**
 * Wait.on: holds back each window of a collection until that window is closed in one or more
 * signal collections (Beam Java's `Wait.on(signals)`):
 *
 * ```ts
 * const firstWrites = rows.apply("WriteFirst", ParDo.of(new WriteToFirstDatabase()));
 * rows.apply(Wait.on(firstWrites)).apply("WriteSecond", ParDo.of(new WriteToSecondDatabase()));
 * ```
 *
 * The output is the input, unchanged, but its elements of window W are emitted only once no
 * signal can still produce anything in W: each signal's watermark has passed W's end plus that
 * signal's allowed lateness. Windows of different window functions match as side inputs do (the
 * signal's window holding the end of the main input's window).
 *
 * As in Beam Java, each signal becomes a side input that is complete per window only when the
 * window expires: the signal is re-triggered with `Never()` (one pane, at the window's expiry),
 * reduced to one element per window (a bundle's windows, then any one of them), and read by an
 * identity ParDo over the main input. A globally windowed signal on an unbounded input never
 * closes, so waiting on one holds everything until the pipeline drains; a signal with a large
 * allowed lateness delays the main input by as much.
 */
import type { BundleContext } from "../model/dofn";
import { DoFn } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { Window } from "../model/primitives";
import { AsIterable, type SideInput } from "../model/side_inputs";
import { PTransform } from "../model/transform";
import { Never } from "../model/triggers";
import type { BoundedWindow } from "../model/window";
import { Combine } from "./combine";

/** The marker a signal's windows are reduced to: only their windows matter. */
type Signalled = true;

/**
 * Outputs one marker per window its bundle saw, at the window's last instant, from finishBundle:
 * a pre-combine that keeps the cost of a large signal at one element per window and bundle.
 */
class CollectWindows extends DoFn<unknown, Signalled> {
  private windows = new Map<string, BoundedWindow>();
  startBundle(): void {
    this.windows = new Map();
  }
  process(_element: unknown, ctx: { readonly window: BoundedWindow }): void {
    const w = ctx.window;
    if (!this.windows.has(w.id())) this.windows.set(w.id(), w);
  }
  finishBundle(ctx: BundleContext<Signalled>): void {
    for (const w of this.windows.values()) ctx.output(true, { timestamp: w.maxTimestamp(), window: w });
    this.windows.clear();
  }
}

/** A signal as a side input that is complete for a window once that window has expired in the signal. */
class ToWaitView extends PTransform<PCollection<unknown>, PCollection<Signalled>> {
  constructor() {
    super("ToWaitView");
  }
  expand(signal: PCollection<unknown>): PCollection<Signalled> {
    return signal
      .apply("Never", Window.configure<unknown>({ trigger: Never(), accumulationMode: "DISCARDING" }))
      .apply("CollectWindows", ParDo.of(new CollectWindows()))
      .apply(
        "AnyOne",
        Combine.globally<Signalled, Signalled[], Signalled[]>(
          {
            createAccumulator: () => [],
            addInput: (acc, v) => (acc.length === 0 ? [v] : acc),
            mergeAccumulators: (accs) => {
              for (const a of accs) if (a.length > 0) return a;
              return [];
            },
            extractOutput: (acc) => acc,
          },
          { withoutDefaults: true },
        ),
      )
      .flatMap("Markers", (markers: Signalled[]) => markers);
  }
}

/** The transform Wait.on returns: the input, each window held until the signals close it. */
export class WaitOnSignals<T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor(private readonly signals: readonly PCollection<unknown>[]) {
    super("Wait.OnSignal");
  }

  expand(input: PCollection<T>): PCollection<T> {
    const views: Record<string, SideInput<readonly Signalled[]>> = {};
    this.signals.forEach((signal, i) => {
      views[`signal${i}`] = AsIterable(signal.apply(`To wait view ${i}`, new ToWaitView()));
    });
    const out = input.apply(
      "Wait",
      ParDo.of<T, T, {}, Record<string, readonly Signalled[]>>((element: T, ctx) => ctx.output(element), { sideInputs: views }),
    );
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}

/** Beam's Wait: `input.apply(Wait.on(signal, ...more))`. */
export const Wait = {
  /** Holds back each window of the input until it is closed in every signal. */
  on<T>(...signals: readonly PCollection<unknown>[]): WaitOnSignals<T> {
    if (signals.length === 0) throw new PipelineConstructionError("Wait.on() was given no signal: pass the collections to wait on, e.g. Wait.on(firstWrites)");
    return new WaitOnSignals<T>(signals);
  },
};
