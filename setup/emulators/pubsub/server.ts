/**
 * Pub/Sub emulator: a gRPC server with the Publisher and Subscriber services, plaintext on
 * 127.0.0.1, which is what the client uses when PUBSUB_EMULATOR_HOST (or a non-Google apiEndpoint)
 * is set.
 */
import * as grpc from "@grpc/grpc-js";
import { loadPubSubServices } from "./grpc_util";
import { publisherService } from "./publisher_service";
import { PubSubStore } from "./store";
import { StreamRegistry, subscriberService } from "./subscriber_service";

export interface PubSubEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Persist topics, subscriptions and unacked messages here; in memory only when absent. */
  dataDir?: string;
}

export interface PubSubEmulator {
  port: number;
  /** `127.0.0.1:PORT`: the value for PUBSUB_EMULATOR_HOST and `apiEndpoint` (no scheme). */
  host: string;
  stop(): Promise<void>;
}

/** How often expired ack deadlines are looked for; bounds how late a redelivery can be. */
const EXPIRY_SWEEP_MS = 100;

export async function startPubSubEmulator(options: PubSubEmulatorOptions = {}): Promise<PubSubEmulator> {
  const store = new PubSubStore(options.dataDir);
  const registry = new StreamRegistry();
  const services = loadPubSubServices();
  const server = new grpc.Server();
  server.addService(services.publisher, publisherService(store));
  server.addService(services.subscriber, subscriberService(store, registry));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const queue of store.subscriptions.values()) queue.expire(now);
  }, EXPIRY_SWEEP_MS);
  sweep.unref();

  return {
    port,
    host: `127.0.0.1:${port}`,
    stop: async () => {
      clearInterval(sweep);
      // UNAVAILABLE tells clients still subscribed to retry later rather than fail.
      registry.end(grpc.status.UNAVAILABLE, "The Pub/Sub emulator is shutting down");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      store.close();
    },
  };
}
