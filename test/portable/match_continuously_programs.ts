/**
 * Continuous matching on a real runner (PeriodicImpulse's splittable DoFn, the match, the keyed
 * deduplication in our worker): a folder watched over a range of firings partly past, partly
 * future (`--start`/`--stop` given by the test, so the submitting program and the worker build
 * the same pipeline). As in Beam Python's fileio_test, the pipeline creates a file (`extra`) when
 * it sees the first one, and a later firing finds it. Each found file is written with its firing
 * (relative to the start) and window.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { definePipeline, FileIO, ParDo, type FileMetadata } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import type { IntervalWindow } from "../../lib/model/window";

export const MATCH_INTERVAL_MS = 500;

export const matchContinuouslyProgram = definePipeline({
  name: "portable-test-match-continuously",
  description: "FileIO.matchContinuously over a folder; the pipeline adds a file as it runs",
  flags: {
    dir: { type: "string", describe: "Folder watched (*.txt)", required: true },
    output: { type: "string", describe: "Output prefix", required: true },
    start: { type: "number", describe: "First match (ms since the epoch, a multiple of the interval)", required: true },
    stop: { type: "number", describe: "No match at or after this (ms since the epoch)", required: true },
  },
  build(root, flags) {
    const start = flags.start;
    root
      .apply("Watch", FileIO.matchContinuously(path.join(flags.dir, "*.txt"), { intervalMillis: MATCH_INTERVAL_MS, start, stop: flags.stop, applyWindowing: true }))
      .apply(
        "Describe",
        ParDo.into<string>().of((f: FileMetadata, ctx) => {
          const name = path.basename(f.path);
          // Written aside and renamed in, so no firing sees it half-written.
          if (name === "first.txt") {
            fs.writeFileSync(path.join(flags.dir, "extra.tmp"), "extra\n");
            fs.renameSync(path.join(flags.dir, "extra.tmp"), path.join(flags.dir, "extra.txt"));
          }
          const w = ctx.window as unknown as IntervalWindow;
          ctx.output(`${name} ${f.sizeBytes} bytes, firing +${ctx.timestamp - start} in [${w.start - start},${w.end - start})`);
        }),
      )
      .apply("Write", WriteToText.to(flags.output, { numShards: 1 }));
  },
});
