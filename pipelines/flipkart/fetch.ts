/**
 * Downloading images safely and concurrently: undici (Node's own HTTP client, as a package for
 * its Agent and request API) plus a small retry loop.
 *
 * - http and https only; redirects are followed by hand (at most 5), each hop checked again, and
 *   never to another scheme. Hosts that are, or resolve to, link-local addresses (169.254/16,
 *   fe80::/10, which hold cloud metadata servers), unspecified addresses, or the metadata host
 *   names are refused; the check runs in the connection's own DNS lookup, so a name cannot
 *   resolve to one address when checked and another when connected.
 * - Each attempt has one deadline (`timeoutMs`, default 10 s) for connecting, headers and body.
 *   Timeouts, connection errors, 429 and 5xx are retried with exponential backoff and full jitter
 *   (honouring Retry-After, capped); 404/410 and other 4xx are final.
 * - Bodies above `maxBytes` are refused (by Content-Length before reading, or while reading).
 * - Per process: at most `maxConcurrent` requests in flight, and at most `maxBufferedBytes` of
 *   image bytes held in memory (a download reserves its size before reading its body and keeps
 *   it until released after the upload), so memory stays bounded with many requests in flight.
 */
import * as dns from "node:dns";
import * as net from "node:net";
import { Agent, errors as undiciErrors, request } from "undici";

/** Why a URL gave no image. */
export type FailureKind = "notFound" | "timeout" | "tooLarge" | "other";

export type FetchOutcome =
  | { readonly ok: true; readonly body: Buffer; readonly contentType: string; readonly release: () => void }
  | { readonly ok: false; readonly kind: FailureKind; readonly detail: string };

/** Settings of the image fetcher (plain data, part of the pipeline graph). */
export interface FetchSettings {
  readonly timeoutMs: number;
  /** Attempts per URL (1 = no retry). */
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly maxBytes: number;
  readonly maxConcurrent: number;
  readonly maxBufferedBytes: number;
  readonly maxRedirects: number;
}

export const DEFAULT_FETCH_SETTINGS: FetchSettings = {
  timeoutMs: 10_000,
  maxAttempts: 3,
  backoffBaseMs: 200,
  backoffMaxMs: 5_000,
  maxBytes: 10 * 1024 * 1024,
  maxConcurrent: 64,
  maxBufferedBytes: 256 * 1024 * 1024,
  maxRedirects: 5,
};

const METADATA_HOSTS = new Set(["metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"]);

/** Link-local, unspecified and cloud metadata addresses (IPv4, IPv6, IPv4-mapped IPv6). */
export function isBlockedAddress(address: string): boolean {
  let a = address.toLowerCase();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped !== null) a = mapped[1]!;
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a); // how URLs write IPv4-mapped addresses
  if (mappedHex !== null) {
    const hi = parseInt(mappedHex[1]!, 16);
    const lo = parseInt(mappedHex[2]!, 16);
    a = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  if (net.isIPv4(a)) {
    const [x, y] = a.split(".").map(Number) as [number, number];
    return x === 0 || (x === 169 && y === 254) || a === "100.100.100.200"; // 100.100.100.200: Alibaba's metadata
  }
  if (net.isIPv6(a)) {
    return a === "::" || /^fe[89ab]/.test(a) || a.startsWith("fd00:ec2::");
  }
  return false;
}

class BlockedError extends Error {
  readonly code = "EBLOCKED";
}

/** dns.lookup that drops blocked addresses (and fails if none is left). */
function safeLookup(hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, "", 0);
    const allowed = addresses.filter((a) => !isBlockedAddress(a.address));
    if (allowed.length === 0) return callback(new BlockedError(`${hostname} resolves only to link-local or metadata addresses`), "", 0);
    if (options.all === true) callback(null, allowed);
    else callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}

/** Why a URL may not be fetched, or undefined if it may. */
export function refusedUrl(url: URL): string | undefined {
  if (url.protocol !== "http:" && url.protocol !== "https:") return `only http and https URLs are fetched, not ${url.protocol}`;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (METADATA_HOSTS.has(host)) return `${host} is a metadata server`;
  if (isBlockedAddress(host)) return `${host} is a link-local or unspecified address`;
  return undefined;
}

/** A counting semaphore with FIFO waiters; `acquire(n)` takes n units. */
export class Semaphore {
  private readonly waiters: { n: number; resolve: () => void }[] = [];
  constructor(private available: number) {}
  async acquire(n = 1): Promise<void> {
    if (this.waiters.length === 0 && this.available >= n) {
      this.available -= n;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
  }
  release(n = 1): void {
    this.available += n;
    while (this.waiters.length > 0 && this.available >= this.waiters[0]!.n) {
      const w = this.waiters.shift()!;
      this.available -= w.n;
      w.resolve();
    }
  }
}

const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH"]);

type AttemptResult = FetchOutcome | { readonly ok: false; readonly kind: FailureKind; readonly detail: string; readonly retry: boolean; readonly retryAfterMs?: number };

function isTimeout(err: unknown): boolean {
  return (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"))
  );
}

function errorCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown; cause?: { code?: unknown } } | undefined)?.code ?? (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof c === "string" ? c : undefined;
}

/** Image bytes: by Content-Type, or by the first bytes when the server says nothing useful. */
function looksLikeImage(contentType: string, body: Buffer): boolean {
  if (contentType.startsWith("image/")) return true;
  if (contentType !== "" && !contentType.startsWith("application/octet-stream") && !contentType.startsWith("binary/")) return false;
  const sig = body.subarray(0, 12);
  return (
    (sig[0] === 0xff && sig[1] === 0xd8 && sig[2] === 0xff) || // JPEG
    sig.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) || // PNG
    sig.subarray(0, 4).toString("latin1") === "GIF8" ||
    (sig.subarray(0, 4).toString("latin1") === "RIFF" && sig.subarray(8, 12).toString("latin1") === "WEBP")
  );
}

/** Downloads images under the settings' limits. One per process and settings (see `sharedFetcher`). */
export class ImageFetcher {
  private readonly agent: Agent;
  private readonly requests: Semaphore;
  private readonly memory: Semaphore;

  constructor(readonly settings: FetchSettings) {
    if (!(settings.maxBufferedBytes >= settings.maxBytes)) throw new RangeError("maxBufferedBytes must be at least maxBytes");
    this.requests = new Semaphore(settings.maxConcurrent);
    this.memory = new Semaphore(settings.maxBufferedBytes);
    this.agent = new Agent({
      connections: settings.maxConcurrent,
      keepAliveTimeout: 4_000,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      connect: { timeout: settings.timeoutMs, lookup: safeLookup as never },
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** The image at `url`, retrying transient failures. On success, call `release()` once the bytes are no longer needed. */
  async fetch(url: string): Promise<FetchOutcome> {
    const s = this.settings;
    let last: AttemptResult | undefined;
    for (let attempt = 1; attempt <= s.maxAttempts; attempt++) {
      if (attempt > 1) {
        const ceiling = Math.min(s.backoffMaxMs, s.backoffBaseMs * 2 ** (attempt - 2));
        const wait = last !== undefined && "retryAfterMs" in last && last.retryAfterMs !== undefined ? Math.min(last.retryAfterMs, s.backoffMaxMs) : Math.random() * ceiling;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      last = await this.attempt(url);
      if (last.ok || !("retry" in last) || !last.retry) break;
    }
    if (last!.ok) return last!;
    return { ok: false, kind: last!.kind, detail: last!.detail };
  }

  private async attempt(startUrl: string): Promise<AttemptResult> {
    const s = this.settings;
    await this.requests.acquire();
    const deadline = AbortSignal.timeout(s.timeoutMs);
    try {
      let url: URL;
      try {
        url = new URL(startUrl);
      } catch {
        return { ok: false, kind: "other", detail: "not a valid URL", retry: false };
      }
      for (let hop = 0; ; hop++) {
        const refused = refusedUrl(url);
        if (refused !== undefined) return { ok: false, kind: "other", detail: `refused: ${refused}`, retry: false };
        const res = await request(url, { dispatcher: this.agent, method: "GET", signal: deadline, headers: { accept: "image/*", "user-agent": "beamline-flipkart/1.0" } });
        const status = res.statusCode;
        if (status >= 300 && status < 400 && status !== 304) {
          res.body.resume();
          const location = res.headers["location"];
          if (typeof location !== "string") return { ok: false, kind: "other", detail: `HTTP ${status} without a Location`, retry: false };
          if (hop >= s.maxRedirects) return { ok: false, kind: "other", detail: `more than ${s.maxRedirects} redirects`, retry: false };
          url = new URL(location, url);
          continue;
        }
        if (status !== 200) {
          res.body.resume();
          if (status === 404 || status === 410) return { ok: false, kind: "notFound", detail: `HTTP ${status}`, retry: false };
          const retryAfter = Number(res.headers["retry-after"]);
          const retry = status === 429 || status >= 500;
          const kind: FailureKind = status === 504 || status === 408 ? "timeout" : "other";
          return { ok: false, kind, detail: `HTTP ${status}`, retry: retry || status === 408, ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}) };
        }
        const declared = Number(res.headers["content-length"]);
        if (Number.isFinite(declared) && declared > s.maxBytes) {
          res.body.destroy();
          return { ok: false, kind: "tooLarge", detail: `Content-Length ${declared} is over the ${s.maxBytes}-byte limit`, retry: false };
        }
        const reserved = Number.isFinite(declared) && declared > 0 ? declared : s.maxBytes;
        await this.memory.acquire(reserved);
        let released = false;
        const release = (): void => {
          if (!released) this.memory.release(reserved);
          released = true;
        };
        try {
          const parts: Buffer[] = [];
          let size = 0;
          for await (const chunk of res.body) {
            size += (chunk as Buffer).length;
            if (size > reserved) {
              res.body.destroy();
              release();
              return size > s.maxBytes
                ? { ok: false, kind: "tooLarge", detail: `body over the ${s.maxBytes}-byte limit`, retry: false }
                : { ok: false, kind: "other", detail: `body longer than its Content-Length ${declared}`, retry: false };
            }
            parts.push(chunk as Buffer);
          }
          const body = Buffer.concat(parts, size);
          const contentType = String(res.headers["content-type"] ?? "").toLowerCase();
          if (size === 0 || !looksLikeImage(contentType, body)) {
            release();
            return { ok: false, kind: "other", detail: size === 0 ? "empty body" : `not an image (Content-Type '${contentType}')`, retry: false };
          }
          return { ok: true, body, contentType: contentType.startsWith("image/") ? contentType.split(";")[0]!.trim() : "image/jpeg", release };
        } catch (err) {
          release();
          throw err;
        }
      }
    } catch (err) {
      if (err instanceof BlockedError || errorCode(err) === "EBLOCKED") return { ok: false, kind: "other", detail: `refused: ${(err as Error).message}`, retry: false };
      if (isTimeout(err) || deadline.aborted) return { ok: false, kind: "timeout", detail: `no complete response within ${s.timeoutMs} ms`, retry: true };
      const code = errorCode(err);
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, kind: "other", detail: code !== undefined ? `${code}: ${message}` : message, retry: code !== undefined && RETRYABLE_CODES.has(code) };
    } finally {
      this.requests.release();
    }
  }
}

const shared = new Map<string, { fetcher: ImageFetcher; users: number }>();

/** The process's fetcher for these settings; `releaseSharedFetcher` when done (the last user closes it). */
export function sharedFetcher(settings: FetchSettings): ImageFetcher {
  const key = JSON.stringify(settings);
  let entry = shared.get(key);
  if (entry === undefined) shared.set(key, (entry = { fetcher: new ImageFetcher(settings), users: 0 }));
  entry.users++;
  return entry.fetcher;
}

export async function releaseSharedFetcher(fetcher: ImageFetcher): Promise<void> {
  const key = JSON.stringify(fetcher.settings);
  const entry = shared.get(key);
  if (entry === undefined || entry.fetcher !== fetcher) return;
  if (--entry.users > 0) return;
  shared.delete(key);
  await fetcher.close();
}
