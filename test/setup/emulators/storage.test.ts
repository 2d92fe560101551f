import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { CRC32C, Storage, type File } from "@google-cloud/storage";
import { startStorageEmulator, type StorageEmulator } from "../../../setup/emulators";
import { isolateFromGoogleCredentials, makeTempDir, rejectionOf, setEnv } from "./helpers";

const PROJECT = "beamline-test";

function crc32cOf(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

const md5Of = (data: Buffer): string => createHash("md5").update(data).digest("base64");

async function names(files: File[]): Promise<string[]> {
  return files.map((f) => f.name);
}

describe("emulators: Cloud Storage through @google-cloud/storage", function () {
  this.timeout(20_000);
  let restoreEnv: () => void;
  let dataDir: string;
  let emulator: StorageEmulator;
  let storage: Storage;

  before(async () => {
    restoreEnv = isolateFromGoogleCredentials();
    dataDir = makeTempDir("beamline-gcs-");
    emulator = await startStorageEmulator({ port: 0, dataDir });
    storage = new Storage({ projectId: PROJECT, apiEndpoint: emulator.endpoint });
    await storage.createBucket("bkt");
  });

  after(async () => {
    await emulator?.stop();
    restoreEnv();
  });

  it("creates buckets, reports existence and refuses duplicates with 409", async () => {
    const [exists] = await storage.bucket("bkt").exists();
    assert.equal(exists, true);
    assert.equal((await storage.bucket("nope").exists())[0], false);
    const err = await rejectionOf(() => storage.createBucket("bkt"));
    assert.equal(err.code, 409);
    const [buckets] = await storage.getBuckets();
    assert.deepEqual(
      buckets.map((b) => b.name),
      ["bkt"],
    );
  });

  it("uploads a small object with multipart and downloads it with crc32c and md5 validation", async () => {
    const data = Buffer.from("hello, emulated world\n");
    const file = storage.bucket("bkt").file("dir/small.txt");
    await file.save(data, { resumable: false, contentType: "text/plain", metadata: { metadata: { origin: "test" } } });
    const [meta] = await file.getMetadata();
    assert.equal(meta.size, String(data.length));
    assert.equal(meta.crc32c, crc32cOf(data));
    assert.equal(meta.md5Hash, md5Of(data));
    assert.equal(meta.contentType, "text/plain");
    assert.deepEqual(meta.metadata, { origin: "test" });
    const [crcChecked] = await file.download({ validation: "crc32c" });
    assert.deepEqual(crcChecked, data);
    const [md5Checked] = await file.download({ validation: "md5" });
    assert.deepEqual(md5Checked, data);
  });

  it("uploads large objects with resumable sessions, single- and multi-chunk", async () => {
    const big = randomBytes(600 * 1024 + 17);
    const single = storage.bucket("bkt").file("big/single.bin");
    await single.save(big, { resumable: true });
    const chunked = storage.bucket("bkt").file("big/chunked.bin");
    await chunked.save(big, { resumable: true, chunkSize: 256 * 1024 });
    for (const file of [single, chunked]) {
      const [meta] = await file.getMetadata();
      assert.equal(meta.size, String(big.length));
      assert.equal(meta.crc32c, crc32cOf(big));
      assert.equal(meta.md5Hash, md5Of(big));
      const [downloaded] = await file.download();
      assert.ok(downloaded.equals(big), `${file.name} round-trips`);
    }
  });

  it("serves byte ranges, including open-ended ones", async () => {
    const file = storage.bucket("bkt").file("range.txt");
    await file.save("0123456789abcdefghij", { resumable: false });
    assert.equal((await file.download({ start: 5, end: 9 }))[0].toString(), "56789");
    assert.equal((await file.download({ start: 15 }))[0].toString(), "fghij");
  });

  it("lists with prefix, delimiter, matchGlob and paging", async () => {
    const bucket = storage.bucket("list-bkt");
    await bucket.create();
    for (const name of ["a/1.txt", "a/2.txt", "a/sub/3.txt", "a/sub/4.csv", "b/5.txt", "top.txt"]) {
      await bucket.file(name).save(name, { resumable: false });
    }
    const [underA, , response] = await bucket.getFiles({ prefix: "a/", delimiter: "/", autoPaginate: false });
    assert.deepEqual(await names(underA), ["a/1.txt", "a/2.txt"]);
    assert.deepEqual((response as { prefixes?: string[] }).prefixes, ["a/sub/"]);

    const [globbed] = await bucket.getFiles({ matchGlob: "**/*.txt" });
    assert.deepEqual(await names(globbed), ["a/1.txt", "a/2.txt", "a/sub/3.txt", "b/5.txt", "top.txt"]);

    // Page by hand, two entries at a time; every object appears exactly once.
    const seen: string[] = [];
    let query: { maxResults: number; autoPaginate: false; pageToken?: string } | undefined = { maxResults: 2, autoPaginate: false };
    let pages = 0;
    while (query) {
      const [files, next]: [File[], { pageToken?: string } | null, unknown] = await bucket.getFiles(query);
      assert.ok(files.length <= 2);
      seen.push(...(await names(files)));
      pages++;
      query = next?.pageToken ? { maxResults: 2, autoPaginate: false, pageToken: next.pageToken } : undefined;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, ["a/1.txt", "a/2.txt", "a/sub/3.txt", "a/sub/4.csv", "b/5.txt", "top.txt"]);

    // With autoPaginate the client follows the tokens itself.
    const [all] = await bucket.getFiles({ maxResults: 4 });
    assert.equal(all.length, 4);
    const [everything] = await bucket.getFiles();
    assert.equal(everything.length, 6);
  });

  it("copies, composes, patches metadata and deletes objects", async () => {
    const bucket = storage.bucket("bkt");
    await bucket.file("parts/p1").save("first,", { resumable: false });
    await bucket.file("parts/p2").save("second", { resumable: false });

    await bucket.file("parts/p1").copy(bucket.file("copies/p1-copy"));
    assert.equal((await bucket.file("copies/p1-copy").download())[0].toString(), "first,");

    const [combined] = await bucket.combine(["parts/p1", "parts/p2"], "combined.txt");
    const [content] = await combined.download();
    assert.equal(content.toString(), "first,second");
    const [combinedMeta] = await combined.getMetadata();
    assert.equal(combinedMeta.crc32c, crc32cOf(Buffer.from("first,second")));
    assert.equal(combinedMeta.componentCount, 2);

    await combined.setMetadata({ metadata: { stage: "done" }, cacheControl: "no-cache" });
    const [patched] = await combined.getMetadata();
    assert.deepEqual(patched.metadata, { stage: "done" });
    assert.equal(patched.cacheControl, "no-cache");
    assert.equal(patched.metageneration, "2");

    await bucket.file("copies/p1-copy").delete();
    assert.equal((await bucket.file("copies/p1-copy").exists())[0], false);
    const err = await rejectionOf(() => bucket.file("copies/p1-copy").download());
    assert.equal(err.code, 404);
    assert.match(err.message, /copies\/p1-copy/);
  });

  it("honours ifGenerationMatch=0 (create only if absent) with 412", async () => {
    const file = storage.bucket("bkt").file("once.txt");
    await file.save("v1", { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const err = await rejectionOf(() => file.save("v2", { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }));
    assert.equal(err.code, 412);
    assert.equal((await file.download())[0].toString(), "v1");
  });

  it("works through STORAGE_EMULATOR_HOST (paths without /storage/v1)", async () => {
    const restore = setEnv({ STORAGE_EMULATOR_HOST: emulator.endpoint });
    try {
      const viaEnv = new Storage({ projectId: PROJECT });
      const [files] = await viaEnv.bucket("bkt").getFiles({ prefix: "dir/" });
      assert.deepEqual(await names(files), ["dir/small.txt"]);
      await viaEnv.bucket("bkt").file("env.txt").save("via env");
      assert.equal((await viaEnv.bucket("bkt").file("env.txt").download())[0].toString(), "via env");
    } finally {
      restore();
    }
  });

  it("keeps buckets and objects across a restart with data_dir", async () => {
    const data = Buffer.from("persist me");
    await storage.bucket("bkt").file("persist/me.txt").save(data, { resumable: false });
    await emulator.stop();
    emulator = await startStorageEmulator({ port: 0, dataDir });
    const restarted = new Storage({ projectId: PROJECT, apiEndpoint: emulator.endpoint });
    const [downloaded] = await restarted.bucket("bkt").file("persist/me.txt").download();
    assert.deepEqual(downloaded, data);
    const [files] = await restarted.bucket("list-bkt").getFiles();
    assert.equal(files.length, 6);
    // New writes after a restart get fresh, higher generations.
    const [before] = await restarted.bucket("bkt").file("persist/me.txt").getMetadata();
    await restarted.bucket("bkt").file("persist/me.txt").save("v2", { resumable: false });
    const [afterMeta] = await restarted.bucket("bkt").file("persist/me.txt").getMetadata();
    assert.ok(BigInt(afterMeta.generation as string) > BigInt(before.generation as string));
  });
});
