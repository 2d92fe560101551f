/**
 * The local job dashboard: a small page on 127.0.0.1 showing the pipeline graph with live
 * per-step counts, throughput, time, watermarks, metrics and logs, with cancel / drain buttons.
 *
 * Every request needs the run's token (a random value printed in the URL), so other local
 * users cannot read or stop the job; the Host header must name the loopback address (no DNS
 * rebinding). Updates go over Server-Sent Events. Nothing is loaded from the internet: the
 * graph layout library is served from the installed package.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import type { LogEntry, MonitoredJob } from "../../lib/model/monitoring";
import { dashboardPage } from "./dashboard_page";

export interface DashboardOptions {
  /** Port on 127.0.0.1 (0 or absent: a free one). */
  readonly port?: number;
  /** How often snapshots are pushed to open pages. */
  readonly updateIntervalMs?: number;
}

/** The layout library the page uses, read once from the installed package. */
let layoutScript: string | undefined;
export function layoutLibrary(): string {
  // The package exports only its module entry points; its browser build sits beside them.
  layoutScript ??= fs.readFileSync(path.join(path.dirname(require.resolve("@dagrejs/dagre/package.json")), "dist", "dagre.min.js"), "utf8");
  return layoutScript;
}

export class Dashboard {
  private readonly token = randomBytes(18).toString("base64url");
  private readonly clients = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private port = 0;
  private ended = false;

  private constructor(
    private readonly job: MonitoredJob,
    private readonly server: http.Server,
    private readonly options: DashboardOptions,
  ) {}

  /** Serves the dashboard of `job` until `close()`. */
  static async start(job: MonitoredJob, options: DashboardOptions = {}): Promise<Dashboard> {
    const server = http.createServer();
    const d = new Dashboard(job, server, options);
    server.on("request", (req, res) => d.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    d.port = (server.address() as AddressInfo).port;
    d.timer = setInterval(() => d.push(), options.updateIntervalMs ?? 1000);
    d.timer.unref();
    void job.finished.finally(() => d.end());
    return d;
  }

  /** The page's address, token included. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/?token=${this.token}`;
  }

  /** Stops serving (open pages keep showing the last state they received). */
  async close(): Promise<void> {
    this.end();
    for (const c of this.clients) c.end();
    this.clients.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (!this.hostAllowed(req.headers.host)) return reply(res, 403, "text/plain", "Forbidden: the dashboard answers only requests to 127.0.0.1 or localhost.\n");
      if (req.method === "GET" && url.pathname === "/dagre.min.js") return reply(res, 200, "text/javascript", layoutLibrary(), "public, max-age=86400");
      const token = url.searchParams.get("token") ?? req.headers["x-beamline-token"];
      if (typeof token !== "string" || !this.tokenMatches(token)) {
        return reply(res, 401, "text/plain", "Unauthorized: open the dashboard with the URL (token included) that the job printed.\n");
      }
      if (req.method === "GET" && url.pathname === "/") return reply(res, 200, "text/html; charset=utf-8", dashboardPage({ mode: "live", token: this.token }));
      if (req.method === "GET" && url.pathname === "/api/state") return reply(res, 200, "application/json", JSON.stringify(this.state(undefined)));
      if (req.method === "GET" && url.pathname === "/events") return this.openStream(req, res);
      if (req.method === "POST" && (url.pathname === "/api/cancel" || url.pathname === "/api/drain")) return void this.control(url.pathname === "/api/drain" ? "drain" : "cancel", res);
      reply(res, 404, "text/plain", "Not found\n");
    } catch (e) {
      reply(res, 500, "text/plain", `Dashboard error: ${(e as Error).message}\n`);
    }
  }

  private hostAllowed(host: string | undefined): boolean {
    return host === `127.0.0.1:${this.port}` || host === `localhost:${this.port}`;
  }

  private tokenMatches(given: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Graph, snapshot and the log lines after `logsAfter`. */
  private state(logsAfter: number | undefined): { graph: MonitoredJob["graph"]; snapshot: ReturnType<MonitoredJob["snapshot"]>; logs: readonly LogEntry[]; logSeq: number; canDrain: boolean } {
    const { entries, last } = this.job.logs(logsAfter);
    return { graph: this.job.graph, snapshot: this.job.snapshot(), logs: entries, logSeq: last, canDrain: this.job.drain !== undefined };
  }

  private openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    const first = this.state(undefined);
    res.write(`event: state\ndata: ${JSON.stringify(first)}\n\n`);
    (res as http.ServerResponse & { logSeq?: number }).logSeq = first.logSeq;
    if (this.ended) {
      res.write("event: end\ndata: {}\n\n");
      res.end();
      return;
    }
    this.clients.add(res);
    req.on("close", () => this.clients.delete(res));
  }

  private push(): void {
    for (const c of this.clients) {
      const client = c as http.ServerResponse & { logSeq?: number };
      const { entries, last } = this.job.logs(client.logSeq);
      client.logSeq = last;
      c.write(`event: update\ndata: ${JSON.stringify({ snapshot: this.job.snapshot(), logs: entries })}\n\n`);
    }
  }

  /** Sends the final state and closes the streams; the server still answers until `close()`. */
  private end(): void {
    if (this.ended) return;
    this.push();
    this.ended = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const c of this.clients) {
      c.write("event: end\ndata: {}\n\n");
      c.end();
    }
    this.clients.clear();
  }

  private async control(action: "cancel" | "drain", res: http.ServerResponse): Promise<void> {
    if (action === "drain" && this.job.drain === undefined) return reply(res, 409, "text/plain", "This job is a batch job: it cannot be drained, only cancelled.\n");
    reply(res, 202, "application/json", JSON.stringify({ accepted: action }));
    try {
      await (action === "drain" ? this.job.drain!() : this.job.cancel());
    } catch {
      // The job's own result reports how it ended.
    }
  }
}

function reply(res: http.ServerResponse, status: number, type: string, body: string, cache = "no-store"): void {
  res.writeHead(status, { "content-type": type, "cache-control": cache, "x-content-type-options": "nosniff", "content-security-policy": CSP });
  res.end(body);
}

/** The page runs only its own inline script and the layout library from this server. */
const CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

/** A self-contained HTML file of the job's final state (no server, no network). */
export function staticReport(job: MonitoredJob): string {
  const { entries } = job.logs();
  return dashboardPage({ mode: "static", data: { graph: job.graph, snapshot: job.snapshot(), logs: entries, logSeq: 0, canDrain: false }, layoutLibrary: layoutLibrary() });
}
