/** Test sinks for streaming tests: record every element with its timestamp, window and pane. */
import { ParDo } from "../../lib/model/pardo";
import type { PCollection } from "../../lib/model/pcollection";
import type { ProcessContext } from "../../lib/model/dofn";
import { IntervalWindow, PaneInfo, PaneTiming } from "../../lib/model/window";

/** One observed output element. */
export interface Observed<T> {
  readonly value: T;
  readonly timestamp: number;
  /** "start:end" for interval windows, "global" for the global window. */
  readonly window: string;
  readonly pane: PaneInfo;
}

/** Appends every element of `pc` (with its metadata) to `sink` as the pipeline runs. */
export function collect<T>(pc: PCollection<T>, sink: Observed<T>[], label = "Collect"): void {
  pc.apply(
    label,
    ParDo.of((value: T, ctx: ProcessContext<never>) => {
      sink.push({ value, timestamp: ctx.timestamp, window: ctx.window instanceof IntervalWindow ? ctx.window.id() : "global", pane: ctx.pane });
    }),
  );
}

/** A compact pane description for assertions: "EARLY#0 first", "ON_TIME#1 last", ... */
export function paneOf(p: PaneInfo): string {
  return `${p.timing as PaneTiming}#${p.index}/${p.onTimeIndex}${p.isFirst ? " first" : ""}${p.isLast ? " last" : ""}`;
}
