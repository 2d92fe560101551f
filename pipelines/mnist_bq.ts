/**
 * mnist_bq: batch prediction of handwritten digits, BigQuery → BigQuery.
 *
 *     node dist/pipelines/mnist_bq.js --input PROJECT.MNIST.Images --output PROJECT.MNIST.Predict \
 *         [--model PATH_OR_GS_URI] [--runner DataflowRunner --project P --region R --temp_location gs://...]
 *
 * Steps: ReadFromBQ → Prediction → WriteToBQ. Reads rows `{ID, Image}` (Image: 784 comma-separated
 * values in 0..1), predicts each digit with the TensorFlow.js model (loaded once per worker
 * process, run on batches), and writes `{ID, P0..P9}` (Pk = probability of digit k) to the output
 * table, created if needed and replaced if it exists (WRITE_TRUNCATE). Rows that cannot be
 * predicted (a malformed Image, no ID) and rows BigQuery rejects go to `--dead_letter` (a table)
 * if given, else they are counted and described on stderr.
 */
import { definePipeline, Flatten, PBegin, PCollection, PTransform } from "../lib";
import { ReadFromBigQuery, WriteToBigQuery, type FailedRow } from "../lib/io/bigquery";
import { ParDo } from "../lib/model/pardo";
import { LogRejected, MODEL_FLAGS, pipelineOptions, toJson, Prediction, PREDICTION_SCHEMA, type MnistImage, type MnistPrediction, type PredictionOptions, type RejectedImage } from "./mnist_prediction";

export interface MnistBqOptions extends PredictionOptions {
  /** `project.dataset.table` (or `project:dataset.table`) of the images. */
  readonly input: string;
  /** Table of the predictions (replaced). */
  readonly output: string;
  /** Table for rows that could not be predicted or written (`row`, `reason`, `step`), replaced per run; none: logged and counted. */
  readonly deadLetter?: string;
}

/** A rejected record as a dead-letter table row. */
export type DeadLetterRow = { readonly row: string; readonly reason: string; readonly step: string };
export const DEAD_LETTER_SCHEMA = "row:STRING, reason:STRING, step:STRING";

/** The whole job as one reusable transform; produces the rows that were not written. */
export class MnistBq extends PTransform<PBegin, PCollection<DeadLetterRow>> {
  constructor(readonly options: MnistBqOptions) {
    super("mnist_bq");
  }

  expand(input: PBegin): PCollection<DeadLetterRow> {
    const o = this.options;
    const images = input.apply("ReadFromBQ", ReadFromBigQuery.from<MnistImage>({ table: o.input }));
    const predicted = images.apply("Prediction", new Prediction(o));
    const { failedRows } = predicted.main.apply(
      "WriteToBQ",
      WriteToBigQuery.to(o.output, { schema: PREDICTION_SCHEMA, createDisposition: "CREATE_IF_NEEDED", writeDisposition: "WRITE_TRUNCATE" }),
    );
    const rejectedImages = predicted.failed.map("RejectedImages", (f: RejectedImage): DeadLetterRow => ({ row: toJson(f.element), reason: f.reason, step: f.step }));
    const rejectedRows = failedRows.map("RejectedRows", (f: FailedRow<MnistPrediction>): DeadLetterRow => ({ row: toJson(f.row), reason: f.errors.map((e) => `${e.reason}: ${e.message}`).join("; "), step: "WriteToBQ" }));
    const rejected = rejectedImages.apply("Rejected", Flatten.with(rejectedRows));
    if (o.deadLetter !== undefined) {
      rejected.apply("WriteDeadLetters", WriteToBigQuery.to(o.deadLetter, { schema: DEAD_LETTER_SCHEMA, createDisposition: "CREATE_IF_NEEDED", writeDisposition: "WRITE_TRUNCATE" }));
    } else {
      rejected.apply("LogRejected", ParDo.of(new LogRejected<DeadLetterRow>("mnist_bq", "rejected", (r) => `${r.row.slice(0, 80)}: ${r.reason} (at ${r.step})`)));
    }
    return rejected;
  }
}

export const mnistBq = definePipeline({
  name: "mnist_bq",
  description: "Predicts the digit of each MNIST image in a BigQuery table and writes {ID, P0..P9} to another table.",
  flags: {
    input: { type: "string", describe: "Images table: project.dataset.table with columns ID, Image", required: true },
    output: { type: "string", describe: "Predictions table: project.dataset.table (created if needed, replaced)", required: true },
    dead_letter: { type: "string", describe: "Table for rows that could not be predicted or written (default: counted and logged)" },
    ...MODEL_FLAGS,
    // Batch: the model on two threads when the machine has the cores (see the README's MNIST section for figures).
    inference_threads: { ...MODEL_FLAGS.inference_threads, default: "auto" },
  },
  build(root, flags) {
    root.apply(new MnistBq(pipelineOptions(flags)));
  },
});

if (require.main === module) void mnistBq.main();
