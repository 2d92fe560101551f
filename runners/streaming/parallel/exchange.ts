/**
 * The keyed exchange of a parallel streaming run: every instance runs the whole graph, and in
 * front of each keyed step (GroupByKey, Combine.perKey, a stateful ParDo) elements go to the
 * instance that owns their key, so each key's state, windows, panes and timers live on exactly
 * one instance, as in Beam's shuffle. A key's owner is the FNV-1a hash of its encoding by the
 * step's key coder, modulo the number of instances: independent of the window and the same on
 * every instance and in every run.
 *
 * Elements for other instances are encoded with the input PCollection's windowed coder (in front
 * of a Combine.perKey Beam would lift: combined into accumulators per key and window first,
 * precombine.ts) and sent in batches over one MessagePort per pair of instances, together with each instance's input
 * watermark of the step, always after the data it covers (a port delivers in order). A keyed
 * step's input watermark on an instance is then the lowest of every instance's: a window fires
 * only once every instance's input has passed it, and data sent before a watermark is never late
 * because of it.
 *
 * Flow control: an instance whose elements sent to a peer are not yet delivered there (beyond
 * UNACKED_LIMIT) takes no more from its sources until the peer catches up, so a slow owner holds
 * its senders' reading back instead of queueing without bound. Delivering received elements
 * never waits, so two instances waiting on each other always make progress.
 */
import type { MessagePort } from "node:worker_threads";
import { ByteReader, ByteWriter } from "../../../lib/coders/byte_io";
import type { Coder } from "../../../lib/coders/coder";
import { InternalError } from "../../../lib/model/errors";
import type { PCollection } from "../../../lib/model/pcollection";
import type { Pipeline } from "../../../lib/model/pipeline";
import type { CombineFnLike } from "../../../lib/model/combine_fn";
import { isStatefulDoFn } from "../../../lib/model/state";
import { type ElementMeta, type Instant, MAX_TIMESTAMP, MIN_TIMESTAMP, type WindowedValue } from "../../../lib/model/window";
import { windowedCoderFor } from "../../direct/transfer";
import { asKv } from "../../executor/combine_operator";
import { keyCoderOf } from "../../executor/default_coders";
import { PipelineGraph } from "../../executor/pipeline_graph";
import type { MaybePromise, Receiver } from "../../executor/receiver";
import { isAccumulatorSink, LiftedCombine, liftable, PRECOMBINE_MAX_ENTRIES, type AccumulatorSink, type PrecombineTable } from "./precombine";

/** Elements sent to one peer and not yet delivered there, beyond which this instance stops taking input. */
export const UNACKED_LIMIT = 20_000;

/** Instance → instance over their port: data for keyed steps, then watermarks (both by keyed step index). */
interface DataMessage {
  readonly d: readonly (readonly [number, Uint8Array])[];
  readonly w: readonly (readonly [number, Instant])[];
  /** Elements in `d`. */
  readonly n: number;
}

/** Instance → instance: this many elements the receiver was sent have been delivered to their steps. */
interface AckMessage {
  readonly a: number;
}

type PeerMessage = DataMessage | AckMessage;

/** The names of a pipeline's keyed steps, in graph order (the same on every instance). */
export function keyedStepNames(pipeline: Pipeline): string[] {
  const names: string[] = [];
  for (const u of new PipelineGraph(pipeline).units) {
    if (u.kind === "gbk" || u.kind === "combine" || (u.kind === "pardo" && isStatefulDoFn(u.spec.doFn))) names.push(u.node.fullName);
  }
  return names;
}

/** FNV-1a over bytes (32 bits): cheap, and the same on every instance. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** What the driver calls (runners/streaming/driver.ts and execution_bundles.ts); see KeyedExchange. */
export interface KeyedRouting {
  /** Stands in front of the keyed step `unitName` reading `input`: sends other instances' keys to them. */
  wrap(unitName: string, input: PCollection<unknown>, target: Receiver): Receiver;
  /** The keyed step's input watermark: `local` (this instance's) sent to the peers, lowered to theirs. */
  inputWatermark(unitName: string, local: Instant): Instant;
  /** Sends what is batched. */
  flush(): void;
  /** Whether peers sent something not yet delivered. */
  readonly hasInbound: boolean;
  /** Delivers what peers sent to the keyed steps (run inside a bundle). */
  deliver(): Promise<void>;
  /**
   * Elements (or accumulators) delivered so far from peers to the keyed step `unitName`: they
   * enter the step past the count of its input PCollection, and a step that outputs in
   * finishBundle holds its output watermark while it has taken in any (execution_bundles.ts).
   */
  deliveredTo(unitName: string): number;
  /** Whether this instance should take no more input until its peers catch up. */
  readonly congested: boolean;
  /** Whether every peer's input of every keyed step is at the end of time, all of it delivered, and so is this instance's. */
  readonly settled: boolean;
  /** Called when a peer's message arrives (the driver wakes up). */
  onActivity(wake: () => void): void;
}

/** One keyed step's end of the exchange. */
class KeyedStep {
  target: Receiver | undefined;
  coder: Coder<WindowedValue<unknown>> | undefined;
  /** The watermark each peer sent last (this instance's own slot unused). */
  readonly remote: Instant[];
  /** This instance's watermark as sent last. */
  sent: Instant = MIN_TIMESTAMP;
  /** Per peer: encoded elements (or accumulators) waiting to be sent, and how many. */
  readonly outbox: (ByteWriter | undefined)[];
  readonly pending: number[];
  /** A Combine.perKey that lifts (precombine.ts): its combine, and per peer the bundle's accumulators. */
  lifted: LiftedCombine | undefined;
  liftedSink: AccumulatorSink | undefined;
  tables: (PrecombineTable | undefined)[] = [];
  /** Elements (or accumulators) delivered to the step from peers so far. */
  delivered = 0;
  constructor(
    readonly index: number,
    readonly name: string,
    instances: number,
  ) {
    this.remote = new Array<Instant>(instances).fill(MIN_TIMESTAMP);
    this.outbox = new Array<ByteWriter | undefined>(instances).fill(undefined);
    this.pending = new Array<number>(instances).fill(0);
  }

  outboxOf(peer: number): ByteWriter {
    let w = this.outbox[peer];
    if (w === undefined) this.outbox[peer] = w = new ByteWriter(1 << 14);
    return w;
  }

  /** Encodes the peer's precombined accumulators into its outbox. */
  drainTable(peer: number): void {
    const t = this.tables[peer];
    if (t !== undefined && t.size > 0) this.pending[peer]! += t.drainInto(this.outboxOf(peer));
  }
}

/** Routes one keyed step's input: its own keys on to the step, the others' into their outbox. */
class RoutingReceiver implements Receiver {
  private readonly keyWriter = new ByteWriter(64);
  /** Owners of string keys seen lately (the common case), so a hot key is not encoded per element. */
  private readonly owners = new Map<string, number>();

  constructor(
    private readonly exchange: KeyedExchange,
    private readonly step: KeyedStep,
    private readonly keyCoder: Coder<unknown>,
    private readonly coder: Coder<WindowedValue<unknown>>,
    private readonly target: Receiver,
  ) {}

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const key = asKv(this.step.name, value).key;
    const owner = this.ownerOf(key);
    if (owner === this.exchange.instance) return this.target.receive(value, meta);
    const step = this.step;
    if (step.sent === MAX_TIMESTAMP) {
      throw new InternalError(`'${step.name}': an element reached the keyed exchange after this instance's input of the step had ended`);
    }
    const lifted = step.lifted;
    if (lifted !== undefined) {
      const table = (step.tables[owner] ??= lifted.newTable());
      table.add(value, meta, this.keyCoder, step.sent);
      if (table.size >= PRECOMBINE_MAX_ENTRIES) step.drainTable(owner);
      return undefined;
    }
    this.coder.encode({ value, timestamp: meta.timestamp, windows: meta.windows, pane: meta.pane }, step.outboxOf(owner), "nested");
    step.pending[owner]!++;
    return undefined;
  }

  private ownerOf(key: unknown): number {
    const n = this.exchange.instances;
    if (typeof key === "string") {
      const known = this.owners.get(key);
      if (known !== undefined) return known;
    }
    const w = this.keyWriter;
    w.reset();
    this.keyCoder.encode(key, w, "outer");
    const owner = fnv1a(w.view()) % n;
    if (typeof key === "string") {
      if (this.owners.size >= 100_000) this.owners.clear();
      this.owners.set(key, owner);
    }
    return owner;
  }
}

export class KeyedExchange implements KeyedRouting {
  private readonly steps = new Map<string, KeyedStep>();
  private readonly ordered: KeyedStep[];
  private inbox: { from: number; message: DataMessage }[] = [];
  /** Per peer: elements sent and not yet acknowledged as delivered. */
  private readonly unacked: number[];
  private wake: (() => void) | undefined;
  private closed = false;
  /** The Combine.perKey steps whose windowing allows lifting, with their CombineFns. */
  private readonly liftable = new Map<string, CombineFnLike>();

  /**
   * @param ports one per instance: the port to that peer (undefined at this instance's own index).
   */
  constructor(
    pipeline: Pipeline,
    readonly instance: number,
    readonly instances: number,
    private readonly ports: readonly (MessagePort | undefined)[],
  ) {
    this.ordered = keyedStepNames(pipeline).map((name, i) => new KeyedStep(i, name, instances));
    for (const s of this.ordered) this.steps.set(s.name, s);
    for (const u of new PipelineGraph(pipeline).units) if (u.kind === "combine" && liftable(u.input.windowing)) this.liftable.set(u.node.fullName, u.combineFn);
    this.unacked = new Array<number>(instances).fill(0);
    ports.forEach((port, from) => {
      if (port === undefined) return;
      port.on("message", (m: PeerMessage) => {
        if ("a" in m) this.unacked[from]! -= m.a;
        else this.inbox.push({ from, message: m });
        this.wake?.();
      });
    });
  }

  onActivity(wake: () => void): void {
    this.wake = wake;
  }

  wrap(unitName: string, input: PCollection<unknown>, target: Receiver): Receiver {
    const step = this.steps.get(unitName);
    if (step === undefined) throw new InternalError(`'${unitName}' is not a keyed step of the exchange`);
    step.target = target;
    step.coder = windowedCoderFor(input);
    const fn = this.liftable.get(unitName);
    if (fn !== undefined && isAccumulatorSink(target)) {
      step.lifted = new LiftedCombine(unitName, fn, input.windowing, keyCoderOf(input), target.metrics);
      step.liftedSink = target;
    }
    return new RoutingReceiver(this, step, keyCoderOf(input), step.coder, target);
  }

  inputWatermark(unitName: string, local: Instant): Instant {
    const step = this.steps.get(unitName);
    if (step === undefined) return local;
    if (local > step.sent) {
      step.sent = local;
      this.flush(step);
    }
    let w = local;
    for (let i = 0; i < this.instances; i++) if (i !== this.instance && step.remote[i]! < w) w = step.remote[i]!;
    return w;
  }

  /** Sends each peer its batched elements, then (if `watermarkOf` is given) that step's watermark. */
  flush(watermarkOf?: KeyedStep): void {
    if (this.closed) return;
    for (let peer = 0; peer < this.instances; peer++) {
      if (peer === this.instance) continue;
      const d: [number, Uint8Array][] = [];
      const transfer: ArrayBuffer[] = [];
      let n = 0;
      for (const s of this.ordered) {
        // A lifted step's accumulators go out with its elements: before any watermark this flush sends.
        if (s.lifted !== undefined) s.drainTable(peer);
        const count = s.pending[peer]!;
        if (count === 0) continue;
        // A copy with its own buffer (a Buffer's slice() would share the writer's, which the transfer detaches).
        const bytes = new Uint8Array(s.outbox[peer]!.view());
        s.outbox[peer]!.reset();
        s.pending[peer] = 0;
        d.push([s.index, bytes]);
        transfer.push(bytes.buffer as ArrayBuffer);
        n += count;
      }
      const w: [number, Instant][] = watermarkOf !== undefined ? [[watermarkOf.index, watermarkOf.sent]] : [];
      if (d.length === 0 && w.length === 0) continue;
      this.unacked[peer]! += n;
      this.ports[peer]!.postMessage({ d, w, n } satisfies DataMessage, transfer);
    }
  }

  get hasInbound(): boolean {
    return this.inbox.length > 0;
  }

  async deliver(): Promise<void> {
    const batch = this.inbox;
    this.inbox = [];
    const delivered = new Array<number>(this.instances).fill(0);
    for (const { from, message } of batch) {
      for (const [index, bytes] of message.d) {
        const step = this.ordered[index]!;
        if (step.lifted !== undefined) {
          step.delivered++;
          await step.lifted.deliver(bytes, step.liftedSink!);
          continue;
        }
        const r = new ByteReader(bytes);
        while (!r.atEnd()) {
          const wv = step.coder!.decode(r, "nested");
          step.delivered++;
          const p = step.target!.receive(wv.value, wv);
          if (p !== undefined) await p;
        }
      }
      for (const [index, w] of message.w) {
        const step = this.ordered[index]!;
        if (w > step.remote[from]!) step.remote[from] = w;
      }
      delivered[from]! += message.n;
    }
    for (let peer = 0; peer < this.instances; peer++) {
      if (delivered[peer]! > 0 && !this.closed) this.ports[peer]!.postMessage({ a: delivered[peer]! } satisfies AckMessage);
    }
  }

  deliveredTo(unitName: string): number {
    return this.steps.get(unitName)?.delivered ?? 0;
  }

  get congested(): boolean {
    for (const n of this.unacked) if (n > UNACKED_LIMIT) return true;
    return false;
  }

  get settled(): boolean {
    if (this.inbox.length > 0) return false;
    for (const s of this.ordered) {
      if (s.sent !== MAX_TIMESTAMP) return false;
      for (let i = 0; i < this.instances; i++) if (i !== this.instance && s.remote[i] !== MAX_TIMESTAMP) return false;
    }
    return true;
  }

  /** Closes the ports (the run of this instance ended). */
  close(): void {
    this.closed = true;
    for (const p of this.ports) p?.close();
  }

  /** Keyed steps the graph did not put behind the exchange (none, when the graph is built). */
  unrouted(): string[] {
    return this.ordered.filter((s) => s.target === undefined).map((s) => s.name);
  }
}
