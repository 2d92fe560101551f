/**
 * The MNIST consumer (the original consumerMnistPubSup.py): subscribes to the predictions
 * (subscription mnist_predict-sub), prints each one with its most likely digit, and acks it.
 *
 *     node dist/setup/mnist/consumer.js [--subscription projects/P/subscriptions/mnist_predict-sub] [--project P]
 *
 * Works against Google Cloud or the Pub/Sub emulator (PUBSUB_EMULATOR_HOST). Runs until Ctrl-C.
 */
import type { Message, Subscription } from "@google-cloud/pubsub";
import { pubsubClient, resetGcpClients } from "../../lib/io/gcp/clients";
import { PREDICTIONS_SUBSCRIPTION } from "./setup_gcp";
import { flagValue } from "./cli";

/** A prediction as published by mnist_pubsub. */
export type Prediction = { readonly ID: number } & { readonly [P: `P${number}`]: number };

/** The most likely digit and its probability. */
export function bestDigit(p: Prediction): { digit: number; probability: number } {
  let digit = 0;
  for (let k = 1; k < 10; k++) if (p[`P${k}`]! > p[`P${digit}`]!) digit = k;
  return { digit, probability: p[`P${digit}`]! };
}

export function describePrediction(p: Prediction): string {
  const { digit, probability } = bestDigit(p);
  const probs = Array.from({ length: 10 }, (_, k) => p[`P${k}`]!.toFixed(3)).join(" ");
  return `ID ${p.ID}: digit ${digit} (p=${probability.toFixed(4)})  [${probs}]`;
}

export interface Consumer {
  /** Stops receiving (closes the subscription's streams). */
  stop(): Promise<void>;
}

/** Receives predictions, calls `onPrediction` for each (default: prints it), acks them. */
export function consume(o: { subscription: string; project?: string; onPrediction?: (p: Prediction, m: Message) => void; onError?: (e: Error) => void }): Consumer {
  const onPrediction = o.onPrediction ?? ((p: Prediction) => process.stdout.write(`${describePrediction(p)}\n`));
  const sub: Subscription = pubsubClient(o.project).subscription(o.subscription, { flowControl: { maxMessages: 5000 } });
  sub.on("message", (m: Message) => {
    let p: Prediction;
    try {
      p = JSON.parse(m.data.toString("utf8")) as Prediction;
    } catch {
      process.stderr.write(`consumer: message ${m.id} is not JSON: ${m.data.toString("utf8").slice(0, 80)}\n`);
      m.ack();
      return;
    }
    onPrediction(p, m);
    m.ack();
  });
  sub.on("error", (e: Error) => (o.onError ?? ((err: Error) => process.stderr.write(`consumer: ${err.message}\n`)))(e));
  return { stop: () => sub.close() };
}


if (require.main === module) {
  const argv = process.argv.slice(2);
  const project = flagValue(argv, "project");
  const consumer = consume({ subscription: flagValue(argv, "subscription") ?? PREDICTIONS_SUBSCRIPTION, ...(project !== undefined ? { project } : {}) });
  process.stderr.write("consumer: waiting for predictions (Ctrl-C to stop)\n");
  const stop = () => void consumer.stop().finally(() => void resetGcpClients());
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
