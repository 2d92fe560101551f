import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable, Writable } from "node:stream";
import { FileSystemError, type FileMetadata, type FileSystem } from "../../../lib/io/filesystems/filesystem";
import { LocalFileSystem } from "../../../lib/io/filesystems/local";
import { comparablePath, FileSystemRegistry, FileSystems, schemeOf } from "../../../lib/io/filesystems/registry";

/** A fake object store, enough to see that calls are routed by scheme. */
class FakeGcs implements FileSystem {
  readonly scheme = "gs";
  readonly calls: string[] = [];
  async match(pattern: string): Promise<FileMetadata[]> {
    this.calls.push(`match ${pattern}`);
    return pattern.endsWith("*") ? [{ path: "gs://b/x", sizeBytes: 1 }] : [];
  }
  async openRead(p: string): Promise<Readable> {
    this.calls.push(`openRead ${p}`);
    return Readable.from([Buffer.from("gcs")]);
  }
  async create(p: string): Promise<Writable> {
    this.calls.push(`create ${p}`);
    return new Writable({ write: (_c, _e, cb) => cb() });
  }
  async rename(s: readonly string[], d: readonly string[]): Promise<void> {
    this.calls.push(`rename ${s.join(",")} ${d.join(",")}`);
  }
  async copy(s: readonly string[], d: readonly string[]): Promise<void> {
    this.calls.push(`copy ${s.join(",")} ${d.join(",")}`);
  }
  async delete(p: readonly string[]): Promise<void> {
    this.calls.push(`delete ${p.join(",")}`);
  }
  async exists(): Promise<boolean> {
    return false;
  }
  join(base: string, ...parts: string[]): string {
    return [base.replace(/\/$/, ""), ...parts].join("/");
  }
  dirname(p: string): string {
    return p.slice(0, p.lastIndexOf("/"));
  }
  async checkWritable(): Promise<void> {}
}

describe("FileSystems registry", () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-registry-"));
    fs.writeFileSync(path.join(root, "a.txt"), "a");
    fs.writeFileSync(path.join(root, "b.txt"), "b");
    fs.mkdirSync(path.join(root, "dir"));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("parses schemes: local paths are 'file'", () => {
    assert.equal(schemeOf("gs://bucket/x"), "gs");
    assert.equal(schemeOf("GS://bucket/x"), "gs");
    assert.equal(schemeOf("/x"), "file");
    assert.equal(schemeOf("./x"), "file");
    assert.equal(schemeOf("x"), "file");
    assert.equal(schemeOf("file:///x"), "file");
    assert.equal(schemeOf("C:\\data\\x"), "file");
    assert.equal(comparablePath("./a/../b"), path.resolve("b"));
    assert.equal(comparablePath("gs://b/x"), "gs://b/x");
  });

  it("picks the filesystem by scheme", async () => {
    const registry = new FileSystemRegistry();
    const local = new LocalFileSystem();
    const gcs = new FakeGcs();
    registry.register(local);
    registry.register(gcs);
    assert.equal(registry.forPath("gs://b/x"), gcs);
    for (const p of ["/x", "./x", "x", "file:///x"]) assert.equal(registry.forPath(p), local);
    assert.deepEqual(registry.schemes(), ["file", "gs"]);

    await registry.match("gs://b/*");
    await registry.openRead("gs://b/x");
    await registry.create("gs://b/y");
    await registry.rename(["gs://b/t1", "gs://b/t2"], ["gs://b/f1", "gs://b/f2"]);
    await registry.delete(["gs://b/f1", path.join(root, "not-there")]);
    assert.deepEqual(gcs.calls, [
      "match gs://b/*",
      "openRead gs://b/x",
      "create gs://b/y",
      "rename gs://b/t1,gs://b/t2 gs://b/f1,gs://b/f2",
      "delete gs://b/f1",
    ]);
    await assert.rejects(
      registry.rename(["gs://b/t1"], [path.join(root, "f")]),
      (e: unknown) => e instanceof FileSystemError && /different filesystems/.test(e.message),
    );
  });

  it("names the registered schemes when a scheme is unknown", () => {
    assert.throws(
      () => FileSystems.forPath("s3://bucket/data.txt"),
      (e: unknown) => {
        assert.ok(e instanceof FileSystemError);
        assert.equal(e.code, "UNKNOWN_SCHEME");
        assert.equal(e.path, "s3://bucket/data.txt");
        assert.match(e.message, /scheme 's3'/);
        assert.match(e.message, /Registered schemes: 'file'/);
        assert.match(e.message, /FileSystems\.register/);
        return true;
      },
    );
  });

  it("matchAll concatenates matches without duplicates", async () => {
    const files = await FileSystems.matchAll([path.join(root, "b.txt"), path.join(root, "*.txt")]);
    assert.deepEqual(
      files.map((f) => path.basename(f.path)),
      ["b.txt", "a.txt"],
    );
  });

  it("matchAll names the pattern that matched nothing and what to check", async () => {
    const missing = path.join(root, "*.csv");
    await assert.rejects(FileSystems.matchAll([path.join(root, "a.txt"), missing]), (e: unknown) => {
      assert.ok(e instanceof FileSystemError);
      assert.equal(e.code, "NO_MATCH");
      assert.equal(e.path, missing);
      assert.ok(e.message.includes(`No files match '${missing}'`));
      assert.match(e.message, /Check that the files exist/);
      return true;
    });
    await assert.rejects(FileSystems.matchAll(["no-such-dir/*.txt"]), /relative paths are resolved against/);
    await assert.rejects(FileSystems.matchAll([path.join(root, "dir")]), /is a directory: to read the files in it use/);
  });

  it("routes local operations through the default registry", async () => {
    const p = path.join(root, "via-registry/out.txt");
    const w = await FileSystems.create(p);
    await new Promise<void>((resolve) => w.end("x", () => resolve()));
    assert.ok(await FileSystems.exists(p));
    assert.equal(FileSystems.dirname(p), path.join(root, "via-registry"));
    assert.equal(FileSystems.join(root, "a.txt"), path.join(root, "a.txt"));
    await FileSystems.delete([path.join(root, "via-registry")]);
    assert.ok(!(await FileSystems.exists(p)));
    await assert.rejects(FileSystems.checkWritable(path.join(root, "a.txt", "out")), /is a file, not a directory/);
  });
});
