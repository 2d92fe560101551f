/**
 * Beam Python's sdks/python/apache_beam/io/fileio_test.py, ported: the same inputs and expected
 * outputs, each pipeline run in worker threads with --direct_num_workers 1 and 2 (programs in
 * beam_py_fileio_programs.ts). Differences kept on purpose, as Beamline follows Beam Java's
 * FileIO naming (README): written files are named by Java's `defaultNaming` (windows as
 * `2020-01-01T00:00:00.000Z`, as Joda's Instant, not Python's `isoformat()`), and each
 * destination's format is one `via` function rather than a sink per destination.
 * bz2 cases are left to the compression work (st83).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { FileIO, GlobalWindow, IntervalWindow } from "../../lib";
import { ON_TIME_AND_ONLY_FIRING } from "../../lib/model/window";
import { beamPyMatchProgram, beamPyReadBackProgram, beamPyStreamingProgram, beamPyWriteProgram, LARGER_COLLECTION, SIMPLE_COLLECTION } from "./beam_py_fileio_programs";

describe("Beam Python fileio_test.py, ported", function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beam-py-fileio-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A new directory (Python's _new_tempdir) and files in it (_create_temp_file). */
  const newDir = (name: string): string => {
    const d = path.join(tmp, name);
    fs.mkdirSync(d);
    return d;
  };
  const file = (dir: string, name: string, content: string | Buffer = "xyz"): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, content);
    return f;
  };
  const listing = (d: string): string[] => fs.readdirSync(d).sort();

  for (const directNumWorkers of [1, 2]) {
    const opts = { directNumWorkers, directWorkerThreads: "always" as const };
    const ok = async (run: Promise<{ waitUntilFinish(): Promise<string> }>): Promise<void> => assert.equal(await (await run).waitUntilFinish(), "DONE");
    const match = (flags: { mode: string; patterns: string[]; expected: string[]; treatment?: string; compression?: string; directories?: string }) =>
      beamPyMatchProgram.run({ treatment: "", compression: "auto", directories: "SKIP", ...flags, patterns: JSON.stringify(flags.patterns), expected: JSON.stringify(flags.expected) }, opts);

    describe(`--direct_num_workers ${directNumWorkers}`, () => {
      describe("MatchTest", () => {
        it("test_basic_two_files", async () => {
          const d = newDir("d");
          const files = [file(d, "f1"), file(d, "f2")];
          await ok(match({ mode: "match", patterns: [`${d}${path.sep}*`], expected: files }));
        });

        it("test_match_all_two_directories", async () => {
          const dirs = [newDir("a"), newDir("b")];
          const files = dirs.flatMap((d) => [file(d, "f1"), file(d, "f2")]);
          await ok(match({ mode: "matchAll", patterns: dirs.map((d) => path.join(d, "*")), expected: files }));
        });

        it("test_match_files_one_directory_failure1: DISALLOW fails on the empty directory's pattern", async () => {
          const dirs = [newDir("a"), newDir("b")];
          const files = [file(dirs[0]!, "f1"), file(dirs[0]!, "f2")];
          const result = await match({ mode: "matchAll", patterns: dirs.map((d) => path.join(d, "*")), treatment: "DISALLOW", expected: files });
          await assert.rejects(result.waitUntilFinish(), /No file matches '.*b[/\\]\*'/);
        });

        it("test_match_files_one_directory_failure2: ALLOW_IF_WILDCARD gives the other directory's files", async () => {
          const dirs = [newDir("a"), newDir("b")];
          const files = [file(dirs[0]!, "f1"), file(dirs[0]!, "f2")];
          await ok(match({ mode: "matchAll", patterns: dirs.map((d) => path.join(d, "*")), treatment: "ALLOW_IF_WILDCARD", expected: files }));
        });
      });

      describe("ReadTest", () => {
        it("test_basic_file_name_provided", async () => {
          const content = "TestingMyContent\nIn multiple lines\nhaha!";
          const d = newDir("d");
          file(d, "f", content);
          await ok(match({ mode: "readLines", patterns: [path.join(d, "*")], expected: content.split("\n") }));
        });

        it("test_csv_file_source", async () => {
          const content = "name,year,place\ngoogle,1999,CA\nspotify,2006,sweden";
          const d = newDir("d");
          file(d, "f", content);
          await ok(match({ mode: "csv", patterns: [path.join(d, "*")], expected: content.split("\n").map((r) => JSON.stringify(r.split(","))) }));
        });

        it("test_infer_compressed_file (its .gz file; .bz2 is st83's)", async () => {
          const d = newDir("d");
          file(d, "compressed.gz", zlib.gzipSync("compressed_contents!"));
          await ok(match({ mode: "firstLine", patterns: [path.join(d, "*")], expected: ["compressed_contents!"] }));
        });

        it("test_read_gzip_compressed_file_without_suffix", async () => {
          const d = newDir("d");
          file(d, "compressed", zlib.gzipSync("compressed_contents!"));
          await ok(match({ mode: "firstLine", patterns: [path.join(d, "*")], compression: "gzip", expected: ["compressed_contents!"] }));
        });

        it("test_string_filenames_and_skip_directory: ReadMatches takes paths as strings, skipping a directory", async () => {
          const d = newDir("d");
          const files = [file(d, "f1", "thecontent\n"), file(d, "f2", "thecontent\n")];
          await ok(match({ mode: "readStrings", patterns: [...files, `${d}/`], expected: ["thecontent", "thecontent"] }));
        });

        it("test_fail_on_directories: with directories prohibited a directory fails the run", async () => {
          const d = newDir("d");
          const files = [file(d, "f1", "thecontent\n"), file(d, "f2", "thecontent\n")];
          const result = await match({ mode: "readStrings", patterns: [...files, `${d}/`], directories: "PROHIBIT", expected: [] });
          await assert.rejects(result.waitUntilFinish(), /a directory, and directories are not allowed here/);
        });
      });

      describe("WriteFilesTest", () => {
        const readBack = (pattern: string, expected: string[], lines = true) => beamPyReadBackProgram.run({ pattern, lines, expected: JSON.stringify(expected) }, opts);

        it("test_write_to_single_file_batch (FileIO.write)", async () => {
          const d = path.join(tmp, "out");
          await ok(beamPyWriteProgram.run({ mode: "single", dir: d, maxWriters: -1 }, opts));
          const names = listing(d);
          assert.ok(names.length >= 1 && names.every((n, i) => n === `output-${String(i).padStart(5, "0")}-of-${String(names.length).padStart(5, "0")}`), `Java's defaultNaming("output", ""): ${names.join(", ")}`);
          await ok(readBack(path.join(d, "*"), SIMPLE_COLLECTION.map((r) => JSON.stringify(r))));
        });

        it("test_write_to_dynamic_destination", async () => {
          const d = path.join(tmp, "out");
          await ok(beamPyWriteProgram.run({ mode: "dynamic", dir: d, maxWriters: -1 }, opts));
          const evens = Array.from({ length: 50 }, (_, i) => String(2 * i)).sort();
          const odds = Array.from({ length: 50 }, (_, i) => String(2 * i + 1)).sort();
          // Python's check maps each file to (name up to its first '-', its numbers): one file a destination.
          const names = listing(d);
          assert.deepEqual(names.map((n) => n.split("-")[0]), ["even", "odd"]);
          await ok(readBack(path.join(d, "*"), [JSON.stringify([names[0], evens]), JSON.stringify([names[1], odds])], false));
        });

        for (const [label, maxWriters] of [["test_write_to_different_file_types", -1], ["test_write_to_different_file_types_some_spilling (max_writers_per_bundle=1)", 1], ["max_writers_per_bundle=0: every line spilled", 0]] as const) {
          it(label, async () => {
            const d = path.join(tmp, "out");
            await ok(beamPyWriteProgram.run({ mode: "types", dir: d, maxWriters }, opts));
            const of = (f: string) => SIMPLE_COLLECTION.filter((r) => r.foundation === f);
            await ok(readBack(path.join(d, "cncf*"), of("cncf").map((r) => JSON.stringify(r))));
            await ok(readBack(path.join(d, "apache*"), of("apache").map((r) => `${r.project},${r.foundation}`)));
          });
        }

        it("test_streaming_complex_timing (max_writers_per_bundle=0): a file per window, every element once", async () => {
          const d = path.join(tmp, "out");
          await ok(beamPyStreamingProgram.run({ mode: "timing", dir: d }, opts));
          const names = listing(d);
          assert.equal(names.length, 20, "the files the write output, and no others");
          await ok(readBack(path.join(d, "*"), [...LARGER_COLLECTION]));
        });

        it("test_streaming_different_file_types: a file per foundation and window", async () => {
          const d = path.join(tmp, "out");
          await ok(beamPyStreamingProgram.run({ mode: "types", dir: d }, opts));
          const iso = (s: number): string => new Date(s * 1000).toISOString();
          const windows = [0, 10, 20, 30].map((s) => `${iso(s)}-${iso(s + 10)}`);
          assert.deepEqual(listing(d), [...windows.map((w) => `apache-${w}-00000-of-00001`), ...windows.map((w) => `cncf-${w}-00000-of-00001`)]);
        });
      });
    });
  }

  it("test_shard_naming, as Beam Java's defaultNaming (the window as Joda's Instant.toString())", () => {
    const namer = FileIO.defaultNaming("/path/to/file", ".txt");
    const at = (window: GlobalWindow | IntervalWindow, compression: "uncompressed" | "gzip") => namer({ window, pane: ON_TIME_AND_ONLY_FIRING, shardIndex: 1, numShards: 5, compression });
    assert.equal(at(GlobalWindow.INSTANCE, "uncompressed"), "/path/to/file-00001-of-00005.txt");
    assert.equal(at(GlobalWindow.INSTANCE, "gzip"), "/path/to/file-00001-of-00005.txt.gz");
    assert.equal(at(new IntervalWindow(0, 100_000), "uncompressed"), "/path/to/file-1970-01-01T00:00:00.000Z-1970-01-01T00:01:40.000Z-00001-of-00005.txt");
  });
});
