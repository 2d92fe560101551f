/**
 * Runs a conformance case on the DirectRunner and reports what fired when.
 *
 * Each TestStream element carries the index of its script step, and every step that adds no
 * elements is preceded by a marker element of its own (dropped before the windowing, so the
 * grouping never sees it: an empty bundle changes nothing there). A side branch logs the step
 * of each bundle in the same log as the panes, so a pane logged after the marker of step i and
 * before that of step i + 1 was fired by step i.
 */
import { Combine, Combiners, DoFn, GroupByKey, kv, KV, ParDo, PCollection, ProcessContext } from "../../lib";
import type { PipelineResult } from "../../lib/model/result";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { ConformanceCase, formatPane, parseElement, windowInto } from "./cases";

interface Event {
  readonly key: string;
  readonly value: number;
  readonly step: number;
  /** A step marker, not data. */
  readonly marker?: true;
}

type LogEntry = { readonly step: number } | { readonly pane: string };

/** A fired pane and the steps that may have fired it: [from, to). */
export interface ObservedPane {
  readonly pane: string;
  readonly from: number;
  readonly to: number;
}

export interface CaseRun {
  readonly panes: ObservedPane[];
  readonly droppedLate: number;
  readonly droppedClosed: number;
  readonly result: PipelineResult;
}

class LogStep extends DoFn<Event, never> {
  constructor(private readonly log: LogEntry[]) {
    super();
  }
  process(e: Event): void {
    const last = this.log[this.log.length - 1];
    if (last === undefined || !("step" in last) || last.step !== e.step) this.log.push({ step: e.step });
  }
}

class LogPane extends DoFn<KV<string, number[] | number>, never> {
  constructor(private readonly log: LogEntry[]) {
    super();
  }
  process(g: KV<string, number[] | number>, ctx: ProcessContext<never>): void {
    this.log.push({ pane: formatPane(g.key, ctx.window, Array.isArray(g.value) ? [...g.value] : g.value, ctx.timestamp, ctx.pane) });
  }
}

/** The TestStream of a case's script. */
function script(c: ConformanceCase): TestStream<Event> {
  let s = TestStream.create<Event>();
  let watermark = 0;
  c.script.forEach((step, i) => {
    if (!("add" in step)) s = s.addElements({ value: { key: "", value: 0, step: i, marker: true }, timestamp: watermark });
    if ("watermark" in step && step.watermark !== "inf") watermark = step.watermark;
    if ("add" in step) {
      s = s.addElements(
        ...step.add.map((text) => {
          const e = parseElement(text);
          return { value: { key: e.key, value: e.value, step: i }, timestamp: e.timestamp };
        }),
      );
    } else if ("watermark" in step) s = step.watermark === "inf" ? s.advanceWatermarkToInfinity() : s.advanceWatermarkTo(step.watermark);
    else s = s.advanceProcessingTime(step.processingTime);
  });
  return s;
}

export async function runCase(c: ConformanceCase): Promise<CaseRun> {
  const log: LogEntry[] = [];
  const groupName = c.grouping === "Sum" ? "Sum" : "Group";
  const result = await runDirect((p) => {
    const events = p.apply(script(c));
    events.apply("Steps", ParDo.of(new LogStep(log)));
    const windowed = events
      .apply(
        "ToKV",
        ParDo.of((e: Event, ctx: ProcessContext<KV<string, number>>) => {
          if (e.marker !== true) ctx.output(kv(e.key, e.value));
        }),
      )
      .apply(windowInto(c.windowing));
    const grouped: PCollection<KV<string, number[] | number>> =
      c.grouping === "Sum"
        ? windowed.apply(groupName, Combine.perKey(Combiners.sum()))
        : windowed.apply(groupName, GroupByKey.create());
    grouped.apply("Panes", ParDo.of(new LogPane(log)));
    // The cases are Beam's own model cases, some with finishing triggers or the default trigger in
    // the global window: beam_python.py runs them with allow_unsafe_triggers too.
  }, { allowUnsafeTriggers: true });
  await result.waitUntilFinish();
  const panes: ObservedPane[] = [];
  let from = -1;
  log.forEach((entry, i) => {
    if ("step" in entry) {
      from = entry.step;
      return;
    }
    const next = log.slice(i + 1).find((e): e is { step: number } => "step" in e);
    panes.push({ pane: entry.pane, from, to: next?.step ?? c.script.length });
  });
  const counter = (name: string): number => result.metrics.counterTotal("beamline", name, groupName);
  return { panes, droppedLate: counter("droppedDueToLateness"), droppedClosed: counter("droppedDueToClosedWindow"), result };
}

/**
 * Matches the observed panes against the case's steps; returns what differs (empty: all match).
 * A pane expected at step i matches an observed one logged between the markers around step i.
 */
export function compare(c: ConformanceCase, run: CaseRun): string[] {
  const unmatched = [...run.panes];
  const problems: string[] = [];
  c.script.forEach((step, i) => {
    for (const pane of step.fires ?? []) {
      const k = unmatched.findIndex((o) => o.pane === pane && o.from <= i && i < o.to);
      if (k >= 0) unmatched.splice(k, 1);
      else problems.push(`step ${i}: expected ${pane}`);
    }
  });
  for (const o of unmatched) problems.push(`unexpected ${o.pane} (fired by one of steps ${Math.max(o.from, 0)}..${o.to - 1})`);
  const late = c.dropped?.late ?? 0;
  const closed = c.dropped?.closed ?? 0;
  if (run.droppedLate !== late) problems.push(`dropped as late: ${run.droppedLate}, expected ${late}`);
  if (run.droppedClosed !== closed) problems.push(`dropped for a closed window: ${run.droppedClosed}, expected ${closed}`);
  return problems;
}
