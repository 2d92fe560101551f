/**
 * Beam Python's sdks/python/apache_beam/io/filebasedsource_test.py cases that read lines (its
 * LineSource is our ReadFromText): files and patterns read whole and split into ranges (every line
 * once), empty files in a pattern, gzip by option and AUTO over a pattern mixing gzip and plain
 * files; with --direct_num_workers 1 and 2. Size estimation, ConcatSource and range-tracker
 * internals have no counterpart (see the report table); bzip2 cases are st83's.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { ParDo } from "../../lib";
import { ReadFromText } from "../../lib/io/textio";
import { runOk } from "../helpers";

describe("Beam Python filebasedsource_test.py, ported", function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beam-py-fbsource-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** write_data / write_pattern: files of 'line<n>' lines (numbered across files), one per count. */
  const writePattern = (counts: number[], encode: (i: number, text: string) => [string, Buffer] = (_, t) => ["", Buffer.from(t)]): { pattern: string; lines: string[] } => {
    const lines: string[] = [];
    counts.forEach((count, i) => {
      const mine = Array.from({ length: count }, (_, j) => `line${lines.length + j}`);
      lines.push(...mine);
      const [suffix, bytes] = encode(i, mine.map((l) => `${l}\n`).join(""));
      fs.writeFileSync(path.join(tmp, `mytemp${i}${suffix}`), bytes);
    });
    return { pattern: path.join(tmp, "mytemp*"), lines };
  };

  for (const directNumWorkers of [1, 2]) {
    const read = async (pattern: string, options: Parameters<typeof ReadFromText.from>[1] = {}): Promise<string[]> => {
      const got: string[] = [];
      await runOk((p) => void p.apply(ReadFromText.from(pattern, options)).apply(ParDo.into<never>().of((l: string) => void got.push(l))), { directNumWorkers });
      return got.sort();
    };

    describe(`--direct_num_workers ${directNumWorkers}`, () => {
      it("test_fully_read_single_file and test_read_splits_single_file (ranges of 50 bytes)", async () => {
        const { pattern, lines } = writePattern([10]);
        assert.deepEqual(await read(pattern), [...lines].sort());
        assert.deepEqual(await read(pattern, { desiredBundleSizeBytes: 50 }), [...lines].sort());
      });

      it("test_fully_read_file_pattern and test_read_splits_file_pattern (files of 34, 66, 40, 24, 24, 12 lines; ranges of 50 bytes)", async () => {
        const { pattern, lines } = writePattern([34, 66, 40, 24, 24, 12]);
        assert.equal(lines.length, 200);
        assert.deepEqual(await read(pattern), [...lines].sort());
        assert.deepEqual(await read(pattern, { desiredBundleSizeBytes: 50 }), [...lines].sort());
      });

      it("test_fully_read_file_pattern_with_empty_files", async () => {
        const { pattern, lines } = writePattern([5, 0, 12, 0, 8, 0]);
        assert.equal(lines.length, 25);
        assert.deepEqual(await read(pattern, { desiredBundleSizeBytes: 20 }), [...lines].sort());
      });

      it("test_read_file_gzip and test_read_pattern_gzip (compression gzip, no suffix)", async () => {
        const { pattern, lines } = writePattern([34, 66, 40, 24, 24, 12], (_, t) => ["", zlib.gzipSync(t)]);
        assert.deepEqual(await read(pattern, { compression: "gzip", desiredBundleSizeBytes: 50 }), [...lines].sort());
      });

      it("test_read_auto_single_file_gzip and test_read_auto_pattern_compressed_and_uncompressed (.gz and plain alternate)", async () => {
        const { pattern, lines } = writePattern([34, 66, 40, 24, 24, 12], (i, t) => (i % 2 === 0 ? [".gz", zlib.gzipSync(t)] : ["", Buffer.from(t)]));
        assert.deepEqual(await read(pattern, { desiredBundleSizeBytes: 50 }), [...lines].sort());
      });
    });
  }
});
