import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import "../../../runners/direct";
import { FileSystems } from "../../../lib/io/filesystems/registry";
import { GcsFileSystem, parseGcsPath } from "../../../lib/io/filesystems/gcs";
import { FileSystemError } from "../../../lib/io/filesystems/filesystem";
import { ReadFromText, WriteToText } from "../../../lib/io/textio";
import { FileIO, ReadableFile, ReadAllFromText } from "../../../lib/io/fileio";
import { Create, kv, ParDo } from "../../../lib";
import { assertThat, equalTo } from "../../../lib/testing/passert";
import { DEFAULT_INPUT, wordcount } from "../../../pipelines/wordcount";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "./emulator_env";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "..", "test", "fixtures");

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe("io/gcp: Cloud Storage filesystem (gs://) against the emulator", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  let storage: Storage;
  const gcs = new GcsFileSystem();

  before(async () => {
    env = await startEmulatorEnv(["storage"]);
    storage = new Storage({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.storageEndpoint });
    await storage.createBucket("bkt");
    await storage.createBucket("empty-bkt");
    const bucket = storage.bucket("bkt");
    await Promise.all(
      ["g/a.txt", "g/b.txt", "g/sub/c.txt", "g/sub/deep/d.txt", "g/x.csv", "g/sub/"].map((n) => bucket.file(n).save(n.endsWith("/") ? "" : `content of ${n}\n`)),
    );
  });

  after(async () => {
    await env?.stop();
  });

  it("parses gs:// paths and joins / takes dirnames like the local filesystem", () => {
    assert.deepEqual(parseGcsPath("gs://b/a/c.txt"), { bucket: "b", object: "a/c.txt" });
    assert.equal(gcs.join("gs://b/out", ".temp-x", "f.txt"), "gs://b/out/.temp-x/f.txt");
    assert.equal(gcs.join("gs://b/", "x/"), "gs://b/x/");
    assert.equal(gcs.dirname("gs://b/out/counts"), "gs://b/out");
    assert.equal(gcs.dirname("gs://b/counts"), "gs://b/");
    assert.equal(gcs.dirname("gs://b/out/"), "gs://b/out");
    assert.throws(() => parseGcsPath("/local/x"), FileSystemError);
  });

  it("matches globs with * (one level), ** (any depth), ? and plain paths, sorted", async () => {
    const names = async (p: string) => (await FileSystems.match(p)).map((f) => f.path);
    assert.deepEqual(await names("gs://bkt/g/*.txt"), ["gs://bkt/g/a.txt", "gs://bkt/g/b.txt"]);
    assert.deepEqual(await names("gs://bkt/g/**.txt"), ["gs://bkt/g/a.txt", "gs://bkt/g/b.txt", "gs://bkt/g/sub/c.txt", "gs://bkt/g/sub/deep/d.txt"]);
    assert.deepEqual(await names("gs://bkt/g/**/d.txt"), ["gs://bkt/g/sub/deep/d.txt"]);
    assert.deepEqual(await names("gs://bkt/g/?.csv"), ["gs://bkt/g/x.csv"]);
    assert.deepEqual(await names("gs://bkt/g/a.txt"), ["gs://bkt/g/a.txt"]);
    assert.deepEqual(await names("gs://bkt/g/missing.txt"), []);
    assert.deepEqual(await names("gs://bkt/g/sub/*"), ["gs://bkt/g/sub/c.txt"], "the folder placeholder g/sub/ is not a file");
    const [meta] = await FileSystems.match("gs://bkt/g/a.txt");
    assert.equal(meta!.sizeBytes, "content of g/a.txt\n".length);
  });

  it("reads byte ranges and whole files; writes small (multipart) and large (resumable) files", async () => {
    const whole = await readAll(await gcs.openRead("gs://bkt/g/a.txt"));
    assert.equal(whole.toString(), "content of g/a.txt\n");
    const range = await readAll(await gcs.openRead("gs://bkt/g/a.txt", { start: 3, end: 10 }));
    assert.equal(range.toString(), "tent of");
    assert.equal((await readAll(await gcs.openRead("gs://bkt/g/a.txt", { start: 5, end: 5 }))).length, 0);

    const big = randomBytes(9 * 1024 * 1024 + 17);
    const w = await gcs.create("gs://bkt/w/big.bin");
    for (let i = 0; i < big.length; i += 1 << 20) {
      if (!w.write(big.subarray(i, i + (1 << 20)))) await new Promise((r) => w.once("drain", r));
    }
    await new Promise<void>((resolve, reject) => w.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const [stored] = await storage.bucket("bkt").file("w/big.bin").download();
    assert.ok(stored.equals(big), "the resumable upload stored every byte");
    const tail = await readAll(await gcs.openRead("gs://bkt/w/big.bin", { start: big.length - 100 }));
    assert.ok(tail.equals(big.subarray(big.length - 100)));
  });

  it("renames (copy + delete), deletes prefixes and folder-like names, checks existence", async () => {
    const bucket = storage.bucket("bkt");
    await Promise.all(["r/t/1", "r/t/2", "r/keep"].map((n) => bucket.file(n).save(n)));
    await gcs.rename(["gs://bkt/r/t/1"], ["gs://bkt/r/final/1"]);
    assert.equal(await gcs.exists("gs://bkt/r/t/1"), false);
    assert.equal((await bucket.file("r/final/1").download())[0].toString(), "r/t/1");
    assert.equal(await gcs.exists("gs://bkt/r/t"), true, "a name with objects under it exists like a directory");
    await gcs.delete(["gs://bkt/r/t"]);
    assert.equal(await gcs.exists("gs://bkt/r/t/2"), false);
    assert.equal(await gcs.exists("gs://bkt/r/keep"), true);
    await gcs.delete(["gs://bkt/r/"]);
    assert.deepEqual((await bucket.getFiles({ prefix: "r/" }))[0], []);
    await gcs.delete(["gs://bkt/never/was"]);
  });

  it("rename and copy attempt every pair and report each failure (Beam's BeamIOError details)", async () => {
    const bucket = storage.bucket("bkt");
    await Promise.all(["m/1", "m/3"].map((n) => bucket.file(n).save(n)));
    const err = await FileSystems.rename(["gs://bkt/m/1", "gs://bkt/m/2", "gs://bkt/m/3", "gs://bkt/m/4"], ["gs://bkt/n/1", "gs://bkt/n/2", "gs://bkt/n/3", "gs://bkt/n/4"]).then(
      () => assert.fail("expected the rename to fail"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FileSystemError);
    assert.equal(err.code, "ENOENT");
    assert.match(err.message, /Cannot rename 2 of 4 paths/);
    assert.deepEqual(err.failures?.map((f) => [f.path, f.destination]), [
      ["gs://bkt/m/2", "gs://bkt/n/2"],
      ["gs://bkt/m/4", "gs://bkt/n/4"],
    ]);
    assert.equal((await bucket.file("n/3").download())[0].toString(), "m/3");
    assert.equal(await gcs.exists("gs://bkt/m/1"), false);
    await FileSystems.copy(["gs://bkt/n/1", "gs://bkt/m/2"], ["gs://bkt/o/1", "gs://bkt/o/2"], { ignoreMissingFiles: true });
    assert.deepEqual((await FileSystems.match("gs://bkt/o/*")).map((f) => f.path), ["gs://bkt/o/1"]);
  });

  it("wordcount reads gs:// input and writes gs:// output, exactly like local files", async () => {
    await storage.bucket("bkt").upload(DEFAULT_INPUT, { destination: "kinglear.txt" });
    const result = await wordcount.run({ input: "gs://bkt/kinglear.txt", output: "gs://bkt/out/counts" });
    await result.waitUntilFinish();
    assert.deepEqual(result.outputs, ["gs://bkt/out/counts-00000-of-00001"]);
    const [files] = await storage.bucket("bkt").getFiles({ prefix: "out/" });
    assert.deepEqual(
      files.map((f) => f.name),
      ["out/counts-00000-of-00001"],
      "only the final shard remains: the temporary files were removed",
    );
    const lines = (await files[0]!.download())[0].toString("utf8").split("\n").filter((l) => l !== "");
    const expected = fs.readFileSync(path.join(FIXTURES, "kinglear.wordcount.expected.txt"), "utf8").split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 4906);
    assert.deepEqual(lines.sort(), expected.sort());

    // The same with two worker threads (each builds its own client from the environment).
    const parallel = await wordcount.run({ input: "gs://bkt/kinglear.txt", output: "gs://bkt/out2/counts" }, { directNumWorkers: 2, directWorkerThreads: "always" });
    await parallel.waitUntilFinish();
    const lines2: string[] = [];
    for (const f of parallel.outputs) lines2.push(...(await readAll(await gcs.openRead(f))).toString("utf8").split("\n").filter((l) => l !== ""));
    assert.deepEqual(lines2.sort(), expected.sort());
  });

  it("TextIO reads gs:// globs and writes fixed shards; a failed run leaves no output", async () => {
    const result = await runDirect((p) => {
      p.apply(ReadFromText.from("gs://bkt/g/**.txt")).apply(WriteToText.to("gs://bkt/shards/all", { numShards: 2, suffix: ".txt" }));
    });
    await result.waitUntilFinish();
    assert.deepEqual(result.outputs, ["gs://bkt/shards/all-00000-of-00002.txt", "gs://bkt/shards/all-00001-of-00002.txt"]);
    const lines: string[] = [];
    for (const f of result.outputs) lines.push(...(await readAll(await gcs.openRead(f))).toString().split("\n").filter((l) => l));
    assert.deepEqual(lines.sort(), ["content of g/a.txt", "content of g/b.txt", "content of g/sub/c.txt", "content of g/sub/deep/d.txt"]);

    const failed = await runDirect((p) => {
      p.apply(ReadFromText.from("gs://bkt/g/*.txt"))
        .map("Boom", (l: string) => {
          if (l.includes("b.txt")) throw new Error("boom");
          return l;
        })
        .apply(WriteToText.to("gs://bkt/failed/out"));
    });
    assert.equal(failed.state, "FAILED");
    assert.deepEqual((await storage.bucket("bkt").getFiles({ prefix: "failed/" }))[0], [], "nothing partial is left");
  });

  it("FileIO.writeDynamic writes each destination's shards to gs:// (into a folder per destination); a failed run leaves nothing", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of("a:1", "b:2", "a:3")).apply(FileIO.writeDynamic<string>().by((l) => l.split(":")[0]!).to("gs://bkt/dyn").withNaming((d) => FileIO.defaultNaming(`${d}/part`, ".txt")).withNumShards(1));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual([...result.outputs].sort(), ["gs://bkt/dyn/a/part-00000-of-00001.txt", "gs://bkt/dyn/b/part-00000-of-00001.txt"]);
    assert.deepEqual((await readAll(await gcs.openRead("gs://bkt/dyn/a/part-00000-of-00001.txt"))).toString().split("\n").filter((l) => l).sort(), ["a:1", "a:3"]);
    assert.deepEqual((await storage.bucket("bkt").getFiles({ prefix: "dyn/" }))[0].map((f) => f.name).sort(), ["dyn/a/part-00000-of-00001.txt", "dyn/b/part-00000-of-00001.txt"], "no temporary objects left");

    const failed = await runDirect((p) => {
      p.apply(Create.of("a:1", "b:boom"))
        .map("Boom", (l: string) => {
          if (l.includes("boom")) throw new Error("boom");
          return l;
        })
        .apply(FileIO.writeDynamic<string>().by((l) => l.split(":")[0]!).to("gs://bkt/dyn-failed"));
    });
    assert.equal(failed.state, "FAILED");
    assert.deepEqual((await storage.bucket("bkt").getFiles({ prefix: "dyn-failed/" }))[0], [], "nothing partial is left");
  });

  it("FileIO matches gs:// globs and reads the matches whole; ReadAllFromText reads the files each pattern names", async () => {
    const result = await runDirect((p) => {
      const files = p.apply(FileIO.match("gs://bkt/g/sub/**")).apply(FileIO.readMatches());
      assertThat(files.map("Path", (f: ReadableFile) => f.metadata.path), equalTo(["gs://bkt/g/sub/c.txt", "gs://bkt/g/sub/deep/d.txt"]), "Paths");
      assertThat(files.apply("ReadWhole", ParDo.into<string>().of(async (f: ReadableFile, ctx) => ctx.output(await f.readUtf8()))), equalTo(["content of g/sub/c.txt\n", "content of g/sub/deep/d.txt\n"]), "Contents");
      assertThat(p.apply(Create.of("gs://bkt/g/*.txt", "gs://bkt/g/*.none")).apply(ReadAllFromText.withFilename()), equalTo([kv("gs://bkt/g/a.txt", "content of g/a.txt"), kv("gs://bkt/g/b.txt", "content of g/b.txt")]), "Lines");
    });
    await result.waitUntilFinish();
  });

  it("errors name the missing bucket or file and say what to do", async () => {
    const read = await runDirect((p) => {
      p.apply(ReadFromText.from("gs://no-such-bucket/in/*.txt"));
    });
    assert.equal(read.state, "FAILED");
    assert.match(read.error!.message, /bucket gs:\/\/no-such-bucket does not exist\. Create it/);

    const write = await runDirect((p) => {
      p.apply(ReadFromText.from("gs://bkt/g/a.txt")).apply(WriteToText.to("gs://no-such-bucket/out/x"));
    });
    assert.equal(write.state, "FAILED");
    assert.match(write.error!.message, /cannot write output 'gs:\/\/no-such-bucket\/out\/x'.*bucket gs:\/\/no-such-bucket does not exist/);

    const missing = await runDirect((p) => {
      p.apply(ReadFromText.from("gs://empty-bkt/nothing.txt"));
    });
    assert.match(missing.error!.message, /No files match 'gs:\/\/empty-bkt\/nothing.txt'/);
    await assert.rejects(gcs.openRead("gs://bkt/g/none.txt"), /gs:\/\/bkt\/g\/none.txt does not exist/);
    await assert.rejects(gcs.checkWritable("gs://no-such-bucket/x"), /bucket gs:\/\/no-such-bucket does not exist/);
    await gcs.checkWritable("gs://bkt/out/x");
  });
});
