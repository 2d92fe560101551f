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
import * as zlib from "node:zlib";
import { Create, kv, ParDo } from "../../lib";
import type { FileMetadata } from "../../lib/io/filesystems/filesystem";
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
