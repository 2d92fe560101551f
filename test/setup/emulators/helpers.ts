/** Shared helpers for the emulator tests: env hygiene and bounded waits on events. */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Sets (or, with `undefined`, removes) environment variables and returns a function that restores
 * their previous values. Tests point the clients away from real credentials this way.
 */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars)) {
    saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Keeps the clients off real Application Default Credentials and the metadata server. */
export function isolateFromGoogleCredentials(): () => void {
  return setEnv({
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
    CLOUDSDK_CONFIG: fs.mkdtempSync(path.join(os.tmpdir(), "beamline-gcloud-")),
    METADATA_SERVER_DETECTION: "none",
  });
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Polls `condition` every 20 ms until it holds; rejects after `timeoutMs` naming `what`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Rejects `promise` if it does not settle within `timeoutMs`. */
export async function within<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` and returns what it threw, failing if it did not throw. */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<Error & { code?: number | string; errors?: unknown[] }> {
  try {
    await fn();
  } catch (e) {
    return e as Error & { code?: number | string };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** A raw HTTP exchange: what a client sent does not go through any client library's checks. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Keep-alive connections for raw requests (idle ones do not hold the process; servers close them on stop). */
const agent = new http.Agent({ keepAlive: true });

/** Sends one HTTP request to a local server; rejects on a connection error. */
export function rawRequest(url: string, options: { method?: string; body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers ?? {}, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** `rawRequest` with a JSON body. */
export function postJson(url: string, body: unknown, method = "POST"): Promise<RawResponse> {
  return rawRequest(url, { method, body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } });
}
