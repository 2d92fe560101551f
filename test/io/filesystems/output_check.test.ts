/**
 * Output locations are checked before anything runs, with a real probe and a time limit: places
 * where permission bits say yes but nothing can be created (/proc, /sys), a dangling symbolic link
 * on the way, prefixes that would make nameless files, and a location that never answers.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FileSystemError, type FileSystem } from "../../../lib/io/filesystems/filesystem";
import { LocalFileSystem } from "../../../lib/io/filesystems/local";
import { checkOutputPrefix } from "../../../lib/io/filesystems/output_check";
import { FileSystems } from "../../../lib/io/filesystems/registry";

/** A file system whose writability check never answers (an unresponsive network mount). */
function unresponsive(): FileSystem {
  const stuck: FileSystem = Object.assign(new LocalFileSystem(), { scheme: "stuck" });
  stuck.checkWritable = () => new Promise<void>(() => undefined);
  return stuck;
}

function refused(pattern: RegExp, code?: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof FileSystemError, String(e));
    assert.match(e.message, pattern);
    if (code !== undefined) assert.equal(e.code, code);
    return true;
  };
}

describe("checkOutputPrefix: outputs are validated up front", () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-outcheck-"));
    fs.symlinkSync(path.join(root, "no-such-target"), path.join(root, "dangling"));
    fs.writeFileSync(path.join(root, "file"), "x");
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("accepts a new output under existing or missing directories, and leaves nothing behind", async () => {
    await checkOutputPrefix(path.join(root, "out", "deeper", "counts"));
    await checkOutputPrefix(path.join(root, "counts"));
    assert.deepEqual(fs.readdirSync(root).sort(), ["dangling", "file"]);
  });

  it("refuses /proc at once (the write would hang in a recursive mkdir) and /sys", async function () {
    if (!fs.existsSync("/proc/self")) this.skip();
    await assert.rejects(checkOutputPrefix("/proc/x"), refused(/Cannot write to \/proc\/x: no files can be created in \/proc|no permission to write \/proc/));
    if (fs.existsSync("/sys/kernel")) await assert.rejects(checkOutputPrefix("/sys/x/y"), refused(/Cannot write to \/sys\/x\/y: .*\/sys/));
  });

  it("names a dangling symbolic link on the way as such", async () => {
    const out = path.join(root, "dangling", "counts");
    await assert.rejects(checkOutputPrefix(out), refused(new RegExp(`${path.join(root, "dangling")} is a symbolic link to ${path.join(root, "no-such-target")}, which does not exist`)));
    await assert.rejects(checkOutputPrefix(path.join(root, "file", "counts")), refused(/is a file, not a directory/));
  });

  it("refuses prefixes that would name files '-00000-of-00001': empty, a directory, a bare bucket", async () => {
    await assert.rejects(checkOutputPrefix(""), refused(/the output prefix is empty/, "INVALID_ARGUMENT"));
    await assert.rejects(checkOutputPrefix(`${root}/`), refused(/names a directory, so the files would be called '.*\/-00000-of-00001': add a file name prefix, e\.g\. '.*\/part'/));
    await assert.rejects(checkOutputPrefix("gs://bucket"), refused(/'gs:\/\/bucket' names a directory.*'gs:\/\/bucket\/part'/));
    await assert.rejects(checkOutputPrefix("gs://bucket/dir/"), refused(/names a directory/));
  });

  it("gives up on a location that does not answer within the time limit", async () => {
    FileSystems.register(unresponsive());
    try {
      await assert.rejects(checkOutputPrefix("stuck://host/out/counts", 50), refused(/did not finish within 0\.05 s/, "DEADLINE_EXCEEDED"));
    } finally {
      FileSystems.unregister("stuck");
    }
  });

  it("a pipeline's --output is checked before it runs: wordcount --output /proc/x exits 1 at once", function () {
    if (!fs.existsSync("/proc/self")) this.skip();
    const wordcount = path.resolve(__dirname, "..", "..", "..", "pipelines", "wordcount.js");
    const r = spawnSync(process.execPath, [wordcount, "--output", "/proc/x"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /wordcount FAILED: wordcount\/Write: cannot write output '\/proc\/x'/);
  });
});
