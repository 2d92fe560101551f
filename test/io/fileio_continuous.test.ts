/**
 * FileIO.matchContinuously (Beam Python's MatchContinuously, Java's `FileIO.match().continuously`)
 * and `ReadFromText.watchForNewFiles` on the streaming DirectRunner, on local files: files present
 * at the start come at the first firing, each new file once at the firing that found it, updated
 * files again with matchUpdatedFiles, empty-match treatments, a stop that ends the run, 1 and 2
 * workers, and deduplication that survives a restart from a checkpoint. Beam Python's
 * fileio_test MatchContinuouslyTest cases are adapted: their pipelines create a file while
 * running and rely on it being written before the next firing; here the run is unbounded and
 * the test waits (polling the observed output) for the file to be found, then drains.
 *
 * Files are written under another name and renamed into the watched folder, so no firing sees
 * a half-written file (what producers of watched folders should do too).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FileIO, ParDo, ReadFromText, type FileMetadata, type Pipeline } from "../../lib";
import { isStreamingResult, type StreamingPipelineResult } from "../../runners/streaming";
import type { PipelineOptions } from "../../lib/model/options";
import { runDirect, runOk } from "../helpers";
import { waitFor } from "../setup/emulators/helpers";
import { collect, type Observed } from "../streaming/collect";

/** An interval boundary `n` intervals before now: firings from there on are already due. */
function past(interval: number, n: number): number {
  return Math.floor(Date.now() / interval) * interval - n * interval;
}

describe("FileIO.matchContinuously and ReadFromText.watchForNewFiles (streaming DirectRunner, local files)", function () {
  this.timeout(60_000);
  let dir: string;
  let staging: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "match-continuously-"));
    staging = fs.mkdtempSync(path.join(os.tmpdir(), "match-continuously-staging-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(staging, { recursive: true, force: true });
  });

  /** Writes `name` in the watched folder atomically (written aside, then renamed in). */
  const put = (name: string, content = `${name}\n`): string => {
    const aside = path.join(staging, name);
    fs.writeFileSync(aside, content);
    fs.renameSync(aside, path.join(dir, name));
    return path.join(dir, name);
  };
  const names = (out: readonly Observed<FileMetadata>[]): string[] => out.map((o) => path.basename(o.value.path)).sort();

  async function unbounded(build: (p: Pipeline) => void, options: Partial<PipelineOptions> = {}): Promise<StreamingPipelineResult> {
    const result = await runDirect(build, options, { checkEveryElement: false });
    assert.ok(isStreamingResult(result), "an unbounded run");
    return result;
  }

  it("with deduplication (Beam Python's test_with_deduplication): a file present at the start at the first firing, a file created mid-run once, at a later firing", async () => {
    const interval = 100;
    const start = past(interval, 0);
    put("first");
    const out: Observed<FileMetadata>[] = [];
    const result = await unbounded((p) => {
      const files = p.apply(FileIO.matchContinuously(path.join(dir, "*"), { intervalMillis: interval, start }));
      // As Beam's test: the pipeline itself creates the extra file on seeing the first.
      collect(files.apply("CreateExtra", ParDo.into<FileMetadata>().of((f: FileMetadata, ctx) => void (path.basename(f.path) === "first" && put("extra"), ctx.output(f)))), out);
    });
    await waitFor("the extra file", () => names(out).includes("extra"), 20_000);
    put("late");
    await waitFor("the late file", () => names(out).includes("late"), 20_000);
    assert.equal(await result.drain(), "DRAINED");
    assert.deepEqual(names(out), ["extra", "first", "late"], "each file once, though every firing matched the earlier ones again");
    const at = (n: string): Observed<FileMetadata> => out.find((o) => path.basename(o.value.path) === n)!;
    assert.equal(at("first").timestamp, start, "the first firing found the file present at the start");
    for (const n of ["extra", "late"]) {
      const o = at(n);
      assert.ok(o.timestamp > start && (o.timestamp - start) % interval === 0, `${n} is timestamped at a later firing (${o.timestamp - start} ms after the start)`);
    }
    assert.ok(at("late").timestamp > at("extra").timestamp);
    assert.equal(at("first").window, "global");
    assert.equal(at("first").value.sizeBytes, "first\n".length);
  });

  it("without deduplication (Beam Python's test_without_deduplication): every firing emits every match", async () => {
    const interval = 50;
    const start = past(interval, 0);
    put("first");
    const out: Observed<FileMetadata>[] = [];
    const result = await unbounded((p) => {
      const files = p.apply(FileIO.matchContinuously(path.join(dir, "*"), { intervalMillis: interval, start, deduplicate: false }));
      collect(files.apply("CreateExtra", ParDo.into<FileMetadata>().of((f: FileMetadata, ctx) => void (path.basename(f.path) === "first" && !fs.existsSync(path.join(dir, "extra")) && put("extra"), ctx.output(f)))), out);
    });
    await waitFor("the extra file at two firings", () => names(out).filter((n) => n === "extra").length >= 2, 20_000);
    assert.equal(await result.drain(), "DRAINED");
    const firings = new Map<number, string[]>();
    for (const o of out) firings.set(o.timestamp, [...(firings.get(o.timestamp) ?? []), path.basename(o.value.path)].sort());
    const times = [...firings.keys()].sort((a, b) => a - b);
    assert.equal(times[0], start);
    assert.deepEqual(firings.get(start), ["first"]);
    const firstExtra = times.findIndex((t) => firings.get(t)!.includes("extra"));
    assert.ok(firstExtra > 0);
    for (const t of times.slice(firstExtra)) assert.deepEqual(firings.get(t), ["extra", "first"], `the firing at +${t - start} ms matches both files`);
  });

  it("matchUpdatedFiles (Beam Python's test_match_updated_files): a file again when its modification time moves on; without it, once", async () => {
    const interval = 50;
    const start = past(interval, 0);
    const a = put("a");
    put("b");
    const updated: Observed<FileMetadata>[] = [];
    const plain: Observed<FileMetadata>[] = [];
    const result = await unbounded((p) => {
      collect(p.apply("Updated", FileIO.matchContinuously(path.join(dir, "*"), { intervalMillis: interval, start, matchUpdatedFiles: true })), updated, "CollectUpdated");
      collect(p.apply("Plain", FileIO.matchContinuously(path.join(dir, "*"), { intervalMillis: interval, start })), plain, "CollectPlain");
    });
    await waitFor("a and b", () => names(updated).length === 2 && names(plain).length === 2, 20_000);
    const firstMtime = updated.find((o) => o.value.path === a)!.value.lastModifiedMillis!;
    fs.writeFileSync(a, "a, rewritten\n");
    fs.utimesSync(a, new Date(firstMtime + 60_000), new Date(firstMtime + 60_000));
    await waitFor("a again", () => names(updated).filter((n) => n === "a").length === 2, 20_000);
    // A file created after the update, found by the plain watch: it has matched since the update.
    put("c");
    await waitFor("c in both", () => names(plain).includes("c") && names(updated).includes("c"), 20_000);
    assert.equal(await result.drain(), "DRAINED");
    assert.deepEqual(names(updated), ["a", "a", "b", "c"]);
    const [before, after] = updated.filter((o) => o.value.path === a).sort((x, y) => x.timestamp - y.timestamp);
    assert.equal(before!.timestamp, start);
    assert.ok(after!.timestamp > start);
    assert.equal(after!.value.sizeBytes, "a, rewritten\n".length, "the metadata of the update");
    assert.ok(after!.value.lastModifiedMillis! > before!.value.lastModifiedMillis!);
    assert.deepEqual(names(plain), ["a", "b", "c"], "without matchUpdatedFiles, each path once");
  });

  for (const workers of [1, 2]) {
    it(`a stop time bounds the watch: past firings come at once and the run ends (${workers} worker${workers > 1 ? "s" : ""}), with applyWindowing`, async () => {
      const interval = 1000;
      const start = past(interval, 5);
      for (const n of ["x.txt", "y.txt", "z.log"]) put(n);
      const out: Observed<FileMetadata>[] = [];
      const result = await runOk(
        (p) => collect(p.apply(FileIO.match(path.join(dir, "*.txt")).continuously({ intervalMillis: interval, start, stop: start + 3 * interval, applyWindowing: true })), out),
        { directNumWorkers: workers },
      );
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(names(out), ["x.txt", "y.txt"], "three firings, each file once");
      for (const o of out) {
        assert.equal(o.timestamp, start);
        assert.equal(o.window, `${start}:${start + interval}`, "the fixed window of the interval its firing falls in");
      }
    });
  }

  it("empty matches: allowed by default (nothing comes out), DISALLOW fails the run naming the pattern", async () => {
    const interval = 1000;
    const start = past(interval, 3);
    const out: Observed<FileMetadata>[] = [];
    const pattern = path.join(dir, "*.none");
    const ok = await runOk((p) => collect(p.apply(FileIO.matchContinuously(pattern, { intervalMillis: interval, start, stop: start + 2 * interval })), out));
    assert.equal(await ok.waitUntilFinish(), "DONE");
    assert.deepEqual(out, []);
    for (const build of [
      (p: Pipeline) => void p.apply(FileIO.matchContinuously(pattern, { intervalMillis: interval, start, stop: start + 2 * interval, emptyMatchTreatment: "DISALLOW" })),
      // FileIO.match's own treatment carries over to .continuously() when given (Java's default for polling is ALLOW).
      (p: Pipeline) => void p.apply(FileIO.match(path.join(dir, "plain"), { emptyMatchTreatment: "ALLOW_IF_WILDCARD" }).continuously({ intervalMillis: interval, start, stop: start + 2 * interval })),
    ]) {
      const failed = await runDirect(build);
      await assert.rejects(failed.waitUntilFinish(), (e: Error) => /No file matches '.*(\*\.none|plain)'/.test(e.message) && /emptyMatchTreatment/.test(e.message));
    }
  });

  it("refuses bad options, naming the transform", async () => {
    assert.throws(() => FileIO.matchContinuously(""), /FileIO\.matchContinuously needs/);
    assert.throws(() => FileIO.matchContinuously("/x/*", { matchUpdatedFiles: true, deduplicate: false }), /matchUpdatedFiles needs deduplication/);
    assert.throws(() => FileIO.matchContinuously("/x/*", { emptyMatchTreatment: "SOMETIMES" as never }), /unknown emptyMatchTreatment 'SOMETIMES'/);
    await assert.rejects(runDirect((p) => void p.apply("Watch", FileIO.matchContinuously("/x/*", { intervalMillis: 0 }))), /Watch\/Impulse.*intervalMillis must be a positive/);
  });

  it("ReadFromText.from(p).watchForNewFiles: the lines of each new file once, as files arrive; drained", async () => {
    put("one.txt", "1a\n1b\n");
    const out: Observed<string>[] = [];
    const result = await unbounded((p) => collect(p.apply(ReadFromText.from(path.join(dir, "*.txt")).watchForNewFiles({ intervalMillis: 50 })), out));
    await waitFor("one.txt's lines", () => out.length === 2, 20_000);
    put("two.txt", "2a\n2b\n2c\n");
    await waitFor("two.txt's lines", () => out.length === 5, 20_000);
    assert.equal(await result.drain(), "DRAINED");
    assert.deepEqual(out.map((o) => o.value).sort(), ["1a", "1b", "2a", "2b", "2c"]);
    const byLine = new Map(out.map((o) => [o.value, o.timestamp]));
    assert.equal(byLine.get("2a"), byLine.get("2c"), "a file's lines carry its firing's timestamp");
    assert.ok(byLine.get("2a")! > byLine.get("1a")!);
  });

  it("watchForNewFiles carries ReadFromText's format options (skipHeaderLines, delimiter) to each new file", async () => {
    put("one.txt", "head;1a;1b");
    const out: Observed<string>[] = [];
    const result = await unbounded((p) => collect(p.apply(ReadFromText.from(path.join(dir, "*.txt"), { skipHeaderLines: 1, delimiter: ";" }).watchForNewFiles({ intervalMillis: 50 })), out));
    await waitFor("one.txt's records", () => out.length === 2, 20_000);
    put("two.txt", "head;2a;");
    await waitFor("two.txt's records", () => out.length === 3, 20_000);
    assert.equal(await result.drain(), "DRAINED");
    assert.deepEqual(out.map((o) => o.value).sort(), ["1a", "1b", "2a"]);
  });

  it("a restart from --checkpoint_dir remembers the files already emitted: only new ones come out", async () => {
    const ckpt = fs.mkdtempSync(path.join(os.tmpdir(), "match-continuously-ckpt-"));
    try {
      const interval = 50;
      const start = past(interval, 0);
      put("a");
      put("b");
      const crash = { on: "c" as string | undefined };
      const build = (out: Observed<FileMetadata>[]) => (p: Pipeline) => {
        const files = p.apply(FileIO.matchContinuously(path.join(dir, "*"), { intervalMillis: interval, start }));
        collect(
          files.apply("CrashOnce", ParDo.into<FileMetadata>().of((f: FileMetadata, ctx) => {
            if (path.basename(f.path) === crash.on) throw new Error(`crash on ${crash.on}`);
            ctx.output(f);
          })),
          out,
        );
      };
      const first: Observed<FileMetadata>[] = [];
      const run1 = await unbounded(build(first), { checkpointDir: ckpt, checkpointIntervalMs: 0 });
      await waitFor("a and b", () => first.length === 2, 20_000);
      // A crash before the checkpoint after a and b's bundle is written may emit them again (Beam
      // replays what no checkpoint holds): wait until a checkpoint begun after they came out exists.
      const seqs = (): number[] => fs.readdirSync(ckpt).flatMap((f) => /^checkpoint-(\d+)\.ckpt$/.exec(f)?.[1] ?? []).map(Number);
      const seen = Math.max(0, ...seqs());
      await waitFor("a checkpoint after a and b", () => seqs().some((n) => n > seen + 1), 20_000);
      put("c");
      await assert.rejects(run1.waitUntilFinish(), /crash on c/);
      assert.deepEqual(names(first), ["a", "b"]);

      crash.on = undefined;
      const second: Observed<FileMetadata>[] = [];
      const run2 = await unbounded(build(second), { checkpointDir: ckpt, checkpointIntervalMs: 0 });
      put("d");
      await waitFor("c and d", () => names(second).includes("c") && names(second).includes("d"), 20_000);
      assert.equal(await run2.drain(), "DRAINED");
      assert.deepEqual(names(second), ["c", "d"], "a and b were emitted before the checkpoint: the restored state drops them");
    } finally {
      fs.rmSync(ckpt, { recursive: true, force: true });
    }
  });
});
