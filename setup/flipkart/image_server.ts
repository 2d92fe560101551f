/**
 * A local image server for tests, the demo and benchmarks: serves JPEGs on 127.0.0.1 only, with
 * configurable latency and failures, so the Flipkart pipeline never needs a public host.
 *
 * Any path is an image (the real rows' URLs are rewritten to `http://127.0.0.1:PORT/<host>/<path>`).
 * What a path gets is decided by `behaviour(path, attempt)` if given, else by `rates`, drawn
 * deterministically from a hash of the path (so a run is reproducible): 404s, a 503 on the first
 * attempt (then the image), slow bodies trickled over `slowMs`, hanging responses (headers never
 * sent), and huge bodies (`hugeBytes`, streamed, never buffered). Every response waits `latencyMs`
 * first. Images are real JPEGs (16×16 pixels) padded with comment segments to `imageBytes`, with
 * content derived from the path: each URL serves its own bytes (`imageFor(path)`).
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the server does for one request. */
export type ImageBehaviour =
  | { readonly kind: "ok"; readonly bytes?: number }
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "slow"; readonly totalMs: number; readonly bytes?: number }
  | { readonly kind: "hang" }
  | { readonly kind: "huge"; readonly bytes: number; readonly declareLength: boolean }
  | { readonly kind: "redirect"; readonly location: string }
  | { readonly kind: "notImage" };

/** Fractions of paths (each in [0, 1], summing to at most 1) that misbehave, when no `behaviour` decides. */
export interface ImageFailureRates {
  readonly notFound?: number;
  /** 503 on the first attempt, the image after (a retry succeeds). */
  readonly serverErrorOnce?: number;
  /** The body trickles over `slowMs`. */
  readonly slow?: number;
  /** No response at all (the client's timeout fires). */
  readonly hang?: number;
  /** A body of `hugeBytes`. */
  readonly huge?: number;
}

export interface ImageServerOptions {
  /** 0 (default): a free port. Always on 127.0.0.1. */
  readonly port?: number;
  /** Delay before every response (ms). */
  readonly latencyMs?: number;
  /** Size of the images served (default 20,000 bytes). */
  readonly imageBytes?: number;
  readonly rates?: ImageFailureRates;
  readonly slowMs?: number;
  readonly hugeBytes?: number;
  /** Explicit behaviour per path and attempt (1-based); `undefined` falls back to the rates. */
  readonly behaviour?: (path: string, attempt: number) => ImageBehaviour | undefined;
}

export interface ImageServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Requests received, by path. */
  readonly requests: Map<string, number>;
  stop(): Promise<void>;
}

/** A 16×16 baseline JPEG (generated once with Pillow, quality 60). */
const BASE_JPEG = Buffer.from(
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAQABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABQb/xAAZEAACAwEAAAAAAAAAAAAAAAAABAUiMSH/xAAVAQEBAAAAAAAAAAAAAAAAAAABA//EABoRAAICAwAAAAAAAAAAAAAAAAAFAwQhMWH/2gAMAwEAAhEDEQA/AJZaPzgstH5UVWj8qLLR+VKT3egrYayf/9k=",
  "base64",
);

/** A fraction in [0, 1) from a hash of the path (deterministic). */
function unit(path: string, salt: string): number {
  return createHash("sha256").update(salt).update(path).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The JPEG served for `path`: the base image with comment (COM) segments inserted after its start
 * marker, filled with bytes derived from the path, to reach `bytes` (at least the base size).
 */
export function imageFor(path: string, bytes = 20_000): Buffer {
  const parts: Buffer[] = [BASE_JPEG.subarray(0, 2)];
  let size = BASE_JPEG.length;
  // xorshift32 seeded from the path: cheap, deterministic filler.
  let x = createHash("sha256").update(path).digest().readUInt32BE(0) || 1;
  while (size + 4 < bytes) {
    const n = Math.min(65_533, bytes - size - 4);
    const payload = Buffer.allocUnsafe(n + 3);
    for (let i = 0; i < n; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      payload.writeInt32LE(x | 0, i);
    }
    parts.push(Buffer.from([0xff, 0xfe, (n + 2) >> 8, (n + 2) & 0xff]), payload.subarray(0, n));
    size += n + 4;
  }
  parts.push(BASE_JPEG.subarray(2));
  return Buffer.concat(parts);
}

function fromRates(path: string, attempt: number, o: ImageServerOptions): ImageBehaviour {
  const r = o.rates ?? {};
  const x = unit(path, "rates");
  let edge = 0;
  const within = (rate: number | undefined): boolean => x < (edge += rate ?? 0);
  if (within(r.notFound)) return { kind: "status", status: 404 };
  if (within(r.serverErrorOnce)) return attempt === 1 ? { kind: "status", status: 503 } : { kind: "ok" };
  if (within(r.slow)) return { kind: "slow", totalMs: o.slowMs ?? 3_000 };
  if (within(r.hang)) return { kind: "hang" };
  if (within(r.huge)) return { kind: "huge", bytes: o.hugeBytes ?? 50 * 1024 * 1024, declareLength: unit(path, "declare") < 0.5 };
  return { kind: "ok" };
}

/** Starts the server on 127.0.0.1. */
export async function startImageServer(options: ImageServerOptions = {}): Promise<ImageServer> {
  const requests = new Map<string, number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const imageBytes = options.imageBytes ?? 20_000;

  const respond = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    const attempt = (requests.get(path) ?? 0) + 1;
    requests.set(path, attempt);
    const b = options.behaviour?.(path, attempt) ?? fromRates(path, attempt, options);
    switch (b.kind) {
      case "ok": {
        const body = imageFor(path, b.bytes ?? imageBytes);
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": body.length });
        res.end(body);
        return;
      }
      case "status":
        res.writeHead(b.status, { "content-type": "text/plain" });
        res.end(`${b.status} for ${path}\n`);
        return;
      case "notImage":
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html><body>Not an image</body></html>\n");
        return;
      case "redirect":
        res.writeHead(302, { location: b.location });
        res.end();
        return;
      case "hang":
        return; // never answers; the socket is destroyed on stop
      case "slow": {
        const body = imageFor(path, b.bytes ?? imageBytes);
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": body.length });
        const steps = 10;
        const step = Math.ceil(body.length / steps);
        let sent = 0;
        const send = (): void => {
          if (res.destroyed) return;
          res.write(body.subarray(sent, sent + step));
          sent += step;
          if (sent >= body.length) res.end();
          else later(b.totalMs / steps, send);
        };
        send();
        return;
      }
      case "huge": {
        res.writeHead(200, { "content-type": "image/jpeg", ...(b.declareLength ? { "content-length": b.bytes } : {}) });
        const chunk = Buffer.alloc(64 * 1024, 0x55);
        let left = b.bytes;
        const pump = (): void => {
          while (left > 0 && !res.destroyed) {
            const n = Math.min(chunk.length, left);
            left -= n;
            if (!res.write(chunk.subarray(0, n))) {
              res.once("drain", pump);
              return;
            }
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
    }
  };

  const server = http.createServer((req, res) => {
    req.resume();
    const latency = options.latencyMs ?? 0;
    if (latency > 0) later(latency, () => respond(req, res));
    else respond(req, res);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
