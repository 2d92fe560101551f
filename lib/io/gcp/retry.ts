/**
 * Retries of Google Cloud calls. The official clients retry transient failures themselves, with
 * exponential backoff and jitter; the IO configures them (./clients) rather than looping by hand:
 *
 * - Cloud Storage: every call is retried (`IdempotencyStrategy.RetryAlways`): the IO only makes
 *   calls that are safe to repeat (whole-object writes, copies, deletes that ignore a missing
 *   object, reads), so they need no preconditions to be retried.
 * - BigQuery: requests failing with 408, 429, 5xx or a dropped connection; job insertions are safe
 *   to repeat because the client names the job (a repeat gets "already exists" and is resolved).
 *   Streaming inserts carry insertIds, so a repeated batch is de-duplicated.
 * - Pub/Sub: each RPC's retry codes and backoff from the client's own configuration (UNAVAILABLE
 *   and DEADLINE_EXCEEDED for acks and pulls, more for Publish).
 *
 * Every retried failure is counted: in the process (`gcpRetryCounts()`) and, when it happens
 * inside a transform, as the counters `beamline/gcsRetries`, `beamline/bigqueryRetries` and
 * `beamline/pubsubRetries` of that step (in the run's metrics and the end-of-run counter list).
 * Requests that get no answer within `requestTimeoutMs` are ended and retried (./request_timeout),
 * each counted when it times out. Not counted: BigQuery requests repeated after a dropped
 * connection (the client retries those below the hook it offers).
 */
import type { Interceptor, InterceptorOptions, NextCall, StatusObject } from "@grpc/grpc-js";
import { activeMetrics, Metrics, runInContainer, SYSTEM_NAMESPACE } from "../../model/metrics";
import { classify } from "./errors";

export type GcpService = "storage" | "bigquery" | "pubsub";

/** How the REST clients (Storage, BigQuery) retry; Pub/Sub keeps its per-RPC configuration. */
export interface GcpRetrySettings {
  /** Retries after the first attempt (default 5; the clients' own default is 3). */
  readonly maxRetries: number;
  /** Longest wait between attempts, in seconds (default 64, the clients' own; at least 1, Storage's shortest wait). */
  readonly maxRetryDelaySeconds: number;
  /** Each wait is this many times the previous one (default 2). */
  readonly retryDelayMultiplier: number;
  /**
   * A request (a resumable upload: each of its requests) with no byte sent or received for this
   * many milliseconds is ended and retried (default 60,000, or BEAMLINE_GCP_REQUEST_TIMEOUT_MS;
   * 0: no timeout). Applies to requests started afterwards, by every client.
   */
  readonly requestTimeoutMs: number;
  /**
   * Pub/Sub: the backoff of every RPC's retries, replacing the client's per-method configuration
   * (Publish waits 0.1 s × 4ⁿ, up to 60 s; the others 0.1 s × 1.3ⁿ). Absent (the default): the
   * client's own. Which failures are retried stays the client's choice.
   */
  readonly pubsubBackoff?: {
    /** Longest wait between attempts, in milliseconds. */
    readonly maxRetryDelayMillis: number;
    /** Each wait is at most this many times the previous one (at least 1). */
    readonly retryDelayMultiplier: number;
  };
}

/** The default request timeout: BEAMLINE_GCP_REQUEST_TIMEOUT_MS (read by worker threads and processes too), else 60 s. */
function defaultRequestTimeoutMs(): number {
  const text = process.env["BEAMLINE_GCP_REQUEST_TIMEOUT_MS"];
  if (text === undefined || text === "") return 60_000;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`BEAMLINE_GCP_REQUEST_TIMEOUT_MS must be a whole number of milliseconds (0: no timeout), got '${text}'`);
  return ms;
}

const DEFAULT_RETRY_SETTINGS: GcpRetrySettings = { maxRetries: 5, maxRetryDelaySeconds: 64, retryDelayMultiplier: 2, requestTimeoutMs: defaultRequestTimeoutMs() };
let retrySettings = DEFAULT_RETRY_SETTINGS;

/**
 * Changes how Storage and BigQuery calls are retried, for clients created afterwards (call
 * `resetGcpClients()` to apply it to cached ones). Returns the previous settings. Lower delays suit
 * tests against the emulators; the defaults suit the real services.
 */
export function setGcpRetrySettings(settings: Partial<GcpRetrySettings>): GcpRetrySettings {
  const previous = retrySettings;
  const next = { ...retrySettings, ...settings };
  if (!Number.isInteger(next.maxRetries) || next.maxRetries < 0) throw new RangeError(`setGcpRetrySettings: maxRetries must be a non-negative integer, got ${next.maxRetries}`);
  if (!(next.maxRetryDelaySeconds >= 1)) throw new RangeError(`setGcpRetrySettings: maxRetryDelaySeconds must be at least 1 (Cloud Storage waits at least 1 s between attempts), got ${next.maxRetryDelaySeconds}`);
  if (!(next.retryDelayMultiplier >= 1)) throw new RangeError(`setGcpRetrySettings: retryDelayMultiplier must be at least 1, got ${next.retryDelayMultiplier}`);
  const backoff = next.pubsubBackoff;
  if (backoff !== undefined && !(backoff.maxRetryDelayMillis >= 1 && backoff.retryDelayMultiplier >= 1)) {
    throw new RangeError(`setGcpRetrySettings: pubsubBackoff needs maxRetryDelayMillis and retryDelayMultiplier of at least 1, got ${JSON.stringify(backoff)}`);
  }
  if (!Number.isInteger(next.requestTimeoutMs) || next.requestTimeoutMs < 0) throw new RangeError(`setGcpRetrySettings: requestTimeoutMs must be a whole number of milliseconds (0: no timeout), got ${next.requestTimeoutMs}`);
  retrySettings = next;
  return previous;
}

export function gcpRetrySettings(): GcpRetrySettings {
  return retrySettings;
}

const counts: Record<GcpService, number> = { storage: 0, bigquery: 0, pubsub: 0 };
const counters = {
  storage: Metrics.counter(SYSTEM_NAMESPACE, "gcsRetries"),
  bigquery: Metrics.counter(SYSTEM_NAMESPACE, "bigqueryRetries"),
  pubsub: Metrics.counter(SYSTEM_NAMESPACE, "pubsubRetries"),
};

/** Counts one retried failure of a call to `service`. */
export function recordRetry(service: GcpService): void {
  counts[service]++;
  try {
    counters[service].inc();
  } catch {
    // Not inside a transform (e.g. a lookup while the pipeline is built): the process count has it.
  }
}

/**
 * Runs `call` so that the retries it causes count on the current step even when the calling DoFn
 * method is not `async` (runners give those no scope that survives an `await`).
 */
export function attributedToStep<T>(call: () => Promise<T>): Promise<T> {
  const container = activeMetrics.container;
  return container !== undefined ? runInContainer(container, call) : call();
}

/** Retried failures per service since the process started. */
export function gcpRetryCounts(): Readonly<Record<GcpService, number>> {
  return { ...counts };
}

/** Marks our request timeouts' errors (kept in the message by node-fetch and gaxios, which wrap them). */
export const REQUEST_TIMEOUT_MARK = "beamline request timeout";

/**
 * Whether `err` is (or wraps) a request ended by a timeout: ours (./request_timeout), whose message
 * node-fetch and gaxios keep, or an ETIMEDOUT code (what Storage's resumable upload passes on of it:
 * `{ errors: [{ reason: "ETIMEDOUT" }] }`).
 */
export function isRequestTimeout(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { message?: unknown; code?: unknown; errors?: unknown };
  if (typeof e.message === "string" && e.message.includes(REQUEST_TIMEOUT_MARK)) return true;
  if (e.code === "ETIMEDOUT") return true;
  return Array.isArray(e.errors) && e.errors.some((x: unknown) => typeof x === "object" && x !== null && (x as { reason?: unknown }).reason === "ETIMEDOUT");
}

/**
 * A REST client's `retryableErrorFn` that decides with `isRetryable` and counts the retries.
 * Timed-out requests are always retried, and not counted again here: they were when they timed out.
 */
export function countingRetryable<E>(service: GcpService, isRetryable: (err: E) => boolean): (err: E) => boolean {
  return (err) => {
    if (isRequestTimeout(err)) return true;
    const retry = isRetryable(err);
    if (retry) recordRetry(service);
    return retry;
  };
}

/** Transient for BigQuery: 408, 429, 5xx and dropped connections (as `@google-cloud/common` decides, plus resets). */
export function isTransientHttpError(err: unknown): boolean {
  if (classify(err) === "transient") return true;
  const reasons = (err as { errors?: { reason?: string }[] } | undefined)?.errors?.map((e) => e.reason) ?? [];
  return reasons.includes("rateLimitExceeded") || reasons.includes("backendError");
}

/** gRPC codes the Pub/Sub client retries (each method retries a subset of these). */
const TRANSIENT_GRPC_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 10 /* ABORTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */]);

/**
 * A grpc-js client option (`grpc.callInvocationTransformer`, passed through by google-gax) that
 * adds to every call an interceptor counting attempts that end with a transient status: the
 * client retries those (gax retries below this level, so each attempt is seen).
 */
export function countGrpcRetries(service: GcpService): (props: { callOptions: { interceptors?: Interceptor[] } }) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { InterceptingCall } = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
  const interceptor: Interceptor = (options: InterceptorOptions, nextCall: NextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status: StatusObject, nextStatus: (s: StatusObject) => void) {
            if (TRANSIENT_GRPC_CODES.has(status.code)) recordRetry(service);
            nextStatus(status);
          },
        });
      },
    });
  return (props) => ({ ...props, callOptions: { ...props.callOptions, interceptors: [...(props.callOptions.interceptors ?? []), interceptor] } });
}

/**
 * Runs `fn` with retries and exponential backoff (with jitter) while it fails transiently. Only for
 * what the clients cannot retry themselves (e.g. a load job's upload, which is a stream); each
 * retry is counted for `service` when given.
 */
export async function withRetries<T>(fn: () => Promise<T>, options: { readonly attempts?: number; readonly initialDelayMs?: number; readonly service?: GcpService } = {}): Promise<T> {
  const attempts = options.attempts ?? 5;
  let delay = options.initialDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || classify(err) !== "transient") throw err;
      // A request timeout was counted when it timed out (./request_timeout).
      if (options.service !== undefined && !isRequestTimeout(err)) recordRetry(options.service);
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
      delay = Math.min(delay * 2, 10_000);
    }
  }
}
