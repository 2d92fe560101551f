/**
 * Child process for the Pub/Sub fault tests: reads a subscription with a PubSubReader, reports how
 * many messages it holds, and never commits them, keeping their leases until it is killed.
 *
 *     node pubsub_fault_child.js SUBSCRIPTION COUNT     (PUBSUB_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT set)
 */
import { PubSubReader } from "../../lib/io/pubsub";

async function main(): Promise<void> {
  const [subscription, count] = process.argv.slice(2);
  const reader = await PubSubReader.open({ subscription });
  let held = 0;
  while (held < Number(count)) held += (await reader.pull(100, 2000)).length;
  process.stdout.write(`holding ${held}\n`);
  // Work "in flight" until killed: the reader keeps extending the leases.
  setInterval(() => undefined, 60_000);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
