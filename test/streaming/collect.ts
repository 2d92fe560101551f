/** Test sinks for streaming tests: record every element with its timestamp, window and pane. */
import { strict as assert } from "node:assert";
import { GroupByKey, Window } from "../../lib";
import { ParDo } from "../../lib/model/pardo";
import type { PCollection } from "../../lib/model/pcollection";
import type { ProcessContext } from "../../lib/model/dofn";
import type { MetricResults } from "../../lib/model/metric_results";
import type { WindowIntoOptions } from "../../lib/model/primitives";
import type { WindowFn } from "../../lib/model/windowing";
import type { PipelineOptions } from "../../lib/model/options";
import { IntervalWindow, kv, KV, PaneInfo, PaneTiming } from "../../lib/model/window";
import type { TestStream, TimestampedElement } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";

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

/** A keyed element whose value is its timestamp. */
export const el = (key: string, t: number): TimestampedElement<KV<string, number>> => ({ value: kv(key, t), timestamp: t });

/**
 * Groups `script` with `windowFn` and `options`; rows "key:values window pane", in firing order.
 * `pipelineOptions`: e.g. `UNSAFE_TRIGGERS` for a test of what a trigger that finishes drops.
 */
export async function groupedPanes(
  script: TestStream<KV<string, number>>,
  windowFn: WindowFn,
  options: WindowIntoOptions,
  pipelineOptions: Partial<PipelineOptions> = {},
): Promise<{ rows: string[]; metrics: MetricResults }> {
  const out: Observed<KV<string, number[]>>[] = [];
  const result = await runDirect((p) => {
    const grouped = p
      .apply(script)
      .apply(Window.into(windowFn, options))
      .apply(GroupByKey.create())
      .map("Sort", (g: KV<string, number[]>) => kv(g.key, [...g.value].sort((a, b) => a - b)));
    collect(grouped, out);
  }, pipelineOptions);
  assert.equal(await result.waitUntilFinish(), "DONE");
  return { rows: out.map((o) => `${o.value.key}:${o.value.value.join(",")} ${o.window} ${paneOf(o.pane)}`), metrics: result.metrics };
}

/**
 * For tests of triggers that finish (and of what they drop): a GroupByKey refuses those unless
 * --allow_unsafe_triggers is set, as in Beam Python, whose own trigger tests set it too.
 */
export const UNSAFE_TRIGGERS: Partial<PipelineOptions> = { allowUnsafeTriggers: true };

/** Elements the GroupByKey dropped because their window's trigger had finished. */
export const droppedClosed = (m: MetricResults): number => m.counterTotal("beamline", "droppedDueToClosedWindow", "GroupByKey");
