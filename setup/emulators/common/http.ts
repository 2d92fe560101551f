/**
 * Shared plumbing for the REST emulators (Cloud Storage, BigQuery): a loopback HTTP server, body
 * reading, JSON replies, and Google's REST error shape.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as zlib from "node:zlib";

/** One entry of `error.errors` in Google's REST error body. */
export interface RestErrorDetail {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

/** A failure to report to the client as `{error: {code, message, errors: [{reason}]}}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly location?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Convenience constructors for the errors the emulators raise most. */
export const httpErrors = {
  notFound: (message: string): HttpError => new HttpError(404, "notFound", message),
  conflict: (message: string, reason = "conflict"): HttpError => new HttpError(409, reason, message),
  invalid: (message: string, reason = "invalid", location?: string): HttpError => new HttpError(400, reason, message, location),
  preconditionFailed: (message: string): HttpError => new HttpError(412, "conditionNotMet", message),
};

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "ALREADY_EXISTS",
  412: "FAILED_PRECONDITION",
  416: "OUT_OF_RANGE",
  500: "INTERNAL",
};

/** Builds Google's REST error body. */
export function restErrorBody(status: number, reason: string, message: string, location?: string): object {
  const detail: RestErrorDetail = { domain: "global", reason, message };
  if (location !== undefined) {
    detail.location = location;
    detail.locationType = "other";
  }
  return { error: { code: status, message, errors: [detail], status: STATUS_NAMES[status] ?? "UNKNOWN" } };
}

/** Reads the whole request body, undoing a `Content-Encoding: gzip` if the client compressed it. */
export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(body) : body;
}

/** Parses a JSON request body; an empty body is `{}`. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw httpErrors.invalid(`Invalid JSON payload received: ${(e as Error).message}`, "parseError");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw httpErrors.invalid("Invalid JSON payload received: expected an object", "parseError");
  }
  return parsed as Record<string, unknown>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=UTF-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    sendJson(res, err.status, restErrorBody(err.status, err.reason, err.message, err.location));
  } else {
    const message = err instanceof Error ? err.message : String(err);
    sendJson(res, 500, restErrorBody(500, "backendError", `Internal emulator error: ${message}`));
  }
}

/** A request with its URL parsed once: decoded path segments and query parameters. */
export interface ParsedRequest {
  method: string;
  /** Path segments, each percent-decoded (so an object name `a/b` sent as `a%2Fb` stays one segment). */
  segments: string[];
  query: URLSearchParams;
  /** `http://host:port` as the client addressed us, for links and upload URLs it must reach. */
  baseUrl: string;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

export function parseRequest(req: http.IncomingMessage, res: http.ServerResponse): ParsedRequest {
  const url = new URL(req.url ?? "/", "http://placeholder");
  const segments = url.pathname
    .split("/")
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const host = req.headers.host ?? "127.0.0.1";
  return { method: (req.method ?? "GET").toUpperCase(), segments, query: url.searchParams, baseUrl: `http://${host}`, req, res };
}

/** A started loopback HTTP server. */
export interface LoopbackServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1:`port` (0 = a free port). Handler errors become REST error replies.
 * `close()` also drops idle keep-alive connections, which the Google clients hold open and which
 * would otherwise keep `server.close()` waiting.
 */
export async function startLoopbackServer(port: number, handler: (request: ParsedRequest) => Promise<void>): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    let parsed: ParsedRequest;
    try {
      parsed = parseRequest(req, res);
    } catch (e) {
      sendError(res, e);
      return;
    }
    handler(parsed).catch((e: unknown) => sendError(res, e));
  });
  // Large resumable chunks and slow tests should not hit Node's default request timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Strips an optional API prefix such as `["storage", "v1"]` from the front of `segments`. */
export function stripPrefix(segments: string[], prefix: string[]): string[] {
  for (let i = 0; i < prefix.length; i++) if (segments[i] !== prefix[i]) return segments;
  return segments.slice(prefix.length);
}

/** Reads a non-negative integer query parameter, or `undefined` when absent or empty. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw httpErrors.invalid(`Invalid value for ${name}: ${raw}`);
  return n;
}
