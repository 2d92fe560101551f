/**
 * Worker logs to the runner's logging service (BeamFnLogging.Logging, BEAM_PORTABILITY.md §3.8),
 * where runners show them (Dataflow's worker logs, Prism's and Flink's logs).
 *
 * - The harness's own messages and boot errors go through a LogForwarder.
 * - While a harness runs, user `console.*` output (console.log, info, warn, error, debug, trace)
 *   is forwarded too, as Beam's SDKs forward their language's logging: with the severity of the
 *   call, and the transform and instruction (bundle) it came from (LogEntry.transform_id,
 *   instruction_id), found from the state sampler's current slot as Beam Python finds them from
 *   its state sampler. The output still goes to stdout/stderr as well (container logs).
 * - Entries are sent in batches; the stream's back-pressure is honoured, and past 10,000
 *   unsent entries new ones are dropped and counted (Beam Python drops them the same way), so
 *   a chatty DoFn cannot run the worker out of memory. The count is logged once sending recovers.
 */
import type * as grpc from "@grpc/grpc-js";
import { format } from "node:util";
import { RpcClient } from "../portable/grpc";
import { fnApi, fnapi } from "../portable/protos";
import { StateSampler } from "./state_sampler";

export type Severity = "DEBUG" | "INFO" | "WARN" | "ERROR";

const MAX_QUEUED = 10_000;
const MAX_BATCH = 1_000;

function severityEnum(s: Severity): fnapi.LogEntry_Severity_Enum {
  switch (s) {
    case "ERROR":
      return fnApi.LogEntry_Severity_Enum.ERROR;
    case "WARN":
      return fnApi.LogEntry_Severity_Enum.WARN;
    case "DEBUG":
      return fnApi.LogEntry_Severity_Enum.DEBUG;
    default:
      return fnApi.LogEntry_Severity_Enum.INFO;
  }
}

export class LogForwarder {
  private readonly client: RpcClient;
  private readonly stream: grpc.ClientDuplexStream<fnapi.LogEntry_List, fnapi.LogControl>;
  private queue: fnapi.LogEntry[] = [];
  private scheduled = false;
  private blocked = false;
  private closed = false;
  private readonly ended: Promise<void>;
  /** Entries dropped because too many were waiting to be sent. */
  dropped = 0;
  private reportedDrops = 0;

  constructor(
    readonly url: string,
    workerId: string,
  ) {
    this.client = new RpcClient(url, fnApi.BeamFnLogging, { worker_id: workerId });
    this.stream = this.client.bidi("Logging", fnApi.LogEntry_List, fnApi.LogControl);
    this.ended = new Promise((resolve) => {
      this.stream.on("status", () => resolve());
      this.stream.on("error", () => {
        this.closed = true;
        resolve();
      });
    });
    this.stream.on("data", () => undefined);
    this.stream.on("drain", () => {
      this.blocked = false;
      this.schedule();
    });
  }

  log(severity: Severity, message: string, instructionId = "", transformId = "", location = "beamline/harness"): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    const now = Date.now();
    this.queue.push({
      severity: severityEnum(severity),
      timestamp: { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 },
      message,
      trace: "",
      instructionId,
      transformId,
      logLocation: location,
      thread: String(process.pid),
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.blocked) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Sends what is queued, in batches, until the stream asks to wait. */
  private flush(): void {
    while (this.queue.length > 0 && !this.blocked && !this.closed) {
      if (this.dropped > this.reportedDrops && this.queue.length < MAX_QUEUED / 2) {
        const n = this.dropped - this.reportedDrops;
        this.reportedDrops = this.dropped;
        this.queue.push({ ...this.queue[0]!, severity: severityEnum("WARN"), message: `${n} log entries were dropped: the worker logged faster than the logging service took them`, instructionId: "", transformId: "" });
      }
      const batch = this.queue.splice(0, MAX_BATCH);
      if (!this.stream.write(fnApi.LogEntry_List.create({ logEntries: batch }))) this.blocked = true;
    }
  }

  /** Sends what is queued and closes the stream; waits at most `timeoutMs` for the runner to take it. */
  async close(timeoutMs = 2000): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.stream.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    this.client.close();
  }
}

/** The forwarder of each running harness (keyed by the harness object slot owners name). */
const forwarders = new Map<object, LogForwarder>();

const CONSOLE_METHODS = { debug: "DEBUG", trace: "DEBUG", log: "INFO", info: "INFO", warn: "WARN", error: "ERROR" } as const satisfies Record<string, Severity>;
type ConsoleMethod = keyof typeof CONSOLE_METHODS;
let originals: Record<ConsoleMethod, (...args: unknown[]) => void> | undefined;

function forward(severity: Severity, args: unknown[]): void {
  const owner = StateSampler.get().currentOwner();
  const target = (owner !== undefined ? forwarders.get(owner.harness) : undefined) ?? forwarders.values().next().value;
  if (target === undefined) return;
  target.log(severity, format(...args), owner?.instructionId() ?? "", owner?.transformId ?? "", "console");
}

/**
 * Forwards `console.*` output to `forwarder` while `harness` runs (console is patched while at
 * least one harness has a forwarder); returns the function that stops it.
 */
export function forwardConsole(harness: object, forwarder: LogForwarder): () => void {
  forwarders.set(harness, forwarder);
  if (originals === undefined) {
    const saved = {} as Record<ConsoleMethod, (...args: unknown[]) => void>;
    for (const m of Object.keys(CONSOLE_METHODS) as ConsoleMethod[]) {
      const original = console[m] as (...args: unknown[]) => void;
      saved[m] = original;
      console[m] = (...args: unknown[]): void => {
        original.apply(console, args);
        try {
          forward(CONSOLE_METHODS[m], m === "trace" ? [format(...args), new Error("Trace").stack?.split("\n").slice(2).join("\n")] : args);
        } catch {
          // Logging must never fail user code.
        }
      };
    }
    originals = saved;
  }
  return () => {
    forwarders.delete(harness);
    if (forwarders.size === 0 && originals !== undefined) {
      for (const m of Object.keys(originals) as ConsoleMethod[]) console[m] = originals[m];
      originals = undefined;
    }
  };
}
