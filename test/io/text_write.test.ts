/** Writing text files: shard writers, Beam shard naming, finalisation (the reading side: text_files.test.ts). */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { FileSystemError, type FileOperations } from "../../lib/io/filesystems/filesystem";
import { FileSystems } from "../../lib/io/filesystems/registry";
import {
  abortShards,
  DEFAULT_SHARD_TEMPLATE,
  finalizeShards,
  planTempDirectory,
  readAllLines,
  shardGlob,
  shardPath,
  TextShardWriter,
  writeTextShards,
} from "../../lib/io/text_files";
import { WHOLE_FILE_MAX_CHARS } from "../../lib/io/text_write";

describe("text files: writing", () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-text-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  describe("TextShardWriter", () => {
    it("writes header, lines, footer with the separator and counts bytes and lines", async () => {
      const p = path.join(root, "w/out.csv");
      const w = await TextShardWriter.open(FileSystems, p, { header: "h1,h2", footer: "END", lineSeparator: "\r\n" });
      assert.equal(w.writeLines(["a,1", "é,2"]), undefined);
      w.writeLines([]);
      w.writeLines(["c,3"]);
      const result = await w.close();
      const content = "h1,h2\r\na,1\r\né,2\r\nc,3\r\nEND\r\n";
      assert.equal(fs.readFileSync(p, "utf8"), content);
      assert.deepEqual(result, { path: p, bytes: Buffer.byteLength(content), lines: 3 });
      await assert.rejects(w.close(), /already closed/);
      assert.throws(() => w.writeLines(["late"]), /already closed/);
    });

    it("buffers into large writes and respects backpressure", async () => {
      const p = path.join(root, "big.txt");
      const w = await TextShardWriter.open(FileSystems, p, { bufferSize: 4096 });
      let waits = 0;
      const batch = Array.from({ length: 1000 }, (_, i) => `value-${i}`);
      for (let i = 0; i < 300; i++) {
        const wait = w.writeLines(batch);
        if (wait) {
          waits++;
          await wait;
        }
      }
      const result = await w.close();
      assert.equal(result.lines, 300000);
      assert.equal(result.bytes, fs.statSync(p).size);
      assert.ok(waits > 0, "the writer asked the caller to wait at least once");
      const text = fs.readFileSync(p, "utf8");
      assert.equal(text, (batch.join("\n") + "\n").repeat(300));
    });

    it("writeWhole writes a small file in one writeSmallFile call, a large one (or without writeSmallFile) through a stream", async () => {
      const local = FileSystems.forPath(root);
      const calls: string[] = [];
      const recording: Pick<FileOperations, "create" | "writeSmallFile"> = {
        create: (p, o) => {
          calls.push("create");
          return local.create(p, o);
        },
        writeSmallFile: (p, data) => {
          calls.push(`whole ${data.length}`);
          return local.writeSmallFile!(p, data);
        },
      };
      const small = path.join(root, "whole/sub/a.csv");
      const content = "h\r\nx\r\né\r\nf\r\n";
      const result = await TextShardWriter.writeWhole(recording, small, ["x", "é"], { header: "h", footer: "f", lineSeparator: "\r\n" });
      assert.deepEqual(calls, [`whole ${Buffer.byteLength(content)}`]);
      assert.deepEqual(result, { path: small, bytes: Buffer.byteLength(content), lines: 2 });
      assert.equal(fs.readFileSync(small, "utf8"), content);

      calls.length = 0;
      const gz = path.join(root, "whole/b.txt.gz");
      const gzResult = await TextShardWriter.writeWhole(recording, gz, ["a", "b"], { header: "h" });
      assert.equal(zlib.gunzipSync(fs.readFileSync(gz)).toString(), "h\na\nb\n");
      assert.deepEqual(gzResult, { path: gz, bytes: fs.statSync(gz).size, lines: 2 });
      assert.equal(calls.length, 1);

      const empty = path.join(root, "whole/empty.txt");
      assert.deepEqual(await TextShardWriter.writeWhole(recording, empty, []), { path: empty, bytes: 0, lines: 0 });
      assert.equal(fs.readFileSync(empty, "utf8"), "");

      calls.length = 0;
      const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(50)}`);
      assert.ok(lines.join("\n").length > WHOLE_FILE_MAX_CHARS);
      const big = path.join(root, "whole/big.txt");
      assert.deepEqual(await TextShardWriter.writeWhole(recording, big, lines), { path: big, bytes: fs.statSync(big).size, lines: lines.length });
      assert.deepEqual(calls, ["create"]);
      assert.equal(fs.readFileSync(big, "utf8"), lines.join("\n") + "\n");

      calls.length = 0;
      const plain = path.join(root, "whole/plain.txt");
      await TextShardWriter.writeWhole({ create: recording.create }, plain, ["only"]);
      assert.deepEqual(calls, ["create"]);
      assert.equal(fs.readFileSync(plain, "utf8"), "only\n");

      const blocker = path.join(root, "whole-blocker");
      fs.writeFileSync(blocker, "x");
      await assert.rejects(TextShardWriter.writeWhole(recording, path.join(blocker, "part-0.txt"), ["a"]), (e: unknown) => {
        assert.ok(e instanceof FileSystemError);
        assert.ok(e.message.includes(`${blocker} is a file, not a directory`), e.message);
        return true;
      });
    });

    it("an empty shard holds just the header", async () => {
      const p = path.join(root, "empty.txt");
      const w = await TextShardWriter.open(FileSystems, p, { header: "only header" });
      assert.deepEqual(await w.close(), { path: p, bytes: 12, lines: 0 });
      assert.equal(fs.readFileSync(p, "utf8"), "only header\n");
    });

    it("explains an output location under a regular file", async () => {
      const blocker = path.join(root, "iam-a-file");
      fs.writeFileSync(blocker, "x");
      await assert.rejects(TextShardWriter.open(FileSystems, path.join(blocker, "out/part-0.txt")), (e: unknown) => {
        assert.ok(e instanceof FileSystemError);
        assert.ok(e.message.includes(`${blocker} is a file, not a directory`), e.message);
        assert.match(e.message, /Choose a path/);
        return true;
      });
    });
  });

  describe("shard naming and finalisation", () => {
    it("names shards like Beam", () => {
      assert.equal(shardPath("out/counts", 0, 3), "out/counts-00000-of-00003");
      assert.equal(shardPath("out/counts", 2, 3, ".txt"), "out/counts-00002-of-00003.txt");
      assert.equal(shardPath("p", 7, 12, ".csv", "_SS_of_NNN"), "p_07_of_012.csv");
      assert.equal(shardPath("p", 123456, 200000, ""), "p-123456-of-200000");
      assert.equal(DEFAULT_SHARD_TEMPLATE, "-SSSSS-of-NNNNN");
      assert.throws(() => shardPath("p", 3, 3), /0 <= shardIndex < numShards/);
      assert.equal(shardGlob("out/c[1]", ".txt"), "out/c\\[1\\]-?????-of-?????.txt");
    });

    it("plans a hidden, unique temporary directory beside the output", () => {
      const a = planTempDirectory(path.join(root, "out/counts"));
      const b = planTempDirectory(path.join(root, "out/counts"));
      assert.match(a, new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/out/\\.temp-beamline-[0-9a-f]{16}/$`));
      assert.notEqual(a, b);
      assert.ok(!fs.existsSync(a), "planning creates nothing");
      assert.match(planTempDirectory("counts"), /^\.temp-beamline-[0-9a-f]+\/$/);
    });

    it("finalize renames into place, then deletes an earlier run's shards of another count", async () => {
      const prefix = path.join(root, "out/counts");
      const old = [0, 1, 2].map((i) => shardPath(prefix, i, 3, ".txt"));
      for (const p of old) {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, "old\n");
      }
      const unrelated = [path.join(root, "out/counts-00000-of-00003.csv"), path.join(root, "out/counts-extra.txt")];
      for (const p of unrelated) fs.writeFileSync(p, "keep\n");

      const tempDir = planTempDirectory(prefix);
      const finals = [0, 1].map((i) => shardPath(prefix, i, 2, ".txt"));
      const temps: string[] = [];
      for (let i = 0; i < 2; i++) {
        const w = await TextShardWriter.open(FileSystems, FileSystems.join(tempDir, `shard-${i}`));
        w.writeLines([`new ${i}`]);
        temps.push((await w.close()).path);
      }

      const log: string[] = [];
      const recording: Pick<FileOperations, "rename" | "match" | "delete"> = {
        rename: async (s, d) => {
          log.push("rename");
          for (const p of old) assert.ok(fs.existsSync(p), "old shards still exist while renaming");
          return FileSystems.rename(s, d);
        },
        match: (p) => FileSystems.match(p),
        delete: async (paths) => {
          log.push(`delete ${paths.length}`);
          for (const p of finals) assert.ok(fs.existsSync(p), "new shards are in place before deleting");
          return FileSystems.delete(paths);
        },
      };
      const stale = await finalizeShards(recording, temps, finals, { prefix, suffix: ".txt", tempDir });
      assert.deepEqual(stale, old);
      // The stale shards and the temporary directory are deleted concurrently, both after the rename.
      assert.deepEqual([log[0], ...log.slice(1).sort()], ["rename", "delete 1", "delete 3"]);
      assert.deepEqual(fs.readdirSync(path.join(root, "out")).sort(), [
        "counts-00000-of-00002.txt",
        "counts-00000-of-00003.csv",
        "counts-00001-of-00002.txt",
        "counts-extra.txt",
      ]);
      assert.equal(fs.readFileSync(finals[1], "utf8"), "new 1\n");
    });

    it("abort removes everything written", async () => {
      const prefix = path.join(root, "out/counts");
      fs.mkdirSync(path.join(root, "out"));
      fs.writeFileSync(path.join(root, "out/existing.txt"), "x");
      const tempDir = planTempDirectory(prefix);
      for (let i = 0; i < 3; i++) {
        const w = await TextShardWriter.open(FileSystems, FileSystems.join(tempDir, `nested/shard-${i}.gz`));
        w.writeLines(["data"]);
        await w.close();
      }
      assert.ok(fs.existsSync(tempDir));
      await abortShards(FileSystems, tempDir);
      assert.deepEqual(fs.readdirSync(path.join(root, "out")), ["existing.txt"]);
    });
  });

  describe("writeTextShards", () => {
    it("writes one empty shard -00000-of-00001 when there is no input", async () => {
      const prefix = path.join(root, "none/counts");
      const results = await writeTextShards(prefix, [], { suffix: ".txt", header: "word,count" });
      assert.deepEqual(results, [{ path: `${prefix}-00000-of-00001.txt`, bytes: 11, lines: 0 }]);
      assert.deepEqual(fs.readdirSync(path.join(root, "none")), ["counts-00000-of-00001.txt"]);
      assert.equal(fs.readFileSync(results[0].path, "utf8"), "word,count\n");
    });

    it("writes the shards atomically, pads to numShards, and replaces an earlier run", async () => {
      const prefix = path.join(root, "out/part");
      await writeTextShards(prefix, [[["a"]], [["b"]], [["c"]]]);
      async function* gen(): AsyncGenerator<string[]> {
        yield ["x1", "x2"];
        yield ["x3"];
      }
      const results = await writeTextShards(prefix, [gen(), [["y"]]], { numShards: 3, suffix: ".gz" });
      assert.deepEqual(
        results.map((r) => [path.basename(r.path), r.lines]),
        [
          ["part-00000-of-00003.gz", 3],
          ["part-00001-of-00003.gz", 1],
          ["part-00002-of-00003.gz", 0],
        ],
      );
      assert.deepEqual(await readAllLines(results[0].path), ["x1", "x2", "x3"]);
      // The earlier run had no suffix: a different family of files, left alone.
      assert.deepEqual(fs.readdirSync(path.join(root, "out")).sort(), [
        "part-00000-of-00003",
        "part-00000-of-00003.gz",
        "part-00001-of-00003",
        "part-00001-of-00003.gz",
        "part-00002-of-00003",
        "part-00002-of-00003.gz",
      ]);
      await writeTextShards(prefix, [[["only"]]]);
      assert.deepEqual(
        fs.readdirSync(path.join(root, "out")).filter((n) => !n.endsWith(".gz")),
        ["part-00000-of-00001"],
      );
    });

    it("leaves nothing behind when an input fails", async () => {
      const prefix = path.join(root, "fail/out");
      async function* failing(): AsyncGenerator<string[]> {
        yield ["fine"];
        throw new Error("upstream broke");
      }
      await assert.rejects(writeTextShards(prefix, [[["ok"]], failing()]), /upstream broke/);
      assert.deepEqual(fs.existsSync(path.join(root, "fail")) ? fs.readdirSync(path.join(root, "fail")) : [], []);
    });

    it("rejects an output prefix under a regular file before writing", async () => {
      fs.writeFileSync(path.join(root, "file"), "x");
      await assert.rejects(writeTextShards(path.join(root, "file/counts"), [[["a"]]]), (e: unknown) => {
        assert.ok(e instanceof FileSystemError);
        assert.match(e.message, /is a file, not a directory.*--output/);
        return true;
      });
    });
  });
});
