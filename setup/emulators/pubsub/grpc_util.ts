/**
 * gRPC plumbing for the Pub/Sub emulator: loading the client's own service definitions (no
 * hand-written .proto files), status errors, and a typed wrapper for unary handlers.
 */
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { INJECTED_MESSAGE, type FaultInjector } from "../common/faults";

/**
 * Options matching how google-gax decodes: camelCase fields, int64 as strings, enums as names,
 * and every field present with its default (so 0 / "" / [] mean "unset" to us).
 */
const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

export interface PubSubServiceDefinitions {
  publisher: grpc.ServiceDefinition;
  subscriber: grpc.ServiceDefinition;
}

/**
 * Loads `google.pubsub.v1` from the JSON descriptor that ships inside `@google-cloud/pubsub`, the
 * very one the client encodes with, so the wire format cannot drift from what the client sends.
 */
export function loadPubSubServices(): PubSubServiceDefinitions {
  const clientEntry = require.resolve("@google-cloud/pubsub");
  // build/src/index.js → build/protos/protos.json
  const descriptorPath = path.join(path.dirname(clientEntry), "..", "protos", "protos.json");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const descriptor = require(descriptorPath) as Parameters<typeof protoLoader.fromJSON>[0];
  const definition = protoLoader.fromJSON(descriptor, LOADER_OPTIONS);
  const service = (name: string): grpc.ServiceDefinition => {
    const def = definition[name];
    if (!def) throw new Error(`Service ${name} missing from ${descriptorPath}`);
    return def as grpc.ServiceDefinition;
  };
  return { publisher: service("google.pubsub.v1.Publisher"), subscriber: service("google.pubsub.v1.Subscriber") };
}

/** A failure reported to the client as a gRPC status. */
export class GrpcError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }

  toServiceError(): Partial<grpc.ServiceError> {
    return { code: this.code, details: this.details, message: this.details, metadata: new grpc.Metadata() };
  }
}

export const grpcErrors = {
  notFound: (what: string): GrpcError => new GrpcError(grpc.status.NOT_FOUND, `${what} not found`),
  alreadyExists: (what: string): GrpcError => new GrpcError(grpc.status.ALREADY_EXISTS, `${what} already exists`),
  invalid: (message: string): GrpcError => new GrpcError(grpc.status.INVALID_ARGUMENT, message),
  precondition: (message: string): GrpcError => new GrpcError(grpc.status.FAILED_PRECONDITION, message),
  unimplemented: (what: string): GrpcError => new GrpcError(grpc.status.UNIMPLEMENTED, `${what} is not implemented by the emulator`),
};

/** Wraps a synchronous request → response function as a grpc-js unary handler. */
export function unary<Req, Res>(handler: (request: Req) => Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    try {
      callback(null, handler(call.request));
    } catch (e) {
      if (e instanceof GrpcError) callback(e.toServiceError());
      else callback({ code: grpc.status.INTERNAL, details: `Internal emulator error: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
}

/** Page tokens are offsets into a sorted list, as strings. */
export function paginate<T>(items: T[], pageSize: number, pageToken: string): { page: T[]; nextPageToken: string } {
  const start = pageToken ? Number(pageToken) : 0;
  if (!Number.isInteger(start) || start < 0) throw grpcErrors.invalid(`Invalid page token: ${pageToken}`);
  const size = pageSize > 0 ? pageSize : 1000;
  const end = Math.min(items.length, start + size);
  return { page: items.slice(start, end), nextPageToken: end < items.length ? String(end) : "" };
}

/** The serialized size of each decoded request, for the per-method size limits. */
const requestSizes = new WeakMap<object, number>();

/** Bytes the client sent for `request` (0 if unknown). */
export function requestBytes(request: object): number {
  return requestSizes.get(request) ?? 0;
}

/** Service definitions whose request decoders remember each request's serialized size. */
export function withRequestSizes(defs: PubSubServiceDefinitions): PubSubServiceDefinitions {
  const wrap = (def: grpc.ServiceDefinition): grpc.ServiceDefinition => {
    const out: Record<string, grpc.MethodDefinition<object, object>> = {};
    for (const [name, method] of Object.entries(def) as [string, grpc.MethodDefinition<object, object>][]) {
      out[name] = {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          const request = method.requestDeserialize(bytes);
          if (request !== null && typeof request === "object") requestSizes.set(request, bytes.length);
          return request;
        },
      };
    }
    return out as grpc.ServiceDefinition;
  };
  return { publisher: wrap(defs.publisher), subscriber: wrap(defs.subscriber) };
}

/** The real service's answer to a request over its size limit (INVALID_ARGUMENT, not retried by clients). */
export function checkRequestSize(request: object, limit: number): void {
  if (requestBytes(request) > limit) throw new GrpcError(grpc.status.INVALID_ARGUMENT, `Request payload size exceeds the limit: ${limit} bytes.`);
}

/**
 * Applies injected faults (../common/faults) to every method of a service implementation: an
 * error status (default UNAVAILABLE), a delay before the call is served, a call never answered
 * (until the client cancels it or its deadline passes), or a dropped call.
 */
export function withFaults(def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation, faults: FaultInjector): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    const streaming = def[name]?.requestStream === true;
    const failure = (code: number | undefined, message: string | undefined): Partial<grpc.ServiceError> => ({
      code: code ?? grpc.status.UNAVAILABLE,
      details: message ?? INJECTED_MESSAGE,
      metadata: new grpc.Metadata(),
    });
    out[name] = streaming
      ? (call: grpc.ServerDuplexStream<unknown, unknown>) => {
          const fault = faults.next(name);
          const serve = (): void => (handler as grpc.handleBidiStreamingCall<unknown, unknown>)(call);
          if (fault === undefined) return serve();
          if (fault.kind === "delay") setTimeout(serve, fault.ms);
          else if (fault.kind === "hold") return;
          else call.emit("error", failure(fault.kind === "error" ? fault.code : undefined, fault.kind === "error" ? fault.message : "Connection dropped (fault injected by the emulator)."));
        }
      : (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          const fault = faults.next(name);
          const serve = (): void => (handler as grpc.handleUnaryCall<unknown, unknown>)(call, callback);
          if (fault === undefined) return serve();
          if (fault.kind === "delay") setTimeout(serve, fault.ms);
          else if (fault.kind === "hold") return;
          else callback(failure(fault.kind === "error" ? fault.code : undefined, fault.kind === "error" ? fault.message : "Connection dropped (fault injected by the emulator)."));
        };
  }
  return out;
}
