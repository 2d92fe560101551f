/**
 * PeriodicSequence on a real runner (its splittable DoFn in our worker): two sequence
 * definitions, one partly past and partly future, one short; each firing written with its
 * timestamp and fixed window (`--start`/`--stop` given by the test, so the submitting program and
 * the worker build the same pipeline).
 */
import { Create, definePipeline, FixedWindows, ParDo, PeriodicSequence, Window, type SequenceDefinition } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import type { IntervalWindow } from "../../lib/model/window";

export const SEQUENCE_INTERVAL_MS = 500;

/** The definitions of the program, for start..stop. */
function definitions(start: number, stop: number): SequenceDefinition[] {
  return [
    { start, stop, intervalMillis: SEQUENCE_INTERVAL_MS },
    { start: start + SEQUENCE_INTERVAL_MS / 2, stop: start + (5 * SEQUENCE_INTERVAL_MS) / 2, intervalMillis: SEQUENCE_INTERVAL_MS },
  ];
}

/** What `sequenceProgram` writes for start..stop (relative to the start: value@timestamp [window]), sorted. */
export function sequenceExpected(start: number, stop: number): string[] {
  const lines: string[] = [];
  for (const d of definitions(start, stop)) {
    for (let t = d.start; t < d.stop; t += d.intervalMillis) {
      const w = Math.floor(t / SEQUENCE_INTERVAL_MS) * SEQUENCE_INTERVAL_MS;
      lines.push(`+${t - start}@+${t - start} [${w - start},${w + SEQUENCE_INTERVAL_MS - start})`);
    }
  }
  return lines.sort();
}

export const sequenceProgram = definePipeline({
  name: "portable-test-periodic-sequence",
  description: "PeriodicSequence firings of two definitions",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    start: { type: "number", describe: "First firing (ms since the epoch, a multiple of the interval)", required: true },
    stop: { type: "number", describe: "No firing of the first definition at or after this (ms since the epoch)", required: true },
  },
  build(root, flags) {
    const start = flags.start;
    const rel = (t: number): string => `${t - start}`;
    root
      .apply("Definitions", Create.from(definitions(start, flags.stop)))
      .apply("Sequence", PeriodicSequence.create())
      .apply("Window", Window.into<number>(new FixedWindows(SEQUENCE_INTERVAL_MS)))
      .apply(
        "Describe",
        ParDo.into<string>().of((t: number, ctx) => {
          const w = ctx.window as unknown as IntervalWindow;
          ctx.output(`+${rel(t)}@+${rel(ctx.timestamp)} [${rel(w.start)},${rel(w.end)})`);
        }),
      )
      .apply("Write", WriteToText.to(`${flags.output}/firings`, { numShards: 1 }));
  },
});
