/** Snippets of docs/guide/04-windowing.md. */
import { Count, Create, DoFn, FixedWindows, GlobalWindows, IntervalWindow, ParDo, Sessions, SlidingWindows, Window, kv } from "beamline";
import type { KV, PCollection, Pipeline, ProcessContext } from "beamline";

const MINUTE = 60_000;
const t0 = Date.parse("2024-05-01T10:00:00Z");

/** Clicks by user, with event times a few minutes apart. */
function clicks(p: Pipeline): PCollection<string> {
  return p.apply("Clicks", Create.timestamped([
    { value: "ann", timestamp: t0 + 0.5 * MINUTE },
    { value: "bob", timestamp: t0 + 1.5 * MINUTE },
    { value: "ann", timestamp: t0 + 2.5 * MINUTE },
    { value: "ann", timestamp: t0 + 9 * MINUTE },
  ]));
}

export function fixed(p: Pipeline): PCollection<KV<string, number>> {
  const events = clicks(p);
  // [START fixed]
  const perMinute = events
    .apply("EveryMinute", Window.into(new FixedWindows(MINUTE)))
    .apply("CountPerUser", Count.perElement());   // one count per user and minute
  // [END fixed]
  return perMinute;
}

export function sliding(p: Pipeline): PCollection<KV<string, number>> {
  const events = clicks(p);
  // [START sliding]
  const lastFiveMinutes = events
    .apply("FiveMinutesEveryMinute", Window.into(new SlidingWindows(5 * MINUTE, MINUTE)))
    .apply("CountPerUser", Count.perElement());   // each element is in five windows
  // [END sliding]
  return lastFiveMinutes;
}

export function sessions(p: Pipeline): PCollection<KV<string, number>> {
  const events = clicks(p);
  // [START sessions]
  const perSession = events
    .map("ByUser", (user) => kv(user, 1))
    .apply("Sessions", Window.into(new Sessions(5 * MINUTE)))   // a gap of 5 minutes ends a session
    .apply("ClicksPerSession", Count.perKey());
  // [END sessions]
  return perSession;
}

export function global(p: Pipeline): PCollection<KV<string, number>> {
  const events = clicks(p).apply("Windowed", Window.into(new FixedWindows(MINUTE)));
  // [START global]
  const overall = events.apply("Global", Window.into(new GlobalWindows())).apply("Count", Count.perElement());
  // [END global]
  return overall;
}

// [START window_in_dofn]
/** Formats each count with the window it belongs to. */
class WithWindow extends DoFn<KV<string, number>, string> {
  process(e: KV<string, number>, ctx: ProcessContext<string>): void {
    const w = ctx.window as IntervalWindow;   // FixedWindows, SlidingWindows and Sessions give IntervalWindows
    ctx.output(`${new Date(w.start).toISOString().slice(11, 16)}-${new Date(w.end).toISOString().slice(11, 16)} ${e.key}=${e.value}`);
  }
}
// [END window_in_dofn]

export function describeWindows(p: Pipeline): PCollection<string> {
  return fixed(p).apply("WithWindow", ParDo.of(new WithWindow()));
}

export function timestamps(p: Pipeline): PCollection<KV<string, number>> {
  // [START timestamps]
  const readings = p.apply("Readings", Create.of('{"sensor":"a","at":"2024-05-01T10:00:10Z"}', '{"sensor":"a","at":"2024-05-01T10:01:20Z"}'));
  const stamped = readings.apply("EventTime", ParDo.into<string>().of((json, ctx) => {
    const r = JSON.parse(json) as { sensor: string; at: string };
    ctx.outputWithTimestamp(r.sensor, Date.parse(r.at));   // the element's event time from now on
  }));
  const perMinute = stamped.apply(Window.into(new FixedWindows(MINUTE))).apply(Count.perElement());
  // [END timestamps]
  return perMinute;
}
