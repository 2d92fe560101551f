/**
 * The Fn API State API client (BEAM_PORTABILITY.md §3.7): one `BeamFnState.State` stream per
 * endpoint; requests carry unique ids, responses may come in any order; `get` follows
 * continuation tokens and concatenates the pages; `append` and `clear` (user state) resolve
 * when the runner has acknowledged them.
 */
import type * as grpc from "@grpc/grpc-js";
import { RpcClient } from "../portable/grpc";
import { fnApi, fnapi } from "../portable/protos";
import { keepUnknownFields } from "./ordered_list_key";

export class StateChannel {
  private readonly client: RpcClient;
  private readonly stream: grpc.ClientDuplexStream<fnapi.StateRequest, fnapi.StateResponse>;
  private readonly pending = new Map<string, { resolve: (r: fnapi.StateResponse) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private broken: Error | undefined;

  constructor(readonly url: string, workerId: string) {
    this.client = new RpcClient(url, fnApi.BeamFnState, { worker_id: workerId });
    this.stream = this.client.bidi("State", fnApi.StateRequest, fnApi.StateResponse);
    this.stream.on("data", (r: fnapi.StateResponse) => {
      const p = this.pending.get(r.id);
      if (p === undefined) return;
      this.pending.delete(r.id);
      if (r.error !== "") p.reject(new Error(`state request failed on the runner: ${r.error}`));
      else p.resolve(r);
    });
    const fail = (e: Error): void => {
      this.broken ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.stream.on("error", fail);
    this.stream.on("end", () => fail(new Error(`state stream to ${url} closed by the runner`)));
  }

  private request(instructionId: string, stateKey: fnapi.StateKey, request: fnapi.StateRequest["request"]): Promise<fnapi.StateResponse> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const id = `s${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const message = fnApi.StateRequest.create({ id, instructionId, stateKey, request });
      keepUnknownFields(stateKey, message.stateKey);
      this.stream.write(message);
    });
  }

  /** All the bytes under `stateKey`, following continuation tokens. */
  async get(instructionId: string, stateKey: fnapi.StateKey): Promise<Uint8Array> {
    const pages: Uint8Array[] = [];
    let token: Uint8Array | undefined;
    do {
      const r = await this.request(instructionId, stateKey, { oneofKind: "get", get: { continuationToken: token ?? new Uint8Array(0) } });
      if (r.response.oneofKind !== "get") throw new Error(`state get answered with ${String(r.response.oneofKind)}`);
      pages.push(r.response.get.data);
      token = r.response.get.continuationToken.length > 0 ? r.response.get.continuationToken : undefined;
    } while (token !== undefined);
    return pages.length === 1 ? pages[0]! : Buffer.concat(pages);
  }

  /** Appends encoded values under `stateKey` (user state). */
  async append(instructionId: string, stateKey: fnapi.StateKey, data: Uint8Array): Promise<void> {
    const r = await this.request(instructionId, stateKey, { oneofKind: "append", append: { data } });
    if (r.response.oneofKind !== "append") throw new Error(`state append answered with ${String(r.response.oneofKind)}`);
  }

  /** Removes everything under `stateKey` (user state). */
  async clear(instructionId: string, stateKey: fnapi.StateKey): Promise<void> {
    const r = await this.request(instructionId, stateKey, { oneofKind: "clear", clear: {} });
    if (r.response.oneofKind !== "clear") throw new Error(`state clear answered with ${String(r.response.oneofKind)}`);
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}
