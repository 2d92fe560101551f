/**
 * FileIO.matchAll().continuously and `continuously({ terminationCondition })` (Beam Java's
 * `FileIO.matchAll().continuously(pollInterval, terminationCondition)`, built on Watch) on the
 * streaming DirectRunner, on local files, in virtual processing time: a TestStream script both
 * creates files (a "put" command, acted on by the pipeline's first step) and hands patterns to the
 * watch, and each `advanceProcessingTime(interval)` lets every live watch poll once. So which
 * poll finds which file, and when a watch stops, is deterministic.
 *
 * Beam Java's FileIOTest testMatchWatchForNewFiles / testMatchWatchForNewFilesUpdated and
 * WatchTest's testMultiplePolls* cases are adapted: their writer thread sleeps between files and
 * the run waits on the wall clock; here the script places the files at virtual times.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, FileIO, ParDo, ReadFromText, TestStream, Watch, type FileMetadata, type PCollection, type Pipeline, type TerminationCondition } from "../../lib";
import type { ProcessContext } from "../../lib/model/dofn";
import { runDirect, runOk } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

/** A script command: `put <path> [<mtime>]` writes a file (atomically), `watch <pattern>` is a pattern for the watch. */
type Command = string;

/** The script's commands acted on: files written, patterns passed on. */
function act(p: Pipeline, script: TestStream<Command>): PCollection<string> {
  return p.apply(script).apply(
    "Act",
    ParDo.into<string>().of((c: Command, ctx: ProcessContext<string>) => {
      const [verb, target, mtime] = c.split(" ");
      if (verb === "watch") return ctx.output(target!);
      // Written aside, then renamed in: no poll sees a half-written file.
      fs.writeFileSync(`${target}.tmp`, `${path.basename(target!)} ${c}\n`);
      if (mtime !== undefined) fs.utimesSync(`${target}.tmp`, new Date(Number(mtime)), new Date(Number(mtime)));
      fs.renameSync(`${target}.tmp`, target!);
    }),
  );
}

/** Steps of virtual time: `[command, ...]` at the current time, or a number: advance processing time by it. */
function script(steps: readonly (Command | number)[]): TestStream<Command> {
  let s = TestStream.create<Command>();
  for (const step of steps) s = typeof step === "number" ? s.advanceProcessingTime(step) : s.addElements({ value: step, timestamp: 0 });
  return s.advanceWatermarkToInfinity();
}

/** `n` advances of `interval`: each live watch polls once per advance. */
const polls = (n: number, interval: number): number[] => Array.from({ length: n }, () => interval);

describe("FileIO.matchAll().continuously and Watch.Growth termination conditions (streaming DirectRunner, virtual time)", function () {
  this.timeout(60_000);
  let dir: string;
  let other: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "watch-growth-"));
    other = fs.mkdtempSync(path.join(os.tmpdir(), "watch-growth-other-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(other, { recursive: true, force: true });
  });
  const at = (folder: string, name: string): string => path.join(folder, name);
  const found = (out: readonly Observed<FileMetadata>[]): string[] => out.map((o) => `${path.basename(o.value.path)}@${o.timestamp}`).sort();

  it("afterTimeSinceNewOutput (Beam's FileIOTest testMatchWatchForNewFiles): match(p).continuously and matchAll().continuously find each file written while they poll once, then stop; never() polls on", async () => {
    const interval = 100;
    const condition = Watch.Growth.afterTimeSinceNewOutput(300);
    const pattern = at(dir, "*");
    const steps = [
      `watch ${pattern}`,
      ...polls(10, interval), // now 1000
      `put ${at(dir, "first")}`,
      ...polls(3, interval), // 1300
      `put ${at(dir, "second")}`,
      ...polls(3, interval), // 1600
      `put ${at(dir, "third")}`,
      // Polls at 1700 (third found), 1800, 1900, 2000 (300 ms since: not longer), 2100 (longer: the last poll).
      ...polls(5, interval),
      `put ${at(dir, "late")}`,
      ...polls(5, interval),
    ];
    const single: Observed<FileMetadata>[] = [];
    const all: Observed<FileMetadata>[] = [];
    const forever: Observed<FileMetadata>[] = [];
    const result = await runOk((p) => {
      const patterns = act(p, script(steps));
      collect(p.apply("Match", FileIO.match(pattern).continuously({ intervalMillis: interval, terminationCondition: condition })), single, "CollectSingle");
      collect(patterns.apply("MatchAll", FileIO.matchAll().continuously({ intervalMillis: interval, terminationCondition: condition })), all, "CollectAll");
      collect(patterns.apply("MatchAllNever", FileIO.matchAll().continuously({ intervalMillis: interval, terminationCondition: Watch.Growth.never() })), forever, "CollectNever");
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    // A file written at t is found by the poll at t + interval, timestamped at that poll.
    const expected = ["first@1100", "second@1400", "third@1700"];
    assert.deepEqual(found(all), expected, "each file once, at the poll after it was written; 'late' came after the watch stopped");
    assert.deepEqual(found(single), expected, "FileIO.match(p).continuously: the same watch");
    assert.deepEqual(found(forever), [...expected, "late@2200"].sort(), "never(): still polling when 'late' was written");
    for (const o of all) assert.equal(o.window, "global");
    assert.equal(all.find((o) => o.value.path.endsWith("first"))!.value.sizeBytes, fs.statSync(at(dir, "first")).size);
  });

  it("each pattern is watched on its own: its own start, termination (afterTotalOf) and deduplication (a file two patterns match comes once for each)", async () => {
    const interval = 100;
    const condition = Watch.Growth.afterTotalOf(250);
    const steps = [
      `put ${at(dir, "a")}`,
      `watch ${at(dir, "*")}`, // polls at 0, 100, 200, 300 (300 ms after its first poll: the last)
      ...polls(2, interval), // 200
      `put ${at(other, "b")}`,
      ...polls(1, interval), // 300
      `watch ${at(other, "*")}`, // polls at 300 ... 600
      `watch ${at(dir, "a*")}`, // polls at 300 ... 600
      `put ${at(dir, "c")}`, // after the first pattern's last poll
      `put ${at(other, "d")}`,
      `put ${at(dir, "a2")}`,
      ...polls(3, interval), // 600
      `put ${at(other, "e")}`, // after the other patterns' last polls
      `put ${at(dir, "a3")}`,
      ...polls(4, interval),
    ];
    const out: Observed<FileMetadata>[] = [];
    const result = await runOk((p) => collect(act(p, script(steps)).apply(FileIO.matchAll().continuously({ intervalMillis: interval, terminationCondition: condition })), out));
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(found(out), ["a2@400", "a@0", "a@300", "b@300", "d@400"]);
  });

  it("matchUpdatedFiles (Beam's FileIOTest testMatchWatchForNewFilesUpdated): a file again when its modification time changes; without it, once; afterIterations and eitherOf end the watches", async () => {
    const interval = 100;
    const file = at(dir, "f");
    const steps = [`put ${file} 1000000`, `watch ${at(dir, "*")}`, ...polls(2, interval), `put ${file} 2000000`, ...polls(4, interval), `put ${file} 3000000`, ...polls(2, interval)];
    const updated: Observed<FileMetadata>[] = [];
    const plain: Observed<FileMetadata>[] = [];
    const result = await runOk((p) => {
      const patterns = act(p, script(steps));
      // Polls at 0 ... 500: the rewrite at 200 is found at 300; the one at 600 is after the last poll.
      collect(patterns.apply("Updated", FileIO.matchAll().continuously({ intervalMillis: interval, matchUpdatedFiles: true, terminationCondition: Watch.Growth.afterIterations(6) })), updated, "CollectUpdated");
      collect(patterns.apply("Plain", FileIO.matchAll().continuously({ intervalMillis: interval, terminationCondition: Watch.Growth.eitherOf(Watch.Growth.afterIterations(100), Watch.Growth.afterTotalOf(450)) })), plain, "CollectPlain");
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(updated.map((o) => [o.timestamp, o.value.lastModifiedMillis]), [[0, 1000000], [300, 2000000]]);
    assert.deepEqual(found(plain), ["f@0"]);
  });

  it("on the wall clock (no TestStream): a watch over Create'd patterns ends the run by itself once every pattern's condition holds; ReadFromText.watchForNewFiles reads each new file's lines", async () => {
    fs.writeFileSync(at(dir, "x.txt"), "x1\nx2\n");
    fs.writeFileSync(at(other, "y.txt"), "y1\n");
    const files: Observed<FileMetadata>[] = [];
    const lines: Observed<string>[] = [];
    const result = await runOk((p) => {
      const patterns = p.apply("Patterns", Create.of(at(dir, "*.txt"), at(other, "*.txt"), at(other, "none-*")));
      collect(patterns.apply(FileIO.matchAll().continuously({ intervalMillis: 20, terminationCondition: Watch.Growth.afterIterations(2) })), files, "CollectFiles");
      collect(p.apply("Text", ReadFromText.from([at(dir, "*.txt"), at(other, "*.txt")]).watchForNewFiles({ intervalMillis: 20, terminationCondition: Watch.Growth.afterIterations(1) })), lines, "CollectLines");
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(files.map((o) => path.basename(o.value.path)).sort(), ["x.txt", "y.txt"]);
    assert.deepEqual(lines.map((o) => o.value).sort(), ["x1", "x2", "y1"]);
  });

  it("a restart from --checkpoint_dir restores each pattern's growth state: the files already output and the termination condition's progress", async () => {
    const ckpt = fs.mkdtempSync(path.join(os.tmpdir(), "watch-growth-ckpt-"));
    try {
      fs.writeFileSync(at(dir, "a"), "a\n");
      fs.writeFileSync(at(dir, "b"), "b\n");
      const crash = { on: "c" as string | undefined };
      const build = (out: Observed<FileMetadata>[]) => (p: Pipeline) => {
        // Two polls per pattern: the first finds a and b, the second c. The interval is long
        // enough for the checkpoint after the first poll to come before the second.
        const files = p.apply("Patterns", Create.of(at(dir, "*"))).apply(FileIO.matchAll().continuously({ intervalMillis: 1000, terminationCondition: Watch.Growth.afterIterations(2) }));
        collect(
          files.apply(
            "CrashOnce",
            ParDo.into<FileMetadata>().of((f: FileMetadata, ctx) => {
              const name = path.basename(f.path);
              if (name === crash.on) throw new Error(`crash on ${name}`);
              // As Beam's tests, the pipeline adds a file on seeing the first: the second poll finds it.
              if (name === "a") fs.writeFileSync(at(dir, "c"), "c\n");
              // Written once the second poll has run: a watch that lost its poll count would find it.
              if (name === "c") fs.writeFileSync(at(dir, "d"), "d\n");
              ctx.output(f);
            }),
          ),
          out,
        );
      };
      const first: Observed<FileMetadata>[] = [];
      const run1 = await runDirect(build(first), { checkpointDir: ckpt, checkpointIntervalMs: 0 }, { checkEveryElement: false });
      await assert.rejects(run1.waitUntilFinish(), /crash on c/);
      assert.deepEqual(first.map((o) => path.basename(o.value.path)).sort(), ["a", "b"]);

      crash.on = undefined;
      const second: Observed<FileMetadata>[] = [];
      const run2 = await runDirect(build(second), { checkpointDir: ckpt, checkpointIntervalMs: 0 }, { checkEveryElement: false });
      assert.equal(await run2.waitUntilFinish(), "DONE", "the restored watch had one poll left: it ends the run");
      assert.deepEqual(second.map((o) => path.basename(o.value.path)), ["c"], "a and b were output before the checkpoint; d came after the last poll");
    } finally {
      fs.rmSync(ckpt, { recursive: true, force: true });
    }
  });

  it("refuses bad options, naming the transform", async () => {
    assert.throws(() => Watch.Growth.afterTotalOf(-1), /Watch\.Growth\.afterTotalOf: the duration must be a whole number of milliseconds/);
    assert.throws(() => Watch.Growth.afterIterations(0), /afterIterations: the number of polls must be a positive whole number/);
    assert.throws(() => Watch.Growth.eitherOf(Watch.Growth.never(), "soon" as unknown as TerminationCondition), /eitherOf: soon is not a termination condition/);
    assert.throws(() => FileIO.matchAll().continuously({ intervalMillis: 0 }), /FileIO\.matchAll\(\)\.continuously: intervalMillis must be a positive/);
    assert.throws(() => FileIO.match("/x/*").continuously({ stop: 1000, terminationCondition: Watch.Growth.never() }), /a terminationCondition replaces stop/);
    assert.throws(() => FileIO.matchContinuously("/x/*", { deduplicate: false, terminationCondition: Watch.Growth.never() }), /needs deduplication/);
    // An empty match: allowed by default; matchAll's own DISALLOW carries over and fails the run naming the pattern.
    const failed = await runDirect((p) => void p.apply(Create.of(at(dir, "nothing-*"))).apply(FileIO.matchAll({ emptyMatchTreatment: "DISALLOW" }).continuously({ intervalMillis: 20, terminationCondition: Watch.Growth.afterIterations(1) })));
    await assert.rejects(failed.waitUntilFinish(), (e: Error) => /No file matches '.*nothing-\*'/.test(e.message) && /emptyMatchTreatment DISALLOW/.test(e.message));
  });
});
