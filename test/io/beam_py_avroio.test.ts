/**
 * Beam Python's sdks/python/apache_beam/io/avroio_test.py (TestFastAvro) pipeline cases, each with
 * --direct_num_workers 1 and 2 (programs in beam_py_avroio_programs.ts). Input files are written
 * with avsc's own container encoder, as the Python test writes them with fastavro's `writer`
 * (count and sync interval as there), not with WriteToAvro.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as avsc from "avsc";
import { beamPyAvroProgram, RECORDS, SCHEMA } from "./beam_py_avroio_programs";

const asJson = (r: (typeof RECORDS)[number]): string => JSON.stringify(r);

describe("Beam Python avroio_test.py, ported", function () {
  this.timeout(120_000);
  let tmp: string;
  let n = 0;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beam-py-avro-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** TestFastAvro._write_data: `count` records cycling through RECORDS, in `dir` named `<prefix>NNN`. */
  const writeData = async (options: { dir?: string; prefix?: string; codec?: string; count?: number; syncInterval?: number } = {}): Promise<string> => {
    const dir = options.dir ?? tmp;
    const file = path.join(dir, `${options.prefix ?? "tmp"}${n++}`);
    const count = options.count ?? RECORDS.length;
    const encoder = new avsc.streams.BlockEncoder(avsc.Type.forSchema(SCHEMA as unknown as avsc.Schema), { codec: options.codec ?? "null", ...(options.syncInterval !== undefined ? { syncInterval: options.syncInterval } : {}) });
    const out = fs.createWriteStream(file);
    const closed = new Promise<void>((resolve, reject) => out.on("close", resolve).on("error", reject));
    encoder.pipe(out);
    for (let i = 0; i < count; i++) encoder.write(RECORDS[i % RECORDS.length]);
    encoder.end();
    await closed;
    return file;
  };
  /** _write_pattern: `count` files in a new directory, and the pattern 'mytemp*' matching them. */
  const writePattern = async (count: number): Promise<{ pattern: string; files: string[] }> => {
    const dir = fs.mkdtempSync(path.join(tmp, "pattern-"));
    const files: string[] = [];
    for (let i = 0; i < count; i++) files.push(await writeData({ dir, prefix: "mytemp" }));
    return { pattern: path.join(dir, "mytemp*"), files };
  };
  const times = (k: number): string[] => Array.from({ length: k }, () => RECORDS.map(asJson)).flat();

  for (const directNumWorkers of [1, 2]) {
    const opts = { directNumWorkers, directWorkerThreads: "always" as const };
    const run = async (flags: { mode: string; patterns: string[]; codec?: string; bundle?: number; expected?: string[] }): Promise<string> =>
      (await beamPyAvroProgram.run({ codec: "null", bundle: 0, ...flags, patterns: JSON.stringify(flags.patterns), expected: JSON.stringify(flags.expected ?? []) }, opts)).waitUntilFinish();

    describe(`--direct_num_workers ${directNumWorkers}`, () => {
      it("test_read_from_avro; test_read_without_splitting and _with_splitting (ranges of 100 bytes), null and deflate", async () => {
        for (const codec of ["null", "deflate"]) {
          const file = await writeData({ codec });
          assert.equal(await run({ mode: "read", patterns: [file], expected: times(1) }), "DONE", codec);
          assert.equal(await run({ mode: "read", patterns: [file], bundle: 100, expected: times(1) }), "DONE", codec);
        }
      });

      it("test_read_with_splitting_multiple_blocks: 12000 records, ranges of 10000 bytes", async () => {
        const file = await writeData({ count: 12000, syncInterval: 16000 });
        assert.equal(await run({ mode: "read", patterns: [file], bundle: 10000, expected: times(2000) }), "DONE");
      });

      it("test_read_without_splitting_pattern and _with_splitting_pattern", async () => {
        const { pattern } = await writePattern(3);
        assert.equal(await run({ mode: "read", patterns: [pattern], expected: times(3) }), "DONE");
        assert.equal(await run({ mode: "read", patterns: [pattern], bundle: 100, expected: times(3) }), "DONE");
      });

      it("test_read_all_from_avro_single_file, _many_single_files, _file_pattern and _many_file_patterns", async () => {
        assert.equal(await run({ mode: "readAll", patterns: [await writeData()], expected: times(1) }), "DONE");
        assert.equal(await run({ mode: "readAll", patterns: [await writeData(), await writeData(), await writeData()], expected: times(3) }), "DONE");
        assert.equal(await run({ mode: "readAll", patterns: [(await writePattern(5)).pattern], expected: times(5) }), "DONE");
        const patterns = [(await writePattern(5)).pattern, (await writePattern(2)).pattern, (await writePattern(3)).pattern];
        assert.equal(await run({ mode: "readAll", patterns, expected: times(10) }), "DONE");
      });

      it("test_read_all_from_avro_with_filename", async () => {
        const { pattern, files } = await writePattern(3);
        const expected = files.flatMap((f) => RECORDS.map((r) => `${f} ${asJson(r)}`));
        assert.equal(await run({ mode: "readAllWithFilename", patterns: [pattern], expected }), "DONE");
      });

      for (const codec of ["null", "snappy"]) {
        it(`test_sink_transform${codec === "snappy" ? "_snappy" : ""}: WriteToAvro then ReadFromAvro(path + '*')`, async () => {
          const prefix = path.join(tmp, "dst");
          assert.equal(await run({ mode: "write", patterns: [prefix], codec }), "DONE");
          assert.equal(await run({ mode: "read", patterns: [`${prefix}*`], expected: times(1) }), "DONE");
        });
      }
    });
  }
});
