/**
 * The Dataflow v1b3 REST calls Beamline needs (BEAM_PORTABILITY.md §5.4), authenticated with
 * Application Default Credentials through google-auth-library. The endpoint is overridable
 * (--dataflow_endpoint) so tests and regional endpoints work.
 */
import { GoogleAuth } from "google-auth-library";
import type { AuthClient } from "google-auth-library";
import { PipelineError } from "../../lib/model/errors";

export const DATAFLOW_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"];

/** The parts of a v1b3 Job Beamline reads. */
export interface DataflowJob {
  readonly id: string;
  readonly name?: string;
  readonly currentState?: string;
  readonly currentStateTime?: string;
  readonly requestedState?: string;
}

export interface DataflowMessage {
  readonly id: string;
  readonly time: string;
  readonly messageImportance?: string;
  readonly messageText: string;
}

export const TERMINAL_JOB_STATES: ReadonlySet<string> = new Set(["JOB_STATE_DONE", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_DRAINED", "JOB_STATE_UPDATED"]);

export class DataflowClient {
  private readonly auth: GoogleAuth<AuthClient>;
  constructor(
    readonly endpoint: string,
    readonly project: string,
    readonly region: string,
    authClient?: AuthClient,
  ) {
    this.auth = new GoogleAuth({ scopes: DATAFLOW_SCOPES, ...(authClient !== undefined ? { authClient } : {}) });
  }

  private url(path: string): string {
    return `${this.endpoint}/v1b3/projects/${encodeURIComponent(this.project)}/locations/${encodeURIComponent(this.region)}/${path}`;
  }

  private async call<T>(method: "GET" | "POST" | "PUT", path: string, data?: object): Promise<T> {
    const client = await this.auth.getClient();
    try {
      const res = await client.request<T>({ url: this.url(path), method, data, responseType: "json" });
      return res.data;
    } catch (e) {
      const err = e as { response?: { status?: number; data?: { error?: { message?: string } } }; message: string };
      const detail = err.response?.data?.error?.message ?? err.message;
      throw new PipelineError(`Dataflow ${method} ${path} failed${err.response?.status !== undefined ? ` (HTTP ${err.response.status})` : ""}: ${detail}`, { cause: e });
    }
  }

  createJob(job: object): Promise<DataflowJob> {
    return this.call("POST", "jobs", job);
  }

  getJob(jobId: string): Promise<DataflowJob> {
    return this.call("GET", `jobs/${encodeURIComponent(jobId)}`);
  }

  async messages(jobId: string, startTime?: string): Promise<DataflowMessage[]> {
    const out: DataflowMessage[] = [];
    let pageToken: string | undefined;
    do {
      const q = new URLSearchParams({ minimumImportance: "JOB_MESSAGE_BASIC" });
      if (startTime !== undefined) q.set("startTime", startTime);
      if (pageToken !== undefined) q.set("pageToken", pageToken);
      const r = await this.call<{ jobMessages?: DataflowMessage[]; nextPageToken?: string }>("GET", `jobs/${encodeURIComponent(jobId)}/messages?${q.toString()}`);
      out.push(...(r.jobMessages ?? []));
      pageToken = r.nextPageToken;
    } while (pageToken !== undefined && pageToken !== "");
    return out;
  }

  /** Requests a state change: JOB_STATE_CANCELLED (cancel) or JOB_STATE_DRAINING (drain). */
  updateState(jobId: string, requestedState: "JOB_STATE_CANCELLED" | "JOB_STATE_DRAINING" | "JOB_STATE_DONE"): Promise<DataflowJob> {
    return this.call("PUT", `jobs/${encodeURIComponent(jobId)}`, { requestedState });
  }
}

/** The Cloud Console page of a job. */
export function consoleUrl(project: string, region: string, jobId: string): string {
  return `https://console.cloud.google.com/dataflow/jobs/${region}/${jobId}?project=${project}`;
}
