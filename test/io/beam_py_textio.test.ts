/**
 * Beam Python's sdks/python/apache_beam/io/textio_test.py cases that text_options_beam_ports.test.ts
 * and the other text tests do not already run, each with --direct_num_workers 1 and 2 (programs in
 * beam_py_textio_programs.ts). Compression cases beyond gzip/deflate suffixes are st83's.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { beamPyTextProgram, SINK_LINES } from "./beam_py_textio_programs";

describe("Beam Python textio_test.py, ported", function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beam-py-textio-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const write = (name: string, bytes: string | Buffer): string => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  /** Every line of the files of `prefix` (Python's glob(self.path + '*') then splitlines()), decompressed as told. */
  const readAll = (prefix: string, gunzip = false): string[][] =>
    fs
      .readdirSync(path.dirname(prefix))
      .filter((f) => f.startsWith(path.basename(prefix)))
      .sort()
      .map((f) => {
        const bytes = fs.readFileSync(path.join(path.dirname(prefix), f));
        const text = (gunzip ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
        return text.split("\n").slice(0, -1);
      });

  for (const directNumWorkers of [1, 2]) {
    const opts = { directNumWorkers, directWorkerThreads: "always" as const };
    const run = async (flags: { mode: string; patterns: string[]; compression?: string; write?: object; expected?: string[] }): Promise<string> => {
      const result = await beamPyTextProgram.run(
        { compression: "auto", ...flags, patterns: JSON.stringify(flags.patterns), write: JSON.stringify(flags.write ?? {}), expected: JSON.stringify(flags.expected ?? []) },
        opts,
      );
      return result.waitUntilFinish();
    };

    describe(`--direct_num_workers ${directNumWorkers}`, () => {
      describe("TextSourceTest", () => {
        it("test_read_from_text_file_pattern_with_dot_slash: './*.txt' and '*.txt' from the working directory", async () => {
          write("a.txt", "abc");
          write("b.txt", "de");
          const cwd = process.cwd();
          process.chdir(tmp);
          try {
            assert.equal(await run({ mode: "read", patterns: ["./*.txt"], expected: ["abc", "de"] }), "DONE");
            assert.equal(await run({ mode: "read", patterns: ["*.txt"], expected: ["abc", "de"] }), "DONE");
          } finally {
            process.chdir(cwd);
          }
        });

        it("test_read_gzip_empty_file (a zero-byte file read as gzip) and test_read_empty_single_file_no_eol_gzip", async () => {
          assert.equal(await run({ mode: "read", patterns: [write("empty", "")], compression: "gzip", expected: [] }), "DONE");
          assert.equal(await run({ mode: "read", patterns: [write("e.gz", zlib.gzipSync(""))], expected: [] }), "DONE");
        });

        it("test_read_single_file_last_line_no_eol_gzip and test_read_single_file_single_line_no_eol_gzip", async () => {
          assert.equal(await run({ mode: "read", patterns: [write("a.gz", zlib.gzipSync("line0\nline1\nline2"))], expected: ["line0", "line1", "line2"] }), "DONE");
          assert.equal(await run({ mode: "read", patterns: [write("b.gz", zlib.gzipSync("line0"))], expected: ["line0"] }), "DONE");
        });

        it("test_read_all_unavailable_files_ignored (with emptyMatchTreatment ALLOW: our default is Beam Java's ALLOW_IF_WILDCARD)", async () => {
          const files = [5, 10, 15].map((n, f) => write(`f${f}`, Array.from({ length: n }, (_, i) => `line${f}-${i}`).join("\n") + "\n"));
          const expected = [5, 10, 15].flatMap((n, f) => Array.from({ length: n }, (_, i) => `line${f}-${i}`));
          assert.equal(await run({ mode: "readAll", patterns: [...files, "/unavailable_file"], expected }), "DONE");
        });
      });

      describe("TextSinkTest", () => {
        const sorted = (files: string[][]): string[] => files.flat().sort();

        it("test_write_pipeline", async () => {
          const prefix = path.join(tmp, "out");
          assert.equal(await run({ mode: "write", patterns: [prefix] }), "DONE");
          assert.deepEqual(sorted(readAll(prefix)), [...SINK_LINES].sort());
        });

        it("test_write_pipeline_non_globalwindow_input", async () => {
          const prefix = path.join(tmp, "out");
          assert.equal(await run({ mode: "writeWindowed", patterns: [prefix] }), "DONE");
          assert.deepEqual(sorted(readAll(prefix)), [...SINK_LINES].sort());
        });

        it("test_write_pipeline_auto_compression: file_name_suffix '.gz' writes gzip", async () => {
          const prefix = path.join(tmp, "out");
          assert.equal(await run({ mode: "write", patterns: [prefix], write: { suffix: ".gz" } }), "DONE");
          assert.deepEqual(sorted(readAll(prefix, true)), [...SINK_LINES].sort());
        });

        it("test_write_pipeline_auto_compression_unsharded: a path ending in .gz with shard_name_template '' is one gzip file", async () => {
          const prefix = path.join(tmp, "out");
          assert.equal(await run({ mode: "write", patterns: [`${prefix}.gz`], write: { shardNameTemplate: "" } }), "DONE");
          assert.deepEqual(fs.readdirSync(tmp), ["out.gz"]);
          assert.deepEqual(sorted(readAll(prefix, true)), [...SINK_LINES].sort());
        });

        it("test_write_pipeline_header: the header leads the one gzip file", async () => {
          const prefix = path.join(tmp, "out");
          assert.equal(await run({ mode: "write", patterns: [`${prefix}.gz`], write: { shardNameTemplate: "", header: "foo" } }), "DONE");
          const [lines] = readAll(prefix, true);
          assert.equal(lines![0], "foo");
          assert.deepEqual(lines!.slice(1).sort(), [...SINK_LINES].sort());
        });

        it("test_write_pipeline_footer: the footer ends each file", async () => {
          const prefix = path.join(tmp, "out");
          assert.equal(await run({ mode: "write", patterns: [prefix], write: { footer: "footer" } }), "DONE");
          const files = readAll(prefix);
          for (const lines of files) assert.equal(lines[lines.length - 1], "footer");
          assert.deepEqual(files.flatMap((lines) => lines.slice(0, -1)).sort(), [...SINK_LINES].sort());
        });
      });
    });
  }
});
