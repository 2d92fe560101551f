/**
 * Programmatic API of the local GCP emulators (Pub/Sub over gRPC, BigQuery and Cloud Storage over
 * REST), all on 127.0.0.1. Tests start them in-process on free ports:
 *
 *     const emulators = await startEmulators({ pubsubPort: 0, bigqueryPort: 0, storagePort: 0 });
 *     new Storage({ projectId: "p", apiEndpoint: emulators.storageEndpoint });
 *     emulators.storage!.faults.failNext("storage.objects.insert", 2);   // fault injection
 *     await emulators.restart("pubsub");                                  // same port, same data_dir
 *     ...
 *     await emulators.stop();
 *
 * `main.ts` is the command-line front end (`npx beamline emulators`).
 *
 * @module beamline/emulators
 */
import { startAdminServer, type AdminTarget } from "./common/admin";
import type { LoopbackServer } from "./common/http";
import { startBigQueryEmulator, type BigQueryEmulator } from "./bigquery/server";
import { startPubSubEmulator, type PubSubEmulator } from "./pubsub/server";
import { startStorageEmulator, type StorageEmulator } from "./storage/server";

export { startStorageEmulator, type StorageEmulator, type StorageEmulatorOptions } from "./storage/server";
export { startBigQueryEmulator, type BigQueryEmulator, type BigQueryEmulatorOptions } from "./bigquery/server";
export { startPubSubEmulator, type PubSubEmulator, type PubSubEmulatorOptions } from "./pubsub/server";
export { FaultInjector, type Fault, type FaultRule, type MethodStats } from "./common/faults";

/** A service the emulators provide. */
export type EmulatedService = "pubsub" | "bigquery" | "storage";
/** Every emulated service. */
export const ALL_SERVICES: readonly EmulatedService[] = ["pubsub", "bigquery", "storage"];

/** What `startEmulators` starts, and how. */
export interface EmulatorsOptions {
  /** Ports; 0 (the default here) picks a free one. The CLI defaults are 8085 / 9050 / 4443. */
  pubsubPort?: number;
  /** The BigQuery emulator's port (0: a free one). */
  bigqueryPort?: number;
  /** The Cloud Storage emulator's port (0: a free one). */
  storagePort?: number;
  /** Persist each service's state under `<dataDir>/<service>/`; in memory only when absent. */
  dataDir?: string;
  /** Which services to start (default: all three). */
  services?: readonly EmulatedService[];
  /** Cloud Storage: the largest object an upload may create (default 1 GiB). */
  maxObjectBytes?: number;
  /** BigQuery: the largest load-job upload (default 1 GiB). */
  maxUploadBytes?: number;
  /** BigQuery: the most bytes of rows in one page (default 10 MiB, the service's limit). */
  maxPageBytes?: number;
  /** BigQuery: queries running longer are cancelled (default 5 minutes). */
  maxQueryMs?: number;
  /** Start the admin endpoint (fault injection, restarts) on this port; 0 = a free one. Off when absent. */
  adminPort?: number;
}

/** Started emulators: their addresses, the environment that points clients at them, and controls. */
export interface RunningEmulators {
  /** `127.0.0.1:PORT` of each started service. */
  pubsubHost?: string;
  /** `127.0.0.1:PORT` of the BigQuery emulator. */
  bigqueryHost?: string;
  /** `127.0.0.1:PORT` of the Cloud Storage emulator. */
  storageHost?: string;
  /** `http://127.0.0.1:PORT`, for the REST clients' `apiEndpoint`. */
  bigqueryEndpoint?: string;
  /** `http://127.0.0.1:PORT` of the Cloud Storage emulator, for `apiEndpoint`. */
  storageEndpoint?: string;
  /** `http://127.0.0.1:PORT` of the admin endpoint, when started. */
  adminEndpoint?: string;
  /** The services themselves: their `faults`, `restart()`, ports. */
  pubsub?: PubSubEmulator;
  /** The BigQuery emulator, if started. */
  bigquery?: BigQueryEmulator;
  /** The Cloud Storage emulator, if started. */
  storage?: StorageEmulator;
  /**
   * The variables that point the official clients here, in the form each expects:
   * PUBSUB_EMULATOR_HOST is `host:port` (no scheme); BIGQUERY_EMULATOR_HOST and
   * STORAGE_EMULATOR_HOST need `http://` (the clients use the value as their base URL).
   */
  env: Record<string, string>;
  /** Restarts one service, or all: stop, then start on the same port (state kept with `dataDir`). */
  restart(service?: EmulatedService): Promise<void>;
  /** Stops every service started (a test must call it, or the process keeps running). */
  stop(): Promise<void>;
}

/**
 * Starts local Pub/Sub, BigQuery and Cloud Storage emulators on 127.0.0.1, for tests and offline
 * runs. Export `env` (or set it in `process.env`) and the official clients, and so Beamline's IOs,
 * talk to them:
 *
 * ```ts
 * const emulators = await startEmulators({ services: ["pubsub"] });
 * Object.assign(process.env, emulators.env);
 * try { ... } finally { await emulators.stop(); }
 * ```
 */
export async function startEmulators(options: EmulatorsOptions = {}): Promise<RunningEmulators> {
  const services = new Set(options.services ?? ALL_SERVICES);
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    // Stop in reverse start order; one failure must not keep the others running.
    const results = await Promise.allSettled(started.splice(0).reverse().map((s) => s.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  };
  const targets = new Map<EmulatedService, AdminTarget>();
  const running: RunningEmulators = {
    env: {},
    stop: stopAll,
    restart: async (service) => {
      for (const [name, target] of targets) if (service === undefined || service === name) await target.restart();
      if (service !== undefined && !targets.has(service)) throw new Error(`The ${service} emulator is not running (running: ${[...targets.keys()].join(", ")})`);
    },
  };
  try {
    if (services.has("pubsub")) {
      const pubsub = await startPubSubEmulator({ port: options.pubsubPort ?? 0, dataDir: options.dataDir });
      started.push(pubsub);
      targets.set("pubsub", pubsub);
      running.pubsub = pubsub;
      running.pubsubHost = pubsub.host;
      running.env.PUBSUB_EMULATOR_HOST = pubsub.host;
    }
    if (services.has("bigquery")) {
      const bigquery = await startBigQueryEmulator({ port: options.bigqueryPort ?? 0, dataDir: options.dataDir, maxUploadBytes: options.maxUploadBytes, maxPageBytes: options.maxPageBytes, maxQueryMs: options.maxQueryMs });
      started.push(bigquery);
      targets.set("bigquery", bigquery);
      running.bigquery = bigquery;
      running.bigqueryHost = bigquery.host;
      running.bigqueryEndpoint = bigquery.endpoint;
      running.env.BIGQUERY_EMULATOR_HOST = bigquery.endpoint;
    }
    if (services.has("storage")) {
      const storage = await startStorageEmulator({ port: options.storagePort ?? 0, dataDir: options.dataDir, maxObjectBytes: options.maxObjectBytes });
      started.push(storage);
      targets.set("storage", storage);
      running.storage = storage;
      running.storageHost = storage.host;
      running.storageEndpoint = storage.endpoint;
      running.env.STORAGE_EMULATOR_HOST = storage.endpoint;
    }
    if (options.adminPort !== undefined) {
      const admin: LoopbackServer = await startAdminServer(options.adminPort, () => targets);
      started.push({ stop: () => admin.close() });
      running.adminEndpoint = `http://127.0.0.1:${admin.port}`;
    }
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
  return running;
}
