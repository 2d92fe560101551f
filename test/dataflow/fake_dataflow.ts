/**
 * A local stand-in for the Dataflow v1b3 REST API: records every request and answers job
 * creation, state polls (following a scripted list of states), messages, job listing and state
 * changes. Like Dataflow, a create for a name an active job already has returns that job (with its
 * own clientRequestId). Faults can be scripted per call: HTTP 503/429, or a connection reset
 * before or after the request took effect.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Storage } from "@google-cloud/storage";
import { OAuth2Client } from "google-auth-library";
import { startStorageEmulator, StorageEmulator } from "../../setup/emulators";

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly auth: string | undefined;
  readonly body: Record<string, unknown> | undefined;
}

export interface FakeJob {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly clientRequestId: string;
  currentState: string;
  /** Whether polls follow `states` (jobs created through the API) or keep currentState (seeded ones). */
  scripted: boolean;
}

/** 400 (permanent), 503, 429: answered with that status; reset: connection dropped unanswered; reset-after: the call takes effect, then the connection drops. */
export type Fault = "400" | "503" | "429" | "reset" | "reset-after";

const ACTIVE = new Set(["JOB_STATE_RUNNING", "JOB_STATE_PENDING", "JOB_STATE_QUEUED", "JOB_STATE_DRAINING", "JOB_STATE_CANCELLING"]);

export class FakeDataflow {
  readonly requests: Recorded[] = [];
  readonly jobs: FakeJob[] = [];
  states: string[] = ["JOB_STATE_RUNNING", "JOB_STATE_DONE"];
  messages: { id: string; time: string; messageImportance: string; messageText: string }[] = [];
  /** What jobs/{id}/metrics answers (v1b3 MetricUpdates). */
  metrics: object[] = [];
  /** A drain request ends the job (JOB_STATE_DRAINED) instead of leaving it to the scripted states. */
  drainEnds = false;
  private readonly faults: { kind: "create" | "job" | "messages" | "list" | "update" | "metrics"; fault: Fault }[] = [];
  private polls = 0;
  constructor(private readonly server: http.Server) {}

  static async start(): Promise<FakeDataflow> {
    let self: FakeDataflow | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => self!.handle(req, res, Buffer.concat(chunks).toString()));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    self = new FakeDataflow(server);
    return self;
  }

  /** Forgets every job, request, scripted state and fault (another submission in the same test). */
  reset(): void {
    this.requests.length = 0;
    this.jobs.length = 0;
    this.faults.length = 0;
    this.messages = [];
    this.metrics = [];
    this.drainEnds = false;
    this.states = ["JOB_STATE_RUNNING", "JOB_STATE_DONE"];
    this.polls = 0;
  }

  /** Makes the next calls of a kind fail, one fault per call, in order. */
  fail(kind: "create" | "job" | "messages" | "list" | "update" | "metrics", ...faults: Fault[]): void {
    for (const fault of faults) this.faults.push({ kind, fault });
  }

  /** An existing job (e.g. a running streaming job of the same name). */
  seedJob(job: { id: string; name: string; currentState: string; type?: string; clientRequestId?: string }): void {
    this.jobs.push({ type: "JOB_TYPE_STREAMING", clientRequestId: "20260101000000000000-1234", ...job, scripted: false });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
    const m = /^\/v1b3\/projects\/([^/]+)\/locations\/([^/]+)\/jobs(?:\/([^/?]+))?(\/messages|\/metrics)?/.exec(req.url!);
    if (m === null) {
      res.writeHead(404);
      res.end();
      return;
    }
    const kind = req.method === "POST" ? "create" : req.method === "PUT" ? "update" : m[4] === "/metrics" ? "metrics" : m[4] !== undefined ? "messages" : m[3] !== undefined ? "job" : "list";
    const i = this.faults.findIndex((f) => f.kind === kind);
    const fault = i < 0 ? undefined : this.faults.splice(i, 1)[0]!.fault;
    if (fault === "400" || fault === "503" || fault === "429") {
      const message = { "400": "Invalid job", "503": "The service is currently unavailable.", "429": "Quota exceeded" }[fault];
      res.writeHead(Number(fault), { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: Number(fault), message } }));
      return;
    }
    if (fault === "reset") {
      req.socket.destroy();
      return;
    }
    const answer = this.answer(kind, req.url!, m[3], body);
    if (fault === "reset-after") {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  }

  private answer(kind: string, url: string, jobId: string | undefined, body: Record<string, unknown> | undefined): object {
    switch (kind) {
      case "create": {
        const name = String(body!["name"]);
        // A replacement (--update) takes over the name of the job it replaces.
        const active = this.jobs.find((j) => j.name === name && ACTIVE.has(j.currentState) && j.id !== body!["replaceJobId"]);
        if (active !== undefined) return this.view(active);
        const job: FakeJob = { id: `2026-11-22_job-${this.jobs.length + 1}`, name, type: String(body!["type"]), clientRequestId: String(body!["clientRequestId"] ?? ""), currentState: "JOB_STATE_PENDING", scripted: true };
        this.jobs.push(job);
        if (typeof body!["replaceJobId"] === "string") {
          const old = this.jobs.find((j) => j.id === body!["replaceJobId"]);
          if (old !== undefined) old.currentState = "JOB_STATE_UPDATED";
        }
        return this.view(job);
      }
      case "messages":
        return { jobMessages: this.messages };
      case "metrics":
        return { metricTime: new Date().toISOString(), metrics: this.metrics };
      case "update": {
        // A cancelled job ends: polls stop following the script.
        const job = this.jobs.find((j) => j.id === jobId);
        if (job !== undefined && body!["requestedState"] === "JOB_STATE_CANCELLED") {
          job.currentState = "JOB_STATE_CANCELLED";
          job.scripted = false;
        }
        if (job !== undefined && this.drainEnds && body!["requestedState"] === "JOB_STATE_DRAINING") {
          job.currentState = "JOB_STATE_DRAINED";
          job.scripted = false;
        }
        return { id: jobId, requestedState: String(body!["requestedState"]) };
      }
      case "list": {
        const activeOnly = new URL(url, "http://x").searchParams.get("filter") === "ACTIVE";
        return { jobs: this.jobs.filter((j) => !activeOnly || ACTIVE.has(j.currentState)).map((j) => this.view(j)) };
      }
      default: {
        const job = this.jobs.find((j) => j.id === jobId);
        if (job !== undefined && job.scripted) job.currentState = this.states[Math.min(this.polls++, this.states.length - 1)]!;
        return job !== undefined ? this.view(job) : { id: jobId, currentState: this.states[Math.min(this.polls++, this.states.length - 1)] };
      }
    }
  }

  private view(j: FakeJob): object {
    return { id: j.id, name: j.name, type: j.type, currentState: j.currentState, clientRequestId: j.clientRequestId };
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

export function auth(): OAuth2Client {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: "test-token", expiry_date: Date.now() + 3_600_000 });
  return c;
}

export interface StandIns {
  readonly dataflow: FakeDataflow;
  /** A client of the GCS emulator, which has the bucket "bkt". */
  readonly storage: Storage;
  readonly gcsEndpoint: string;
}

/**
 * Registers the suite's hooks: the GCS emulator (with bucket "bkt") for the whole suite, a fresh
 * Dataflow stand-in for each test, handed to `ready` before the test runs; both are stopped.
 */
export function withDataflowStandIns(ready: (s: StandIns) => void): void {
  let gcs: StorageEmulator;
  let storage: Storage;
  let dataflow: FakeDataflow;
  before(async () => {
    gcs = await startStorageEmulator();
    storage = new Storage({ projectId: "proj", apiEndpoint: gcs.endpoint });
    await storage.createBucket("bkt");
  });
  after(async () => gcs.stop());
  beforeEach(async () => {
    dataflow = await FakeDataflow.start();
    ready({ dataflow, storage, gcsEndpoint: gcs.endpoint });
  });
  afterEach(async () => dataflow.stop());
}
