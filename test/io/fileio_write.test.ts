/**
 * FileIO.writeDynamic on the DirectRunner: one set of shards per destination, named by Beam Java's
 * default naming (or the user's per destination); runner-decided sharding; gzip; windowed
 * (unbounded) input; a failing or non-string destination; a failed run leaving nothing behind;
 * an unbounded run keeping the windows it completed; and two workers (`--direct_num_workers 2`).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { AfterCount, AfterWatermark, Create, FileIO, FixedWindows, isStreamingResult, type KV, ParDo, type PCollection, Pipeline, Window } from "../../lib";
import { ReadUnbounded } from "../../lib/io/read_unbounded";
import { TestStream } from "../../lib/testing/test_stream";
import { readShards, runDirect, runOk } from "../helpers";
import { readWrittenEvents, WINDOWED_WRITE_EXPECTED, windowedWriteDynamicProgram, WRITE_DYNAMIC_EXPECTED, writeDynamicProgram } from "../portable/fileio_write_programs";

const iso = (ms: number): string => new Date(ms).toISOString();

/** Collects the write's output (destination, file) into `sink` when the pipeline runs in this process. */
function collect(files: PCollection<KV<string, string>>, sink: string[]): void {
  files.apply("Collect", ParDo.into<never>().of((f: KV<string, string>) => void sink.push(`${f.key} ${path.basename(f.value)}`)));
}

describe("FileIO.writeDynamic", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "write-dynamic-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const listing = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);
  const lines = (file: string): string[] => fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "");

  it("writes each destination's lines as its own numbered shards and outputs every file written", async () => {
    const out = path.join(dir, "out");
    const seen: string[] = [];
    const result = await runOk((p) => {
      const files = p
        .apply(Create.of("a:1", "b:2", "a:3", "c:4", "a:5"))
        .apply(FileIO.writeDynamic<string>().by((l) => l.split(":")[0]!).to(out).withSuffix(".txt").withNumShards(2));
      collect(files, seen);
    });
    const names = ["a", "b", "c"].flatMap((d) => [`output-${d}-00000-of-00002.txt`, `output-${d}-00001-of-00002.txt`]);
    assert.deepEqual(listing(out), names, "a fixed shard count per destination (empty shards written), no temporary directory");
    const of = (d: string): string[] => names.filter((n) => n.includes(`-${d}-`)).flatMap((n) => lines(path.join(out, n))).sort();
    assert.deepEqual(of("a"), ["a:1", "a:3", "a:5"]);
    assert.deepEqual(of("b"), ["b:2"]);
    assert.deepEqual(of("c"), ["c:4"]);
    assert.deepEqual(seen.sort(), names.map((n) => `${n.split("-")[1]} ${n}`).sort());
    assert.deepEqual([...result.outputs].map((o) => path.basename(o)).sort(), names);
  });

  it("lets the runner decide the shards (one file per bundle and destination), closing the oldest file past maxWritersPerBundle", async () => {
    const out = path.join(dir, "out");
    const many = Array.from({ length: 30_000 }, (_, i) => `${"xyz"[i % 3]}${i}`);
    await runOk((p) => {
      p.apply(Create.from(many)).apply(FileIO.writeDynamic<string>().by((l) => l[0]!).to(out).withPrefix("").withMaxWritersPerBundle(1));
    });
    for (const d of ["x", "y", "z"]) {
      const files = listing(out).filter((n) => n.startsWith(`${d}-`));
      assert.ok(files.length >= 1);
      files.forEach((n, i) => assert.equal(n, `${d}-${String(i).padStart(5, "0")}-of-${String(files.length).padStart(5, "0")}`));
      assert.deepEqual(files.flatMap((n) => lines(path.join(out, n))).sort(), many.filter((l) => l[0] === d).sort());
    }
  });

  it("names files by the user's naming per destination (here into a folder per destination), gzip-compressed", async () => {
    const out = path.join(dir, "out");
    await runOk((p) => {
      p.apply(Create.of({ day: "2026-12-01", n: 1 }, { day: "2026-12-02", n: 2 }, { day: "2026-12-01", n: 3 }))
        .apply(
          FileIO.writeDynamic<{ day: string; n: number }>()
            .by((e) => e.day)
            .via((e) => String(e.n))
            .to(out)
            .withNaming((day) => FileIO.defaultNaming(`${day}/part`, ".csv"))
            .withCompression("gzip")
            .withNumShards(1),
        );
    });
    assert.deepEqual(listing(out), ["2026-12-01", "2026-12-02"]);
    const read = (f: string): string[] => zlib.gunzipSync(fs.readFileSync(path.join(out, f))).toString("utf8").split("\n").filter((l) => l !== "").sort();
    assert.deepEqual(listing(path.join(out, "2026-12-01")), ["part-00000-of-00001.csv.gz"], "Beam Java's defaultNaming adds the compression's suffix");
    assert.deepEqual(read("2026-12-01/part-00000-of-00001.csv.gz"), ["1", "3"]);
    assert.deepEqual(read("2026-12-02/part-00000-of-00001.csv.gz"), ["2"]);
  });

  it("refuses at construction a write without .by or .to, or to a compression it cannot write, naming the step", () => {
    const lines = Pipeline.create().apply(Create.of("a"));
    assert.throws(() => lines.apply("NoBy", FileIO.writeDynamic<string>().to(dir)), /NoBy: FileIO.writeDynamic\(\) needs \.by/);
    assert.throws(() => lines.apply("NoTo", FileIO.writeDynamic<string>().by((l) => l)), /NoTo: FileIO.writeDynamic\(\) needs \.to\(directory\)/);
    assert.throws(() => lines.apply("Bzip2", FileIO.writeDynamic<string>().by((l) => l).to(dir).withSuffix(".bz2")), /Bzip2: FileIO.writeDynamic\(\): .*bzip2 files are read but not written/);
  });

  it("writes nothing for an empty input", async () => {
    const out = path.join(dir, "out");
    const seen: string[] = [];
    await runOk((p) => collect(p.apply(Create.from<string>([])).apply(FileIO.writeDynamic<string>().by((l) => l).to(out).withNumShards(3)), seen));
    assert.deepEqual(listing(out), []);
    assert.deepEqual(seen, []);
  });

  it("writes empty shards for withEmptyGlobalWindowDestination when the input is empty (as Beam Java)", async () => {
    const out = path.join(dir, "out");
    const seen: string[] = [];
    await runOk((p) => collect(p.apply(Create.from<string>([])).apply(FileIO.writeDynamic<string>().by((l) => l).to(out).withSuffix(".txt").withNumShards(2).withEmptyGlobalWindowDestination("none")), seen));
    assert.deepEqual(listing(out), ["output-none-00000-of-00002.txt", "output-none-00001-of-00002.txt"]);
    assert.equal(fs.readFileSync(path.join(out, "output-none-00000-of-00002.txt"), "utf8"), "");
    assert.deepEqual(seen.sort(), ["none output-none-00000-of-00002.txt", "none output-none-00001-of-00002.txt"]);
    const runnerSharded = path.join(dir, "runner");
    await runOk((p) => void p.apply(Create.from<string>([])).apply(FileIO.writeDynamic<string>().by((l) => l).to(runnerSharded).withEmptyGlobalWindowDestination("none")));
    assert.deepEqual(listing(runnerSharded), ["output-none-00000-of-00001"]);
  });

  for (const [label, by, pattern] of [
    ["throws", (l: string): string => (l === "bad" ? JSON.parse("{") : l), /WriteEvents\/AssignDestinations.*"bad".*destination function \(\.by\) threw for element "bad"/s],
    ["returns a number", (l: string): string => (l === "bad" ? (42 as unknown as string) : l), /WriteEvents\/AssignDestinations.*destination function \(\.by\) returned 42 \(number\) for element "bad"; it must return a string/s],
  ] as const) {
    it(`fails the step, naming it and the element, when the destination function ${label}; nothing is written`, async () => {
      const out = path.join(dir, "out");
      const result = await runDirect((p) => {
        p.apply(Create.of("a", "b", "bad")).apply("WriteEvents", FileIO.writeDynamic<string>().by(by).to(out).withNumShards(1));
      });
      assert.equal(result.state, "FAILED");
      assert.match(result.error!.message, pattern);
      assert.deepEqual(listing(out), []);
    });
  }

  it("fails naming the destination when its file naming returns no file name; nothing is written", async () => {
    const out = path.join(dir, "out");
    const result = await runDirect((p) => {
      p.apply(Create.of("a", "b")).apply("WriteEvents", FileIO.writeDynamic<string>().by((l) => l).to(out).withNaming((d) => () => (d === "b" ? (7 as unknown as string) : d)));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /WriteEvents\/Finalize.*FileIO.writeDynamic: the file naming of destination "b" returned 7 \(number\) for shard 0 of 1; it must return a non-empty file name/s);
    assert.deepEqual(listing(out), []);
  });

  it("refuses two destinations whose files would have the same name, renaming nothing", async () => {
    const out = path.join(dir, "out");
    const result = await runDirect((p) => {
      p.apply(Create.of("a", "b")).apply(FileIO.writeDynamic<string>().by((l) => l).to(out).withNaming(() => FileIO.defaultNaming("same")).withNumShards(1));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /only 1 distinct name\(s\).*same-00000-of-00001/);
    assert.deepEqual(listing(out), []);
  });

  it("leaves no partial output when the run fails after writing started", async () => {
    const out = path.join(dir, "out");
    const many = Array.from({ length: 20_000 }, (_, i) => `${i % 4}:${i}`);
    const result = await runDirect((p) => {
      p.apply(Create.from(many))
        .map("FailLate", (l: string) => {
          if (l === "3:19999") throw new Error("late failure");
          return l;
        })
        .apply(FileIO.writeDynamic<string>().by((l) => l.split(":")[0]!).to(out));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /FailLate.*late failure/);
    assert.deepEqual(listing(out), []);
  });

  it("writes unbounded input per destination and window as each pane fires, later panes numbered (Beam Java's defaultNaming)", async () => {
    const out = path.join(dir, "out");
    const result = await runOk((p) => {
      p.apply(
        TestStream.create<string>()
          .addElements({ value: "a:1", timestamp: 1_000 }, { value: "b:2", timestamp: 2_000 }, { value: "a:3", timestamp: 61_000 })
          .advanceWatermarkTo(60_000)
          .addElements({ value: "a:late", timestamp: 3_000 })
          .advanceWatermarkToInfinity(),
      )
        .apply(Window.into(new FixedWindows(60_000), { trigger: AfterWatermark({ late: AfterCount(1) }), allowedLatenessMillis: 600_000 }))
        .apply(FileIO.writeDynamic<string>().by((l) => l.split(":")[0]!).to(out).withSuffix(".txt"));
    });
    const w0 = `${iso(0)}-${iso(60_000)}`;
    const w1 = `${iso(60_000)}-${iso(120_000)}`;
    const names = listing(out);
    // The on-time panes of [0, 60 s) are not their windows' last (the watermark stops at 60 s, within the
    // allowed lateness), so the pane index is in their names; [60 s, 120 s) fires once, as the watermark
    // passes its end and its lateness together, so its only pane has none.
    const expected = [`output-a-${w0}-0-00000-of-00001.txt`, `output-a-${w0}-1-00000-of-00001.txt`, `output-a-${w1}-00000-of-00001.txt`, `output-b-${w0}-0-00000-of-00001.txt`];
    assert.deepEqual(names, expected.sort(), "no hidden files left");
    assert.deepEqual(lines(path.join(out, expected[0]!)), ["a:1"]);
    assert.deepEqual(lines(path.join(out, expected[1]!)), ["a:late"]);
    assert.deepEqual(lines(path.join(out, expected[2]!)), ["a:3"]);
    assert.deepEqual(lines(path.join(out, expected[3]!)), ["b:2"]);
    assert.deepEqual([...result.outputs].map((o) => path.basename(o)).sort(), names);
  });

  it("writes an unbounded run per destination and window (by default), keeping the windows that completed when it fails later", async () => {
    const out = path.join(dir, "out");
    let bothWritten: () => void = () => undefined;
    const windowWritten = new Promise<void>((resolve) => (bothWritten = resolve));
    let files = 0;
    // A live source's watermark starts at the wall clock: event times an hour ahead, 10 ms windows.
    let base = 0;
    const result = await runDirect((p) => {
      p.apply(
        ReadUnbounded.from<string>({
          async read(ctx) {
            base = Math.floor(Date.now() / 10) * 10 + 3_600_000;
            await ctx.emit("a:1", base + 1);
            await ctx.emit("b:2", base + 2);
            ctx.advanceWatermark(base + 20);
            await windowWritten; // both destinations' files of [base, base + 10) are in place
            await ctx.emit("a:boom", base + 25);
            await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          },
        }),
      )
        .map("Check", (l: string) => {
          if (l.endsWith("boom")) throw new Error("bad line");
          return l;
        })
        .apply(Window.into(new FixedWindows(10)))
        .apply(FileIO.writeDynamic<string>().by((l) => l.split(":")[0]!).to(out))
        .apply("Written", ParDo.of(() => void (++files === 2 && bothWritten())));
    });
    assert.ok(isStreamingResult(result));
    await assert.rejects(result.waitUntilFinish(), /bad line/);
    const w = `${iso(base)}-${iso(base + 10)}`;
    assert.deepEqual(listing(out), [`output-a-${w}-00000-of-00001`, `output-b-${w}-00000-of-00001`], "the completed window's files, no hidden files");
    assert.deepEqual(lines(path.join(out, `output-a-${w}-00000-of-00001`)), ["a:1"]);
  });

  it("a windowed run (TestStream) that fails later leaves no file, not even of windows that fired", async () => {
    const out = path.join(dir, "out");
    const result = await runDirect((p) => {
      p.apply(
        TestStream.create<string>()
          .addElements({ value: "a:ok", timestamp: 1 }, { value: "b:ok", timestamp: 2 })
          .advanceWatermarkTo(20) // [0, 10) fires and is written
          .addElements({ value: "a:boom", timestamp: 25 })
          .advanceWatermarkToInfinity(),
      )
        .map("Check", (l: string) => {
          if (l.endsWith("boom")) throw new Error("failing after a window was written");
          return l;
        })
        .apply(Window.into(new FixedWindows(10)))
        .apply(FileIO.writeDynamic<string>().by((l) => l.split(":")[0]!).to(out));
    });
    assert.equal(result.state, "FAILED");
    assert.deepEqual(listing(out), [], "no output and no hidden files");
  });

  for (const shards of [2, 0]) {
    it(`gives the same files with --direct_num_workers 2 (shards ${shards})`, async () => {
      const output = path.join(dir, "two");
      const result = await writeDynamicProgram.run({ output, shards }, { directNumWorkers: 2, directWorkerThreads: "always" });
      assert.equal(await result.waitUntilFinish(), "DONE");
      const written = readWrittenEvents(output);
      assert.deepEqual(written.lines, WRITE_DYNAMIC_EXPECTED.lines);
      if (shards === 2) assert.deepEqual(written.names, WRITE_DYNAMIC_EXPECTED.files.map((f) => f.split("/")[1]));
      const listed = fs.readFileSync(path.join(output, "files-00000-of-00001"), "utf8").split("\n").filter((l) => l !== "").sort();
      assert.deepEqual(listed, written.names.map((n) => `${/^events-([a-z]+)-/.exec(n)![1]} events/${n}`).sort(), "the output names every file written");
    });
  }

  it("writes bounded windowed input per destination and window with withWindowedWrites (--direct_num_workers 2)", async () => {
    const output = path.join(dir, "windowed");
    const result = await windowedWriteDynamicProgram.run({ output }, { directNumWorkers: 2, directWorkerThreads: "always" });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(readWrittenEvents(output).lines, WRITE_DYNAMIC_EXPECTED.lines);
    assert.deepEqual(readShards(path.join(output, "files")), WINDOWED_WRITE_EXPECTED);
  });
});
