/**
 * FileIO.match / matchAll / readMatches and ReadAllFromText, against Beam's documented behaviour:
 * EmptyMatchTreatment defaults (Java: match DISALLOW, matchAll ALLOW_IF_WILDCARD), directories
 * skipped by readMatches unless prohibited, ReadableFile reads decompressed, and readAll splitting
 * files into ranges that together give every line once.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { Create, kv, ParDo } from "../../lib";
import { FileSystemError, type FileMetadata } from "../../lib/io/filesystems/filesystem";
import { LocalFileSystem } from "../../lib/io/filesystems/local";
import { FileSystems } from "../../lib/io/filesystems/registry";
import { FileIO, hasGlobWildcard, ReadableFile, ReadableFileCoder, ReadAllFromText } from "../../lib/io/fileio";
import { decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect, runOk } from "../helpers";

describe("FileIO and ReadAllFromText", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fileio-test-"));
    fs.writeFileSync(path.join(dir, "a.txt"), "alpha\nbeta\n");
    fs.writeFileSync(path.join(dir, "b.txt"), "gamma");
    fs.writeFileSync(path.join(dir, "c.txt.gz"), zlib.gzipSync("delta\r\nepsilon\n"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const failure = async (build: Parameters<typeof runDirect>[0]): Promise<Error> => {
    const result = await runDirect(build);
    await assert.rejects(result.waitUntilFinish());
    return result.waitUntilFinish().catch((e: Error) => e) as Promise<Error>;
  };

  it("match gives each matching file's path and size, as FileMetadata", async () => {
    await runOk((p) => {
      const files = p.apply(FileIO.match(path.join(dir, "*.txt"))).map("Describe", (m: FileMetadata) => `${path.basename(m.path)}:${m.sizeBytes}:${typeof m.lastModifiedMillis}`);
      assertThat(files, equalTo(["a.txt:11:number", "b.txt:5:number"]));
    });
  });

  it("match fails a pattern that matches nothing by default (Java's DISALLOW), naming the pattern and the fix", async () => {
    const err = await failure((p) => {
      p.apply(FileIO.match(path.join(dir, "*.csv")));
    });
    assert.match(err.message, /No file matches '.*\*\.csv'.*emptyMatchTreatment DISALLOW.*"ALLOW"/s);
    await runOk((p) => {
      assertThat(p.apply(FileIO.match(path.join(dir, "*.csv"), { emptyMatchTreatment: "ALLOW" })), equalTo([]));
    });
  });

  it("matchAll allows an empty wildcard match but not a missing plain path by default (ALLOW_IF_WILDCARD)", async () => {
    await runOk((p) => {
      const names = p.apply(Create.of(path.join(dir, "*.csv"), path.join(dir, "b.txt"), path.join(dir, "?.txt"))).apply(FileIO.matchAll()).map((m: FileMetadata) => path.basename(m.path));
      assertThat(names, equalTo(["b.txt", "a.txt", "b.txt"]));
    });
    const err = await failure((p) => {
      p.apply(Create.of(path.join(dir, "missing.txt"))).apply(FileIO.matchAll());
    });
    assert.match(err.message, /No file matches '.*missing\.txt'.*ALLOW_IF_WILDCARD/s);
    assert.equal(hasGlobWildcard("/a/b[0-9].txt"), true);
    assert.equal(hasGlobWildcard("/a/b\\*.txt"), false);
  });

  it("readMatches gives ReadableFiles that read whole files in a DoFn, gzip decompressed by suffix", async () => {
    await runOk((p) => {
      const files = p.apply(FileIO.match(path.join(dir, "*"))).apply(FileIO.readMatches());
      const read = files.apply(
        "ReadWhole",
        ParDo.into<string>().of(async (f: ReadableFile, ctx) => ctx.output(`${path.basename(f.metadata.path)}|${f.compression}|${await f.readUtf8()}`)),
      );
      assertThat(read, equalTo(["a.txt|auto|alpha\nbeta\n", "b.txt|auto|gamma", "c.txt.gz|auto|delta\r\nepsilon\n"]));
    });
    const bytes = await new ReadableFile({ path: path.join(dir, "c.txt.gz"), sizeBytes: 0 }, "uncompressed").readBytes();
    assert.deepEqual(bytes, fs.readFileSync(path.join(dir, "c.txt.gz")));
  });

  it("ReadableFile closes the file when its gzip stream fails or is abandoned (no descriptor left for the garbage collector)", async () => {
    // A file system that hands out 1 MiB files in 64 KiB chunks and keeps the streams it opened:
    // a stream not destroyed holds its descriptor (locally a FileHandle) until garbage collection.
    const opened: Readable[] = [];
    // Stored (level 0): 1 MiB compressed too, so reading stops long before its end.
    const gzipped = zlib.gzipSync(Buffer.alloc(1 << 20, 7), { level: 0 });
    const tracked = Object.assign(new LocalFileSystem(), {
      scheme: "tracked",
      openRead: async (p: string): Promise<Readable> => {
        const bytes = p.endsWith("good.gz") ? gzipped : Buffer.alloc(1 << 20, 7);
        let at = 0;
        const stream = new Readable({
          highWaterMark: 1 << 16,
          read() {
            this.push(at < bytes.length ? bytes.subarray(at, (at += 1 << 16)) : null);
          },
        });
        opened.push(stream);
        return stream;
      },
    });
    /** Polls (bounded): the file stream is destroyed a turn after the stream built on it. */
    const destroyed = async (stream: Readable): Promise<boolean> => {
      for (let i = 0; i < 100 && !stream.destroyed; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      return stream.destroyed;
    };
    FileSystems.register(tracked);
    try {
      await assert.rejects(new ReadableFile({ path: "tracked://bucket/bad.gz", sizeBytes: 1 << 20 }).readBytes(), /incorrect header check/);
      assert.equal(opened.length, 1);
      assert.ok(await destroyed(opened[0]!), "a corrupt gzip file is left open");
      for await (const chunk of await new ReadableFile({ path: "tracked://bucket/good.gz", sizeBytes: 0 }).open()) {
        assert.ok((chunk as Buffer).length > 0);
        break; // destroys the decompressed stream
      }
      assert.equal(opened.length, 2);
      assert.ok(await destroyed(opened[1]!), "a file whose decompressed stream was abandoned is left open");
    } finally {
      FileSystems.unregister("tracked");
    }
  });

  it("ReadableFile survives its coder; readMatches skips directories unless told to prohibit them", async () => {
    const f = new ReadableFile({ path: "gs://b/x.gz", sizeBytes: 2 ** 40, lastModifiedMillis: 1_700_000_000_123 }, "gzip");
    const back = decodeFromBytes(ReadableFileCoder.INSTANCE, encodeToBytes(ReadableFileCoder.INSTANCE, f));
    assert.ok(back instanceof ReadableFile);
    assert.deepEqual(back, f);
    const dirs: FileMetadata[] = [{ path: "gs://b/folder/", sizeBytes: 0 }, { path: path.join(dir, "a.txt"), sizeBytes: 11 }];
    await runOk((p) => {
      const names = p.apply(Create.of(...dirs)).apply(FileIO.readMatches()).map((r: ReadableFile) => r.metadata.path);
      assertThat(names, equalTo([path.join(dir, "a.txt")]));
    });
    const err = await failure((p) => {
      p.apply(Create.of(...dirs)).apply(FileIO.readMatches({ directoryTreatment: "PROHIBIT" }));
    });
    assert.match(err.message, /gs:\/\/b\/folder\/', a directory.*PROHIBIT/);
  });

  it("readMatches of a path (a string) naming no file fails with the documented code NO_MATCH, naming the path and the fix", async () => {
    const missing = path.join(dir, "missing.txt");
    const err = await failure((p) => {
      p.apply(Create.of(missing)).apply(FileIO.readMatches());
    });
    assert.match(err.message, /FileIO\.readMatches: no file '.*missing\.txt'.*FileIO\.matchAll\(\)/s);
    // The step's error keeps the FileSystemError it wraps: find it along the causes.
    let e: unknown = err;
    while (e instanceof Error && !(e instanceof FileSystemError)) e = e.cause;
    assert.ok(e instanceof FileSystemError, `no FileSystemError among the causes of ${err.message}`);
    assert.equal(e.code, "NO_MATCH");
    assert.equal(e.path, missing);
    // Present paths (a string) still read.
    await runOk((p) => {
      assertThat(p.apply(Create.of(path.join(dir, "b.txt"))).apply(FileIO.readMatches()).map((f: ReadableFile) => f.metadata.sizeBytes), equalTo([5]));
    });
  });

  it("ReadAllFromText reads the lines of every file each pattern names, large files in many ranges, each line once", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 5_000; i++) lines.push(`line ${i} ${"é".repeat(i % 4)}`);
    fs.writeFileSync(path.join(dir, "big.log"), lines.join("\n") + "\n");
    await runOk((p) => {
      const read = p.apply(Create.of(path.join(dir, "*.txt"), path.join(dir, "*.gz"), path.join(dir, "big.log"), path.join(dir, "none*"))).apply(ReadAllFromText.create({ desiredBundleSizeBytes: 4_096 }));
      assertThat(read, equalTo(["alpha", "beta", "gamma", "delta", "epsilon", ...lines]));
    });
  });

  it("ReadAllFromText.withFilename gives KV(path, line); over ReadableFiles it uses each file's compression", async () => {
    fs.writeFileSync(path.join(dir, "packed.bin"), zlib.gzipSync("one\ntwo\n"));
    await runOk((p) => {
      const read = p.apply(Create.of(path.join(dir, "[ab].txt"))).apply(ReadAllFromText.withFilename());
      assertThat(read, equalTo([kv(path.join(dir, "a.txt"), "alpha"), kv(path.join(dir, "a.txt"), "beta"), kv(path.join(dir, "b.txt"), "gamma")]));
    });
    await runOk((p) => {
      const files = p.apply(FileIO.match(path.join(dir, "packed.bin"))).apply(FileIO.readMatches({ compression: "gzip" }));
      assertThat(files.apply(ReadAllFromText.create()), equalTo(["one", "two"]));
    });
  });
});
