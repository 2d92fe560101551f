/**
 * Pub/Sub emulator: a gRPC server with the Publisher and Subscriber services, plaintext on
 * 127.0.0.1, which is what the client uses when PUBSUB_EMULATOR_HOST (or a non-Google apiEndpoint)
 * is set.
 *
 * Request size limits are the real service's: a Publish request up to 10 MiB, Acknowledge and
 * ModifyAckDeadline up to 512 KiB; larger ones get INVALID_ARGUMENT "Request payload size exceeds
 * the limit: N bytes." (which the client does not retry). gRPC itself accepts messages up to
 * 64 MiB, so everything in between gets that answer.
 */
import * as grpc from "@grpc/grpc-js";
import { FaultInjector } from "../common/faults";
import { loadPubSubServices, withFaults, withRequestSizes } from "./grpc_util";
import { publisherService } from "./publisher_service";
import { PubSubStore } from "./store";
import { StreamRegistry, subscriberService } from "./subscriber_service";
import { withFastResponses } from "./wire";

/** Options of the Pub/Sub emulator. */
export interface PubSubEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Persist topics, subscriptions and unacked messages here; in memory only when absent. */
  dataDir?: string;
  /** Fault injection rules and request counts (a new injector when absent). */
  faults?: FaultInjector;
}

/** A running Pub/Sub emulator (gRPC on 127.0.0.1). */
export interface PubSubEmulator {
  /** The port it listens on. */
  port: number;
  /** `127.0.0.1:PORT`: the value for PUBSUB_EMULATOR_HOST and `apiEndpoint` (no scheme). */
  host: string;
  /** Make the next calls of a gRPC method fail (`Publish`, `Pull`, `StreamingPull`, ...); kept across restarts. */
  faults: FaultInjector;
  /**
   * Stops and starts again on the same port: open streams end with UNAVAILABLE (clients
   * reconnect), state survives with `dataDir`, and leases are forgotten (unacked messages are
   * delivered again).
   */
  restart(): Promise<void>;
  /** Stops the server (closing open streams). */
  stop(): Promise<void>;
}

/** How often expired ack deadlines are looked for; bounds how late a redelivery can be. */
const EXPIRY_SWEEP_MS = 100;
/** gRPC's own cap on a request; the per-method limits above are checked below it. */
const MAX_GRPC_MESSAGE_BYTES = 64 * 1024 * 1024;

interface Running {
  server: grpc.Server;
  store: PubSubStore;
  registry: StreamRegistry;
  sweep: NodeJS.Timeout;
}

/** Starts a Pub/Sub emulator on 127.0.0.1 (topics, subscriptions, publish, pull, streaming pull, acks, leases). */
export async function startPubSubEmulator(options: PubSubEmulatorOptions = {}): Promise<PubSubEmulator> {
  const faults = options.faults ?? new FaultInjector();
  const services = withFastResponses(withRequestSizes(loadPubSubServices()));
  const start = async (port: number): Promise<{ running: Running; port: number }> => {
    const store = new PubSubStore(options.dataDir);
    const registry = new StreamRegistry();
    const server = new grpc.Server({ "grpc.max_receive_message_length": MAX_GRPC_MESSAGE_BYTES });
    server.addService(services.publisher, withFaults(services.publisher, publisherService(store), faults));
    server.addService(services.subscriber, withFaults(services.subscriber, subscriberService(store, registry), faults));
    let bound: number;
    try {
      bound = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
      });
    } catch (e) {
      store.close();
      throw e;
    }
    const sweep = setInterval(() => {
      const now = Date.now();
      for (const queue of store.subscriptions.values()) queue.expire(now);
    }, EXPIRY_SWEEP_MS);
    sweep.unref();
    return { running: { server, store, registry, sweep }, port: bound };
  };
  const stopRunning = async (running: Running): Promise<void> => {
    clearInterval(running.sweep);
    // UNAVAILABLE tells clients still subscribed to retry later rather than fail.
    running.registry.end(grpc.status.UNAVAILABLE, "The Pub/Sub emulator is shutting down");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        running.server.forceShutdown();
        resolve();
      }, 1000);
      running.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    running.store.close();
  };
  const first = await start(options.port ?? 0);
  let running = first.running;
  const port = first.port;
  return {
    port,
    host: `127.0.0.1:${port}`,
    faults,
    stop: () => stopRunning(running),
    restart: async () => {
      await stopRunning(running);
      running = (await start(port)).running;
    },
  };
}
