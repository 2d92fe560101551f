/** Snippets of docs/guide/05-triggers.md. */
import {
  AfterCount,
  AfterProcessingTime,
  AfterWatermark,
  Combine,
  Combiners,
  FixedWindows,
  GlobalWindows,
  OrFinally,
  ParDo,
  Repeatedly,
  TestStream,
  Window,
  kv,
} from "beamline";
import type { KV, PCollection, Pipeline } from "beamline";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Points scored by teams: one on time, one early-fired, one late. */
export function teamScores(p: Pipeline): PCollection<KV<string, number>> {
  return p.apply("Scores", TestStream.create<KV<string, number>>()
    .addElements({ value: kv("red", 5), timestamp: 1 * MINUTE })
    .advanceProcessingTime(10 * MINUTE)      // the early trigger's delay passes
    .addElements({ value: kv("red", 3), timestamp: 2 * MINUTE })
    .advanceWatermarkTo(HOUR)                // the hour is complete: on-time pane
    .addElements({ value: kv("red", 1), timestamp: 5 * MINUTE })   // late, within the allowed lateness
    .advanceWatermarkToInfinity());
}

export function earlyAndLate(scores: PCollection<KV<string, number>>): PCollection<string> {
  // [START early_late]
  const totals = scores
    .apply("Hourly", Window.into(new FixedWindows(HOUR), {
      trigger: AfterWatermark({ early: AfterProcessingTime(10 * MINUTE), late: AfterCount(1) }),
      allowedLatenessMillis: 30 * MINUTE,
      accumulationMode: "ACCUMULATING",     // each pane holds everything so far
    }))
    .apply("TeamTotals", Combine.perKey(Combiners.sum()));

  const described = totals.apply("Describe", ParDo.into<string>().of((total, ctx) => {
    ctx.output(`${total.key}=${total.value} ${ctx.pane.timing}`);   // red=5 EARLY, red=8 ON_TIME, red=9 LATE
  }));
  // [END early_late]
  return described;
}

export function everyTwo(p: Pipeline): PCollection<number> {
  const orders = p.apply("Orders", TestStream.create<number>()
    .addElements({ value: 10, timestamp: 0 }, { value: 20, timestamp: 0 })
    .addElements({ value: 5, timestamp: 0 })
    .addElements({ value: 1, timestamp: 0 })
    .advanceWatermarkToInfinity());
  // [START repeatedly]
  const runningBatches = orders
    .apply("EveryTwo", Window.into(new GlobalWindows(), {
      trigger: Repeatedly(AfterCount(2)),   // a pane per two elements (or more: per bundle), for ever
      accumulationMode: "DISCARDING",        // each pane holds only what is new
    }))
    .apply("BatchTotal", Combine.globally(Combiners.sum()));
  // [END repeatedly]
  return runningBatches;
}

export function untilTheHourEnds(p: Pipeline): PCollection<string> {
  const clicks = p.apply("Clicks", TestStream.create<KV<string, number>>()
    .addElements({ value: kv("home", 1), timestamp: 1 * MINUTE })
    .addElements({ value: kv("home", 1), timestamp: 2 * MINUTE })
    .advanceWatermarkTo(HOUR)                // the hour is over: the last pane
    .advanceWatermarkToInfinity());
  // [START or_finally]
  const pageViews = clicks
    .apply("HourlyUntilDone", Window.into(new FixedWindows(HOUR), {
      // a pane per bundle of clicks, until the watermark passes the end of the hour: then a last pane
      trigger: OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()),
      accumulationMode: "ACCUMULATING",
    }))
    .apply("PageViews", Combine.perKey(Combiners.sum()))
    .apply("Describe", ParDo.into<string>().of((views, ctx) => {
      ctx.output(`${views.key}=${views.value} ${ctx.pane.timing}${ctx.pane.isLast ? " last" : ""}`);   // home=1 EARLY, home=2 EARLY, home=2 ON_TIME last
    }));
  // [END or_finally]
  return pageViews;
}
