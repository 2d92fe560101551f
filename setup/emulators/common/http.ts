/**
 * Shared plumbing for the REST emulators (Cloud Storage, BigQuery): a loopback HTTP server with a
 * per-request error boundary, bounded body reading (with a capped gzip inflation), JSON replies,
 * and Google's REST error shape.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as zlib from "node:zlib";
import { INJECTED_MESSAGE, RESTART_PAUSE_MS, sleep, type FaultInjector } from "./faults";

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
    /** Close the connection after answering (the rest of an oversized body is not read). */
    readonly closeConnection = false,
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
  /** The front end's answer to an oversized request, word for word (e.g. BigQuery insertAll over 10 MiB). */
  payloadTooLarge: (limit: number): HttpError => new HttpError(400, "badRequest", `Request payload size exceeds the limit: ${limit} bytes.`, undefined, true),
};

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "ALREADY_EXISTS",
  412: "FAILED_PRECONDITION",
  416: "OUT_OF_RANGE",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
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

/**
 * The request size the Google front end accepts for JSON API calls (10 MiB); larger requests get
 * `payloadTooLarge`. Uploads have their own, larger limit.
 */
export const MAX_JSON_REQUEST_BYTES = 10 * 1024 * 1024;
/** JSON nested deeper than this is refused (BigQuery's own limit for JSON values is 500 levels). */
export const MAX_JSON_DEPTH = 500;

/**
 * Streams the request body to `onChunk`, undoing a `Content-Encoding: gzip`, and refuses it once
 * more than `maxBytes` arrive or inflate (so a small compressed body cannot blow up memory). A
 * declared `Content-Length` over the limit is refused before anything is read. Resolves with the
 * (decoded) byte count. On refusal the request is paused, not destroyed, so the error can still be
 * answered; the connection is then closed after the reply.
 */
export function readBodyChunks(req: http.IncomingMessage, maxBytes: number, onChunk: (chunk: Buffer) => void): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let total = 0;
    let settled = false;
    let encoding: "identity" | "gzip";
    try {
      encoding = contentEncoding(req);
      if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw httpErrors.payloadTooLarge(maxBytes);
    } catch (e) {
      reject(e);
      return;
    }
    const inflater = encoding === "gzip" ? zlib.createGunzip() : undefined;
    const settle = (err: unknown): void => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      if (err === undefined) resolve(total);
      else {
        req.pause();
        inflater?.destroy();
        reject(err);
      }
    };
    const take = (chunk: Buffer): void => {
      if (settled) return;
      total += chunk.length;
      if (total > maxBytes) return settle(httpErrors.payloadTooLarge(maxBytes));
      try {
        onChunk(chunk);
      } catch (e) {
        settle(e);
      }
    };
    let rawBytes = 0;
    const onData = (chunk: Buffer): void => {
      rawBytes += chunk.length;
      if (inflater) inflater.write(chunk);
      else take(chunk);
    };
    if (inflater) {
      inflater.on("data", take);
      inflater.on("end", () => settle(undefined));
      inflater.on("error", (e) =>
        settle(httpErrors.invalid(`The request has Content-Encoding: gzip but its body is not valid gzip data (${e.message}). Send the body compressed, or drop the header.`, "parseError")),
      );
    }
    req.on("data", onData);
    req.on("end", () => (inflater && rawBytes > 0 ? inflater.end() : settle(undefined)));
    req.on("error", (e) => settle(e));
    req.on("close", () => {
      if (!req.complete) settle(new Error("the client closed the connection before sending the whole body"));
    });
  });
}

/** Reads the whole request body into memory, at most `maxBytes` (after gzip inflation); see readBodyChunks. */
export async function readBody(req: http.IncomingMessage, maxBytes = MAX_JSON_REQUEST_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await readBodyChunks(req, maxBytes, (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks);
}

/** "identity" or "gzip"; any other request encoding is refused. */
export function contentEncoding(req: http.IncomingMessage): "identity" | "gzip" {
  const header = (req.headers["content-encoding"] ?? "").trim().toLowerCase();
  if (header === "" || header === "identity") return "identity";
  if (header === "gzip" || header === "x-gzip") return "gzip";
  throw httpErrors.invalid(`Unsupported Content-Encoding: ${header} (the emulator accepts gzip or an uncompressed body)`, "badContent");
}

/** Parses a JSON request body; an empty body is `{}`. Refuses non-objects and too-deep nesting. */
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
  checkDepth(parsed, MAX_JSON_DEPTH);
  return parsed as Record<string, unknown>;
}

/**
 * Rejects values nested deeper than `limit`. Iterative: JSON.parse accepts any depth, but every
 * recursive walk over such a value (JSON.stringify included) would overflow the stack.
 */
export function checkDepth(value: unknown, limit: number): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > limit) throw httpErrors.invalid(`Invalid JSON payload received: nesting deeper than ${limit} levels`, "parseError");
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  const length = Buffer.byteLength(text);
  // All ASCII (as many bytes as characters): copied byte for byte, which costs a third of the
  // UTF-8 encoding the socket would do.
  sendJsonBytes(res, status, length === text.length ? Buffer.from(text, "latin1") : Buffer.from(text, "utf8"), headers);
}

/**
 * Sends `body` with one more property, `key`, a JSON array whose items are already serialised
 * (pages of BigQuery rows run to megabytes: each row's JSON is made once and kept, see
 * ../bigquery/resources.ts). `body` must not have `key` itself.
 */
export function sendJsonWithArray(res: http.ServerResponse, status: number, body: Record<string, unknown>, key: string, items: readonly Buffer[]): void {
  const head = JSON.stringify(body);
  const open = Buffer.from(`${head.slice(0, -1)}${head === "{}" ? "" : ","}${JSON.stringify(key)}:[`, "utf8");
  let length = open.length + 2 + Math.max(0, items.length - 1);
  for (const item of items) length += item.length;
  const out = Buffer.allocUnsafe(length);
  let at = open.copy(out, 0);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += items[i]!.copy(out, at);
  }
  out[at++] = 0x5d; // ]
  out[at++] = 0x7d; // }
  sendJsonBytes(res, status, out, {});
}

function sendJsonBytes(res: http.ServerResponse, status: number, bytes: Buffer, headers: http.OutgoingHttpHeaders): void {
  res.writeHead(status, {
    "Content-Type": "application/json; charset=UTF-8",
    "Content-Length": bytes.length,
    ...headers,
  });
  res.end(bytes);
}

export function sendError(res: http.ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  try {
    if (err instanceof HttpError) {
      sendJson(res, err.status, restErrorBody(err.status, err.reason, err.message, err.location), err.closeConnection ? { Connection: "close" } : {});
    } else {
      const message = err instanceof Error ? err.message : String(err);
      sendJson(res, 500, restErrorBody(500, "backendError", `Internal emulator error: ${message}`));
    }
  } catch {
    res.destroy();
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
  /**
   * Names the API method being served (e.g. `storage.objects.get`) and applies any fault injected
   * for it: call it first in every route, before reading the body.
   */
  operation(method: string): Promise<void>;
}

function parseRequest(req: http.IncomingMessage, res: http.ServerResponse, faults: FaultInjector | undefined): ParsedRequest {
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
  return {
    method: (req.method ?? "GET").toUpperCase(),
    segments,
    query: url.searchParams,
    baseUrl: `http://${host}`,
    req,
    res,
    operation: (method) => applyFault(faults, method, req),
  };
}

/** Thrown after an injected connection reset: there is nobody left to answer. */
class ConnectionDropped extends Error {}

/** Google's reason for the statuses a test is likely to inject. */
const FAULT_REASONS: Record<number, string> = { 408: "requestTimeout", 429: "rateLimitExceeded", 500: "backendError", 502: "badGateway", 503: "backendError", 504: "backendError" };

async function applyFault(faults: FaultInjector | undefined, method: string, req: http.IncomingMessage): Promise<void> {
  const fault = faults?.next(method);
  if (fault === undefined) return;
  switch (fault.kind) {
    case "delay":
      await sleep(fault.ms);
      return;
    case "reset":
      req.socket.destroy();
      throw new ConnectionDropped(`connection dropped by an injected fault (${method})`);
    case "hold":
      // No answer, ever: the client's own timeout (or the emulator stopping) ends the request.
      await new Promise<void>((resolve) => (req.socket.destroyed ? resolve() : req.socket.once("close", () => resolve())));
      throw new ConnectionDropped(`request held unanswered by an injected fault until the client closed it (${method})`);
    case "error": {
      const status = fault.status ?? 503;
      throw new HttpError(status, FAULT_REASONS[status] ?? "failed", fault.message ?? INJECTED_MESSAGE);
    }
  }
}

/** A started loopback HTTP server. */
export interface LoopbackServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1:`port` (0 = a free port). Every request runs inside an error
 * boundary: whatever it throws (synchronously or not) becomes an error reply, never a crash of the
 * process. `close()` also drops idle keep-alive connections, which the Google clients hold open
 * and which would otherwise keep `server.close()` waiting.
 */
export async function startLoopbackServer(port: number, handler: (request: ParsedRequest) => Promise<void>, faults?: FaultInjector): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    // A client that goes away mid-request must not surface as an unhandled 'error' event.
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    res.on("finish", () => {
      // After refusing an oversized body, drop the connection rather than read the rest.
      if (res.getHeader("Connection") === "close" && !req.complete) req.destroy();
    });
    let parsed: ParsedRequest;
    try {
      parsed = parseRequest(req, res, faults);
      handler(parsed).catch((e: unknown) => sendError(res, e));
    } catch (e) {
      sendError(res, e);
    }
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

/** A running REST emulator that can be restarted on the same port. */
export interface RestEmulatorHandle {
  port: number;
  /** `127.0.0.1:PORT` */
  host: string;
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  faults: FaultInjector;
  /** Stops, then starts again on the same port with fresh state (reloaded from its data dir, if any). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Serves a REST emulator: `open` builds its state and request handler (again on each restart);
 * its `close` runs once the server has stopped.
 */
export async function startRestartableServer(
  port: number,
  faults: FaultInjector,
  open: () => { handler: (request: ParsedRequest) => Promise<void>; close(): Promise<void> | void },
): Promise<RestEmulatorHandle> {
  const start = async (at: number): Promise<{ server: LoopbackServer; close(): Promise<void> | void }> => {
    const instance = open();
    try {
      return { server: await startLoopbackServer(at, instance.handler, faults), close: () => instance.close() };
    } catch (e) {
      await instance.close();
      throw e;
    }
  };
  let running = await start(port);
  const actualPort = running.server.port;
  const stop = async (): Promise<void> => {
    await running.server.close();
    await running.close();
  };
  const host = `127.0.0.1:${actualPort}`;
  return {
    port: actualPort,
    host,
    endpoint: `http://${host}`,
    faults,
    stop,
    restart: async () => {
      await stop();
      await sleep(RESTART_PAUSE_MS);
      running = await start(actualPort);
    },
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
  if (!Number.isSafeInteger(n) || n < 0) throw httpErrors.invalid(`Invalid value for ${name}: ${raw}`);
  return n;
}
