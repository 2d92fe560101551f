/**
 * A timeout on every Cloud Storage and BigQuery HTTP request, so that a request the service
 * accepted but never answers fails and is retried instead of being waited for for ever.
 *
 * Why the clients' own `timeout` does not work here: `@google-cloud/storage` (8.x) and
 * `@google-cloud/common` (under `@google-cloud/bigquery` 9.x) send their requests through
 * `teeny-request` (11.x), which passes `timeout` to `node-fetch` 3.x on Node. node-fetch 3 dropped
 * that option (it only honours an `AbortSignal`, which teeny-request does not pass), so the
 * 60 s default and any `timeout` a caller sets are silently ignored. The one thing teeny-request
 * does honour is the HTTP agent it takes from its own connection pool (`forever: true`, which
 * both clients set on every request); resumable uploads go through `gaxios` (7.x, also over
 * node-fetch 3), which honours an `agent` in the request options (given through a Storage
 * request interceptor, ./clients).
 *
 * So the timeout lives in the agent: each request gets a socket idle timeout (no byte sent or
 * received for `requestTimeoutMs`), the read timeout of Google's Java and Python clients. A
 * request that times out is destroyed with an ETIMEDOUT error, which the clients retry with
 * backoff (retry-request's retries of requests without a response, gaxios' retries of resumable
 * chunks) and which counts as a retry of its service (`beamline/gcsRetries`,
 * `beamline/bigqueryRetries`). An idle timeout rather than a total one: a large download or a
 * resumable upload streamed in one request keeps going as long as bytes move, while a held
 * request fails after `requestTimeoutMs`.
 *
 * Limits: through an HTTP(S) proxy (HTTPS_PROXY / HTTP_PROXY) teeny-request uses a proxy agent of
 * its own and these timeouts do not apply.
 */
import { AsyncResource } from "node:async_hooks";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { gcpRetrySettings, recordRetry, REQUEST_TIMEOUT_MARK, type GcpService } from "./retry";

/** Which service each `host[:port]` the clients talk to is (the real APIs, and endpoints the clients were given). */
const services = new Map<string, GcpService>([
  ["storage.googleapis.com", "storage"],
  ["bigquery.googleapis.com", "bigquery"],
]);

/** Records that requests to `endpoint` (a URL or `host:port`) are calls to `service`, so their timeouts count for it. */
export function registerEndpoint(endpoint: string, service: GcpService): void {
  services.set(new URL(/^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`).host, service);
}

/** Node's agent hook called for every request (public in practice: agent-base overrides it too). */
interface AgentWithAddRequest {
  addRequest(req: http.ClientRequest, options: unknown): void;
}

/** Arms the idle timeout of one request; called in the request's async context (its step's metrics). */
function armTimeout(req: http.ClientRequest): void {
  const ms = gcpRetrySettings().requestTimeoutMs;
  if (!(ms > 0)) return;
  // Bound now, so the retry counts on the step that made the request, not on whoever's timer fired.
  const onTimeout = AsyncResource.bind(() => {
    const host = req.getHeader("host");
    const service = services.get(typeof host === "string" ? host : req.host);
    if (service !== undefined) recordRetry(service);
    const where = `${req.method} ${req.protocol}//${req.host}${req.path.split("?")[0]}`;
    const error = new Error(
      `${REQUEST_TIMEOUT_MARK}: no answer to ${where} for ${ms} ms; the request is retried ` +
        `(change the timeout with setGcpRetrySettings({ requestTimeoutMs }) or BEAMLINE_GCP_REQUEST_TIMEOUT_MS)`,
    );
    req.destroy(Object.assign(error, { code: "ETIMEDOUT" }));
  });
  req.setTimeout(ms, onTimeout);
}

function timeoutAgent<A extends http.Agent>(agent: A): A {
  const hooked = agent as unknown as AgentWithAddRequest;
  const addRequest = hooked.addRequest.bind(agent);
  hooked.addRequest = (req, options) => {
    armTimeout(req);
    addRequest(req, options);
  };
  return agent;
}

// The pools' own settings (keep-alive, unlimited sockets), as teeny-request creates them.
const httpAgent = timeoutAgent(new http.Agent({ keepAlive: true, maxSockets: Infinity }));
const httpsAgent = timeoutAgent(new https.Agent({ keepAlive: true, maxSockets: Infinity }));

/** The agent for a URL (node-fetch and gaxios accept an agent chooser like this). */
export function timeoutAgentFor(url: URL): http.Agent {
  return url.protocol === "http:" ? httpAgent : httpsAgent;
}

const installed = new Set<Map<string, http.Agent>>();

/**
 * Puts the timeout agents into the connection pool of each copy of teeny-request the Storage and
 * BigQuery clients load (called before a client is created; idempotent).
 */
export function installRequestTimeouts(): void {
  // BigQuery's HTTP layer is @google-cloud/common, resolved from where BigQuery is installed.
  for (const [client, from] of [["@google-cloud/storage", []], ["@google-cloud/common", ["@google-cloud/bigquery"]]] as const) {
    let pool: Map<string, http.Agent> | undefined;
    try {
      const base = path.dirname(from.length === 0 ? require.resolve(client) : require.resolve(client, { paths: from.map((f) => path.dirname(require.resolve(f))) }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      pool = (require(require.resolve("teeny-request/build/src/agents", { paths: [base] })) as { pool?: Map<string, http.Agent> }).pool;
    } catch (e) {
      throw new Error(`Cannot install the Google Cloud request timeouts: teeny-request's agent pool was not found from ${client} (${(e as Error).message}); the installed client versions differ from those Beamline was built with (package-lock.json)`);
    }
    if (!(pool instanceof Map)) throw new Error(`Cannot install the Google Cloud request timeouts: teeny-request (from ${client}) has no agent pool; the installed client versions differ from those Beamline was built with (package-lock.json)`);
    if (installed.has(pool)) continue;
    for (const key of ["http", "http:forever"]) pool.set(key, httpAgent);
    for (const key of ["https", "https:forever"]) pool.set(key, httpsAgent);
    installed.add(pool);
  }
}
