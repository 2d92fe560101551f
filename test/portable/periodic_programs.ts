/**
 * PeriodicImpulse on a real runner (its splittable DoFn in our worker): the firings of a range
 * partly past, partly future (`--start`/`--stop` given by the test, so the submitting program and
 * the worker build the same pipeline), each with its timestamp and fixed window; and the
 * slowly updating side input read by a main stream, per fixed window of the interval.
 */
import { AsSingleton, definePipeline, FixedWindows, ParDo, PeriodicImpulse, Window } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import type { IntervalWindow } from "../../lib/model/window";

export const PERIODIC_INTERVAL_MS = 500;

/** What `periodicProgram` writes for start..stop (firings relative to the start: value@timestamp [window]). */
export function periodicExpected(start: number, stop: number): { firings: string[]; tagged: string[] } {
  const firings: string[] = [];
  const tagged: string[] = [];
  for (let t = start; t < stop; t += PERIODIC_INTERVAL_MS) {
    const w = Math.floor(t / PERIODIC_INTERVAL_MS) * PERIODIC_INTERVAL_MS;
    firings.push(`+${t - start}@+${t - start} [${w - start},${w + PERIODIC_INTERVAL_MS - start})`);
    if (t + PERIODIC_INTERVAL_MS / 2 < stop) tagged.push(`+${t + PERIODIC_INTERVAL_MS / 2 - start} sees config-${(t - start) / PERIODIC_INTERVAL_MS}`);
  }
  return { firings: firings.sort(), tagged: tagged.sort() };
}

export const periodicProgram = definePipeline({
  name: "portable-test-periodic-impulse",
  description: "PeriodicImpulse firings, and a slowly updating side input",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    start: { type: "number", describe: "First firing (ms since the epoch, a multiple of the interval)", required: true },
    stop: { type: "number", describe: "No firing at or after this (ms since the epoch)", required: true },
    side_input: { type: "boolean", describe: "Also the slowly updating side input (tagged)", default: true },
  },
  build(root, flags) {
    const start = flags.start;
    const rel = (t: number): string => `${t - start}`;
    const firings = root.apply("Firings", PeriodicImpulse.create({ start, stop: flags.stop, intervalMillis: PERIODIC_INTERVAL_MS, applyWindowing: true }));
    firings
      .apply(
        "Describe",
        ParDo.into<string>().of((t: number, ctx) => {
          const w = ctx.window as unknown as IntervalWindow;
          ctx.output(`+${rel(t)}@+${rel(ctx.timestamp)} [${rel(w.start)},${rel(w.end)})`);
        }),
      )
      .apply("WriteFirings", WriteToText.to(`${flags.output}/firings`, { numShards: 1 }));
    if (!flags.side_input) return;

    const current = AsSingleton(firings.map("Read", (t: number) => `config-${(t - start) / PERIODIC_INTERVAL_MS}`));
    root
      .apply("Events", PeriodicImpulse.create({ start: start + PERIODIC_INTERVAL_MS / 2, stop: flags.stop, intervalMillis: PERIODIC_INTERVAL_MS }))
      .apply("Window", Window.into<number>(new FixedWindows(PERIODIC_INTERVAL_MS)))
      .apply("Tag", ParDo.into<string>().of((t: number, ctx) => ctx.output(`+${rel(t)} sees ${ctx.sideInputs.current}`), { sideInputs: { current } }))
      .apply("WriteTagged", WriteToText.to(`${flags.output}/tagged`, { numShards: 1 }));
  },
});
