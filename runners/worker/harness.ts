/**
 * The Fn API SDK harness (BEAM_PORTABILITY.md §3): the worker a runner starts. Opens the control
 * stream (with `worker_id` metadata on every call), answers every instruction, runs bundles
 * concurrently through BundleProcessors pooled per descriptor, and reports metrics.
 *
 * It waits for the control service to accept connections (up to `connectTimeoutMs`, 60 s by
 * default, as Beam Go's harness dials it), then `done()` resolves when the runner ends the
 * control stream and rejects, with the reason, when the stream fails (runner gone, endpoint
 * never reachable): the worker process then exits non-zero instead of silently.
 */
import { beginCombineFnRun, endCombineFnRun } from "../../lib/model/combine_lifecycle";
import { InternalError } from "../../lib/model/errors";
import type * as grpc from "@grpc/grpc-js";
import type { Pipeline } from "../../lib/model/pipeline";
import { RpcClient } from "../portable/grpc";
import { fnApi, fnapi } from "../portable/protos";
import { BundleProcessor, BundleServices } from "./bundle_processor";
import { UserStateCache } from "./user_state_cache";
import { DataChannel } from "./data_channel";
import { forwardConsole, LogForwarder, Severity } from "./logging";
import { ShortIds } from "./monitoring";
import { checkFingerprint } from "./program_loader";
import { StateChannel } from "./state_channel";
import { PendingFinalizations } from "./splittable";

export interface HarnessOptions {
  readonly workerId: string;
  readonly controlUrl: string;
  readonly loggingUrl?: string;
  /** Builds the pipeline (once, before the first bundle): by re-running the program in worker mode. */
  readonly loadPipeline: () => Pipeline | Promise<Pipeline>;
  /** Id shared by all workers of the run (sinks name temp files with it). */
  readonly runId: string;
  /** How long to wait for the control service to accept a connection (default 60 s). */
  readonly connectTimeoutMs?: number;
}

/** How long stop() waits for bundles still running. */
const RUNNING_BUNDLE_GRACE_MS = 5_000;

/** How the control stream ended: normally, or with the reason it failed. */
type Ending = { readonly error?: Error };

type Response = fnapi.InstructionResponse["response"];

export class FnHarness implements BundleServices {
  private readonly control: RpcClient;
  private stream: grpc.ClientDuplexStream<fnapi.InstructionResponse, fnapi.InstructionRequest> | undefined;
  private readonly descriptors = new Map<string, fnapi.ProcessBundleDescriptor>();
  private readonly idle = new Map<string, BundleProcessor[]>();
  private readonly active = new Map<string, BundleProcessor>();
  /** The bundles being processed, by instruction id (stop() waits for them). */
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly data = new Map<string, DataChannel>();
  private readonly state = new Map<string, StateChannel>();
  private readonly userStateCaches = new Map<string, UserStateCache>();
  private readonly shortIds = new ShortIds();
  private readonly finalizations = new PendingFinalizations();
  private readonly logger: LogForwarder | undefined;
  private built: Pipeline | undefined;
  /** Whether a processor runs the loaded pipeline's DoFns (later processors build their own). */
  private loadedHandedOut = false;
  private loading: Promise<Pipeline> | undefined;
  private finished: Promise<Ending> | undefined;
  private stopping = false;
  /** Whether it counts as a run of this process for CombineFn teardown (from start to stop). */
  private combineFnRun = false;
  private unforwardConsole: (() => void) | undefined;
  readonly runId: string;

  constructor(private readonly options: HarnessOptions) {
    this.control = new RpcClient(options.controlUrl, fnApi.BeamFnControl, { worker_id: options.workerId });
    this.logger = options.loggingUrl !== undefined && options.loggingUrl !== "" ? new LogForwarder(options.loggingUrl, options.workerId) : undefined;
    this.runId = options.runId;
  }

  /** Connects (once the control service accepts connections); `done()` tells how the control stream ended. */
  start(): this {
    // The CombineFns its bundles set up are torn down when it stops (combine_lifecycle.ts).
    if (!this.combineFnRun) {
      this.combineFnRun = true;
      beginCombineFnRun();
    }
    if (this.logger !== undefined) this.unforwardConsole = forwardConsole(this, this.logger);
    const url = this.options.controlUrl;
    const timeoutMs = this.options.connectTimeoutMs ?? 60_000;
    this.finished = new Promise<Ending>((resolve) => {
      const failed = (reason: string): void => resolve({ error: new Error(`SDK harness ${this.options.workerId}: ${reason}`) });
      this.control.client.waitForReady(Date.now() + timeoutMs, (err) => {
        if (this.stopping) return resolve({});
        if (err !== undefined && err !== null) return failed(`could not connect to the control service at ${url} within ${timeoutMs / 1000} s: ${err.message}`);
        const stream = this.control.bidi("Control", fnApi.InstructionResponse, fnApi.InstructionRequest);
        this.stream = stream;
        stream.on("data", (req: fnapi.InstructionRequest) => void this.handle(req));
        stream.on("error", () => undefined); // reported with the status below
        stream.on("status", (status: grpc.StatusObject) => {
          if (status.code === 0 || this.stopping) resolve({});
          else failed(`the control stream to ${url} failed: ${status.code} ${status.details}`);
        });
        this.log("INFO", `Beamline SDK harness ${this.options.workerId} connected to ${url}`);
      });
    });
    return this;
  }

  /** Resolves when the runner ends the control stream; rejects with the reason when it fails. */
  async done(): Promise<void> {
    if (this.finished === undefined) throw new Error("internal: done() before start()");
    const ending = await this.finished;
    if (ending.error !== undefined) throw ending.error;
  }

  log(severity: Severity, message: string, transformId = ""): void {
    this.logger?.log(severity, message, "", transformId);
  }

  /** The rebuilt pipeline; loaded by `loadedPipeline()` before any bundle is planned. */
  pipeline(fingerprint?: string): Pipeline {
    if (this.built === undefined) throw new InternalError("the harness planned a bundle before loading the pipeline");
    if (fingerprint !== undefined) checkFingerprint(this.built, fingerprint);
    return this.built;
  }

  /**
   * The pipeline whose DoFn objects a new processor runs. Beam runs a DoFn instance on one bundle
   * at a time, and a processor is made only when every pooled one is busy (runners send bundles of
   * one stage at once, e.g. Prism the residual of a split beside its primary): the first gets the
   * loaded pipeline, each later one the program built again, so DoFns that keep per-bundle fields
   * (reset in startBundle) never share them.
   */
  private async pipelineForProcessor(): Promise<Pipeline> {
    const loaded = await this.loadedPipeline();
    if (!this.loadedHandedOut) {
      this.loadedHandedOut = true;
      return loaded;
    }
    return this.options.loadPipeline();
  }

  /** This harness's services for a processor running `pipeline`'s DoFns. */
  private servicesWith(pipeline: Pipeline): BundleServices {
    return {
      dataChannel: (url) => this.dataChannel(url),
      stateChannel: (url) => this.stateChannel(url),
      userStateCache: (transformId) => this.userStateCache(transformId),
      pipeline: (fingerprint) => {
        if (fingerprint !== undefined) checkFingerprint(pipeline, fingerprint);
        return pipeline;
      },
      runId: this.runId,
      log: (severity, message, transformId) => this.log(severity, message, transformId),
    };
  }

  /** Loads the program once (modules load asynchronously: ES modules may await at top level). */
  private async loadedPipeline(): Promise<Pipeline> {
    this.loading ??= Promise.resolve()
      .then(() => this.options.loadPipeline())
      .then((p) => (this.built = p));
    return this.loading;
  }

  dataChannel(url: string): DataChannel {
    let c = this.data.get(url);
    if (c === undefined) this.data.set(url, (c = new DataChannel(url, this.options.workerId)));
    return c;
  }

  stateChannel(url: string): StateChannel {
    let c = this.state.get(url);
    if (c === undefined) this.state.set(url, (c = new StateChannel(url, this.options.workerId)));
    return c;
  }

  private respond(instructionId: string, response: Response, error = ""): void {
    this.stream?.write(fnApi.InstructionResponse.create({ instructionId, response, error }));
  }

  private async handle(req: fnapi.InstructionRequest): Promise<void> {
    const id = req.instructionId;
    try {
      const r = req.request;
      switch (r.oneofKind) {
        case "register":
          for (const d of r.register.processBundleDescriptor) this.descriptors.set(d.id, d);
          return this.respond(id, { oneofKind: "register", register: {} });
        case "processBundle": {
          // A stopping harness starts no bundle (it would outlive stop()).
          if (this.stopping) return this.respond(id, { oneofKind: undefined }, `SDK harness ${this.options.workerId} is stopping; bundle ${id} was not started`);
          const bundle = this.processBundle(id, r.processBundle);
          this.running.set(id, bundle);
          try {
            return this.respond(id, { oneofKind: "processBundle", processBundle: await bundle });
          } finally {
            this.running.delete(id);
          }
        }
        case "processBundleProgress": {
          const p = this.active.get(r.processBundleProgress.instructionId);
          const infos = p?.monitoring() ?? [];
          return this.respond(id, {
            oneofKind: "processBundleProgress",
            processBundleProgress: { monitoringInfos: infos, monitoringData: this.shortIds.encode(infos) },
          });
        }
        case "processBundleSplit": {
          // A bundle that is not running (finished, or not started) has nothing to split: an empty answer.
          const split = r.processBundleSplit;
          const { channelSplits, primaryRoots, residualRoots } = this.active.get(split.instructionId)?.split(split.desiredSplits) ?? { channelSplits: [], primaryRoots: [], residualRoots: [] };
          return this.respond(id, {
            oneofKind: "processBundleSplit",
            processBundleSplit: { primaryRoots, residualRoots, channelSplits: channelSplits.map((c) => ({ ...c, lastPrimaryElement: BigInt(c.lastPrimaryElement), firstResidualElement: BigInt(c.firstResidualElement) })) },
          });
        }
        case "finalizeBundle":
          await this.finalizations.finalize(r.finalizeBundle.instructionId);
          return this.respond(id, { oneofKind: "finalizeBundle", finalizeBundle: {} });
        case "monitoringInfos":
          return this.respond(id, { oneofKind: "monitoringInfos", monitoringInfos: { monitoringInfo: this.shortIds.metadata(r.monitoringInfos.monitoringInfoId) } });
        case "harnessMonitoringInfos":
          return this.respond(id, { oneofKind: "harnessMonitoringInfos", harnessMonitoringInfos: { monitoringData: {} } });
        default:
          return this.respond(id, { oneofKind: undefined }, `Unsupported instruction ${String(r.oneofKind)}`);
      }
    } catch (e) {
      const message = errorReport(e);
      this.log("ERROR", `instruction ${id} failed: ${message}`);
      this.respond(id, { oneofKind: undefined }, message);
    }
  }

  userStateCache(transformId: string): UserStateCache {
    let cache = this.userStateCaches.get(transformId);
    if (cache === undefined) this.userStateCaches.set(transformId, (cache = new UserStateCache()));
    return cache;
  }

  private async descriptor(id: string): Promise<fnapi.ProcessBundleDescriptor> {
    let d = this.descriptors.get(id);
    if (d === undefined) {
      d = await this.control.unary("GetProcessBundleDescriptor", fnApi.GetProcessBundleDescriptorRequest, fnApi.ProcessBundleDescriptor, { processBundleDescriptorId: id });
      this.descriptors.set(id, d);
    }
    return d;
  }

  private async processBundle(instructionId: string, req: fnapi.ProcessBundleRequest): Promise<fnapi.ProcessBundleResponse> {
    let processor: BundleProcessor | undefined;
    try {
      const descriptor = await this.descriptor(req.processBundleDescriptorId);
      processor = this.idle.get(descriptor.id)?.pop();
      if (processor === undefined) {
        processor = new BundleProcessor(descriptor, this.servicesWith(await this.pipelineForProcessor()));
        await processor.setup();
      }
      this.active.set(instructionId, processor);
      await processor.process(instructionId, req.cacheTokens);
    } catch (e) {
      await processor?.teardown();
      throw e;
    } finally {
      this.active.delete(instructionId);
      // Also on failure: the bundle's queued input is dropped (and reading resumes if it was full).
      for (const c of this.data.values()) c.endInstruction(instructionId);
    }
    const infos = processor.monitoring();
    const descriptor = processor.descriptor;
    const residualRoots = processor.residualRoots();
    const finalizers = processor.takeFinalizers();
    this.finalizations.add(instructionId, finalizers);
    // A bundle that ends while the harness stops is not pooled: its processor is torn down (a
    // reader it holds closes, handing back what no finalization will acknowledge now).
    if (this.stopping) await processor.teardown();
    else this.idle.set(descriptor.id, [...(this.idle.get(descriptor.id) ?? []), processor]);
    return { residualRoots, monitoringInfos: infos, monitoringData: this.shortIds.encode(infos), requiresFinalization: finalizers.length > 0 };
  }

  /** Tears down pooled processors and closes every channel. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Bundles still running (a splittable read polls for up to a second) end first, so no
    // processor is left working, or holding resources, after stop(); one stuck (waiting for input
    // from a runner that is gone) is not waited for longer than RUNNING_BUNDLE_GRACE_MS.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running.values()]), new Promise((r) => (grace = setTimeout(r, RUNNING_BUNDLE_GRACE_MS)))]);
    clearTimeout(grace);
    for (const list of this.idle.values()) for (const p of list) await p.teardown();
    this.idle.clear();
    if (this.combineFnRun) {
      this.combineFnRun = false;
      endCombineFnRun();
    }
    this.stream?.end();
    for (const c of this.data.values()) c.close();
    for (const c of this.state.values()) c.close();
    this.unforwardConsole?.();
    await this.logger?.close();
    this.control.close();
  }
}

/**
 * What the runner is told of a failed instruction: the error's stack and those of its causes. A
 * UserCodeError's own stack is the harness's; the user's code is in its cause's (Beam Python's
 * harness sends the whole traceback too, so the job's error shows where the user's code threw).
 */
export function errorReport(e: unknown): string {
  const parts: string[] = [];
  let current: unknown = e;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    parts.push(depth === 0 ? text : `Caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\n");
}
