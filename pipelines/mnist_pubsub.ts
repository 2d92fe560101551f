/**
 * mnist_pubsub: streaming prediction of handwritten digits, Pub/Sub → Pub/Sub.
 *
 *     node dist/pipelines/mnist_pubsub.js --input projects/P/topics/mnist_image \
 *         --output projects/P/topics/mnist_predict [--dead_letter projects/P/topics/mnist_dead_letter] \
 *         [--model PATH_OR_GS_URI] [--streaming]
 *
 * Steps: Read from Pub/Sub → toDict → Prediction → to byte → To Pub/sub (the original's names).
 * Each message is a JSON object `{"ID": .., "Image": ".."}`; each prediction is published
 * as JSON `{"ID", "P0".."P9"}`.
 * The job runs until drained or cancelled (Ctrl-C drains). A message that is not JSON, lacks ID
 * or Image, or whose Image is not 784 numbers in 0..1 does not stop it: it is published as it
 * came to `--dead_letter` with the attributes `reason` and `failed_step`, and counted
 * (`mnist_pubsub/dead_letters`); without `--dead_letter` it is counted and described on stderr.
 */
import { definePipeline, Flatten, Metrics, PBegin, PCollection, PTransform } from "../lib";
import { ReadFromPubSub, WriteToPubSub, type PubsubMessage } from "../lib/io/pubsub";
import { DoFn, type ProcessContext } from "../lib/model/dofn";
import { ParDo } from "../lib/model/pardo";
import { LogRejected, MODEL_FLAGS, pipelineOptions, predictionJson, toJson, Prediction, type MnistImage, type MnistPrediction, type PredictionOptions, type RejectedImage } from "./mnist_prediction";

export interface MnistPubSubOptions extends PredictionOptions {
  /** Topic (`projects/P/topics/T`, a subscription is created) or subscription (`projects/P/subscriptions/S`) of the images. */
  readonly input: string;
  /** Topic of the predictions. */
  readonly output: string;
  /** Topic of the messages that could not be predicted. */
  readonly deadLetter?: string;
}

/** A message that could not be predicted: its original data and why. */
export interface DeadLetter {
  readonly data: Uint8Array;
  readonly reason: string;
  readonly step: string;
}

/** `toDict`: a message's bytes → `{ID, Image}`, or a dead letter saying why not. */
class ToDict extends DoFn<Uint8Array, MnistImage, { failed: DeadLetter }> {
  private step = "toDict";
  setup(runtime: { readonly transformName: string }): void {
    this.step = runtime.transformName;
  }
  process(data: Uint8Array, ctx: ProcessContext<MnistImage, { failed: DeadLetter }>): void {
    const reject = (reason: string) => ctx.outputTo("failed", { data, reason, step: this.step });
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"));
    } catch (e) {
      reject(`the message is not JSON: ${(e as Error).message}`);
      return;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return reject(`the message is not a JSON object with ID and Image (got ${Array.isArray(parsed) ? "an array" : parsed === null ? "null" : typeof parsed})`);
    const record = parsed as Record<string, unknown>;
    const missing = ["ID", "Image"].filter((k) => record[k] === undefined || record[k] === null);
    if (missing.length > 0) return reject(`the message has no ${missing.join(" and no ")}`);
    ctx.output({ ID: record["ID"] as MnistImage["ID"], Image: record["Image"] as MnistImage["Image"] });
  }
}

/** A dead letter as a Pub/Sub message: the original data, the reason and step as attributes. */
function deadLetterMessage(d: DeadLetter): Pick<PubsubMessage, "data" | "attributes"> {
  Metrics.counter("mnist_pubsub", "dead_letters").inc();
  return { data: d.data, attributes: { reason: d.reason.slice(0, 1024), failed_step: d.step } };
}

/** The whole job as one reusable transform; produces the published predictions' message ids. */
export class MnistPubSub extends PTransform<PBegin, PCollection<string>> {
  constructor(readonly options: MnistPubSubOptions) {
    super("mnist_pubsub");
  }

  expand(input: PBegin): PCollection<string> {
    const o = this.options;
    const source = /\/subscriptions\//.test(o.input) ? { subscription: o.input } : { topic: o.input };
    const messages = input.apply("Read from Pub/Sub", ReadFromPubSub.from(source));
    const dicts = messages.apply("toDict", ParDo.of(new ToDict()).withOutputs("failed"));
    const predicted = dicts.main.apply("Prediction", new Prediction(o));
    const ids = predicted.main
      .map("to byte", (p: MnistPrediction) => Buffer.from(predictionJson(p), "utf8") as Uint8Array)
      .apply("To Pub/sub", WriteToPubSub.to(o.output));
    const rejected = predicted.failed.map("RejectedImages", (f: RejectedImage): DeadLetter => ({ data: Buffer.from(toJson(f.element), "utf8"), reason: f.reason, step: f.step }));
    const deadLetters = dicts.failed.apply("DeadLetters", Flatten.with(rejected));
    if (o.deadLetter !== undefined) {
      deadLetters.map("ToDeadLetterMessage", deadLetterMessage).apply("To dead-letter topic", WriteToPubSub.to(o.deadLetter, { withAttributes: true }));
    } else {
      deadLetters.apply("LogDeadLetters", ParDo.of(new LogRejected<DeadLetter>("mnist_pubsub", "dead_letters", (d) => `${Buffer.from(d.data).toString("utf8").slice(0, 80)}: ${d.reason} (at ${d.step})`)));
    }
    return ids;
  }
}

export const mnistPubSub = definePipeline({
  name: "mnist_pubsub",
  description: "Reads MNIST images as JSON from Pub/Sub, predicts each digit, and publishes {ID, P0..P9} as JSON; runs until drained or cancelled.",
  flags: {
    input: { type: "string", describe: "Images: projects/P/topics/T (or projects/P/subscriptions/S)", required: true },
    output: { type: "string", describe: "Predictions topic: projects/P/topics/T", required: true },
    dead_letter: { type: "string", describe: "Topic for messages that cannot be predicted (attributes: reason, failed_step); default: counted and logged" },
    ...MODEL_FLAGS,
  },
  build(root, flags) {
    root.apply(new MnistPubSub(pipelineOptions(flags)));
  },
});

if (require.main === module) void mnistPubSub.main();
