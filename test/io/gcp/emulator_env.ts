/** Test helper: starts the local emulators on free ports and points the SDK's clients at them. */
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import { startEmulators, type EmulatedService, type EmulatorsOptions, type RunningEmulators } from "../../../setup/emulators";
import { resetGcpClients } from "../../../lib/io/gcp/clients";
import { PubSubReader } from "../../../lib/io/pubsub";
import { isolateFromGoogleCredentials, setEnv } from "../../setup/emulators/helpers";

export const TEST_PROJECT = "beamline-test";

/** Running emulators with the environment set; `stop()` restores the environment. */
export interface EmulatorEnv {
  readonly emulators: RunningEmulators;
  stop(): Promise<void>;
}

export async function startEmulatorEnv(services: readonly EmulatedService[], options: Omit<EmulatorsOptions, "services"> = {}): Promise<EmulatorEnv> {
  const restoreCredentials = isolateFromGoogleCredentials();
  const emulators = await startEmulators({ pubsubPort: 0, bigqueryPort: 0, storagePort: 0, ...options, services });
  const restoreEnv = setEnv({ ...emulators.env, GOOGLE_CLOUD_PROJECT: TEST_PROJECT });
  await resetGcpClients();
  return {
    emulators,
    async stop() {
      await resetGcpClients();
      await emulators.stop();
      restoreEnv();
      restoreCredentials();
    },
  };
}

/**
 * Reads a subscription until two pulls in a row come back empty, acknowledging what it read: the
 * messages' data as text (with `idAttribute`, each id once).
 */
export async function pullAllText(subscription: string, idAttribute?: string): Promise<string[]> {
  const got: string[] = [];
  const reader = await PubSubReader.open(idAttribute !== undefined ? { subscription, idAttribute } : { subscription });
  try {
    for (let empty = 0; empty < 2; ) {
      const batch = await reader.pull(500, 1000);
      if (batch.length === 0) empty++;
      got.push(...batch.map((m) => Buffer.from(m.value).toString()));
      await reader.commit(batch.map((m) => m.ackId));
    }
  } finally {
    await reader.close();
  }
  return got;
}

/** The Pub/Sub emulator of a suite, and an admin client of it (set once the suite's `before` hook ran). */
export interface PubSubEmulator {
  env: EmulatorEnv;
  pubsub: PubSub;
}

/** Starts the Pub/Sub emulator before the enclosing suite's tests and stops it after them. */
export function usePubSubEmulator(): PubSubEmulator {
  const emulator = {} as PubSubEmulator;
  before(async () => {
    emulator.env = await startEmulatorEnv(["pubsub"]);
    emulator.pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: emulator.env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
  });
  after(async () => {
    await emulator.pubsub?.close();
    await emulator.env?.stop();
  });
  return emulator;
}
