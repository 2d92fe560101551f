import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { bigqueryClient } from "../../lib/io/gcp/clients";
import { mnistBq } from "../../pipelines/mnist_bq";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { readLabels, writeMnistCsv } from "../../setup/mnist/mnist_data";
import { setupBigQuery, uploadModel } from "../../setup/mnist/setup_gcp";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";

type Row = Record<string, number>;
const table = (t: string) => `${TEST_PROJECT}.MNIST.${t}`;
const flags = (o: { input: string; output: string; model?: string; dead_letter?: string; inference_threads?: string }) => ({
  model: DEFAULT_MODEL,
  tfjs_backend: "auto",
  max_batch_size: 16,
  inference_threads: "0",
  dead_letter: undefined as string | undefined,
  ...o,
});

describe("pipelines/mnist_bq against the BigQuery and Cloud Storage emulators", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let dir: string;
  let labels: Map<number, number>;
  const N = 40;

  const rowsOf = async (t: string): Promise<Row[]> => {
    const [rows] = await bigqueryClient(TEST_PROJECT).dataset("MNIST").table(t).getRows();
    return rows as Row[];
  };

  before(async () => {
    env = await startEmulatorEnv(["bigquery", "storage"]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-bq-"));
    const files = await writeMnistCsv(dir, N);
    labels = await readLabels(files.labels);
    assert.equal(await setupBigQuery({ project: TEST_PROJECT, csv: files.csv }), table("Images"));
    // Two malformed rows beside the real images: too few values, and a value outside 0..1.
    await bigqueryClient(TEST_PROJECT)
      .dataset("MNIST")
      .table("Images")
      .insert([
        { ID: 1000, Image: "0.5,0.25" },
        { ID: 1001, Image: Array.from({ length: 784 }, (_, i) => (i === 7 ? "3" : "0")).join(",") },
      ]);
  });

  after(async () => {
    await env?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes one row {ID, P0..P9} per image, probabilities summing to 1, malformed rows to the dead-letter table", async () => {
    const result = await mnistBq.run(flags({ input: table("Images"), output: table("Predict"), dead_letter: table("Rejected") }));
    assert.equal(await result.waitUntilFinish(), "DONE");
    const rows = await rowsOf("Predict");
    assert.deepEqual(rows.map((r) => r["ID"]).sort((a, b) => a! - b!), Array.from({ length: N }, (_, i) => i), "one row per valid image");
    let right = 0;
    for (const r of rows) {
      const p = Array.from({ length: 10 }, (_, k) => r[`P${k}`]!);
      assert.ok(p.every((x) => x >= 0 && x <= 1), `probabilities of ${r["ID"]} in 0..1`);
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) <= 1e-4, `probabilities of ${r["ID"]} sum to 1: ${p.join(", ")}`);
      if (p.indexOf(Math.max(...p)) === labels.get(r["ID"]!)) right++;
    }
    assert.ok(right >= N - 1, `the model recognises the digits (${right}/${N} right)`);
    const rejected = (await rowsOf("Rejected")) as unknown as { row: string; reason: string; step: string }[];
    assert.deepEqual(
      rejected.map((r) => [JSON.parse(r.row).ID, r.reason, r.step]).sort(),
      [
        [1000, "Image has 2 values; a 28x28 image has 784", "mnist_bq/Prediction/ParseImage"],
        [1001, "Image value 7 is 3, outside 0..1 (pixels are normalised grey levels)", "mnist_bq/Prediction/ParseImage"],
      ],
    );
    const counters = result.metrics.counters().filter((c) => c.name === "num_inferences");
    assert.equal(counters.reduce((a, c) => a + c.value, 0), N, "RunInference counted its inferences");
  });

  it("a second run replaces the table (WRITE_TRUNCATE), with the model read from gs://", async () => {
    const csv = await writeMnistCsv(path.join(dir, "small"), 7);
    await setupBigQuery({ project: TEST_PROJECT, csv: csv.csv, table: "Small" });
    const uploaded = await uploadModel({ project: TEST_PROJECT, model: DEFAULT_MODEL, destination: "gs://mnist-models/model" });
    assert.deepEqual(uploaded.sort(), ["gs://mnist-models/model/model.json", "gs://mnist-models/model/weights.bin"]);
    const before = await rowsOf("Predict");
    const result = await mnistBq.run(flags({ input: table("Small"), output: table("Predict"), model: "gs://mnist-models/model" }));
    assert.equal(await result.waitUntilFinish(), "DONE");
    const rows = await rowsOf("Predict");
    assert.deepEqual(rows.map((r) => r["ID"]).sort((a, b) => a! - b!), [0, 1, 2, 3, 4, 5, 6], "replaced, not appended");
    for (const r of rows) {
      const old = before.find((b) => b["ID"] === r["ID"])!;
      for (let k = 0; k < 10; k++) assert.ok(Math.abs(r[`P${k}`]! - old[`P${k}`]!) < 1e-6, "the same model from gs:// predicts the same");
    }
  });

  it("with --inference_threads 2 (a pool of model threads) writes the same table as on the pipeline's thread", async () => {
    const one = await mnistBq.run(flags({ input: table("Images"), output: table("PredictOnMain") }));
    assert.equal(await one.waitUntilFinish(), "DONE");
    const pooled = await mnistBq.run(flags({ input: table("Images"), output: table("PredictPooled"), inference_threads: "2" }));
    assert.equal(await pooled.waitUntilFinish(), "DONE");
    const byId = (rows: Row[]) => rows.sort((a, b) => a["ID"]! - b["ID"]!);
    const onMain = byId(await rowsOf("PredictOnMain"));
    assert.equal(onMain.length, N);
    const pooledRows = byId(await rowsOf("PredictPooled"));
    assert.deepEqual(pooledRows.map((r) => r["ID"]), onMain.map((r) => r["ID"]));
    // Batches may be cut differently with more of them in flight: equal up to float rounding.
    for (const [i, r] of pooledRows.entries()) for (let k = 0; k < 10; k++) assert.ok(Math.abs(r[`P${k}`]! - onMain[i]![`P${k}`]!) < 1e-6, `P${k} of ${r["ID"]}`);
    assert.equal(mnistBq.spec.flags.inference_threads.default, "auto", "mnist_bq's default: auto");
    assert.throws(() => mnistBq.create(flags({ input: table("Images"), output: table("Never"), inference_threads: "two" })), /--inference_threads must be auto or a whole number >= 0 \(0: the model on the pipeline's thread\), got 'two'/);
  });

  it("a model that cannot be loaded fails the run with an error naming the path and step", async () => {
    const missing = path.join(dir, "no-such-model");
    const result = await mnistBq.run(flags({ input: table("Small"), output: table("Never"), model: missing }));
    await assert.rejects(result.waitUntilFinish(), (e: Error) => {
      assert.match(e.message, /mnist_bq\/Prediction\/RunInference\/Infer/);
      assert.match(e.message, new RegExp(`cannot read the model file ${path.join(missing, "model.json").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
      return true;
    });
    const [exists] = await bigqueryClient(TEST_PROJECT).dataset("MNIST").table("Never").exists();
    assert.equal(exists, false, "a failed run leaves no output table");
  });
});
