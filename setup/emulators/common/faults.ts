/**
 * Fault injection for the emulators: make the next N requests of an API method fail, stall, go
 * unanswered, or lose their connection, so tests can check that clients retry with backoff and jobs still complete.
 *
 *     emulators.storage.faults.failNext("storage.objects.insert", 2);          // two 503s
 *     emulators.pubsub.faults.failNext("Publish", 3);                          // three UNAVAILABLEs
 *     emulators.bigquery.faults.delayNext("bigquery.jobs.query", 1, 30_000);   // beyond a client timeout
 *     emulators.storage.faults.holdNext("storage.objects.get");                // never answered
 *
 * Methods are named as the APIs name them: `storage.objects.get`, `bigquery.tabledata.insertAll`
 * (REST method ids), or the gRPC method (`Publish`, `Pull`, `StreamingPull`, `Acknowledge`, ...).
 * A trailing `*` matches a prefix (`storage.objects.*`); `*` alone matches every request. Rules
 * apply in the order given; each request consumes at most one. Every request is counted per
 * method, so a test can also assert how many attempts the client made.
 */

/** What an injected fault does to a request. */
export type Fault =
  /** Answer with an error: an HTTP `status` (REST; default 503) or a gRPC `code` (default 14, UNAVAILABLE). */
  | {
      /** An error answer. */
      readonly kind: "error";
      /** The HTTP status of a REST answer (default 503). */
      readonly status?: number;
      /** The gRPC status code of a gRPC answer (default 14, UNAVAILABLE). */
      readonly code?: number;
      /** The error's message (default: says the fault was injected). */
      readonly message?: string;
    }
  /** Hold the request for `ms`, then serve it normally (a slow server; clients with a shorter timeout give up and retry). */
  | {
      /** A delay. */
      readonly kind: "delay";
      /** How long the request is held. */
      readonly ms: number;
    }
  /**
   * Accept the request and never answer it: it is held until the client gives up (closes the
   * connection, or cancels the call) or the emulator stops. Clients without a request timeout
   * of their own wait for ever.
   */
  | {
      /** An unanswered request. */
      readonly kind: "hold";
    }
  /** Drop the connection without an answer (REST: the socket is destroyed; gRPC: the call ends with UNAVAILABLE). */
  | {
      /** A dropped connection. */
      readonly kind: "reset";
    };

/** Which requests get which fault. */
export interface FaultRule {
  /** API method, a prefix ending in `*`, or `*` for any request. */
  readonly method: string;
  /** How many matching requests to affect (default 1). */
  readonly count?: number;
  /** What happens to them. */
  readonly fault: Fault;
}

/** Per-method counts since the emulator started (or since `resetStats()`). */
export interface MethodStats {
  /** The API method. */
  readonly method: string;
  /** Requests received. */
  readonly calls: number;
  /** Of those, how many got an injected fault. */
  readonly injected: number;
}

interface ActiveRule {
  readonly method: string;
  remaining: number;
  readonly fault: Fault;
}

/** The default message of an injected error, so logs show where a failure came from. */
export const INJECTED_MESSAGE = "The service is currently unavailable (fault injected by the emulator).";

/**
 * The fault rules and request counts of one emulator (`emulators.storage.faults`, ...): inject
 * faults into the next requests of a method, and count the requests each method received.
 */
export class FaultInjector {
  private readonly rules: ActiveRule[] = [];
  private readonly counts = new Map<string, { calls: number; injected: number }>();

  /** Adds a rule; returns `this` for chaining. */
  inject(rule: FaultRule): this {
    const count = rule.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new Error(`Fault rule for ${rule.method}: count must be a positive integer, got ${String(rule.count)}`);
    if (typeof rule.method !== "string" || rule.method === "") throw new Error("Fault rule: method must be a non-empty string (an API method, a prefix ending in '*', or '*')");
    if (rule.fault.kind === "delay" && !(rule.fault.ms >= 0)) throw new Error(`Fault rule for ${rule.method}: delay ms must be >= 0`);
    this.rules.push({ method: rule.method, remaining: count, fault: rule.fault });
    return this;
  }

  /** The next `count` requests of `method` fail: 503 on REST, UNAVAILABLE on gRPC (or the given status/code). */
  failNext(method: string, count = 1, error: { status?: number; code?: number; message?: string } = {}): this {
    return this.inject({ method, count, fault: { kind: "error", ...error } });
  }

  /** The next `count` requests of `method` are held for `ms` before being served. */
  delayNext(method: string, count: number, ms: number): this {
    return this.inject({ method, count, fault: { kind: "delay", ms } });
  }

  /** The next `count` requests of `method` are accepted and never answered (until the client gives up). */
  holdNext(method: string, count = 1): this {
    return this.inject({ method, count, fault: { kind: "hold" } });
  }

  /** The next `count` requests of `method` lose their connection. */
  resetNext(method: string, count = 1): this {
    return this.inject({ method, count, fault: { kind: "reset" } });
  }

  /** Drops the rules not yet used up. */
  clear(): void {
    this.rules.length = 0;
  }

  /** Zeroes the request counts. */
  resetStats(): void {
    this.counts.clear();
  }

  /** Faults still to be injected, per rule. */
  pending(): {
    /** The rule's method pattern. */
    method: string;
    /** Requests it will still affect. */
    remaining: number;
    /** Its fault. */
    fault: Fault;
  }[] {
    return this.rules.map((r) => ({ method: r.method, remaining: r.remaining, fault: r.fault }));
  }

  /** Request counts per method, sorted by method. */
  stats(): MethodStats[] {
    return [...this.counts].map(([method, c]) => ({ method, ...c })).sort((a, b) => (a.method < b.method ? -1 : 1));
  }

  /** Requests of `method` received (a prefix ending in `*` sums over methods). */
  calls(method: string): number {
    return this.sum(method, (c) => c.calls);
  }

  /** Requests of `method` that got an injected fault. */
  injected(method: string): number {
    return this.sum(method, (c) => c.injected);
  }

  /** Called by the servers for every request: counts it and returns the fault to apply, if any. */
  next(method: string): Fault | undefined {
    const count = this.counts.get(method) ?? { calls: 0, injected: 0 };
    this.counts.set(method, count);
    count.calls++;
    const i = this.rules.findIndex((r) => matches(r.method, method));
    if (i < 0) return undefined;
    const rule = this.rules[i];
    if (--rule.remaining === 0) this.rules.splice(i, 1);
    count.injected++;
    return rule.fault;
  }

  private sum(pattern: string, pick: (c: { calls: number; injected: number }) => number): number {
    let n = 0;
    for (const [method, c] of this.counts) if (matches(pattern, method)) n += pick(c);
    return n;
  }
}

function matches(pattern: string, method: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return method.startsWith(pattern.slice(0, -1));
  return pattern === method;
}

/**
 * A restart waits this long between stop and start, like a real restart takes a moment: clients
 * (often in the same process, in tests) see their connections close rather than reuse one that
 * is about to.
 */
export const RESTART_PAUSE_MS = 100;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Parses a command-line fault, `SERVICE:METHOD:COUNT[:WHAT]`, where WHAT is an HTTP status
 * (`503`), a gRPC code name or number (`UNAVAILABLE`, `14`), `delay=MS`, `hold` or `reset`; the default is
 * the service's "unavailable" error. Example: `storage:storage.objects.insert:2:503`.
 */
export function parseFaultSpec(spec: string, grpcCodes: Readonly<Record<string, number>>): { service: string; rule: FaultRule } {
  const parts = spec.split(":");
  if (parts.length < 3 || parts.length > 4) throw new Error(`--fault ${spec}: expected SERVICE:METHOD:COUNT[:STATUS|CODE|delay=MS|hold|reset]`);
  const [service, method, countText, what] = parts;
  const count = Number(countText);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--fault ${spec}: COUNT must be a positive integer`);
  let fault: Fault = { kind: "error" };
  if (what !== undefined && what !== "") {
    const delay = /^delay=(\d+)$/.exec(what);
    if (delay) fault = { kind: "delay", ms: Number(delay[1]) };
    else if (what === "reset") fault = { kind: "reset" };
    else if (what === "hold") fault = { kind: "hold" };
    else if (/^\d{3}$/.test(what)) fault = { kind: "error", status: Number(what) };
    else if (/^\d{1,2}$/.test(what)) fault = { kind: "error", code: Number(what) };
    else if (grpcCodes[what.toUpperCase()] !== undefined) fault = { kind: "error", code: grpcCodes[what.toUpperCase()] };
    else throw new Error(`--fault ${spec}: unknown fault '${what}' (an HTTP status, a gRPC code, delay=MS, hold or reset)`);
  }
  return { service, rule: { method, count, fault } };
}
