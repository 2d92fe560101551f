/**
 * The Dataflow v1b3 REST calls Beamline needs (BEAM_PORTABILITY.md §5.4), authenticated with
 * Application Default Credentials through google-auth-library. The endpoint is overridable
 * (--dataflow_endpoint) so tests and regional endpoints work.
 *
 * Transient failures (HTTP 408, 429, 5xx, and requests that got no response: ECONNRESET,
 * ETIMEDOUT, ...) are retried with exponential backoff by gaxios, the HTTP client under
 * google-auth-library, as Beam Python's apiclient retries them: job creation a few times (the
 * request carries a clientRequestId, so a retried create that already succeeded is recognised),
 * polling and message listing longer, and a job briefly not found right after creation too.
 */
import { GoogleAuth } from "google-auth-library";
import type { AuthClient, gaxios } from "google-auth-library";
import { PipelineError } from "../../lib/model/errors";

export const DATAFLOW_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];

/** The parts of a v1b3 Job Beamline reads. */
export interface DataflowJob {
  readonly id: string;
  readonly name?: string;
  readonly type?: string;
  readonly currentState?: string;
  readonly currentStateTime?: string;
  readonly requestedState?: string;
  readonly clientRequestId?: string;
}

export interface DataflowMessage {
  readonly id: string;
  readonly time: string;
  readonly messageImportance?: string;
  readonly messageText: string;
}

/**
 * One v1b3 MetricUpdate: a counter (`scalar`), a distribution, or a string set (`set`, the Set
 * aggregation kind: a list of values), named by origin, name and context.
 */
export interface DataflowMetricUpdate {
  readonly name: { readonly origin?: string; readonly name: string; readonly context?: Readonly<Record<string, string>> };
  readonly scalar?: unknown;
  readonly distribution?: unknown;
  readonly set?: unknown;
  /** A bounded trie (metrics.proto's BoundedTrie as JSON), as Beam Java's DataflowMetrics reads it. */
  readonly trie?: unknown;
  readonly updateTime?: string;
}

/** The v1b3 JobMetrics resource. */
export interface DataflowJobMetrics {
  readonly metricTime?: string;
  readonly metrics?: readonly DataflowMetricUpdate[];
}

export const TERMINAL_JOB_STATES: ReadonlySet<string> = new Set(["JOB_STATE_DONE", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_DRAINED", "JOB_STATE_UPDATED"]);

/** Exponential backoff: delay n (from 1) is min(maxDelayMs, initialDelayMs · 2^(n-1)), jittered down by up to half. */
export interface RetryPolicy {
  /** Retries of polls, message listing and state changes (job creation: at most 3, as Beam Python). */
  readonly retries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** About 6 minutes of trying before a poll gives up (Beam Python's get_job keeps trying about 10). */
export const DEFAULT_RETRY: RetryPolicy = { retries: 8, initialDelayMs: 2_000, maxDelayMs: 120_000 };
const CREATE_RETRIES = 3;

interface CallOptions {
  readonly retries: number;
  /** Also retry 404 (a job not yet visible right after creation), as Beam Python's get_job does. */
  readonly retryNotFound?: boolean;
  readonly signal?: AbortSignal;
}

const RETRY_STATUS: number[][] = [
  [408, 408],
  [429, 429],
  [500, 599],
];

/** Resolves after `ms`, or at once when the signal aborts (the request that follows then fails as aborted). */
function backoff(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export class DataflowClient {
  private readonly auth: GoogleAuth<AuthClient>;
  private readonly retry: RetryPolicy;
  constructor(
    readonly endpoint: string,
    readonly project: string,
    readonly region: string,
    authClient?: AuthClient,
    options: { readonly retry?: Partial<RetryPolicy>; readonly log?: (line: string) => void } = {},
  ) {
    this.auth = new GoogleAuth({ scopes: DATAFLOW_SCOPES, ...(authClient !== undefined ? { authClient } : {}) });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.log = options.log ?? ((l) => process.stderr.write(`${l}\n`));
  }
  private readonly log: (line: string) => void;

  private url(path: string): string {
    return `${this.endpoint}/v1b3/projects/${encodeURIComponent(this.project)}/locations/${encodeURIComponent(this.region)}/${path}`;
  }

  private retryConfig(method: string, path: string, o: CallOptions): gaxios.RetryConfig {
    const { initialDelayMs, maxDelayMs } = this.retry;
    return {
      retry: o.retries,
      noResponseRetries: o.retries,
      httpMethodsToRetry: [method],
      statusCodesToRetry: o.retryNotFound === true ? [[404, 404], ...RETRY_STATUS] : RETRY_STATUS,
      retryBackoff: (err: gaxios.GaxiosError) => {
        const attempt = err.config.retryConfig?.currentRetryAttempt ?? 1;
        const delay = Math.round(Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
        const why = err.status !== undefined ? `HTTP ${err.status}` : (err.code ?? err.message);
        this.log(`DataflowRunner: Dataflow ${method} ${path.split("?")[0]} failed (${why}); retry ${attempt} of ${o.retries} in ${(delay / 1000).toFixed(1)} s`);
        return backoff(delay, o.signal);
      },
    };
  }

  private async call<T>(method: "GET" | "POST" | "PUT", path: string, data: object | undefined, o: CallOptions): Promise<T> {
    const client = await this.auth.getClient();
    try {
      const res = await client.request<T>({ url: this.url(path), method, data, responseType: "json", signal: o.signal, retry: true, retryConfig: this.retryConfig(method, path, o) });
      return res.data;
    } catch (e) {
      const err = e as { status?: number; response?: { status?: number; data?: { error?: { message?: string } } }; message: string };
      const status = err.response?.status ?? err.status;
      const detail = err.response?.data?.error?.message ?? err.message;
      throw new DataflowApiError(`Dataflow ${method} ${path.split("?")[0]} failed${status !== undefined ? ` (HTTP ${status})` : ""}: ${detail}`, status, { cause: e });
    }
  }

  createJob(job: object): Promise<DataflowJob> {
    return this.call("POST", "jobs", job, { retries: Math.min(CREATE_RETRIES, this.retry.retries) });
  }

  /** `justCreated`: also retry "not found", which a job just created can briefly be. */
  getJob(jobId: string, options: { readonly signal?: AbortSignal; readonly justCreated?: boolean } = {}): Promise<DataflowJob> {
    return this.call("GET", `jobs/${encodeURIComponent(jobId)}`, undefined, { retries: this.retry.retries, retryNotFound: options.justCreated === true, signal: options.signal });
  }

  async messages(jobId: string, startTime?: string, signal?: AbortSignal): Promise<DataflowMessage[]> {
    const out: DataflowMessage[] = [];
    let pageToken: string | undefined;
    do {
      const q = new URLSearchParams({ minimumImportance: "JOB_MESSAGE_BASIC" });
      if (startTime !== undefined) q.set("startTime", startTime);
      if (pageToken !== undefined) q.set("pageToken", pageToken);
      const r = await this.call<{ jobMessages?: DataflowMessage[]; nextPageToken?: string }>("GET", `jobs/${encodeURIComponent(jobId)}/messages?${q.toString()}`, undefined, {
        retries: this.retry.retries,
        retryNotFound: true,
        signal,
      });
      out.push(...(r.jobMessages ?? []));
      pageToken = r.nextPageToken;
    } while (pageToken !== undefined && pageToken !== "");
    return out;
  }

  /** The active job (Dataflow's ACTIVE filter) of this name in the region, as Beam Go's GetRunningJobByName. */
  async activeJobNamed(name: string): Promise<DataflowJob | undefined> {
    let pageToken: string | undefined;
    do {
      const q = new URLSearchParams({ filter: "ACTIVE" });
      if (pageToken !== undefined) q.set("pageToken", pageToken);
      const r = await this.call<{ jobs?: DataflowJob[]; nextPageToken?: string }>("GET", `jobs?${q.toString()}`, undefined, { retries: this.retry.retries });
      const found = (r.jobs ?? []).find((j) => j.name === name);
      if (found !== undefined) return found;
      pageToken = r.nextPageToken;
    } while (pageToken !== undefined && pageToken !== "");
    return undefined;
  }

  /** The job's metrics so far (jobs/{id}/metrics): system counters such as ElementCount, and user metrics. */
  metrics(jobId: string, signal?: AbortSignal): Promise<DataflowJobMetrics> {
    return this.call("GET", `jobs/${encodeURIComponent(jobId)}/metrics`, undefined, { retries: 1, signal });
  }

  /** Requests a state change: JOB_STATE_CANCELLED (cancel) or JOB_STATE_DRAINING (drain). */
  updateState(jobId: string, requestedState: "JOB_STATE_CANCELLED" | "JOB_STATE_DRAINING" | "JOB_STATE_DONE"): Promise<DataflowJob> {
    return this.call("PUT", `jobs/${encodeURIComponent(jobId)}`, { requestedState }, { retries: this.retry.retries });
  }
}

/** A Dataflow API call failed (after retries, if the failure was transient). */
export class DataflowApiError extends PipelineError {
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The Cloud Console page of a job. */
export function consoleUrl(project: string, region: string, jobId: string): string {
  return `https://console.cloud.google.com/dataflow/jobs/${region}/${jobId}?project=${project}`;
}

/**
 * A clientRequestId as Beam Python makes one (UTC time to the microsecond, then a random
 * number): Dataflow answers a create for a name already in use with the existing job, whose
 * clientRequestId then differs from ours.
 */
export function newClientRequestId(now: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}${p(now.getUTCMilliseconds() * 1000, 6)}`;
  return `${stamp}-${1000 + Math.floor(Math.random() * 9000)}`;
}
