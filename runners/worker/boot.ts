/**
 * The SDK container boot (BEAM_PORTABILITY.md §6): what `/opt/apache/beam/boot` runs.
 *
 * 1. Provision: GetProvisionInfo (with `worker_id`) → pipeline options, endpoints (ProvisionInfo
 *    endpoints win over flags), dependencies, sibling worker ids.
 * 2. Write the options to `<semi_persist_dir>/pipeline_options.json` (PIPELINE_OPTIONS_FILE).
 * 3. Materialise the artifacts into `<semi_persist_dir>/staged` (ResolveArtifacts + GetArtifact).
 * 4. Start one harness for our id and one per sibling worker id; wait until all end.
 *
 * Runners may start the container before their services listen: like Beam's boot (which dials
 * with a 2-minute deadline), the provision service is retried until it answers or
 * `--startup_timeout_secs` (120) pass, and each harness waits as long for the control service.
 *
 * The pipeline program itself is baked into the image (setup/Dockerfile, `BEAMLINE_PROGRAM` or
 * `--program`); the worker rebuilds the graph from it and checks the fingerprint.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { RpcClient } from "../portable/grpc";
import { artifactApi, provapi, provisionApi, rapi, runnerApi, structApi } from "../portable/protos";
import { workerProgramFrom, WorkerProgram } from "../portable/pipeline_options";
import { URNS } from "../portable/urns";
import { FnHarness } from "./harness";
import { BakedPrograms, loadWorkerPipeline } from "./program_loader";

export interface BootFlags {
  readonly id: string;
  readonly provisionEndpoint: string;
  readonly controlEndpoint?: string;
  readonly loggingEndpoint?: string;
  readonly artifactEndpoint?: string;
  readonly semiPersistDir: string;
  /** How long to wait for the provision and control services (seconds). */
  readonly startupTimeoutSecs?: number;
  /** The pipeline modules baked into the image (BEAMLINE_PROGRAM / --program; comma-separated files or folders). */
  readonly program?: string;
}

/** The flags of `main.js`: the container contract's, and the worker pool's. */
export interface WorkerFlags extends BootFlags {
  readonly workerPool: boolean;
  readonly servicePort: number;
  /** The worker pool's listening address: 127.0.0.1 unless a container asks for all interfaces. */
  readonly workerPoolHost: string;
}

/** Parses the container contract's flags (`--flag=value` or `--flag value`). */
export function parseBootFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): WorkerFlags {
  const f: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z_]+)(?:=(.*))?$/.exec(argv[i]!);
    if (m === null) continue;
    if (m[2] !== undefined) f[m[1]!] = m[2];
    else if (m[1] === "worker_pool") f["worker_pool"] = "true";
    else f[m[1]!] = argv[++i] ?? "";
  }
  const workerPool = f["worker_pool"] === "true";
  if (!workerPool && (f["id"] === undefined || f["provision_endpoint"] === undefined)) {
    throw new Error("boot needs --id and --provision_endpoint (the Beam container contract), or --worker_pool to serve an external worker pool");
  }
  const timeout = f["startup_timeout_secs"] !== undefined ? Number(f["startup_timeout_secs"]) : undefined;
  if (timeout !== undefined && !(timeout > 0)) throw new Error(`--startup_timeout_secs must be a positive number of seconds, got '${f["startup_timeout_secs"]}'`);
  const program = f["program"] ?? env["BEAMLINE_PROGRAM"];
  if (workerPool && (program === undefined || program === "")) {
    throw new Error(
      "A worker pool runs only the pipeline program it was started with: give --program PATH (or set BEAMLINE_PROGRAM), " +
        "the module file(s) or folder of your built pipelines. The worker image sets it.",
    );
  }
  return {
    id: f["id"] ?? "",
    provisionEndpoint: f["provision_endpoint"] ?? "",
    controlEndpoint: f["control_endpoint"],
    loggingEndpoint: f["logging_endpoint"],
    artifactEndpoint: f["artifact_endpoint"],
    semiPersistDir: f["semi_persist_dir"] ?? os.tmpdir(),
    ...(timeout !== undefined ? { startupTimeoutSecs: timeout } : {}),
    ...(program !== undefined && program !== "" ? { program } : {}),
    workerPool,
    servicePort: Number(f["service_port"] ?? 50000),
    workerPoolHost: f["worker_pool_host"] ?? "127.0.0.1",
  };
}

/** gRPC codes worth retrying while a runner starts its services. */
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.UNKNOWN]);

/**
 * Calls the provision service as worker `workerId`, waiting for it to listen and retrying
 * transient failures with backoff until `timeoutMs` has passed.
 */
export async function provision(url: string, workerId: string, timeoutMs = 120_000): Promise<provapi.ProvisionInfo> {
  const client = new RpcClient(url, provisionApi.ProvisionService, { worker_id: workerId });
  const deadline = Date.now() + timeoutMs;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => client.client.waitForReady(deadline, (e) => (e ? reject(e) : resolve())));
        const r = await client.unary("GetProvisionInfo", provisionApi.GetProvisionInfoRequest, provisionApi.GetProvisionInfoResponse, {}, Math.max(1, deadline - Date.now()));
        if (r.info === undefined) throw new Error("the provision service returned no ProvisionInfo");
        return r.info;
      } catch (e) {
        const code = (e as { code?: number }).code;
        const retry = code !== undefined && RETRYABLE.has(code) && Date.now() < deadline;
        if (!retry) throw new Error(`could not get the provision info from ${url} within ${Math.round(timeoutMs / 1000)} s: ${(e as Error).message}`, { cause: e });
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt, Math.max(0, deadline - Date.now()))));
      }
    }
  } finally {
    client.close();
  }
}

/** The options of a ProvisionInfo as a plain object (either Job API or Dataflow shape). */
export function provisionedOptions(info: provapi.ProvisionInfo): Record<string, unknown> {
  return info.pipelineOptions === undefined ? {} : (structApi.Struct.toJson(info.pipelineOptions) as Record<string, unknown>);
}

/** Downloads every dependency into `dir`; returns the files written. */
export async function materializeArtifacts(url: string, workerId: string, deps: readonly rapi.ArtifactInformation[], dir: string): Promise<string[]> {
  if (deps.length === 0) return [];
  fs.mkdirSync(dir, { recursive: true });
  const client = new RpcClient(url, artifactApi.ArtifactRetrievalService, { worker_id: workerId });
  try {
    const resolved = await client.unary("ResolveArtifacts", artifactApi.ResolveArtifactsRequest, artifactApi.ResolveArtifactsResponse, { artifacts: [...deps], preferredUrns: [] }, 60_000);
    const written: string[] = [];
    let n = 0;
    for (const a of resolved.replacements) {
      const name =
        a.roleUrn === URNS.roleStagingTo
          ? runnerApi.ArtifactStagingToRolePayload.fromBinary(a.rolePayload).stagedName
          : `${n}-${path.basename(a.typeUrn === URNS.artifactFile ? runnerApi.ArtifactFilePayload.fromBinary(a.typePayload).path : "artifact")}`;
      n++;
      const target = path.join(dir, path.basename(name));
      const stream = client.serverStream("GetArtifact", artifactApi.GetArtifactRequest, artifactApi.GetArtifactResponse, { artifact: a });
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve, reject) => {
        stream.on("data", (r: { data: Uint8Array }) => chunks.push(Buffer.from(r.data)));
        stream.on("end", () => resolve());
        stream.on("error", reject);
      });
      fs.writeFileSync(target, Buffer.concat(chunks));
      written.push(target);
    }
    return written;
  } finally {
    client.close();
  }
}

/** A booted container: its harnesses, and a promise that resolves when they all end. */
export interface BootedWorker {
  readonly program: WorkerProgram;
  readonly harnesses: readonly FnHarness[];
  readonly optionsFile: string;
  readonly artifacts: readonly string[];
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export async function boot(flags: BootFlags, log: (severity: "INFO" | "ERROR", message: string) => void = () => undefined): Promise<BootedWorker> {
  const timeoutMs = (flags.startupTimeoutSecs ?? 120) * 1000;
  const baked = flags.program !== undefined ? BakedPrograms.from(flags.program) : undefined;
  const info = await provision(flags.provisionEndpoint, flags.id, timeoutMs);
  const control = info.controlEndpoint?.url || flags.controlEndpoint;
  const logging = info.loggingEndpoint?.url || flags.loggingEndpoint;
  const artifactUrl = info.artifactEndpoint?.url || flags.artifactEndpoint;
  if (control === undefined || control === "") throw new Error("no control endpoint: neither ProvisionInfo nor --control_endpoint gives one");
  const options = provisionedOptions(info);
  const dir = path.join(flags.semiPersistDir, flags.id || "worker");
  fs.mkdirSync(dir, { recursive: true });
  const optionsFile = path.join(dir, "pipeline_options.json");
  fs.writeFileSync(optionsFile, JSON.stringify(options));
  process.env["PIPELINE_OPTIONS_FILE"] = optionsFile;
  process.env["RUNNER_CAPABILITIES"] = info.runnerCapabilities.join(" ");
  if (info.statusEndpoint?.url) process.env["STATUS_ENDPOINT"] = info.statusEndpoint.url;
  const artifacts = artifactUrl !== undefined && artifactUrl !== "" ? await materializeArtifacts(artifactUrl, flags.id, info.dependencies, path.join(dir, "staged")) : [];
  const program = workerProgramFrom(options);
  log("INFO", `worker ${flags.id}: provisioned; running program '${program.program.name}' (run ${program.runId}) from ${baked?.spec ?? program.program.modulePath}`);
  const harnesses = [flags.id, ...info.siblingWorkerIds].map((workerId) =>
    new FnHarness({ workerId, controlUrl: control, loggingUrl: logging, loadPipeline: () => loadWorkerPipeline(program, baked), runId: program.runId, connectTimeoutMs: timeoutMs }).start(),
  );
  return {
    program,
    harnesses,
    optionsFile,
    artifacts,
    // The first harness whose control stream fails fails the worker.
    done: Promise.all(harnesses.map((h) => h.done())).then(() => undefined),
    stop: async () => {
      for (const h of harnesses) await h.stop();
    },
  };
}
