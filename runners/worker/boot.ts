/**
 * The SDK container boot (BEAM_PORTABILITY.md §6): what `/opt/apache/beam/boot` runs.
 *
 * 1. Provision: GetProvisionInfo (with `worker_id`) → pipeline options, endpoints (ProvisionInfo
 *    endpoints win over flags), dependencies, sibling worker ids.
 * 2. Write the options to `<semi_persist_dir>/pipeline_options.json` (PIPELINE_OPTIONS_FILE).
 * 3. Materialise the artifacts into `<semi_persist_dir>/staged` (ResolveArtifacts + GetArtifact).
 * 4. Start one harness for our id and one per sibling worker id; wait until all end.
 *
 * The pipeline program itself is baked into the image (setup/Dockerfile); the worker rebuilds
 * the graph from the options' program reference and checks the fingerprint.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RpcClient } from "../portable/grpc";
import { artifactApi, provapi, provisionApi, rapi, runnerApi, structApi } from "../portable/protos";
import { workerProgramFrom, WorkerProgram } from "../portable/pipeline_options";
import { URNS } from "../portable/urns";
import { FnHarness } from "./harness";
import { loadWorkerPipeline } from "./program_loader";

export interface BootFlags {
  readonly id: string;
  readonly provisionEndpoint: string;
  readonly controlEndpoint?: string;
  readonly loggingEndpoint?: string;
  readonly artifactEndpoint?: string;
  readonly semiPersistDir: string;
}

/** Parses the container contract's flags (`--flag=value` or `--flag value`). */
export function parseBootFlags(argv: readonly string[]): BootFlags & { readonly workerPool: boolean; readonly servicePort: number } {
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
  return {
    id: f["id"] ?? "",
    provisionEndpoint: f["provision_endpoint"] ?? "",
    controlEndpoint: f["control_endpoint"],
    loggingEndpoint: f["logging_endpoint"],
    artifactEndpoint: f["artifact_endpoint"],
    semiPersistDir: f["semi_persist_dir"] ?? os.tmpdir(),
    workerPool,
    servicePort: Number(f["service_port"] ?? 50000),
  };
}

/** Calls the provision service as worker `workerId`. */
export async function provision(url: string, workerId: string): Promise<provapi.ProvisionInfo> {
  const client = new RpcClient(url, provisionApi.ProvisionService, { worker_id: workerId });
  try {
    const r = await client.unary("GetProvisionInfo", provisionApi.GetProvisionInfoRequest, provisionApi.GetProvisionInfoResponse, {}, 60_000);
    if (r.info === undefined) throw new Error("the provision service returned no ProvisionInfo");
    return r.info;
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

export async function boot(flags: BootFlags): Promise<BootedWorker> {
  const info = await provision(flags.provisionEndpoint, flags.id);
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
  const harnesses = [flags.id, ...info.siblingWorkerIds].map((workerId) =>
    new FnHarness({ workerId, controlUrl: control, loggingUrl: logging, loadPipeline: () => loadWorkerPipeline(program), runId: program.runId }).start(),
  );
  return {
    program,
    harnesses,
    optionsFile,
    artifacts,
    done: Promise.all(harnesses.map((h) => h.done())).then(() => undefined),
    stop: async () => {
      for (const h of harnesses) await h.stop();
    },
  };
}
