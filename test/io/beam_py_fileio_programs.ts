/**
 * Beam Python's fileio_test.py cases as programs, so they run in DirectRunner worker threads
 * (--direct_num_workers 1 and 2) with elements crossing threads in their coders. Each program
 * asserts its output with PAssert (`expected` is a JSON array), as the Python tests' assert_that.
 * Run from test/io/beam_py_fileio.test.ts.
 */
import * as path from "node:path";
import { AfterWatermark, assertThat, Create, definePipeline, equalTo, FileIO, FixedWindows, GlobalWindows, GroupByKey, type KV, kv, ParDo, type PCollection, type ProcessContext, TestStream, Window } from "../../lib";
import type { EmptyMatchTreatment, ReadableFile } from "../../lib/io/fileio";
import type { FileMetadata } from "../../lib/io/filesystems/filesystem";
import type { Compression } from "../../lib/io/text_read";

/** Python's str.splitlines() for the texts of these tests (\n, \r\n, \r). */
export function splitlines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Python's readline() of a binary file: the bytes up to and including the first \n. */
function readline(bytes: Buffer): string {
  const nl = bytes.indexOf(0x0a);
  return bytes.subarray(0, nl < 0 ? bytes.length : nl + 1).toString("utf8");
}

const flatMapAsync = <I, O>(name: string, pc: PCollection<I>, fn: (e: I) => Promise<O[]>): PCollection<O> =>
  pc.apply(
    name,
    ParDo.of(async (e: I, ctx: ProcessContext<O>) => {
      for (const o of await fn(e)) ctx.output(o);
    }),
  );

/** MatchTest and ReadTest: match, then read the matches; `patterns` is a JSON array. */
export const beamPyMatchProgram = definePipeline({
  name: "beam-py-fileio-match",
  description: "fileio_test.py MatchTest / ReadTest",
  flags: {
    mode: { type: "string", describe: "match | matchAll | readLines | csv | firstLine | readStrings", required: true },
    patterns: { type: "string", describe: "JSON array of patterns (or paths, for readStrings)", required: true },
    treatment: { type: "string", describe: "emptyMatchTreatment of matchAll", default: "" },
    compression: { type: "string", describe: "compression of readMatches", default: "auto" },
    directories: { type: "string", describe: "directoryTreatment of readMatches", default: "SKIP" },
    expected: { type: "string", describe: "JSON array the output must equal (in any order)", required: true },
  },
  build(root, flags) {
    const patterns = JSON.parse(flags.patterns) as string[];
    const expected = JSON.parse(flags.expected) as string[];
    const readOptions = { compression: flags.compression as Compression, directoryTreatment: flags.directories as "SKIP" | "PROHIBIT" };
    if (flags.mode === "match") {
      const paths = root.apply(FileIO.match(patterns[0]!)).map("Path", (m: FileMetadata) => m.path);
      assertThat(paths, equalTo(expected));
      return;
    }
    const created = root.apply("Patterns", Create.of(...patterns));
    if (flags.mode === "readStrings") {
      const files = created.apply(FileIO.readMatches(readOptions));
      assertThat(flatMapAsync("Lines", files, async (f: ReadableFile) => splitlines(await f.readUtf8())), equalTo(expected));
      return;
    }
    const matched = created.apply(FileIO.matchAll(flags.treatment === "" ? {} : { emptyMatchTreatment: flags.treatment as EmptyMatchTreatment }));
    if (flags.mode === "matchAll") {
      assertThat(matched.map("Path", (m: FileMetadata) => m.path), equalTo(expected));
      return;
    }
    const files = matched.apply(FileIO.readMatches(readOptions));
    const out =
      flags.mode === "readLines"
        ? flatMapAsync("Lines", files, async (f: ReadableFile) => splitlines(await f.readUtf8()))
        : flags.mode === "csv"
          ? flatMapAsync("Rows", files, async (f: ReadableFile) => splitlines(await f.readUtf8()).map((r) => JSON.stringify(r.split(","))))
          : flatMapAsync("FirstLine", files, async (f: ReadableFile) => [readline(await f.readBytes())]);
    assertThat(out, equalTo(expected));
  },
});

/** WriteFilesTest.SIMPLE_COLLECTION. */
export const SIMPLE_COLLECTION: readonly { project: string; foundation: string }[] = [
  { project: "beam", foundation: "apache" },
  { project: "prometheus", foundation: "cncf" },
  { project: "flink", foundation: "apache" },
  { project: "grpc", foundation: "cncf" },
  { project: "spark", foundation: "apache" },
  { project: "kubernetes", foundation: "cncf" },
  { project: "spark", foundation: "apache" },
  { project: "knative", foundation: "cncf" },
  { project: "linux", foundation: "linux" },
];

type Row = (typeof SIMPLE_COLLECTION)[number];

/** The test's CsvSink for 'apache' and JsonSink for the other foundations, as one format function. */
const csvOrJson = (r: Row): string => (r.foundation === "apache" ? `${r.project},${r.foundation}` : JSON.stringify(r));

/** WriteFilesTest's bounded writes; `maxWriters` -1 leaves the default. */
export const beamPyWriteProgram = definePipeline({
  name: "beam-py-fileio-write",
  description: "fileio_test.py WriteFilesTest (bounded)",
  flags: {
    mode: { type: "string", describe: "single | dynamic | types", required: true },
    dir: { type: "string", describe: "output directory", required: true },
    maxWriters: { type: "number", describe: "max_writers_per_bundle (-1: default)", default: -1 },
  },
  build(root, flags) {
    if (flags.mode === "single") {
      root.apply(Create.of(...SIMPLE_COLLECTION)).map("Serialize", (r: Row) => JSON.stringify(r)).apply(FileIO.write<string>().to(flags.dir));
    } else if (flags.mode === "dynamic") {
      // destination_prefix_naming("test"): the destination leads the name.
      const numbers = root.apply(Create.of(...Array.from({ length: 100 }, (_, i) => i))).map("Str", (n: number) => String(n));
      numbers.apply(
        FileIO.writeDynamic<string>()
          .by((n) => (Number(n) % 2 ? "odd" : "even"))
          .to(flags.dir)
          .withNaming((d) => FileIO.defaultNaming(d, "test")),
      );
    } else {
      let write = FileIO.writeDynamic<Row>()
        .by((r) => r.foundation)
        .via(csvOrJson)
        .to(flags.dir)
        .withPrefix("");
      if (flags.maxWriters >= 0) write = write.withMaxWritersPerBundle(flags.maxWriters);
      root.apply(Create.of(...SIMPLE_COLLECTION)).apply(write);
    }
  },
});

/**
 * Reads back what a write left: each file (matching `pattern`) as `[basename, sorted lines]`, or
 * with `lines` each line, asserted equal to `expected`.
 */
export const beamPyReadBackProgram = definePipeline({
  name: "beam-py-fileio-read-back",
  description: "fileio_test.py verification pipelines",
  flags: {
    pattern: { type: "string", describe: "files to read", required: true },
    lines: { type: "boolean", describe: "each line, not each file", default: true },
    expected: { type: "string", describe: "JSON array", required: true },
  },
  build(root, flags) {
    const files = root.apply(FileIO.match(flags.pattern)).apply(FileIO.readMatches());
    const out = flatMapAsync("Read", files, async (f: ReadableFile) => {
      const lines = (await f.readUtf8()).trim().split("\n");
      return flags.lines ? lines : [JSON.stringify([path.basename(f.metadata.path), lines.sort()])];
    });
    assertThat(out, equalTo(JSON.parse(flags.expected) as string[]));
  },
});

/** LARGER_COLLECTION: '00000' to '00199'. */
export const LARGER_COLLECTION: readonly string[] = Array.from({ length: 200 }, (_, i) => String(i).padStart(5, "0"));

/**
 * test_streaming_complex_timing: each element i is added at the watermark, which advances to i
 * after every fifth (so at the largest multiple of 5 below i, 0 for the first six); 10 s fixed
 * windows fired at the watermark, grouped, then written; the written files' paths go to
 * asserted from the write's output (Python records them
 * from it); the test then checks the directory holds just these, with every element once.
 */
export const beamPyStreamingProgram = definePipeline({
  name: "beam-py-fileio-streaming",
  description: "fileio_test.py WriteFilesTest (streaming)",
  flags: {
    mode: { type: "string", describe: "timing | types", required: true },
    dir: { type: "string", describe: "output directory", required: true },
  },
  build(root, flags) {
    if (flags.mode === "timing") {
      let ts = TestStream.create<KV<string, string>>().advanceWatermarkTo(0);
      let watermark = 0;
      for (const elm of LARGER_COLLECTION) {
        const t = Number(elm);
        ts = ts.addElements({ value: kv("key", elm), timestamp: watermark * 1000 });
        if (t % 5 === 0 && t !== 0) {
          ts = ts.advanceProcessingTime(5000).advanceWatermarkTo(t * 1000);
          watermark = t;
        }
      }
      const res = root
        .apply(ts.advanceWatermarkToInfinity())
        .apply(Window.into(new FixedWindows(10_000), { trigger: AfterWatermark(), accumulationMode: "DISCARDING" }))
        .apply(GroupByKey.create())
        .apply("Values", ParDo.of((g: KV<string, Iterable<string>>, ctx: ProcessContext<string>) => {
          for (const v of g.value) ctx.output(v);
        }));
      const written = res
        .apply(FileIO.writeDynamic<string>().by(() => "").to(flags.dir).withNaming(() => FileIO.defaultNaming("", "")).withMaxWritersPerBundle(0))
        .apply("Global", Window.into(new GlobalWindows()))
        .map("Name", (f: KV<string, string>) => path.basename(f.value));
      const iso = (s: number): string => new Date(s * 1000).toISOString();
      assertThat(written, equalTo(Array.from({ length: 20 }, (_, w) => `${iso(w * 10)}-${iso(w * 10 + 10)}-00000-of-00001`)), "AssertFilesWritten");
      return;
    }
    const input = [...SIMPLE_COLLECTION];
    let ts = TestStream.create<Row>().advanceWatermarkTo(0);
    for (let w = 0; w < 40; w += 10) {
      if (w > 0) ts = ts.advanceWatermarkTo(w * 1000);
      ts = ts.addElements(...input.splice(0, 2).map((value) => ({ value, timestamp: w * 1000 })));
    }
    root
      .apply(ts.advanceWatermarkTo(40_000).advanceWatermarkToInfinity())
      .apply(Window.into(new FixedWindows(10_000)))
      .apply(FileIO.writeDynamic<Row>().by((r) => r.foundation).via(csvOrJson).to(flags.dir).withPrefix("").withMaxWritersPerBundle(0));
  },
});
