/**
 * A Pub/Sub call that cannot get credentials fails that call only. The client's stub is made on the
 * first call, which did not wait for it: the credentials error also went unhandled, and an unhandled
 * rejection ends the process (a worker, or the test run: the LOOPBACK streaming test crashed the
 * suite this way). Nothing here reaches the network: there are no credentials, no emulator and no
 * metadata-server probe.
 */
import { strict as assert } from "node:assert";
import { pubsubClient, resetGcpClients } from "../../../lib/io/gcp/clients";
import { rpc } from "../../../lib/io/pubsub/resources";
import { isolateFromGoogleCredentials, setEnv } from "../../setup/emulators/helpers";

describe("Pub/Sub calls without credentials", () => {
  it("reject the call with the credentials error, and leave no unhandled rejection", async () => {
    const restore = [isolateFromGoogleCredentials(), setEnv({ PUBSUB_EMULATOR_HOST: undefined })];
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      await resetGcpClients();
      const client = pubsubClient("no-credentials-project");
      await assert.rejects(rpc(client, "SubscriberClient", "getSubscription", { subscription: "projects/no-credentials-project/subscriptions/s" }), /Could not load the default credentials/);
      // Unhandled rejections are reported after the microtask queue drains: let it drain twice.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled.map((e) => (e as Error).message), []);
      await client.close().catch(() => undefined); // its stub never came up
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await resetGcpClients();
      for (const r of restore.reverse()) r();
    }
  });
});
