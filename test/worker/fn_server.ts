/**
 * The runner side of the Fn API, for tests: one gRPC server with Control, Data (elements and
 * timers), State (side inputs; user state with get/append/clear) and Logging, driving a
 * Beamline harness over real gRPC on 127.0.0.1.
 */
import * as grpc from "@grpc/grpc-js";
import { startServer, stopServer } from "../../runners/portable/grpc";
import { fnApi, fnapi, metricsapi, provapi, provisionApi } from "../../runners/portable/protos";
import type { FnHarness } from "../../runners/worker/harness";

/** Side-input contents served over the State API, keyed by stateKeyId(). */
export type StateContents = Map<string, Uint8Array>;

export function stateKeyId(key: fnapi.StateKey): string {
  const t = key.type;
  const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array(0)).toString("hex");
  switch (t.oneofKind) {
    case "iterableSideInput":
      return `iterable|${t.iterableSideInput.transformId}|${t.iterableSideInput.sideInputId}|${hex(t.iterableSideInput.window)}`;
    case "multimapKeysSideInput":
      return `keys|${t.multimapKeysSideInput.transformId}|${t.multimapKeysSideInput.sideInputId}|${hex(t.multimapKeysSideInput.window)}`;
    case "multimapSideInput":
      return `values|${t.multimapSideInput.transformId}|${t.multimapSideInput.sideInputId}|${hex(t.multimapSideInput.window)}|${hex(t.multimapSideInput.key)}`;
    case "bagUserState":
      return `bag|${t.bagUserState.transformId}|${t.bagUserState.userStateId}|${hex(t.bagUserState.window)}|${hex(t.bagUserState.key)}`;
    case "multimapKeysUserState":
      return `mmkeys|${t.multimapKeysUserState.transformId}|${t.multimapKeysUserState.userStateId}|${hex(t.multimapKeysUserState.window)}|${hex(t.multimapKeysUserState.key)}`;
    case "multimapUserState":
      return `mm|${t.multimapUserState.transformId}|${t.multimapUserState.userStateId}|${hex(t.multimapUserState.window)}|${hex(t.multimapUserState.key)}|${hex(t.multimapUserState.mapKey)}`;
    case "runner":
      // The rest of a state-backed iterable (beam:coder:state_backed_iterable:v1), named by the runner's token.
      return `runner|${hex(t.runner.key)}`;
    default:
      return `unsupported|${String(t.oneofKind)}`;
  }
}

/** The entries (map key id → values) of one map-state cell, from its MultimapKeysUserState id. */
function multimapPrefix(keysId: string): string {
  return `mm|${keysId.slice("mmkeys|".length)}|`;
}

/** Timer streams of a bundle, keyed `transformId|timerFamilyId`. */
export interface BundleTimers {
  /** Timers to deliver (chunks; the last is flagged is_last; none = an empty is_last). */
  readonly inputs?: ReadonlyMap<string, readonly Uint8Array[]>;
  /** Timer streams the harness must send (and close with is_last). */
  readonly outputs?: readonly string[];
  /** Holds the timer inputs back until this resolves (the bundle stays open, reading them). */
  readonly release?: Promise<void>;
}

export interface BundleResult {
  /** The bundle's instruction id (for FinalizeBundleRequest). */
  readonly instructionId: string;
  readonly response: fnapi.ProcessBundleResponse;
  /** Bytes received per sink transform id. */
  readonly outputs: Map<string, Buffer>;
  /** Timer bytes received per `transformId|timerFamilyId`. */
  readonly timers: Map<string, Buffer>;
  /** Metrics of the response, resolved from short ids through a monitoring_infos request. */
  readonly metrics: metricsapi.MonitoringInfo[];
}

/** A bundle the test streams input into (FnApiServer.startBundle). */
export interface RunningBundle {
  readonly instructionId: string;
  /** The bundle's response, once every sink has ended. */
  readonly result: Promise<fnapi.ProcessBundleResponse>;
  /** Sends a data chunk of source `transformId`; waits while the data stream is full. */
  send(transformId: string, data: Uint8Array, isLast: boolean): Promise<void>;
  split(desiredSplits: Record<string, fnapi.ProcessBundleSplitRequest_DesiredSplit>): Promise<fnapi.ProcessBundleSplitResponse>;
  /** The bundle's monitoring infos so far (short ids resolved). */
  progress(): Promise<metricsapi.MonitoringInfo[]>;
}

export class FnApiServer {
  readonly workerIds = new Set<string>();
  readonly logs: fnapi.LogEntry[] = [];
  readonly state: StateContents = new Map();
  /** State responses are cut into pages of this many bytes (to exercise continuation tokens). */
  statePageBytes = 5;
  stateRequests = 0;
  /** Bytes the harness sent in `is_last` elements, which this runner (like Beam Python's) drops. */
  bytesIgnoredWithIsLast = 0;
  /** Every state request: `<get|get+|append|clear> <stateKeyId> <instruction id>` (get+: a continuation page). */
  readonly stateLog: string[] = [];
  private control: grpc.ServerDuplexStream<fnapi.InstructionResponse, fnapi.InstructionRequest> | undefined;
  /** Every control stream opened (sibling harnesses each open one; instructions go to the latest). */
  private readonly controls: grpc.ServerDuplexStream<fnapi.InstructionResponse, fnapi.InstructionRequest>[] = [];
  private controlWaiters: (() => void)[] = [];
  private readonly dataWaiters: (() => void)[] = [];
  private data: grpc.ServerDuplexStream<fnapi.Elements, fnapi.Elements> | undefined;
  private pendingData: fnapi.Elements[] = [];
  private readonly responses = new Map<string, (r: fnapi.InstructionResponse) => void>();
  private readonly outputs = new Map<string, { chunks: Buffer[]; done: boolean }>();
  private readonly outputWaiters = new Map<string, () => void>();
  private readonly descriptors = new Map<string, fnapi.ProcessBundleDescriptor>();
  /** Sinks whose bytes go to a callback instead of being kept (streaming bundles). */
  private readonly outputConsumers = new Map<string, (data: Uint8Array) => void>();
  /** What GetProvisionInfo returns (NOT_FOUND while unset). */
  provisionInfo: provapi.ProvisionInfo | undefined;
  private nextId = 0;

  private constructor(
    private readonly server: grpc.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FnApiServer> {
    let self: FnApiServer | undefined;
    const workerId = (md: grpc.Metadata): void => {
      const id = md.get("worker_id")[0];
      if (id !== undefined) self!.workerIds.add(String(id));
    };
    const started = await startServer([
      {
        service: fnApi.BeamFnControl,
        impl: {
          Control: (call: grpc.ServerDuplexStream<fnapi.InstructionResponse, fnapi.InstructionRequest>) => {
            workerId(call.metadata);
            self!.control = call;
            self!.controls.push(call);
            for (const w of self!.controlWaiters.splice(0)) w();
            call.on("data", (r: fnapi.InstructionResponse) => self!.responses.get(r.instructionId)?.(r));
            call.on("error", () => undefined);
          },
          GetProcessBundleDescriptor: (call: grpc.ServerUnaryCall<fnapi.GetProcessBundleDescriptorRequest, fnapi.ProcessBundleDescriptor>, cb: grpc.sendUnaryData<fnapi.ProcessBundleDescriptor>) => {
            workerId(call.metadata);
            const d = self!.descriptors.get(call.request.processBundleDescriptorId);
            if (d === undefined) cb({ code: grpc.status.NOT_FOUND, details: "no such descriptor" });
            else cb(null, d);
          },
        },
      },
      {
        service: fnApi.BeamFnData,
        impl: {
          Data: (call: grpc.ServerDuplexStream<fnapi.Elements, fnapi.Elements>) => {
            workerId(call.metadata);
            self!.data = call;
            for (const e of self!.pendingData.splice(0)) call.write(e);
            for (const w of self!.dataWaiters.splice(0)) w();
            call.on("data", (e: fnapi.Elements) => {
              for (const t of e.timers) {
                const key = `${t.instructionId}|${t.transformId}|${t.timerFamilyId}`;
                let o = self!.outputs.get(key);
                if (o === undefined) self!.outputs.set(key, (o = { chunks: [], done: false }));
                // Like Beam Python's runner (data_plane.py): an is_last element ends the stream; its bytes are ignored.
                if (t.isLast) self!.bytesIgnoredWithIsLast += t.timers.length;
                else o.chunks.push(Buffer.from(t.timers));
                if (t.isLast) {
                  o.done = true;
                  self!.outputWaiters.get(key)?.();
                }
              }
              for (const d of e.data) {
                const key = `${d.instructionId}|${d.transformId}`;
                const consumer = self!.outputConsumers.get(key);
                if (consumer !== undefined) {
                  if (!d.isLast) consumer(d.data);
                  else self!.outputWaiters.get(key)?.();
                  continue;
                }
                let o = self!.outputs.get(key);
                if (o === undefined) self!.outputs.set(key, (o = { chunks: [], done: false }));
                if (d.isLast) self!.bytesIgnoredWithIsLast += d.data.length;
                else o.chunks.push(Buffer.from(d.data));
                if (d.isLast) {
                  o.done = true;
                  self!.outputWaiters.get(key)?.();
                }
              }
            });
            call.on("error", () => undefined);
          },
        },
      },
      {
        service: fnApi.BeamFnState,
        impl: {
          State: (call: grpc.ServerDuplexStream<fnapi.StateRequest, fnapi.StateResponse>) => {
            workerId(call.metadata);
            call.on("data", (req: fnapi.StateRequest) => {
              self!.stateRequests++;
              const id = stateKeyId(req.stateKey!);
              const state = self!.state;
              const more = req.request.oneofKind === "get" && req.request.get.continuationToken.length > 0 ? "+" : "";
              self!.stateLog.push(`${String(req.request.oneofKind)}${more} ${id} ${req.instructionId}`);
              if (req.request.oneofKind === "append" || req.request.oneofKind === "clear") {
                if (!/^(bag|mm|mmkeys)\|/.test(id)) {
                  call.write(fnApi.StateResponse.create({ id: req.id, error: `${req.request.oneofKind} is not allowed on ${id}` }));
                  return;
                }
                if (req.request.oneofKind === "append") {
                  state.set(id, Buffer.concat([state.get(id) ?? new Uint8Array(0), req.request.append.data]));
                  call.write(fnApi.StateResponse.create({ id: req.id, response: { oneofKind: "append", append: {} } }));
                } else {
                  if (id.startsWith("mmkeys|")) for (const k of [...state.keys()]) if (k.startsWith(multimapPrefix(id))) state.delete(k);
                  state.delete(id);
                  call.write(fnApi.StateResponse.create({ id: req.id, response: { oneofKind: "clear", clear: {} } }));
                }
                return;
              }
              if (req.request.oneofKind !== "get") {
                call.write(fnApi.StateResponse.create({ id: req.id, error: `unknown state request ${String(req.request.oneofKind)}` }));
                return;
              }
              // Map-state keys: the map keys (nested-encoded) that hold values.
              const all = id.startsWith("mmkeys|")
                ? Buffer.concat([...state.entries()].filter(([k, v]) => k.startsWith(multimapPrefix(id)) && v.length > 0).map(([k]) => Buffer.from(k.slice(multimapPrefix(id).length), "hex")))
                : (state.get(id) ?? new Uint8Array(0));
              const token = req.request.get.continuationToken;
              const start = token.length > 0 ? Number(Buffer.from(token).toString()) : 0;
              const end = Math.min(all.length, start + self!.statePageBytes);
              call.write(
                fnApi.StateResponse.create({
                  id: req.id,
                  response: { oneofKind: "get", get: { data: all.subarray(start, end), continuationToken: end < all.length ? Buffer.from(String(end)) : new Uint8Array(0) } },
                }),
              );
            });
            call.on("error", () => undefined);
          },
        },
      },
      {
        service: provisionApi.ProvisionService,
        impl: {
          GetProvisionInfo: (call: grpc.ServerUnaryCall<provapi.GetProvisionInfoRequest, provapi.GetProvisionInfoResponse>, cb: grpc.sendUnaryData<provapi.GetProvisionInfoResponse>) => {
            workerId(call.metadata);
            if (self!.provisionInfo === undefined) cb({ code: grpc.status.NOT_FOUND, details: "no provision info set" });
            else cb(null, { info: self!.provisionInfo });
          },
        },
      },
      {
        service: fnApi.BeamFnLogging,
        impl: {
          Logging: (call: grpc.ServerDuplexStream<fnapi.LogEntry_List, fnapi.LogControl>) => {
            workerId(call.metadata);
            call.on("data", (l: fnapi.LogEntry_List) => self!.logs.push(...l.logEntries));
            call.on("error", () => undefined);
            call.on("end", () => call.end());
          },
        },
      },
    ]);
    self = new FnApiServer(started.server, started.url);
    return self;
  }

  /** Resolves when a harness has opened the control stream. */
  connected(): Promise<void> {
    if (this.control !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.controlWaiters.push(resolve));
  }

  /** Serves `d` through GetProcessBundleDescriptor (as Java runners and Prism do). */
  addDescriptor(d: fnapi.ProcessBundleDescriptor): void {
    this.descriptors.set(d.id, d);
  }

  async instruct(request: fnapi.InstructionRequest["request"]): Promise<fnapi.InstructionResponse> {
    await this.connected();
    const instructionId = `i${this.nextId++}`;
    const response = new Promise<fnapi.InstructionResponse>((resolve) => this.responses.set(instructionId, resolve));
    this.control!.write(fnApi.InstructionRequest.create({ instructionId, request }));
    const r = await response;
    this.responses.delete(instructionId);
    return r;
  }

  private sendData(e: fnapi.Elements): void {
    if (this.data !== undefined) this.data.write(e);
    else this.pendingData.push(e);
  }

  /**
   * Runs one bundle: sends `inputs` (chunks per source transform; the last chunk is flagged
   * is_last) and waits for the response and for is_last on every sink in `sinks`.
   */
  async processBundle(
    descriptorId: string,
    inputs: ReadonlyMap<string, readonly Uint8Array[]>,
    sinks: readonly string[],
    timers: BundleTimers = {},
    cacheTokens: fnapi.ProcessBundleRequest_CacheToken[] = [],
  ): Promise<BundleResult> {
    await this.connected();
    const instructionId = `b${this.nextId++}`;
    const timerOutputs = timers.outputs ?? [];
    const sinkDone = [...sinks, ...timerOutputs].map((s) => {
      const key = `${instructionId}|${s}`;
      return new Promise<void>((resolve) => {
        if (this.outputs.get(key)?.done === true) resolve();
        else this.outputWaiters.set(key, resolve);
      });
    });
    const response = new Promise<fnapi.InstructionResponse>((resolve) => this.responses.set(instructionId, resolve));
    // Data first: a harness must buffer data that arrives before its bundle starts.
    for (const [transformId, chunks] of inputs) {
      chunks.forEach((data, i) => this.sendData(fnApi.Elements.create({ data: [{ instructionId, transformId, data, isLast: i === chunks.length - 1 }] })));
      if (chunks.length === 0) this.sendData(fnApi.Elements.create({ data: [{ instructionId, transformId, data: new Uint8Array(0), isLast: true }] }));
    }
    const sendTimers = (): void => {
      for (const [stream, chunks] of timers.inputs ?? new Map<string, readonly Uint8Array[]>()) {
        const [transformId, timerFamilyId] = stream.split("|") as [string, string];
        const send = (t: Uint8Array, isLast: boolean): void => this.sendData(fnApi.Elements.create({ timers: [{ instructionId, transformId, timerFamilyId, timers: t, isLast }] }));
        chunks.forEach((t, i) => send(t, i === chunks.length - 1));
        if (chunks.length === 0) send(new Uint8Array(0), true);
      }
    };
    if (timers.release === undefined) sendTimers();
    else void timers.release.then(sendTimers);
    this.control!.write(fnApi.InstructionRequest.create({ instructionId, request: { oneofKind: "processBundle", processBundle: { processBundleDescriptorId: descriptorId, cacheTokens, elements: undefined } } }));
    const r = await response;
    this.responses.delete(instructionId);
    if (r.error !== "") throw new Error(`bundle ${instructionId} failed in the SDK: ${r.error}`);
    await Promise.all(sinkDone);
    const outputs = new Map<string, Buffer>();
    for (const s of sinks) {
      const key = `${instructionId}|${s}`;
      outputs.set(s, Buffer.concat(this.outputs.get(key)?.chunks ?? []));
      this.outputs.delete(key);
      this.outputWaiters.delete(key);
    }
    const timerBytes = new Map<string, Buffer>();
    for (const s of timerOutputs) {
      const key = `${instructionId}|${s}`;
      timerBytes.set(s, Buffer.concat(this.outputs.get(key)?.chunks ?? []));
      this.outputs.delete(key);
      this.outputWaiters.delete(key);
    }
    if (r.response.oneofKind !== "processBundle") throw new Error("not a process_bundle response");
    const pb = r.response.processBundle;
    const meta = await this.instruct({ oneofKind: "monitoringInfos", monitoringInfos: { monitoringInfoId: Object.keys(pb.monitoringData) } });
    const known = meta.response.oneofKind === "monitoringInfos" ? meta.response.monitoringInfos.monitoringInfo : {};
    const metrics = Object.entries(pb.monitoringData).map(([id, payload]) => ({ ...known[id]!, payload }));
    return { instructionId, response: pb, outputs, timers: timerBytes, metrics };
  }

  /**
   * Starts a bundle whose input the caller streams (`send`, honouring the data stream's
   * back-pressure) and whose sinks' bytes go to `onOutput` as they arrive, none kept.
   */
  async startBundle(descriptorId: string, sinks: readonly string[], onOutput: (sink: string, data: Uint8Array) => void): Promise<RunningBundle> {
    await this.connected();
    const instructionId = `s${this.nextId++}`;
    const sinkDone = sinks.map((sink) => {
      const key = `${instructionId}|${sink}`;
      this.outputConsumers.set(key, (data) => onOutput(sink, data));
      return new Promise<void>((resolve) => this.outputWaiters.set(key, resolve));
    });
    const response = new Promise<fnapi.InstructionResponse>((resolve) => this.responses.set(instructionId, resolve));
    this.control!.write(fnApi.InstructionRequest.create({ instructionId, request: { oneofKind: "processBundle", processBundle: { processBundleDescriptorId: descriptorId, cacheTokens: [], elements: undefined } } }));
    const result = (async (): Promise<fnapi.ProcessBundleResponse> => {
      const r = await response;
      this.responses.delete(instructionId);
      if (r.error !== "") throw new Error(`bundle ${instructionId} failed in the SDK: ${r.error}`);
      await Promise.all(sinkDone);
      for (const sink of sinks) {
        this.outputConsumers.delete(`${instructionId}|${sink}`);
        this.outputWaiters.delete(`${instructionId}|${sink}`);
      }
      if (r.response.oneofKind !== "processBundle") throw new Error("not a process_bundle response");
      return r.response.processBundle;
    })();
    return {
      instructionId,
      result,
      send: async (transformId, data, isLast) => {
        await this.connectedData();
        if (!this.data!.write(fnApi.Elements.create({ data: [{ instructionId, transformId, data, isLast }] }))) {
          await new Promise<void>((resolve) => this.data!.once("drain", () => resolve()));
        }
      },
      split: async (desiredSplits) => {
        const r = await this.instruct({ oneofKind: "processBundleSplit", processBundleSplit: { instructionId, desiredSplits } });
        if (r.response.oneofKind !== "processBundleSplit") throw new Error(`not a split response: ${r.error}`);
        return r.response.processBundleSplit;
      },
      progress: async () => {
        const r = await this.instruct({ oneofKind: "processBundleProgress", processBundleProgress: { instructionId } });
        if (r.response.oneofKind !== "processBundleProgress") throw new Error(`not a progress response: ${r.error}`);
        const pb = r.response.processBundleProgress;
        const meta = await this.instruct({ oneofKind: "monitoringInfos", monitoringInfos: { monitoringInfoId: Object.keys(pb.monitoringData) } });
        const known = meta.response.oneofKind === "monitoringInfos" ? meta.response.monitoringInfos.monitoringInfo : {};
        return Object.entries(pb.monitoringData).map(([id, payload]) => ({ ...known[id]!, payload }));
      },
    };
  }

  private connectedData(): Promise<void> {
    if (this.data !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.dataWaiters.push(resolve));
  }

  /** Stops (and restarts) reading what harnesses send on the data stream: the runner falls behind. */
  pauseOutputs(): void {
    this.data?.pause();
  }
  resumeOutputs(): void {
    this.data?.resume();
  }

  async stop(): Promise<void> {
    // Ends every control stream with an OK status: the harnesses see a normal end of work.
    for (const c of this.controls) c.end();
    this.data?.end();
    await stopServer(this.server);
  }
}

/** What `fnServerPerTest` gives a suite: the test's server, and its harness (stopped after the test). */
export interface FnTestContext {
  readonly server: FnApiServer;
  harness: FnHarness | undefined;
}

/** Mocha hooks of a suite driving harnesses: a fresh runner-side server for each test; the test's harness and server stopped after it. */
export function fnServerPerTest(): FnTestContext {
  let server: FnApiServer | undefined;
  const ctx: FnTestContext = {
    get server(): FnApiServer {
      if (server === undefined) throw new Error("no FnApiServer outside a test");
      return server;
    },
    harness: undefined,
  };
  beforeEach(async () => {
    server = await FnApiServer.start();
  });
  afterEach(async () => {
    await ctx.harness?.stop();
    ctx.harness = undefined;
    await server?.stop();
    server = undefined;
  });
  return ctx;
}
