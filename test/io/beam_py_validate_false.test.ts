/**
 * Beam Python's `validate=False` on ReadFromTFRecord, ReadFromAvro and ReadFromParquet
 * (FileBasedSource): the pattern is not checked before the run, and at run time a pattern that
 * matches nothing reads nothing. Beam Python 2.66 runs `ReadFromTFRecord('/missing/*',
 * validate=False)` and `ReadFromAvro` alike to completion with no records (tfrecordio_test.py's
 * test_end2end_read_write_read relies on it), on 1 and 2 workers here.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, ParDo, type PCollection } from "../../lib";
import { ReadFromAvro } from "../../lib/io/avro";
import { ReadFromParquet } from "../../lib/io/parquet";
import { ReadFromTFRecord } from "../../lib/io/tfrecord";
import { runOk } from "../helpers";

describe("Beam Python's validate=False: a read of a pattern matching nothing gives nothing", function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beam-py-validate-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const directNumWorkers of [1, 2]) {
    it(`ReadFromTFRecord, ReadFromAvro and ReadFromParquet, of a wildcard and of a plain path (--direct_num_workers ${directNumWorkers})`, async () => {
      const got: string[] = [];
      const count = (pc: PCollection<unknown>, name: string): void => void pc.apply(`Count${name}`, ParDo.into<never>().of((e: unknown) => void got.push(`${name} ${String(e)}`)));
      const missing = (name: string): string[] => [path.join(tmp, "nothing", `*.${name}`), path.join(tmp, `none.${name}`)];
      await runOk(
        (root) => {
          root.apply(Create.of(1)); // the pipeline has one real input besides the reads
          count(root.apply("TFRecord", ReadFromTFRecord.from(missing("tfrecord"), { validate: false })), "tfrecord");
          count(root.apply("Avro", ReadFromAvro.from(missing("avro"), { validate: false })), "avro");
          count(root.apply("Parquet", ReadFromParquet.from(missing("parquet"), { validate: false })), "parquet");
        },
        { directNumWorkers },
      );
      assert.deepEqual(got, []);
    });
  }
});
