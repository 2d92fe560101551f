/**
 * The Fn API data plane (BEAM_PORTABILITY.md §3.5): one bidirectional `BeamFnData.Data` stream
 * per runner endpoint, multiplexing every bundle. Data may arrive before its bundle starts (it is
 * buffered) and after it ended (it is dropped); output goes out in ~1 MB chunks and every output
 * stream ends with `is_last`. Timer streams (`Elements.Timers`, per transform and timer family)
 * are multiplexed the same way.
 *
 * Flow control, both ways, so a bundle larger than memory streams through a worker:
 * - Inbound data is queued per instruction, in arrival order, up to `maxBufferedBytes` each (as
 *   Beam Python bounds its per-instruction queues). When a queue is over the bound the stream is
 *   paused: grpc-js then stops reading from HTTP/2, whose flow control stops the runner. Reading
 *   resumes when the bundle has taken the queue below the bound again.
 * - Outbound writes honour gRPC back-pressure: when `write()` reports a full buffer, the sender
 *   waits for 'drain' (the operators upstream await it, so the bundle slows to the runner's pace).
 *
 * Inbound data and timers of an instruction share one queue, in arrival order: the harness
 * processes them in that order, as Beam's SDK harnesses do (runners such as Prism send a key's
 * data and timers in timestamp order, timer family after timer family).
 *
 * An outbound stream ends with an element of its own that carries `is_last` and no bytes, as
 * Beam's SDKs send it: Beam Python's runner ignores the bytes of an `is_last` element, so data
 * sent there would be lost. Inbound, bytes in an `is_last` element are read (Prism sends them).
 */
import type * as grpc from "@grpc/grpc-js";
import type { Coder } from "../../lib/coders/coder";
import { encodeToBytes } from "../../lib/coders/index";
import type { ElementMeta, WindowedValue } from "../../lib/model/window";
import type { Operator } from "../executor/operator";
import type { MaybePromise } from "../executor/receiver";
import { RpcClient } from "../portable/grpc";
import { fnApi, fnapi } from "../portable/protos";

export interface InboundChunk {
  readonly data: Uint8Array;
  readonly isLast: boolean;
}

/** A chunk of one inbound stream: a source transform's data, or a timer family's timers. */
export interface InboundData extends InboundChunk {
  readonly transformId: string;
  /** Set for a chunk of timers (`Elements.Timers`): the timer family of `transformId`. */
  readonly timerFamilyId?: string;
}

/** Joins the undecoded end of the previous chunk (a value spanning messages) with the next. */
export function withTail(tail: Uint8Array | undefined, data: Uint8Array): Uint8Array {
  return tail === undefined || tail.length === 0 ? data : Buffer.concat([tail, data]);
}

/** Output chunk size (the TS SDK flushes at 1 MB; Go at about 4 MB). */
export const OUTPUT_CHUNK_BYTES = 1 << 20;

/** Inbound bytes queued per instruction before the stream is paused (Beam Python: 5 messages). */
export const DEFAULT_MAX_BUFFERED_BYTES = 16 << 20;

/** Output bytes a channel holds unsent before senders wait (besides gRPC's own 16-message buffer limit). */
const MAX_UNSENT_BYTES = 4 << 20;

/** The inbound data of one instruction, in arrival order, with its size. */
class InstructionInbox {
  private items: InboundData[] = [];
  private head = 0;
  bytes = 0;
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  push(item: InboundData): void {
    this.items.push(item);
    this.bytes += item.data.length;
    this.wake();
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next chunk (waits for one); throws if the stream broke. */
  async take(): Promise<InboundData> {
    while (this.head === this.items.length) {
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as InboundData;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.bytes -= item.data.length;
    return item;
  }
}

/** The reading side of one instruction's inbound data, as bundles consume it. */
export interface InstructionInput {
  /** The next chunk of any inbound stream (data or timers) of the instruction, in arrival order. */
  next(): Promise<InboundData>;
}

export interface DataChannelOptions {
  /** Inbound bytes queued per instruction before reading pauses. */
  readonly maxBufferedBytes?: number;
}

export class DataChannel {
  private readonly client: RpcClient;
  private readonly stream: grpc.ClientDuplexStream<fnapi.Elements, fnapi.Elements>;
  private readonly inboxes = new Map<string, InstructionInbox>();
  private readonly ended = new Set<string>();
  /** Instructions whose queue is over the bound; reading is paused while there is one. */
  private readonly full = new Set<string>();
  private broken: Error | undefined;
  private drain: Promise<void> | undefined;
  /** Output bytes written to the gRPC stream and not yet handed to HTTP/2. */
  private unsent = 0;
  private readonly drainWaiters: (() => void)[] = [];
  private readonly maxBufferedBytes: number;
  private buffered = 0;
  /** The most inbound bytes queued at once, over all instructions (for tests and diagnostics). */
  peakBufferedBytes = 0;
  /** How often reading was paused because a bundle's queue was full. */
  pauses = 0;
  /** How often a sender had to wait for the runner to take output ('drain'). */
  writeWaits = 0;
  private readonly writeWaitListeners: (() => void)[] = [];
  private readonly pauseListeners: (() => void)[] = [];

  constructor(
    readonly url: string,
    workerId: string,
    options: DataChannelOptions = {},
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.client = new RpcClient(url, fnApi.BeamFnData, { worker_id: workerId });
    this.stream = this.client.bidi("Data", fnApi.Elements, fnApi.Elements);
    this.stream.on("data", (e: fnapi.Elements) => this.onElements(e));
    this.stream.on("error", (e: Error) => this.onBroken(e));
    this.stream.on("end", () => this.onBroken(new Error(`data stream to ${url} closed by the runner`)));
    this.stream.on("drain", () => this.onDrain());
  }

  private inbox(instructionId: string): InstructionInbox {
    let q = this.inboxes.get(instructionId);
    if (q === undefined) {
      this.inboxes.set(instructionId, (q = new InstructionInbox()));
      if (this.broken !== undefined) q.fail(this.broken);
    }
    return q;
  }

  private onElements(e: fnapi.Elements): void {
    for (const d of e.data) this.queue(d.instructionId, { transformId: d.transformId, data: d.data, isLast: d.isLast });
    for (const t of e.timers) this.queue(t.instructionId, { transformId: t.transformId, timerFamilyId: t.timerFamilyId, data: t.timers, isLast: t.isLast });
  }

  private queue(instructionId: string, item: InboundData): void {
    if (this.ended.has(instructionId)) return;
    const q = this.inbox(instructionId);
    q.push(item);
    this.buffered += item.data.length;
    if (this.buffered > this.peakBufferedBytes) this.peakBufferedBytes = this.buffered;
    if (q.bytes > this.maxBufferedBytes && !this.full.has(instructionId)) {
      this.full.add(instructionId);
      if (this.full.size === 1) {
        this.pauses++;
        this.stream.pause();
        for (const l of this.pauseListeners.splice(0)) l();
      }
    }
  }

  /** Counts a chunk a bundle took off its queue; resumes reading once no queue is over the bound. */
  private onTaken(instructionId: string, q: InstructionInbox, bytes: number): void {
    this.buffered -= bytes;
    if (q.bytes <= this.maxBufferedBytes) this.unblock(instructionId);
  }

  private unblock(instructionId: string): void {
    if (this.full.delete(instructionId) && this.full.size === 0) this.stream.resume();
  }

  private onBroken(e: Error): void {
    if (this.broken !== undefined) return;
    this.broken = e;
    for (const q of this.inboxes.values()) q.fail(e);
    this.onDrain();
  }

  private onDrain(): void {
    this.drain = undefined;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Resolves the next time reading pauses because a bundle's queue is full (for tests and diagnostics). */
  nextPause(): Promise<void> {
    return new Promise((resolve) => this.pauseListeners.push(resolve));
  }

  /** Resolves the next time a sender has to wait for the runner (for tests and diagnostics). */
  nextWriteWait(): Promise<void> {
    return new Promise((resolve) => this.writeWaitListeners.push(resolve));
  }

  /** The inbound data and timers of bundle `instructionId` (buffered since it began), every stream in arrival order. */
  input(instructionId: string): InstructionInput {
    const q = this.inbox(instructionId);
    return {
      next: async () => {
        const item = await q.take();
        this.onTaken(instructionId, q, item.data.length);
        return item;
      },
    };
  }

  private outputFull(): boolean {
    return this.stream.writableNeedDrain || this.unsent > MAX_UNSENT_BYTES;
  }

  /** Resolves when the stream can take more output (at once unless it holds too much unsent). */
  private writable(): MaybePromise {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    if (!this.outputFull()) return undefined;
    if (this.drain === undefined) {
      this.writeWaits++;
      for (const l of this.writeWaitListeners.splice(0)) l();
    }
    this.drain ??= new Promise<void>((resolve) => this.drainWaiters.push(resolve)).then(() => {
      if (this.broken !== undefined) throw this.broken;
    });
    return this.drain;
  }

  /** Writes a message, counting its bytes as unsent until gRPC has handed them to HTTP/2 (which sends within the runner's flow-control window). */
  private write(message: fnapi.Elements, bytes: number): void {
    this.unsent += bytes;
    this.stream.write(message, () => {
      this.unsent -= bytes;
      if (this.drain !== undefined && !this.outputFull()) this.onDrain();
    });
  }

  /**
   * Sends the next bytes of an output stream, or its last bytes (if any) and then an empty
   * `is_last` element, in one message. Returns a promise when the sender must wait for 'drain'.
   */
  send(instructionId: string, transformId: string, data: Uint8Array, isLast: boolean): MaybePromise {
    const elements = [];
    if (data.length > 0 || !isLast) elements.push({ instructionId, transformId, data, isLast: false });
    if (isLast) elements.push({ instructionId, transformId, data: new Uint8Array(0), isLast: true });
    this.write(fnApi.Elements.create({ data: elements }), data.length);
    return this.writable();
  }

  /** Like `send`, for a timer family's stream (sent once per bundle: no back-pressure). */
  sendTimers(instructionId: string, transformId: string, timerFamilyId: string, timers: Uint8Array, isLast: boolean): void {
    const elements = [];
    if (timers.length > 0 || !isLast) elements.push({ instructionId, transformId, timerFamilyId, timers, isLast: false });
    if (isLast) elements.push({ instructionId, transformId, timerFamilyId, timers: new Uint8Array(0), isLast: true });
    this.write(fnApi.Elements.create({ timers: elements }), timers.length);
  }

  /** Forgets a finished (or failed) bundle's buffers; late data for it is dropped. */
  endInstruction(instructionId: string): void {
    this.ended.add(instructionId);
    const q = this.inboxes.get(instructionId);
    if (q !== undefined) {
      this.buffered -= q.bytes;
      this.inboxes.delete(instructionId);
    }
    this.unblock(instructionId);
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
  /** Returns a promise when the runner is behind: the caller waits before writing more. */
  write(bytes: Uint8Array): MaybePromise {
    this.parts.push(bytes);
    this.size += bytes.length;
    return this.size >= OUTPUT_CHUNK_BYTES ? this.flush(false) : undefined;
  }
  private flush(isLast: boolean): MaybePromise {
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    return this.channel.send(this.instructionId, this.transformId, data, isLast);
  }
  close(): MaybePromise {
    return this.flush(true);
  }
}

/** A `beam:runner:sink:v1` transform: encodes elements with the wire coder and sends them to the runner. */
export class DataSinkOperator implements Operator {
  private out: DataOutput | undefined;
  constructor(
    readonly transformName: string,
    private readonly transformId: string,
    private readonly coder: Coder<unknown>,
    private readonly channel: () => DataChannel,
    private readonly instruction: () => string,
  ) {}
  setup(): MaybePromise {
    return undefined;
  }
  startBundle(): MaybePromise {
    this.out = new DataOutput(this.channel(), this.instruction(), this.transformId);
    return undefined;
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const wv: WindowedValue<unknown> = { value, timestamp: meta.timestamp, windows: meta.windows, pane: meta.pane };
    return this.out!.write(encodeToBytes(this.coder, wv, "nested"));
  }
  finishBundle(): MaybePromise {
    const done = this.out?.close();
    this.out = undefined;
    return done;
  }
  teardown(): MaybePromise {
    return undefined;
  }
}
