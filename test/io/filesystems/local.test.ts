import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FileSystemError } from "../../../lib/io/filesystems/filesystem";
import { LocalFileSystem } from "../../../lib/io/filesystems/local";

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(parts).toString("utf8");
}

function isFsError(pattern: RegExp, code?: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof FileSystemError, `expected FileSystemError, got ${String(e)}`);
    assert.match(e.message, pattern);
    if (code !== undefined) assert.equal(e.code, code);
    return true;
  };
}

describe("LocalFileSystem", () => {
  const local = new LocalFileSystem();
  let root: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-localfs-"));
    const files: Record<string, string> = {
      "a.txt": "aaa",
      "b.txt": "bb",
      "c.csv": "c",
      "ab.txt": "ab",
      ".hidden.txt": "h",
      "sub/x.txt": "x",
      "sub/deeper/y.txt": "yy",
      "sub/deeper/z.log": "z",
      "other/q1.txt": "q1",
      "other/q2.txt": "q2",
    };
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), content);
    }
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const names = async (pattern: string) => (await local.match(pattern)).map((f) => path.relative(root, f.path));

  it("matches * within a directory, sorted, with sizes", async () => {
    const found = await local.match(path.join(root, "*.txt"));
    assert.deepEqual(
      found.map((f) => path.basename(f.path)),
      [".hidden.txt", "a.txt", "ab.txt", "b.txt"],
    );
    assert.equal(found[1].sizeBytes, 3);
    assert.ok((found[1].lastModifiedMillis ?? 0) > 0);
  });

  it("matches ? and character classes", async () => {
    assert.deepEqual(await names(path.join(root, "?.txt")), ["a.txt", "b.txt"]);
    assert.deepEqual(await names(path.join(root, "[ac].*")), ["a.txt", "c.csv"]);
    assert.deepEqual(await names(path.join(root, "[!a].txt")), ["b.txt"]);
    assert.deepEqual(await names(path.join(root, "other/q[0-9].txt")), ["other/q1.txt", "other/q2.txt"]);
  });

  it("matches ** across directories", async () => {
    assert.deepEqual(await names(path.join(root, "sub/**")), ["sub/deeper/y.txt", "sub/deeper/z.log", "sub/x.txt"]);
    assert.deepEqual(await names(path.join(root, "**/*.txt")), [
      ".hidden.txt",
      "a.txt",
      "ab.txt",
      "b.txt",
      "other/q1.txt",
      "other/q2.txt",
      "sub/deeper/y.txt",
      "sub/x.txt",
    ]);
    assert.deepEqual(await names(path.join(root, "*/**/y.txt")), ["sub/deeper/y.txt"]);
  });

  it("matches a plain path, and nothing for missing files, directories or empty globs", async () => {
    assert.deepEqual(await names(path.join(root, "a.txt")), ["a.txt"]);
    assert.deepEqual(await local.match(path.join(root, "missing.txt")), []);
    assert.deepEqual(await local.match(path.join(root, "sub")), []);
    assert.deepEqual(await local.match(path.join(root, "*.nothing")), []);
    assert.deepEqual(await local.match(path.join(root, "nodir/*")), []);
  });

  it("accepts file:// paths and keeps relative patterns relative", async () => {
    assert.deepEqual(await names("file://" + path.join(root, "?.txt")), ["a.txt", "b.txt"]);
    const cwd = process.cwd();
    process.chdir(root);
    try {
      assert.deepEqual(
        (await local.match("sub/*.txt")).map((f) => f.path),
        ["sub/x.txt"],
      );
      assert.deepEqual(
        (await local.match("*.csv")).map((f) => f.path),
        ["c.csv"],
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it("opens byte ranges [start, end)", async () => {
    const p = path.join(root, "range.txt");
    fs.writeFileSync(p, "0123456789");
    assert.equal(await readAll(await local.openRead(p)), "0123456789");
    assert.equal(await readAll(await local.openRead(p, { start: 3, end: 7 })), "3456");
    assert.equal(await readAll(await local.openRead(p, { start: 8 })), "89");
    assert.equal(await readAll(await local.openRead(p, { start: 5, end: 5 })), "");
    assert.equal(await readAll(await local.openRead(p, { start: 2, end: 4, bufferSize: 1 })), "23");
  });

  it("fails to open missing files and directories with clear errors", async () => {
    await assert.rejects(local.openRead(path.join(root, "nope.txt")), isFsError(/does not exist/, "ENOENT"));
    await assert.rejects(local.openRead(path.join(root, "sub")), isFsError(/is a directory.*sub\/\*/, "EISDIR"));
  });

  it("creates files with their parent directories, renames, copies, deletes", async () => {
    const p = path.join(root, "made/deep/er/out.txt");
    const w = await local.create(p);
    await new Promise<void>((resolve, reject) => w.end("hello", () => resolve()).on("error", reject));
    assert.equal(fs.readFileSync(p, "utf8"), "hello");
    assert.ok(await local.exists(p));

    const copied = path.join(root, "made/copy/out.txt");
    await local.copy([p], [copied]);
    const moved = path.join(root, "made/moved/out.txt");
    await local.rename([p], [moved]);
    assert.ok(!(await local.exists(p)));
    assert.equal(fs.readFileSync(moved, "utf8"), "hello");
    assert.equal(fs.readFileSync(copied, "utf8"), "hello");

    await local.delete([moved, path.join(root, "made/never-existed"), path.join(root, "a.txt/under-a-file")]);
    assert.ok(!(await local.exists(moved)));
    await local.delete([path.join(root, "made")]);
    assert.ok(!fs.existsSync(path.join(root, "made")));
    await assert.rejects(local.rename([path.join(root, "nope")], [path.join(root, "x")]), isFsError(/does not exist/));
    await assert.rejects(local.rename([p], []), isFsError(/one destination per source/, "INVALID_ARGUMENT"));
  });

  it("writes a small file whole, with its parent directories, replacing an existing one", async () => {
    const p = path.join(root, "whole/deep/out.txt");
    await local.writeSmallFile(p, Buffer.from("first"));
    await local.writeSmallFile(p, Buffer.from("second"));
    assert.equal(fs.readFileSync(p, "utf8"), "second");
    await assert.rejects(local.writeSmallFile(path.join(root, "a.txt", "out"), Buffer.from("x")), isFsError(/a\.txt is a file, not a directory/));
  });

  it("renames into an existing directory, replacing the destination, and names a blocking file", async () => {
    const from = path.join(root, "ren-from.txt");
    const to = path.join(root, "sub", "ren-to.txt");
    fs.writeFileSync(from, "new");
    fs.writeFileSync(to, "old");
    await local.rename([from], [to]);
    assert.equal(fs.readFileSync(to, "utf8"), "new");
    assert.ok(!fs.existsSync(from));
    fs.writeFileSync(from, "again");
    await assert.rejects(local.rename([from], [path.join(root, "a.txt", "x")]), isFsError(/a\.txt is a file, not a directory/));
    assert.ok(fs.existsSync(from));
  });

  it("refuses to create a file under a regular file, naming the file", async () => {
    const blocker = path.join(root, "a.txt");
    await assert.rejects(
      local.create(path.join(blocker, "out/part-0")),
      isFsError(new RegExp(`${blocker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is a file, not a directory`)),
    );
  });

  it("checkWritable accepts writable or creatable locations and explains the others", async () => {
    await local.checkWritable(path.join(root, "out/counts"));
    await local.checkWritable(path.join(root, "not/yet/there/"));
    await local.checkWritable(path.join(root, "sub"));
    await local.checkWritable("relative-prefix");
    await assert.rejects(
      local.checkWritable(path.join(root, "a.txt/counts")),
      isFsError(/a\.txt is a file, not a directory.*--output/, "ENOTDIR"),
    );
    await assert.rejects(local.checkWritable(path.join(root, "b.txt/x/y/counts")), isFsError(/b\.txt is a file/));
    // Nothing was created by the checks.
    assert.ok(!fs.existsSync(path.join(root, "out")));
    assert.ok(!fs.existsSync(path.join(root, "not")));
  });

  it("joins paths and finds directories", () => {
    assert.equal(local.join("/a/b", "c", "d.txt"), "/a/b/c/d.txt");
    assert.equal(local.join("file:///a", "b"), "/a/b");
    assert.equal(local.dirname("/a/b/counts"), "/a/b");
    assert.equal(local.dirname("out/"), "out");
    assert.equal(local.dirname("counts"), ".");
    assert.equal(local.dirname("/"), "/");
  });
});
