/**
 * The emulators' admin endpoint (127.0.0.1 only): fault injection and restarts for tests that run
 * the emulators as a separate process.
 *
 *     GET    /faults                     rules still pending and per-method request counts, per service
 *     POST   /faults   {service, method, count?, status? | code? | delayMs? | hold? | reset?, message?}
 *     DELETE /faults[?service=S]         drop pending rules (all services, or one)
 *     POST   /restart  {service?}        stop and start again on the same port (all, or one)
 */
import { status as grpcStatus } from "@grpc/grpc-js";
import { FaultInjector, type Fault } from "./faults";
import { httpErrors, parseJsonBody, readBody, sendJson, startLoopbackServer, type LoopbackServer, type ParsedRequest } from "./http";
import { optBoolean, optNumber, optString, type JsonObject } from "./json_fields";

/** What the admin endpoint can act on: each running service's injector and restart. */
export interface AdminTarget {
  readonly faults: FaultInjector;
  restart(): Promise<void>;
}

export function startAdminServer(port: number, services: () => ReadonlyMap<string, AdminTarget>): Promise<LoopbackServer> {
  return startLoopbackServer(port, (request) => route(request, services()));
}

async function route(request: ParsedRequest, services: ReadonlyMap<string, AdminTarget>): Promise<void> {
  const [resource] = request.segments;
  const pick = (name: string | undefined): [string, AdminTarget][] => {
    if (name === undefined || name === "") return [...services];
    const target = services.get(name);
    if (target === undefined) throw httpErrors.notFound(`No running emulator '${name}' (running: ${[...services.keys()].join(", ")})`);
    return [[name, target]];
  };
  if (resource === "faults" && request.method === "GET") {
    const out: Record<string, unknown> = {};
    for (const [name, t] of services) out[name] = { pending: t.faults.pending(), stats: t.faults.stats() };
    return sendJson(request.res, 200, out);
  }
  if (resource === "faults" && request.method === "POST") {
    const body = parseJsonBody(await readBody(request.req));
    const [[, target]] = pick(optString(body, "service") ?? "");
    const method = optString(body, "method");
    if (method === undefined) throw httpErrors.invalid("'method' is required (an API method such as storage.objects.insert or Publish, a prefix ending in '*', or '*')", "required");
    try {
      target.faults.inject({ method, count: optNumber(body, "count") ?? 1, fault: faultOf(body) });
    } catch (e) {
      throw httpErrors.invalid((e as Error).message);
    }
    return sendJson(request.res, 200, { pending: target.faults.pending() });
  }
  if (resource === "faults" && request.method === "DELETE") {
    for (const [, t] of pick(request.query.get("service") ?? undefined)) t.faults.clear();
    return sendJson(request.res, 200, {});
  }
  if (resource === "restart" && request.method === "POST") {
    const body = parseJsonBody(await readBody(request.req));
    const restarted: string[] = [];
    for (const [name, t] of pick(optString(body, "service"))) {
      await t.restart();
      restarted.push(name);
    }
    return sendJson(request.res, 200, { restarted });
  }
  throw httpErrors.notFound(`Unknown admin call ${request.method} /${request.segments.join("/")} (GET|POST|DELETE /faults, POST /restart)`);
}

function faultOf(body: JsonObject): Fault {
  const delayMs = optNumber(body, "delayMs");
  if (delayMs !== undefined) return { kind: "delay", ms: delayMs };
  if (optBoolean(body, "reset") === true) return { kind: "reset" };
  if (optBoolean(body, "hold") === true) return { kind: "hold" };
  const status = optNumber(body, "status");
  const codeName = typeof body.code === "string" && !/^\d+$/.test(body.code) ? body.code.toUpperCase() : undefined;
  const code = codeName !== undefined ? (grpcStatus as unknown as Record<string, number>)[codeName] : optNumber(body, "code");
  if (codeName !== undefined && code === undefined) throw httpErrors.invalid(`Unknown gRPC code '${codeName}' (e.g. UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, or a number)`);
  const message = optString(body, "message");
  return { kind: "error", ...(status !== undefined ? { status } : {}), ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}
