/** Test helper: a suite's BigQuery emulator, a real client pointed at it, and one dataset. */
import { BigQuery, type Dataset } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

export interface EmulatedDataset {
  /** The running emulators (for fault injection). */
  readonly env: EmulatorEnv;
  /** The dataset the suite writes into. */
  readonly dataset: Dataset;
}

/**
 * Registers the calling suite's hooks: starts the BigQuery emulator and creates `name` before its
 * tests, stops the emulator after them. Call inside `describe`; read the result from the tests.
 */
export function emulatedDataset(name: string): () => EmulatedDataset {
  let env: EmulatorEnv | undefined;
  let dataset: Dataset | undefined;
  before(async () => {
    env = await startEmulatorEnv(["bigquery"]);
    const bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    [dataset] = await bq.createDataset(name);
  });
  after(async () => {
    await env?.stop();
  });
  return () => {
    if (env === undefined || dataset === undefined) throw new Error("emulatedDataset: read before the suite's before() hook ran");
    return { env, dataset };
  };
}
