/**
 * The Fn API data plane (BEAM_PORTABILITY.md §3.5): one bidirectional `BeamFnData.Data`
 * stream per runner endpoint, multiplexing every bundle. Data may arrive before its bundle
 * starts (it is buffered) and after it ended (it is dropped); output goes out in ~1 MB chunks
 * and every output stream ends with `is_last`. Timer streams (`Elements.Timers`, per transform and
 * timer family) are multiplexed the same way.
 *
 * An outbound stream ends with an element of its own that carries `is_last` and no bytes, as
 * Beam's SDKs send it: Beam Python's runner ignores the bytes of an `is_last` element, so data
 * sent there would be lost. Inbound, bytes in an `is_last` element are read (Prism sends them).
 */
import type * as grpc from "@grpc/grpc-js";
import { RpcClient } from "../portable/grpc";
import { fnApi, fnapi } from "../portable/protos";
import { ByteReader } from "../../lib/coders/index";
import { AsyncQueue } from "./async_queue";

/** One inbound chunk of a (instruction, transform) stream. */
/**
 * Decodes the values of one inbound stream (elements or timers), handing each to `each` in order.
 * A value may span messages: undecodable bytes at the end of a message wait for the next one.
 * The stream must end with `is_last`; `what` names it in errors.
 */
export async function forEachDecoded<T>(
  queue: AsyncQueue<InboundChunk>,
  decode: (r: ByteReader) => T,
  what: string,
  each: (value: T) => Promise<void> | void,
): Promise<void> {
  let tail: Uint8Array | undefined;
  for (;;) {
    const item = await queue.next();
    if (item.done === true) throw new Error(`${what} ended without is_last`);
    const chunk = item.value;
    const buf: Uint8Array = tail === undefined ? chunk.data : Buffer.concat([tail, chunk.data]);
    tail = undefined;
    const r = new ByteReader(buf);
    while (!r.atEnd()) {
      const start = r.offset;
      let value: T;
      try {
        value = decode(r);
      } catch (e) {
        if (chunk.isLast) throw new Error(`${what} has bytes that do not decode: ${(e as Error).message}`, { cause: e });
        tail = buf.subarray(start); // the rest of this value comes in the next message
        break;
      }
      const p = each(value);
      if (p !== undefined) await p;
    }
    if (chunk.isLast) return;
  }
}

export interface InboundChunk {
  readonly data: Uint8Array;
  readonly isLast: boolean;
}

/** Output chunk size (the TS SDK flushes at 1 MB; Go at about 4 MB). */
export const OUTPUT_CHUNK_BYTES = 1 << 20;

export class DataChannel {
  private readonly client: RpcClient;
  private readonly stream: grpc.ClientDuplexStream<fnapi.Elements, fnapi.Elements>;
  private readonly inbound = new Map<string, AsyncQueue<InboundChunk>>();
  private readonly ended = new Set<string>();
  private broken: Error | undefined;

  constructor(readonly url: string, workerId: string) {
    this.client = new RpcClient(url, fnApi.BeamFnData, { worker_id: workerId });
    this.stream = this.client.bidi("Data", fnApi.Elements, fnApi.Elements);
    this.stream.on("data", (e: fnapi.Elements) => this.onElements(e));
    this.stream.on("error", (e: Error) => this.onBroken(e));
    this.stream.on("end", () => this.onBroken(new Error(`data stream to ${url} closed by the runner`)));
  }

  private key(instructionId: string, transformId: string): string {
    return `${instructionId}\u0000${transformId}`;
  }

  private timerKey(instructionId: string, transformId: string, timerFamilyId: string): string {
    return `${instructionId}\u0000${transformId}\u0000timers\u0000${timerFamilyId}`;
  }

  private queue(key: string): AsyncQueue<InboundChunk> {
    let q = this.inbound.get(key);
    if (q === undefined) this.inbound.set(key, (q = new AsyncQueue()));
    return q;
  }

  private onElements(e: fnapi.Elements): void {
    for (const d of e.data) {
      const key = this.key(d.instructionId, d.transformId);
      if (this.ended.has(d.instructionId)) continue;
      this.queue(key).push({ data: d.data, isLast: d.isLast });
    }
    for (const t of e.timers) {
      if (this.ended.has(t.instructionId)) continue;
      this.queue(this.timerKey(t.instructionId, t.transformId, t.timerFamilyId)).push({ data: t.timers, isLast: t.isLast });
    }
  }

  private onBroken(e: Error): void {
    if (this.broken !== undefined) return;
    this.broken = e;
    for (const q of this.inbound.values()) q.fail(e);
  }

  /** The inbound stream of `transformId` in bundle `instructionId` (buffered since it began). */
  receive(instructionId: string, transformId: string): AsyncQueue<InboundChunk> {
    const q = this.queue(this.key(instructionId, transformId));
    if (this.broken !== undefined) q.fail(this.broken);
    return q;
  }

  /** The inbound timers of one timer family of `transformId` in bundle `instructionId`. */
  receiveTimers(instructionId: string, transformId: string, timerFamilyId: string): AsyncQueue<InboundChunk> {
    const q = this.queue(this.timerKey(instructionId, transformId, timerFamilyId));
    if (this.broken !== undefined) q.fail(this.broken);
    return q;
  }

  /** Sends the last bytes of an output stream (if any) and ends it with an empty `is_last` element, in one message. */
  send(instructionId: string, transformId: string, data: Uint8Array, isLast: boolean): void {
    const elements = [];
    if (data.length > 0 || !isLast) elements.push({ instructionId, transformId, data, isLast: false });
    if (isLast) elements.push({ instructionId, transformId, data: new Uint8Array(0), isLast: true });
    this.stream.write(fnApi.Elements.create({ data: elements }));
  }

  /** Like `send`, for a timer family's stream. */
  sendTimers(instructionId: string, transformId: string, timerFamilyId: string, timers: Uint8Array, isLast: boolean): void {
    const elements = [];
    if (timers.length > 0 || !isLast) elements.push({ instructionId, transformId, timerFamilyId, timers, isLast: false });
    if (isLast) elements.push({ instructionId, transformId, timerFamilyId, timers: new Uint8Array(0), isLast: true });
    this.stream.write(fnApi.Elements.create({ timers: elements }));
  }

  /** Forgets a finished bundle's buffers; late data for it is dropped. */
  endInstruction(instructionId: string): void {
    this.ended.add(instructionId);
    for (const k of [...this.inbound.keys()]) if (k.startsWith(`${instructionId}\u0000`)) this.inbound.delete(k);
    if (this.ended.size > 10_000) this.ended.delete(this.ended.values().next().value as string);
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}

/** Buffers one output stream and sends it in chunks; `close` sends the rest, then `is_last`. */
export class DataOutput {
  private parts: Uint8Array[] = [];
  private size = 0;
  constructor(
    private readonly channel: DataChannel,
    private readonly instructionId: string,
    private readonly transformId: string,
  ) {}
  write(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
    if (this.size >= OUTPUT_CHUNK_BYTES) this.flush(false);
  }
  private flush(isLast: boolean): void {
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.channel.send(this.instructionId, this.transformId, data, isLast);
  }
  close(): void {
    this.flush(true);
  }
}
