/**
 * A shard name template that gives several shards one name would make them overwrite each other
 * when renamed into place, losing lines silently. Beam refuses: its file-based sink fails the
 * write when it "only generated N distinct file names for M files". WriteToText says so too: a
 * template without a shard number needs numShards: 1, and finalizing (the commit every file sink
 * uses) refuses to give two files one name.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { WriteToText } from "../../lib/io/textio";
import { finalizeShards } from "../../lib/io/text_files";
import { LocalFileSystem } from "../../lib/io/filesystems/local";

describe("TextIO: shard names must be distinct", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "shard-names-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a template without a shard number and a fixed count above 1 is refused when the write is built", () => {
    assert.throws(() => WriteToText.to(path.join(dir, "out"), { numShards: 2, shardNameTemplate: "-part" }), /shardNameTemplate "-part" has no shard number.*numShards: 1.*got 2/);
  });

  it("finalizeShards refuses to rename two files to one name", async () => {
    const fsys = new LocalFileSystem();
    const a = path.join(dir, "a");
    const b = path.join(dir, "b");
    fs.writeFileSync(a, "a\n");
    fs.writeFileSync(b, "b\n");
    await assert.rejects(finalizeShards(fsys, [a, b], [path.join(dir, "x"), path.join(dir, "x")]), /2 files.*1 distinct name/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["a", "b"]);
  });
});
