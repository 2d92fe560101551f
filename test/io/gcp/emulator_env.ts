/** Test helper: starts the local emulators on free ports and points the SDK's clients at them. */
import { startEmulators, type EmulatedService, type EmulatorsOptions, type RunningEmulators } from "../../../setup/emulators";
import { resetGcpClients } from "../../../lib/io/gcp/clients";
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
