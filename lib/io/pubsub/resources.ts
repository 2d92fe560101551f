/**
 * Pub/Sub names, message types and error messages shared by ReadFromPubSub and WriteToPubSub.
 *
 * Topics and subscriptions are written `projects/PROJECT/topics/NAME` /
 * `projects/PROJECT/subscriptions/NAME`, or as a bare NAME in the default project.
 */
import type { PubSub } from "@google-cloud/pubsub";
import { pubsubClient } from "../gcp/clients";
import { gcpError, GcpIoError } from "../gcp/errors";

/** A Pub/Sub message with its attributes (`withAttributes: true`). */
export interface PubsubMessage {
  readonly data: Uint8Array;
  readonly attributes: Readonly<Record<string, string>>;
  /** Set on messages read; ignored when writing. */
  readonly messageId?: string;
  /** Set on messages read; ignored when writing. */
  readonly publishTime?: Date;
}

/** A parsed resource name. */
export interface PubSubName {
  readonly project: string | undefined;
  readonly name: string;
}

const FULL = /^projects\/([^/]+)\/(topics|subscriptions)\/([^/]+)$/;

/** Splits `projects/P/topics/T` (or a bare `T`) for the given kind. */
export function parsePubSubName(spec: string, kind: "topics" | "subscriptions"): PubSubName {
  const m = FULL.exec(spec);
  if (m !== null) {
    if (m[2] !== kind) throw new GcpIoError(`'${spec}' is a ${m[2] === "topics" ? "topic" : "subscription"}, not a ${kind === "topics" ? "topic" : "subscription"}.`, spec);
    return { project: m[1], name: m[3]! };
  }
  if (spec.includes("/") || spec === "") {
    throw new GcpIoError(`'${spec}' is not a Pub/Sub ${kind === "topics" ? "topic" : "subscription"} name; write projects/PROJECT/${kind}/NAME or just NAME.`, spec);
  }
  return { project: undefined, name: spec };
}

/** The client for a name's project (or the default one) and the full resource path. */
export function resolve(spec: string, kind: "topics" | "subscriptions", project?: string): { client: PubSub; path: string; short: string } {
  const parsed = parsePubSubName(spec, kind);
  const client = pubsubClient(parsed.project ?? project);
  const projectId = parsed.project ?? client.projectId;
  return { client, path: `projects/${projectId}/${kind}/${parsed.name}`, short: parsed.name };
}

/** A client error for a topic, naming it and saying what to do. */
export function topicError(action: string, path: string, err: unknown): GcpIoError {
  const short = path.split("/").pop();
  return gcpError(`${action} Pub/Sub topic ${path}`, `topic ${path}`, err, {
    notFound: `Create it (gcloud pubsub topics create ${short}) or fix the name`,
    permission: "Grant the pipeline's account roles/pubsub.publisher (or roles/pubsub.editor) on the topic",
  });
}

/** A client error for a subscription, naming it and saying what to do. */
export function subscriptionError(action: string, path: string, err: unknown): GcpIoError {
  const short = path.split("/").pop();
  return gcpError(`${action} Pub/Sub subscription ${path}`, `subscription ${path}`, err, {
    notFound: `Create it (gcloud pubsub subscriptions create ${short} --topic TOPIC), read from the topic instead, or fix the name`,
    permission: "Grant the pipeline's account roles/pubsub.subscriber on the subscription",
  });
}

/**
 * Calls a unary RPC on the client's own gax (GAPIC) client: emulator endpoint, credentials, retries
 * and timeouts are the client's. Not through `PubSub.request`, which deep-copies every request and
 * walks it for `{{projectId}}` tokens (our requests name full paths): for a Publish of hundreds of
 * messages or a Pull's acknowledgement that was ~14 µs per message, an eighth of a pass-through
 * pipeline's CPU. A closed client still goes through `request`, for its error.
 */
export async function rpc<T>(client: PubSub, service: "PublisherClient" | "SubscriberClient", method: string, reqOpts: object, timeoutMs?: number): Promise<T> {
  if (!client.isOpen) return viaRequest(client, service, method, reqOpts, timeoutMs);
  const gapic = (await client.getClientAsync_({ client: service })) as unknown as Record<string, (request: object, options: object) => Promise<[T, ...unknown[]]>> & { initialize(): Promise<unknown> };
  // Awaited here so that a failure to make the client's stub (no credentials, say) fails this call
  // only: a method call starts initialize() without waiting for it, and its rejection went
  // unhandled, which ends the process (a worker's, or a long streaming run's) instead of the step.
  await gapic.initialize();
  const call = gapic[method];
  if (typeof call !== "function") throw new Error(`the Pub/Sub ${service} has no method ${method}`);
  const [response] = await call.call(gapic, reqOpts, timeoutMs !== undefined ? { timeout: timeoutMs } : {});
  return response;
}

function viaRequest<T>(client: PubSub, service: "PublisherClient" | "SubscriberClient", method: string, reqOpts: object, timeoutMs?: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    client.request<T>(
      { client: service, method, reqOpts, ...(timeoutMs !== undefined ? { gaxOpts: { timeout: timeoutMs } } : {}) },
      (err: Error | null, res?: T | null) => (err ? reject(err) : resolve(res as T)),
    );
  });
}
