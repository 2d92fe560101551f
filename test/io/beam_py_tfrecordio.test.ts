/**
 * Beam Python's sdks/python/apache_beam/io/tfrecordio_test.py, ported where tfrecord.test.ts and
 * tfrecord_golden.test.ts do not already run the case: TestReadAllFromTFRecord and
 * TestEnd2EndWriteAndRead, each with --direct_num_workers 1 and 2 (programs in
 * beam_py_tfrecordio_programs.ts). FOO_RECORD_BASE64 and FOO_BAR_RECORD_BASE64 are TensorFlow's
 * bytes, from the Python test.
 */
import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { beamPyTFRecordProgram } from "./beam_py_tfrecordio_programs";

const FOO_RECORD = Buffer.from("AwAAAAAAAACwmUkOZm9vYYq+/g==", "base64");
const FOO_BAR_RECORD = Buffer.from("AwAAAAAAAACwmUkOZm9vYYq+/gMAAAAAAAAAsJlJDmJhckYA5cg=", "base64");
const b64 = (s: string): string => Buffer.from(s).toString("base64");
const FOO_BAR = [b64("foo"), b64("bar")];

describe("Beam Python tfrecordio_test.py, ported", function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beam-py-tfrecord-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const write = (name: string, bytes: Buffer): string => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  /** TestReadAllFromTFRecord._write_glob: three files of foo, bar ending in `suffix` (and an empty one). */
  const writeGlob = (suffix: string, includeEmpty = false): void => {
    for (let i = 0; i < 3; i++) write(`${i}${suffix}`, FOO_BAR_RECORD);
    if (includeEmpty) write(`empty${suffix}`, Buffer.alloc(0));
  };
  /** TestEnd2EndWriteAndRead.create_inputs: ten records of random bytes (Python pickles random floats). */
  const inputs = (): string[] => Array.from({ length: 10 }, () => crypto.randomBytes(500).toString("base64"));

  for (const directNumWorkers of [1, 2]) {
    const opts = { directNumWorkers, directWorkerThreads: "always" as const };
    const run = async (flags: { mode: string; patterns: string[]; compression?: string; suffix?: string; template?: string; validate?: boolean; records?: string[]; expected?: string[] }): Promise<string> => {
      const result = await beamPyTFRecordProgram.run(
        { compression: "auto", suffix: "", template: "-", validate: true, ...flags, patterns: JSON.stringify(flags.patterns), records: JSON.stringify(flags.records ?? []), expected: JSON.stringify(flags.expected ?? []) },
        opts,
      );
      return result.waitUntilFinish();
    };

    describe(`--direct_num_workers ${directNumWorkers}`, () => {
      describe("TestReadAllFromTFRecord", () => {
        it("test_process_single and test_process_multiple", async () => {
          assert.equal(await run({ mode: "readAll", patterns: [write("result", FOO_RECORD)], expected: [b64("foo")] }), "DONE");
          assert.equal(await run({ mode: "readAll", patterns: [write("result2", FOO_BAR_RECORD)], expected: FOO_BAR }), "DONE");
        });

        it("test_process_with_filename", async () => {
          const files = [0, 1, 2].map((i) => write(`result${i}`, FOO_BAR_RECORD));
          const expected = files.flatMap((f) => FOO_BAR.map((r) => `${f} ${r}`));
          assert.equal(await run({ mode: "readAllWithFilename", patterns: [path.join(tmp, "*")], expected }), "DONE");
        });

        it("test_process_glob and test_process_glob_with_empty_file", async () => {
          writeGlob("result", true);
          assert.equal(await run({ mode: "readAll", patterns: [path.join(tmp, "*result")], expected: [...FOO_BAR, ...FOO_BAR, ...FOO_BAR] }), "DONE");
        });

        it("test_process_multiple_globs", async () => {
          const globs = [0, 1, 2].map((i) => {
            writeGlob(`result${i}`);
            return path.join(tmp, `*result${i}`);
          });
          assert.equal(await run({ mode: "readAll", patterns: globs, expected: Array.from({ length: 9 }, () => FOO_BAR).flat() }), "DONE");
        });

        it("test_process_deflate, test_process_gzip and test_process_auto", async () => {
          assert.equal(await run({ mode: "readAll", patterns: [write("d", zlib.deflateSync(FOO_BAR_RECORD))], compression: "deflate", expected: FOO_BAR }), "DONE");
          assert.equal(await run({ mode: "readAll", patterns: [write("g", zlib.gzipSync(FOO_BAR_RECORD))], compression: "gzip", expected: FOO_BAR }), "DONE");
          assert.equal(await run({ mode: "readAll", patterns: [write("result.gz", zlib.gzipSync(FOO_BAR_RECORD))], expected: FOO_BAR }), "DONE");
        });
      });

      describe("TestEnd2EndWriteAndRead", () => {
        it("test_end2end", async () => {
          const prefix = path.join(tmp, "result");
          const records = inputs();
          assert.equal(await run({ mode: "write", patterns: [prefix], records }), "DONE");
          assert.equal(await run({ mode: "read", patterns: [`${prefix}-*`], expected: records }), "DONE");
        });

        it("test_end2end_auto_compression: file_name_suffix '.gz' writes gzip", async () => {
          const prefix = path.join(tmp, "result");
          const records = inputs();
          assert.equal(await run({ mode: "write", patterns: [prefix], suffix: ".gz", records }), "DONE");
          for (const f of fs.readdirSync(tmp)) assert.deepEqual([...fs.readFileSync(path.join(tmp, f)).subarray(0, 2)], [0x1f, 0x8b], `${f} is gzip`);
          assert.equal(await run({ mode: "read", patterns: [`${prefix}-*`], expected: records }), "DONE");
        });

        it("test_end2end_auto_compression_unsharded: a prefix ending in .gz with shard_name_template '' is one gzip file", async () => {
          const prefix = path.join(tmp, "result");
          const records = inputs();
          assert.equal(await run({ mode: "write", patterns: [`${prefix}.gz`], template: "", records }), "DONE");
          assert.deepEqual(fs.readdirSync(tmp), ["result.gz"]);
          assert.deepEqual([...fs.readFileSync(`${prefix}.gz`).subarray(0, 2)], [0x1f, 0x8b]);
          assert.equal(await run({ mode: "read", patterns: [`${prefix}.gz`], expected: records }), "DONE");
        });

        it("test_end2end_read_write_read: a read with validate=False of files not there yet reads nothing, and does not fail", async () => {
          const prefix = path.join(tmp, "result");
          const records = inputs();
          assert.equal(await run({ mode: "readWriteRead", patterns: [prefix], suffix: ".gz", records }), "DONE");
          assert.equal(await run({ mode: "read", patterns: [`${prefix}-*`], expected: records }), "DONE");
        });
      });
    });
  }
});
