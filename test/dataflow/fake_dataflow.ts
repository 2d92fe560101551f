/**
 * A local stand-in for the Dataflow v1b3 REST API: records every request, answers job creation,
 * state polls (following a scripted list of states), messages and state changes.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { OAuth2Client } from "google-auth-library";

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly auth: string | undefined;
  readonly body: Record<string, unknown> | undefined;
}

export class FakeDataflow {
  readonly requests: Recorded[] = [];
  states: string[] = ["JOB_STATE_RUNNING", "JOB_STATE_DONE"];
  messages: { id: string; time: string; messageImportance: string; messageText: string }[] = [];
  private polls = 0;
  constructor(private readonly server: http.Server) {}
  static async start(): Promise<FakeDataflow> {
    let self: FakeDataflow | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        self!.requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined });
        const send = (v: object): void => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(v));
        };
        const m = /^\/v1b3\/projects\/([^/]+)\/locations\/([^/]+)\/jobs(?:\/([^/?]+))?(\/messages)?/.exec(req.url!);
        if (m === null) {
          res.writeHead(404);
          return res.end();
        }
        if (req.method === "POST") return send({ id: "2026-11-22_job-1", name: (JSON.parse(text) as { name: string }).name, currentState: "JOB_STATE_PENDING" });
        if (m[4] !== undefined) return send({ jobMessages: self!.messages });
        if (req.method === "PUT") return send({ id: m[3], requestedState: (JSON.parse(text) as { requestedState: string }).requestedState });
        const state = self!.states[Math.min(self!.polls++, self!.states.length - 1)];
        return send({ id: m[3], currentState: state });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    self = new FakeDataflow(server);
    return self;
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
