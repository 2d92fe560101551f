/**
 * Programmatic API of the local GCP emulators (Pub/Sub over gRPC, BigQuery and Cloud Storage over
 * REST), all on 127.0.0.1. Tests start them in-process on free ports:
 *
 *     const emulators = await startEmulators({ pubsubPort: 0, bigqueryPort: 0, storagePort: 0 });
 *     new Storage({ projectId: "p", apiEndpoint: emulators.storageEndpoint });
 *     ...
 *     await emulators.stop();
 *
 * `main.ts` is the command-line front end.
 */
import { startBigQueryEmulator, type BigQueryEmulator } from "./bigquery/server";
import { startPubSubEmulator, type PubSubEmulator } from "./pubsub/server";
import { startStorageEmulator, type StorageEmulator } from "./storage/server";

export { startStorageEmulator, type StorageEmulator, type StorageEmulatorOptions } from "./storage/server";
export { startBigQueryEmulator, type BigQueryEmulator, type BigQueryEmulatorOptions } from "./bigquery/server";
export { startPubSubEmulator, type PubSubEmulator, type PubSubEmulatorOptions } from "./pubsub/server";

export type EmulatedService = "pubsub" | "bigquery" | "storage";
export const ALL_SERVICES: readonly EmulatedService[] = ["pubsub", "bigquery", "storage"];

export interface EmulatorsOptions {
  /** Ports; 0 (the default here) picks a free one. The CLI defaults are 8085 / 9050 / 4443. */
  pubsubPort?: number;
  bigqueryPort?: number;
  storagePort?: number;
  /** Persist each service's state as `<dataDir>/<service>.json`; in memory only when absent. */
  dataDir?: string;
  /** Which services to start (default: all three). */
  services?: readonly EmulatedService[];
}

export interface RunningEmulators {
  /** `127.0.0.1:PORT` of each started service. */
  pubsubHost?: string;
  bigqueryHost?: string;
  storageHost?: string;
  /** `http://127.0.0.1:PORT`, for the REST clients' `apiEndpoint`. */
  bigqueryEndpoint?: string;
  storageEndpoint?: string;
  /**
   * The variables that point the official clients here, in the form each expects:
   * PUBSUB_EMULATOR_HOST is `host:port` (no scheme); BIGQUERY_EMULATOR_HOST and
   * STORAGE_EMULATOR_HOST need `http://` (the clients use the value as their base URL).
   */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startEmulators(options: EmulatorsOptions = {}): Promise<RunningEmulators> {
  const services = new Set(options.services ?? ALL_SERVICES);
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    // Stop in reverse start order; one failure must not keep the others running.
    const results = await Promise.allSettled(started.splice(0).reverse().map((s) => s.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  };
  const running: RunningEmulators = { env: {}, stop: stopAll };
  try {
    if (services.has("pubsub")) {
      const pubsub: PubSubEmulator = await startPubSubEmulator({ port: options.pubsubPort ?? 0, dataDir: options.dataDir });
      started.push(pubsub);
      running.pubsubHost = pubsub.host;
      running.env.PUBSUB_EMULATOR_HOST = pubsub.host;
    }
    if (services.has("bigquery")) {
      const bigquery: BigQueryEmulator = await startBigQueryEmulator({ port: options.bigqueryPort ?? 0, dataDir: options.dataDir });
      started.push(bigquery);
      running.bigqueryHost = bigquery.host;
      running.bigqueryEndpoint = bigquery.endpoint;
      running.env.BIGQUERY_EMULATOR_HOST = bigquery.endpoint;
    }
    if (services.has("storage")) {
      const storage: StorageEmulator = await startStorageEmulator({ port: options.storagePort ?? 0, dataDir: options.dataDir });
      started.push(storage);
      running.storageHost = storage.host;
      running.storageEndpoint = storage.endpoint;
      running.env.STORAGE_EMULATOR_HOST = storage.endpoint;
    }
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
  return running;
}
