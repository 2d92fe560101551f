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
import { Create, definePipeline, FileIO, ParDo, Watch, type FileMetadata } from "../../lib";
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

/**
 * FileIO.matchAll().continuously on a real runner (Beam Java's Watch as a splittable DoFn in our
 * worker): three patterns (files in fixed windows of the interval, for the windowed write), each watched on its own until no new file came for
 * MATCH_ALL_QUIET_MS; `first*` overlaps `*.txt`, so first.txt comes once per pattern. On seeing
 * first.txt the pipeline adds extra.txt, which a later poll of `*.txt` finds. Each found file is
 * written with its size; the job ends by itself once every pattern's watch has stopped.
 */
export const MATCH_ALL_QUIET_MS = 3000;

export const matchAllContinuouslyProgram = definePipeline({
  name: "portable-test-match-all-continuously",
  description: "FileIO.matchAll().continuously over three patterns of a folder, each until quiet",
  flags: {
    dir: { type: "string", describe: "Folder watched", required: true },
    output: { type: "string", describe: "Output prefix", required: true },
  },
  build(root, flags) {
    root
      .apply("Patterns", Create.of(path.join(flags.dir, "*.txt"), path.join(flags.dir, "*.csv"), path.join(flags.dir, "first*")))
      .apply("Watch", FileIO.matchAll().continuously({ intervalMillis: MATCH_INTERVAL_MS, terminationCondition: Watch.Growth.afterTimeSinceNewOutput(MATCH_ALL_QUIET_MS), applyWindowing: true }))
      .apply(
        "Describe",
        ParDo.into<string>().of((f: FileMetadata, ctx) => {
          const name = path.basename(f.path);
          if (name === "first.txt") {
            // Written aside (a name no pattern matches, one per writer) and renamed in.
            const aside = path.join(flags.dir, `extra-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
            fs.writeFileSync(aside, "extra\n");
            fs.renameSync(aside, path.join(flags.dir, "extra.txt"));
          }
          ctx.output(`${name} ${f.sizeBytes} bytes`);
        }),
      )
      .apply("Write", WriteToText.to(flags.output, { numShards: 1 }));
  },
});

/** The files the `Slow` step of `slowConsumerProgram` has finished, by watched folder (the LOOPBACK worker is this process). */
export const FINISHED: Map<string, Set<string>> = new Map();

/** How long `Slow` waits on first.txt for a later poll's file before it gives up. */
export const SLOW_WAIT_MS = 20_000;

/**
 * FileIO.matchAll().continuously with a slow step after it: on first.txt the step adds extra.txt
 * and then waits (up to SLOW_WAIT_MS) until the step has finished extra.txt, which only a later
 * poll finds. The watch's polls must not wait for what comes after them (Beam Java's
 * FileIO.matchAll ends in a Reshuffle, a fusion break): if the step ran in the polling bundle, no
 * later poll could run before it returned, and it would give up.
 */
export const slowConsumerProgram = definePipeline({
  name: "portable-test-match-all-slow-consumer",
  description: "FileIO.matchAll().continuously followed by a step that waits for a later poll's file",
  flags: {
    dir: { type: "string", describe: "Folder watched (*.txt)", required: true },
    output: { type: "string", describe: "Output prefix", required: true },
  },
  build(root, flags) {
    root
      .apply("Patterns", Create.of(path.join(flags.dir, "*.txt")))
      .apply("Watch", FileIO.matchAll().continuously({ intervalMillis: MATCH_INTERVAL_MS, terminationCondition: Watch.Growth.afterTimeSinceNewOutput(MATCH_ALL_QUIET_MS), applyWindowing: true }))
      .apply(
        "Slow",
        ParDo.into<string>().of(async (f: FileMetadata, ctx) => {
          const name = path.basename(f.path);
          const finished = FINISHED.get(flags.dir) ?? new Set<string>();
          FINISHED.set(flags.dir, finished);
          if (name !== "first.txt") {
            finished.add(name);
            ctx.output(name);
            return;
          }
          const aside = path.join(flags.dir, `extra-${process.pid}.tmp`);
          fs.writeFileSync(aside, "extra\n");
          fs.renameSync(aside, path.join(flags.dir, "extra.txt"));
          const deadline = Date.now() + SLOW_WAIT_MS;
          while (!finished.has("extra.txt") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          ctx.output(finished.has("extra.txt") ? "first.txt: a later poll's extra.txt was finished meanwhile" : `first.txt: no poll ran while it was processed (gave up after ${SLOW_WAIT_MS} ms)`);
        }),
      )
      .apply("Write", WriteToText.to(flags.output, { numShards: 1 }));
  },
});
