/**
 * Lazily created Google Cloud clients (Storage, BigQuery, Pub/Sub) shared by the GCP IO.
 *
 * The client libraries are `require`d inside these functions, so importing the SDK stays cheap
 * and programs that use no GCP IO never load them. Against Google the clients use Application
 * Default Credentials (`gcloud auth application-default login`, a service account key in
 * GOOGLE_APPLICATION_CREDENTIALS, or the metadata server). When an emulator variable is set
 * (STORAGE_EMULATOR_HOST, BIGQUERY_EMULATOR_HOST, PUBSUB_EMULATOR_HOST) the client talks to it
 * without credentials.
 *
 * Clients are cached per (endpoint, project): one per worker process, reused by every bundle.
 * Their retries of transient failures are configured here (see ./retry): exponential backoff by
 * the clients themselves, each retry counted. Storage and BigQuery requests also get a timeout of
 * our own (./request_timeout): the clients' `timeout` option is ignored by their HTTP layer.
 */
import type { BigQuery } from "@google-cloud/bigquery";
import type { PubSub } from "@google-cloud/pubsub";
import type { Storage } from "@google-cloud/storage";
import { installRequestTimeouts, registerEndpoint, timeoutAgentFor } from "./request_timeout";
import { countGrpcRetries, countingRetryable, gcpRetrySettings, isTransientHttpError } from "./retry";

/** The project id used when none is given: GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT, or undefined (the client discovers it). */
export function defaultProject(explicit?: string): string | undefined {
  return explicit ?? process.env["GOOGLE_CLOUD_PROJECT"] ?? process.env["GCLOUD_PROJECT"] ?? process.env["PUBSUB_PROJECT_ID"];
}

/** A placeholder project for emulators when the caller names none (emulators accept any id). */
const EMULATOR_PROJECT = "beamline-local";

const storages = new Map<string, Storage>();
const bigqueries = new Map<string, BigQuery>();
const pubsubs = new Map<string, PubSub>();

function passThroughAuth(): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PassThroughClient } = require("google-auth-library") as typeof import("google-auth-library");
  return new PassThroughClient();
}

/** The Storage client (STORAGE_EMULATOR_HOST honoured: then no credentials are used). */
export function storageClient(project?: string): Storage {
  const emulator = process.env["STORAGE_EMULATOR_HOST"];
  const projectId = defaultProject(project) ?? (emulator ? EMULATOR_PROJECT : undefined);
  const key = `${emulator ?? ""}|${projectId ?? ""}`;
  let client = storages.get(key);
  if (client === undefined) {
    installRequestTimeouts();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Storage: StorageClass, IdempotencyStrategy, RETRYABLE_ERR_FN_DEFAULT } = require("@google-cloud/storage") as typeof import("@google-cloud/storage");
    client = new StorageClass({
      ...(projectId ? { projectId } : {}),
      ...(emulator ? { apiEndpoint: withScheme(emulator) } : {}),
      // The IO's calls are all safe to repeat (see ./retry), so every one is retried, not only conditional ones.
      retryOptions: {
        ...restRetryOptions(),
        idempotencyStrategy: IdempotencyStrategy.RetryAlways,
        retryableErrorFn: countingRetryable("storage", RETRYABLE_ERR_FN_DEFAULT),
      },
    });
    // Resumable uploads go through gaxios, which takes the agent (and so the timeout) from the request options.
    // (The interceptor's declared types disagree with each other, hence the cast.)
    client.interceptors.push({ request: ((reqOpts: object) => Object.assign(reqOpts, { agent: timeoutAgentFor })) as never });
    if (emulator) registerEndpoint(emulator, "storage");
    storages.set(key, client);
  }
  return client;
}

/** The BigQuery client for a project (BIGQUERY_EMULATOR_HOST honoured: then no credentials are used). */
export function bigqueryClient(project?: string): BigQuery {
  const emulator = process.env["BIGQUERY_EMULATOR_HOST"];
  const projectId = defaultProject(project) ?? (emulator ? EMULATOR_PROJECT : undefined);
  const key = `${emulator ?? ""}|${projectId ?? ""}`;
  let client = bigqueries.get(key);
  if (client === undefined) {
    installRequestTimeouts();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { BigQuery: BigQueryClass } = require("@google-cloud/bigquery") as typeof import("@google-cloud/bigquery");
    client = new BigQueryClass({
      ...(projectId ? { projectId } : {}),
      ...(emulator ? { apiEndpoint: withScheme(emulator), authClient: passThroughAuth() as never } : {}),
      retryOptions: { ...restRetryOptions(), retryableErrorFn: countingRetryable("bigquery", isTransientHttpError) },
    });
    if (emulator) registerEndpoint(emulator, "bigquery");
    bigqueries.set(key, client);
  }
  return client;
}

/** The Pub/Sub client for a project (PUBSUB_EMULATOR_HOST honoured: then no credentials are used). */
export function pubsubClient(project?: string): PubSub {
  const emulator = process.env["PUBSUB_EMULATOR_HOST"];
  const projectId = defaultProject(project) ?? (emulator ? EMULATOR_PROJECT : undefined);
  const key = `${emulator ?? ""}|${projectId ?? ""}`;
  let client = pubsubs.get(key);
  if (client === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PubSub: PubSubClass } = require("@google-cloud/pubsub") as typeof import("@google-cloud/pubsub");
    client = new PubSubClass({
      ...(projectId ? { projectId } : {}),
      ...(emulator ? { apiEndpoint: emulator.replace(/^https?:\/\//, ""), emulatorMode: true, authClient: passThroughAuth() as never } : {}),
      // gax retries each RPC per the client's configuration; this counts the retried attempts.
      "grpc.callInvocationTransformer": countGrpcRetries("pubsub"),
      ...pubsubClientConfig(),
    } as ConstructorParameters<typeof PubSubClass>[0]);
    pubsubs.set(key, client);
  }
  return client;
}

/** Closes and forgets every cached client (tests that stop emulators call this). */
export async function resetGcpClients(): Promise<void> {
  const closing = [...pubsubs.values()].map((c) => c.close().catch(() => undefined));
  storages.clear();
  bigqueries.clear();
  pubsubs.clear();
  await Promise.all(closing);
}

function restRetryOptions(): { autoRetry: true; maxRetries: number; maxRetryDelay: number; retryDelayMultiplier: number } {
  const settings = gcpRetrySettings();
  return { autoRetry: true, maxRetries: settings.maxRetries, maxRetryDelay: settings.maxRetryDelaySeconds, retryDelayMultiplier: settings.retryDelayMultiplier };
}

/** The RPCs of the Pub/Sub services the IO calls (each gets `pubsubBackoff`, when set). */
const PUBSUB_METHODS = {
  "google.pubsub.v1.Publisher": ["CreateTopic", "UpdateTopic", "Publish", "GetTopic", "ListTopics", "ListTopicSubscriptions", "ListTopicSnapshots", "DeleteTopic", "DetachSubscription"],
  "google.pubsub.v1.Subscriber": ["CreateSubscription", "GetSubscription", "UpdateSubscription", "ListSubscriptions", "DeleteSubscription", "ModifyAckDeadline", "Acknowledge", "Pull", "StreamingPull", "ModifyPushConfig", "Seek"],
} as const;

/**
 * gax's `clientConfig` override giving every Pub/Sub RPC the backoff of `pubsubBackoff`: a
 * method naming retry params (and no retry codes) changes only how long the client waits.
 */
function pubsubClientConfig(): { clientConfig?: object } {
  const backoff = gcpRetrySettings().pubsubBackoff;
  if (backoff === undefined) return {};
  const params = {
    initial_retry_delay_millis: Math.min(100, backoff.maxRetryDelayMillis),
    retry_delay_multiplier: backoff.retryDelayMultiplier,
    max_retry_delay_millis: backoff.maxRetryDelayMillis,
    // The rest as the client's own configuration has them.
    initial_rpc_timeout_millis: 60_000,
    rpc_timeout_multiplier: 1,
    max_rpc_timeout_millis: 60_000,
    total_timeout_millis: 600_000,
  };
  const interfaces = Object.fromEntries(
    Object.entries(PUBSUB_METHODS).map(([service, methods]) => [service, { retry_params: { beamline: params }, methods: Object.fromEntries(methods.map((m) => [m, { retry_params_name: "beamline" }])) }]),
  );
  return { clientConfig: { interfaces } };
}

function withScheme(host: string): string {
  return /^https?:\/\//.test(host) ? host.replace(/\/+$/, "") : `http://${host.replace(/\/+$/, "")}`;
}
