/**
 * Beam Python's sdks/python/apache_beam/io/filebasedsink_test.py through WriteToText (our
 * FileBasedSink): MyFileBasedSink writes '[start]', then '[<record>]' per record, then '[end]',
 * with no separators, which is WriteToText with header '[start]', footer '[end]' and
 * appendTrailingNewlines false over records formatted '[x]'. The temporary-directory and rename
 * internals are covered by text_write.test.ts (see the report table).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, FileIO } from "../../lib";
import { WriteToTFRecord } from "../../lib/io/tfrecord";
import { WriteToText } from "../../lib/io/textio";
import { runDirect, runOk } from "../helpers";

describe("Beam Python filebasedsink_test.py, ported", function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beam-py-fbs-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const sink = { header: "[start]", footer: "[end]", appendTrailingNewlines: false, suffix: ".output" } as const;

  for (const directNumWorkers of [1, 2]) {
    describe(`--direct_num_workers ${directNumWorkers}`, () => {
      it("test_file_sink_writing: two shards '[start][a][b][end]' and '[start][x][y][z][end]', no temporary file left", async () => {
        const prefix = path.join(tmp, "FileBasedSink");
        await runOk((p) => void p.apply(Create.of("[a][b]", "[x][y][z]")).apply(WriteToText.to(prefix, { ...sink, numShards: 2 })), { directNumWorkers });
        const names = fs.readdirSync(tmp).sort();
        assert.deepEqual(names, ["FileBasedSink-00000-of-00002.output", "FileBasedSink-00001-of-00002.output"]);
        // Python's test gives each writer one shard; here the shard of each record is the runner's
        // (round robin from a random start): every file is '[start]...[end]' and each record is in one.
        const contents = names.map((n) => fs.readFileSync(path.join(tmp, n), "utf8"));
        for (const c of contents) assert.match(c, /^\[start\].*\[end\]$/);
        assert.deepEqual(contents.map((c) => c.slice("[start]".length, -"[end]".length)).join("|").split("|").filter((c) => c !== "").flatMap((c) => c.match(/\[a\]\[b\]|\[x\]\[y\]\[z\]/g) ?? []).sort(), ["[a][b]", "[x][y][z]"]);
      });

      it("test_empty_write: one file '[start][end]'", async () => {
        const prefix = path.join(tmp, "empty");
        await runOk((p) => void p.apply(Create.of<string>()).apply(WriteToText.to(prefix, sink)), { directNumWorkers });
        assert.deepEqual(fs.readdirSync(tmp), ["empty-00000-of-00001.output"]);
        assert.equal(fs.readFileSync(`${prefix}-00000-of-00001.output`, "utf8"), "[start][end]");
      });

      it("test_fixed_shard_write: num_shards 3, shard_name_template '_NN_SSS_'", async () => {
        const prefix = path.join(tmp, "empty");
        await runOk((p) => void p.apply(Create.of("[a]", "[b]")).apply(WriteToText.to(prefix, { ...sink, numShards: 3, shardNameTemplate: "_NN_SSS_" })), { directNumWorkers });
        assert.deepEqual(fs.readdirSync(tmp).sort(), [0, 1, 2].map((i) => `empty_03_00${i}_.output`));
        const concat = [0, 1, 2].map((i) => fs.readFileSync(`${prefix}_03_00${i}_.output`, "utf8")).join("");
        assert.ok(concat.includes("][a]["), concat);
        assert.ok(concat.includes("][b]["), concat);
      });

      it("test_pre_finalize: the outputs of an earlier run under the same names are replaced", async () => {
        const prefix = path.join(tmp, "pre_finalize");
        for (const old of ["pre_finalize-00000-of-00002.output", "pre_finalize-00001-of-00002.output"]) fs.writeFileSync(path.join(tmp, old), "foo");
        await runOk((p) => void p.apply(Create.of("[a][b]", "[x][y][z]")).apply(WriteToText.to(prefix, { ...sink, numShards: 2 })), { directNumWorkers });
        const names = fs.readdirSync(tmp).sort();
        assert.deepEqual(names, ["pre_finalize-00000-of-00002.output", "pre_finalize-00001-of-00002.output"]);
        const text = names.map((n) => fs.readFileSync(path.join(tmp, n), "utf8")).join("");
        assert.ok(!text.includes("foo") && text.includes("[a][b]") && text.includes("[x][y][z]"), text);
      });

      it("test_file_sink_rename_error: a rename that fails fails the run with its cause, and leaves no output of the write", async () => {
        const prefix = path.join(tmp, "rename_error");
        // The second shard's name is a non-empty directory: renaming a file onto it fails.
        fs.mkdirSync(path.join(tmp, "rename_error-00001-of-00002.output", "blocker"), { recursive: true });
        const result = await runDirect((p) => void p.apply(Create.of("[a][b]", "[x][y][z]")).apply("Write", WriteToText.to(prefix, { ...sink, numShards: 2 })), { directNumWorkers });
        assert.equal(result.state, "FAILED");
        assert.match(result.error!.message, /rename_error-00001-of-00002\.output/);
        assert.deepEqual(fs.readdirSync(tmp).sort(), ["rename_error-00001-of-00002.output"], "no shard renamed into place, no temporary file left");
      });

      it("the same for the other sinks sharing the commit: WriteToTFRecord and FileIO.writeDynamic", async () => {
        const blocker = (name: string): void => void fs.mkdirSync(path.join(tmp, name, "blocker"), { recursive: true });
        blocker("rec-00001-of-00002");
        blocker("output-d-00001-of-00002");
        const records = [new Uint8Array([1]), new Uint8Array([2])];
        const tf = await runDirect((p) => void p.apply(Create.of(...records)).apply(WriteToTFRecord.to(path.join(tmp, "rec"), { numShards: 2 })), { directNumWorkers });
        assert.equal(tf.state, "FAILED");
        const dyn = await runDirect((p) => void p.apply(Create.of("a", "b")).apply(FileIO.writeDynamic<string>().by(() => "d").to(tmp).withNumShards(2)), { directNumWorkers });
        assert.equal(dyn.state, "FAILED");
        assert.deepEqual(fs.readdirSync(tmp).sort(), ["output-d-00001-of-00002", "rec-00001-of-00002"], "no shard renamed into place, no temporary file left");
      });
    });
  }
});
