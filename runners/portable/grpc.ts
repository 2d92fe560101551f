/**
 * gRPC plumbing for the Beam services: service definitions built from the protobuf-ts
 * ServiceType objects of the generated protos, driven by our own @grpc/grpc-js (the package's
 * generated clients bind to its private copy of grpc-js), plus `worker_id` metadata.
 */
import * as grpc from "@grpc/grpc-js";

/** What the generated message classes provide. */
export interface MessageCodec<T> {
  readonly typeName: string;
  toBinary(message: T): Uint8Array;
  fromBinary(bytes: Uint8Array): T;
}

/** What the generated service descriptions provide. */
export interface ServiceDescription {
  readonly typeName: string;
  readonly methods: readonly {
    readonly name: string;
    readonly I: MessageCodec<object>;
    readonly O: MessageCodec<object>;
    readonly serverStreaming?: boolean;
    readonly clientStreaming?: boolean;
  }[];
}

/** Large messages are normal on the data plane; Prism raises its limits too. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": 512 * 1024 * 1024,
  "grpc.max_send_message_length": 512 * 1024 * 1024,
};

/** A grpc-js service definition for a generated Beam service. */
export function serviceDefinition(service: ServiceDescription): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const m of service.methods) {
    def[m.name] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: m.clientStreaming === true,
      responseStream: m.serverStreaming === true,
      requestSerialize: (v: object) => Buffer.from(m.I.toBinary(v)),
      requestDeserialize: (b: Buffer) => m.I.fromBinary(b),
      responseSerialize: (v: object) => Buffer.from(m.O.toBinary(v)),
      responseDeserialize: (b: Buffer) => m.O.fromBinary(b),
    };
  }
  return def;
}

/** Strips a scheme some runners put in front of host:port. */
export function grpcTarget(url: string): string {
  return url.replace(/^(grpc|http|https):\/\//, "");
}

/** A typed client of one Beam service. */
export class RpcClient {
  readonly client: grpc.Client;
  constructor(
    readonly url: string,
    private readonly service: ServiceDescription,
    private readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    this.client = new grpc.Client(grpcTarget(url), grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  private path(method: string): string {
    if (!this.service.methods.some((m) => m.name === method)) throw new Error(`${this.service.typeName} has no method ${method}`);
    return `/${this.service.typeName}/${method}`;
  }

  private md(): grpc.Metadata {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.metadata)) md.set(k, v);
    return md;
  }

  unary<I, O>(method: string, inType: MessageCodec<I>, outType: MessageCodec<O>, request: I, timeoutMs?: number): Promise<O> {
    return new Promise((resolve, reject) => {
      const options: grpc.CallOptions = timeoutMs !== undefined ? { deadline: Date.now() + timeoutMs } : {};
      this.client.makeUnaryRequest(
        this.path(method),
        (v: I) => Buffer.from(inType.toBinary(v)),
        (b: Buffer) => outType.fromBinary(b),
        request,
        this.md(),
        options,
        (err: grpc.ServiceError | null, value?: O) => (err !== null ? reject(err) : resolve(value as O)),
      );
    });
  }

  serverStream<I, O>(method: string, inType: MessageCodec<I>, outType: MessageCodec<O>, request: I): grpc.ClientReadableStream<O> {
    return this.client.makeServerStreamRequest(
      this.path(method),
      (v: I) => Buffer.from(inType.toBinary(v)),
      (b: Buffer) => outType.fromBinary(b),
      request,
      this.md(),
      {},
    );
  }

  bidi<I, O>(method: string, inType: MessageCodec<I>, outType: MessageCodec<O>): grpc.ClientDuplexStream<I, O> {
    return this.client.makeBidiStreamRequest(
      this.path(method),
      (v: I) => Buffer.from(inType.toBinary(v)),
      (b: Buffer) => outType.fromBinary(b),
      this.md(),
      {},
    );
  }

  close(): void {
    this.client.close();
  }
}

/** Starts a gRPC server on `host:port` (port 0 picks one); resolves with the bound port. */
export async function startServer(
  services: readonly { readonly service: ServiceDescription; readonly impl: grpc.UntypedServiceImplementation }[],
  address = "127.0.0.1:0",
): Promise<{ readonly server: grpc.Server; readonly port: number; readonly url: string }> {
  const server = new grpc.Server(CHANNEL_OPTIONS);
  for (const s of services) server.addService(serviceDefinition(s.service), s.impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err !== null ? reject(err) : resolve(p))),
  );
  const host = address.slice(0, address.lastIndexOf(":"));
  return { server, port, url: `${host}:${port}` };
}

/** Stops a server: gracefully, then forcefully after `graceMs`. */
export function stopServer(server: grpc.Server, graceMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
