/**
 * The Flipkart pipeline end to end: the 48 real rows (image URLs rewritten to a local image server
 * started here: some 404, slow, hanging, flaky, huge, not images, redirected) plus malformed rows,
 * read from and written to the Cloud Storage emulator. Every column of every row is checked
 * against the golden file; bad rows are in the dead-letter CSV; the metrics count each failure;
 * the PortableRunner (LOOPBACK) produces the same output.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "csv-parse/sync";
import { Storage } from "@google-cloud/storage";
import "../../runners/direct";
import { formatCsvLine } from "../../lib/io/csv/write";
import { flipkart, defaultDeadLetterPath } from "../../pipelines/flipkart";
import { imageUrls } from "../../pipelines/flipkart/categories";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { imageFor, startImageServer, type ImageBehaviour, type ImageServer } from "../../setup/flipkart/image_server";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";
import { MiniJobServer } from "../portable/job_server";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "flipkart");
const BUCKET = "flipkart-test";
const REAL_HOSTS = /http:\/\/(img\da\.flixcart\.com)\//g;

type Row = Record<string, string>;

/** What the image server does with the first URL of the first products (by row index); the rest are fine. */
const FIRST_URL: Record<number, (attempt: number, server: string) => ImageBehaviour> = {
  0: () => ({ kind: "status", status: 404 }),
  2: () => ({ kind: "slow", totalMs: 300 }),
  3: () => ({ kind: "hang" }),
  4: (attempt) => (attempt === 1 ? { kind: "status", status: 503 } : { kind: "ok" }),
  5: () => ({ kind: "huge", bytes: 20 * 1024 * 1024, declareLength: true }),
  6: () => ({ kind: "notImage" }),
  7: () => ({ kind: "redirect", location: "http://169.254.169.254/computeMetadata/v1/instance/" }),
  8: (_a, server) => ({ kind: "redirect", location: `${server}/redirected/target.jpeg` }),
  9: () => ({ kind: "status", status: 500 }),
};
/** Product 1: every URL is 404. */
const ALL_MISSING = 1;

describe("pipelines/flipkart: the 48 real rows through the pipeline, GCS emulator and local images", function () {
  this.timeout(120_000);
  let env: EmulatorEnv;
  let storage: Storage;
  let images: ImageServer;
  let realRows: Row[];
  const behaviours = new Map<string, (attempt: number) => ImageBehaviour>();

  const input = `gs://${BUCKET}/raw/flipkart_sample.csv`;
  const flags = (dir: string) => ({
    input,
    output: `gs://${BUCKET}/${dir}/flipkart.csv`,
    images: `gs://${BUCKET}/${dir}-images`,
    dead_letter: undefined,
    image_timeout_ms: 3_000,
    image_attempts: 2,
    image_max_bytes: 1024 * 1024,
    image_concurrency: 16,
    image_memory_mb: 16,
  });

  const download = async (object: string): Promise<string> => (await storage.bucket(BUCKET).file(object).download())[0].toString("utf8");
  const rowsOf = (text: string): Row[] => parse(text, { columns: true }) as Row[];
  /** The output with the server's address replaced, as in the golden file. */
  const normalized = (text: string, dir: string) => text.split(images.url).join("http://IMAGES").split(`gs://${BUCKET}/${dir}-images/`).join(`gs://${BUCKET}/images/`);

  before(async () => {
    env = await startEmulatorEnv(["storage"]);
    storage = new Storage({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.storageEndpoint });
    await storage.createBucket(BUCKET);
    images = await startImageServer({ latencyMs: 5, behaviour: (p, attempt) => behaviours.get(p)?.(attempt) });
    const sample = fs.readFileSync(path.join(FIXTURES, "flipkart_sample.csv"), "utf8");
    realRows = rowsOf(sample);
    assert.equal(realRows.length, 48);
    // Behaviours by URL path (the rewritten URL's path is /<original host>/<original path>).
    const pathOf = (url: string) => new URL(url.replace(REAL_HOSTS, `${images.url}/$1/`)).pathname;
    const allUrls = realRows.flatMap((r) => imageUrls(r.image!).map(pathOf));
    for (const [index, make] of Object.entries(FIRST_URL)) {
      const first = pathOf(imageUrls(realRows[Number(index)]!.image!)[0]!);
      assert.equal(allUrls.filter((u) => u === first).length, 1, `the first URL of row ${index} is used by no other row`);
      behaviours.set(first, (attempt) => make(attempt, images.url));
    }
    for (const url of imageUrls(realRows[ALL_MISSING]!.image!)) behaviours.set(pathOf(url), () => ({ kind: "status", status: 404 }));
    // Malformed rows after the real ones: a field missing, broken quoting, an id that would be a path.
    const good = realRows[10]!;
    const values = Object.values(good);
    const bad = [
      formatCsvLine(values.slice(0, 14)),
      `${good.uniq_id},"broken "quote",${formatCsvLine(values.slice(2))}`,
      formatCsvLine(["../../etc/passwd", ...values.slice(1)]),
    ];
    const text = sample.replace(REAL_HOSTS, `${images.url}/$1/`) + bad.join("\n") + "\n";
    await storage.bucket(BUCKET).file("raw/flipkart_sample.csv").save(text);
  });

  after(async () => {
    await images?.stop();
    await env?.stop();
  });

  it("writes one CSV whose every column matches the golden file, images to <images>/<uniq_id>_<index>.jpg, bad rows to the dead letters", async () => {
    const result = await flipkart.run(flags("direct"));
    assert.equal(await result.waitUntilFinish(), "DONE");

    const golden = fs.readFileSync(path.join(FIXTURES, "flipkart_sample.expected.csv"), "utf8");
    const text = normalized(await download("direct/flipkart.csv"), "direct");
    assert.equal(text.split("\n")[0], golden.split("\n")[0], "header: base columns, image_uri, attributes, c0_name..c6_name");
    const byId = (rows: Row[]) => new Map(rows.map((r) => [r.uniq_id!, r]));
    const actual = byId(rowsOf(text));
    const expected = byId(rowsOf(golden));
    assert.equal(actual.size, 48);
    for (const [id, want] of expected) assert.deepEqual(actual.get(id), want, `row ${id}`);
    // The single-entry specification (no list brackets) and the empty one.
    const single = [...actual.values()].find((r) => r.uniq_id!.startsWith("bec784ef"))!;
    assert.equal(single.attributes, '{"Body Material": "croco leather material"}');
    assert.equal(actual.get(realRows[21]!.uniq_id!)!.attributes, "{}");

    // The uploaded images are exactly what the server sent for the URL that worked.
    const [objects] = await storage.bucket(BUCKET).getFiles({ prefix: "direct-images/" });
    assert.equal(objects.length, 47);
    const id8 = realRows[8]!.uniq_id!;
    const [redirected] = await storage.bucket(BUCKET).file(`direct-images/${id8}_0.jpg`).download();
    assert.ok(redirected.equals(imageFor("/redirected/target.jpeg")), "the redirect was followed");
    const id0 = realRows[0]!.uniq_id!;
    const second = new URL(imageUrls(realRows[0]!.image!)[1]!.replace(REAL_HOSTS, `${images.url}/$1/`)).pathname;
    assert.ok((await storage.bucket(BUCKET).file(`direct-images/${id0}_1.jpg`).download())[0].equals(imageFor(second)));

    const dead = rowsOf(await download("direct/flipkart.dead_letter.csv")).sort((a, b) => Number(a.line) - Number(b.line));
    assert.equal(defaultDeadLetterPath(flags("direct").output), `gs://${BUCKET}/direct/flipkart.dead_letter.csv`);
    assert.deepEqual(
      dead.map((d) => [d.file, d.line]),
      [
        [input, "0"],
        [input, "50"],
        [input, "51"],
      ],
    );
    assert.match(dead[0]!.reason, /uniq_id "..\/..\/etc\/passwd" cannot name an image file/);
    assert.equal(dead[1]!.reason, "expected 15 fields (as in the header), got 14");
    assert.match(dead[2]!.reason, /Invalid Closing Quote/);
    assert.ok(dead[2]!.raw.startsWith(`${realRows[10]!.uniq_id},"broken "quote"`));

    const counter = (name: string) => result.metrics.counterTotal("flipkart", name);
    const missing = imageUrls(realRows[ALL_MISSING]!.image!).length;
    assert.deepEqual(
      {
        uploaded: counter("imagesUploaded"),
        without: counter("productsWithoutImage"),
        notFound: counter("imageNotFound"),
        timeout: counter("imageTimeout"),
        tooLarge: counter("imageTooLarge"),
        other: counter("imageOtherFailure"),
        unparseable: counter("attributesUnparseable"),
        csvDeadLetters: result.metrics.counterTotal("beamline", "rejected", "flipkart/Read"),
      },
      { uploaded: 47, without: 1, notFound: 1 + missing, timeout: 1, tooLarge: 1, other: 3, unparseable: 0, csvDeadLetters: 2 },
    );
    // Retries: the hanging URL and the 500 were tried twice, the 503 twice (then fine), a 404 once.
    const tried = (index: number) => images.requests.get(new URL(imageUrls(realRows[index]!.image!)[0]!.replace(REAL_HOSTS, `${images.url}/$1/`)).pathname);
    assert.deepEqual([tried(0), tried(3), tried(4), tried(9)], [1, 2, 2, 2]);
  });

  it("gives the same output and counters on the PortableRunner (LOOPBACK) as on the DirectRunner", async () => {
    const jobServer = await MiniJobServer.start();
    try {
      const p = flipkart.create(flags("portable"), { runner: "PortableRunner", jobName: "flipkart-portable", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
      assert.equal(await result.waitUntilFinish(), "DONE");
      const sorted = (text: string) => text.split("\n").slice(1).sort().join("\n");
      const direct = normalized(await download("direct/flipkart.csv"), "direct");
      const portable = normalized(await download("portable/flipkart.csv"), "portable");
      assert.equal(portable.split("\n")[0], direct.split("\n")[0]);
      assert.equal(sorted(portable), sorted(direct));
      assert.equal(await download("portable/flipkart.dead_letter.csv").then((t) => rowsOf(t).length), 3);
      assert.equal(result.metrics.counterTotal("flipkart", "imagesUploaded"), 47);
      assert.equal(result.metrics.counterTotal("flipkart", "imageTimeout"), 1);
    } finally {
      await jobServer.stop();
    }
  });
});
