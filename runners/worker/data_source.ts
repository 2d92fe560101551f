/**
 * The inbound data streams of a bundle (BEAM_PORTABILITY.md §3.4-3.5): each `beam:runner:source:v1`
 * transform of a ProcessBundleDescriptor is a DataSource that decodes the windowed values the
 * runner sends for it and hands them to the stage.
 *
 * - Chunks are taken in arrival order over all sources of the bundle (one queue per
 *   instruction, bounded: see data_channel.ts), each source decoding its own values, which may
 *   span chunks.
 * - Progress: `readIndex` is the index of the element being processed (-1 before the first;
 *   after the stream ended, the number of elements processed), reported as
 *   `beam:metric:data_channel:read_index:v1` for every source.
 * - Channel splits (ProcessBundleSplitRequest): a runner may ask a bundle to give up the tail of
 *   its input, to hand it to another worker. The split falls on an element boundary of what is
 *   left (this SDK has no element that splits itself), chosen as Beam's SDKs choose it
 *   (Beam Python's DataInputOperation): keep `fraction_of_remainder` of the remaining elements
 *   (counting the current one as half done), at least one more, at an allowed split point if
 *   the runner lists them. Elements from `first_residual_element` on are then not processed;
 *   the runner sends them again in another bundle.
 */
import type { Coder } from "../../lib/coders/coder";
import { ByteReader } from "../../lib/coders/index";
import { StateContinuation, swapContinuationCollector } from "../../lib/coders/state_backed_iterable";
import type { WindowedValue } from "../../lib/model/window";
import type { Receiver } from "../executor/receiver";
import { fnApi, fnapi } from "../portable/protos";
import { DataChannel, withTail } from "./data_channel";
import type { PCollectionStats } from "./monitoring";
import { IDLE_SLOT, StateSampler } from "./state_sampler";

/** Beam's DesiredSplit (ProcessBundleSplitRequest.desired_splits), what a split needs of it. */
export interface DesiredSplit {
  readonly fractionOfRemainder: number;
  readonly allowedSplitPoints: readonly bigint[] | readonly number[];
  readonly estimatedInputElements: bigint | number;
}

/** The splittable DoFn processing a source's current element, for splits inside it. */
export interface ElementSplitter {
  /** How much of the current element is done (0 to 1), or undefined if none is being processed or it cannot tell. */
  progress(): number | undefined;
  /** Splits the current element's restriction, keeping `fractionOfRemainder` of what is left; false if it cannot. */
  trySplit(fractionOfRemainder: number): boolean;
}

/** A channel split: the last element this bundle processes, and the first it leaves to the runner. */
export interface ChannelSplit {
  readonly transformId: string;
  readonly lastPrimaryElement: number;
  readonly firstResidualElement: number;
}

/** Rounds to the nearest integer, halves to the even one (Python's `round`, which Beam's split arithmetic uses). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Where to split a stream whose element `index` is being processed (`progress` of it done) and
 * which stops before `stop`: the first residual element, or undefined for no split. Follows Beam
 * Python's `DataInputOperation._compute_split` for splits at element boundaries.
 */
export function channelSplitPoint(index: number, progress: number, stop: number, desired: DesiredSplit): number | undefined {
  const allowed = [...desired.allowedSplitPoints].map(Number).sort((a, b) => a - b);
  let total = Number(desired.estimatedInputElements);
  if (total < index + 1) total = index + 1;
  else if (total > stop) total = stop;
  const remainder = total - index - progress;
  const keep = remainder * desired.fractionOfRemainder;
  let splitAt = index + Math.max(1, roundHalfEven(progress + keep));
  if (allowed.length > 0 && !allowed.includes(splitAt)) {
    // The nearest allowed split point (ties go to the later one, as in Beam Python).
    const after = allowed.findIndex((p) => p > splitAt);
    if (after === 0) splitAt = allowed[0]!;
    else if (after === -1) splitAt = allowed[allowed.length - 1]!;
    else {
      const prev = allowed[after - 1]!;
      const next = allowed[after]!;
      splitAt = index < prev && splitAt - prev < next - splitAt ? prev : next;
    }
  }
  return index < splitAt && splitAt < stop ? splitAt : undefined;
}

/** One source transform of a descriptor: where its elements come from and where they go. */
export class DataSource {
  /** Index of the element being processed (-1 before the first; the count once the stream ended). */
  readIndex = -1;
  /** The first element not to process (set by a split). */
  private stop = Number.POSITIVE_INFINITY;
  private reading = false;
  private tail: Uint8Array | undefined;
  private done = false;
  /** The execution-time slot of this source's decoding (set by the bundle processor). */
  slot = IDLE_SLOT;
  /**
   * Reads the rest of state-backed iterables (beam:coder:state_backed_iterable:v1 state tokens)
   * over the State API into the decoded values (set by the bundle processor).
   */
  fetchContinuations: ((pending: readonly StateContinuation[]) => Promise<void>) | undefined;
  /** State tokens met while decoding the current element. */
  private readonly pending: StateContinuation[] = [];
  private readonly collect = (c: StateContinuation): void => {
    this.pending.push(c);
  };

  constructor(
    readonly transformId: string,
    readonly coder: Coder<unknown>,
    readonly url: string,
    readonly next: Receiver,
    /** Count and sizes of the output PCollection (sizes are the exact encoded sizes read). */
    readonly stats: PCollectionStats,
    /** The PCollection it outputs. */
    readonly output = "",
  ) {}

  /** The source of a `beam:runner:source:v1` transform, its output wired to `next`. */
  static fromTransform(transformId: string, t: fnapi.ProcessBundleDescriptor["transforms"][string], coder: (id: string) => Coder<unknown>, next: Receiver, stats: PCollectionStats, output = ""): DataSource {
    const port = fnApi.RemoteGrpcPort.fromBinary(t.spec!.payload);
    return new DataSource(transformId, coder(port.coderId), port.apiServiceDescriptor?.url ?? "", next, stats, output);
  }

  reset(): void {
    this.readIndex = -1;
    this.stop = Number.POSITIVE_INFINITY;
    this.tail = undefined;
    this.done = false;
    this.reading = true;
  }

  /**
   * Splits the rest of this bundle's input as `desired` asks; undefined if it cannot (or has no
   * more to give). `element`: the splittable DoFn processing the current element, if this source
   * feeds one; the split may then fall inside that element (Beam Python's
   * DataInputOperation._compute_split): the element's restriction is split, this bundle keeps its
   * primary and stops after it, and the runner gets the rest.
   */
  split(desired: DesiredSplit, element?: ElementSplitter): ChannelSplit | undefined {
    if (!this.reading || this.done) return undefined;
    const inElement = element?.progress();
    if (inElement !== undefined && this.readIndex >= 0 && this.readIndex + 1 <= this.stop && inElement < 1) {
      const allowed = [...desired.allowedSplitPoints].map(Number);
      let total = Number(desired.estimatedInputElements);
      if (total < this.readIndex + 1) total = this.readIndex + 1;
      else if (total > this.stop) total = this.stop;
      const keep = (total - this.readIndex - inElement) * desired.fractionOfRemainder;
      const ofElement = keep / (1 - inElement);
      if (ofElement < 1 && (allowed.length === 0 || (allowed.includes(this.readIndex) && allowed.includes(this.readIndex + 1))) && element!.trySplit(ofElement)) {
        this.stop = this.readIndex + 1;
        return { transformId: this.transformId, lastPrimaryElement: this.readIndex - 1, firstResidualElement: this.readIndex + 1 };
      }
    }
    // Nothing tells how far into the current element the stage is: count it as half done.
    const progress = this.readIndex === -1 ? 1 : (inElement ?? 0.5);
    const at = channelSplitPoint(this.readIndex, progress, this.stop, desired);
    if (at === undefined) return undefined;
    this.stop = at;
    return { transformId: this.transformId, lastPrimaryElement: at - 1, firstResidualElement: at };
  }

  /** Decodes one chunk of this source's stream and processes its elements (up to a split's stop). */
  async consume(data: Uint8Array, isLast: boolean): Promise<void> {
    if (this.done) throw new Error(`input stream of ${this.transformId} has data after is_last`);
    const sampler = StateSampler.get();
    if (this.readIndex + 1 < this.stop) {
      const buf = withTail(this.tail, data);
      this.tail = undefined;
      const r = new ByteReader(buf);
      const stats = this.stats;
      while (!r.atEnd() && this.readIndex + 1 < this.stop) {
        const start = r.offset;
        let wv: WindowedValue<unknown>;
        const previous = swapContinuationCollector(this.collect);
        try {
          wv = this.coder.decode(r, "nested") as WindowedValue<unknown>;
        } catch (e) {
          this.pending.length = 0;
          if (isLast) throw new Error(`input stream of ${this.transformId} has bytes that do not decode: ${(e as Error).message}`, { cause: e });
          this.tail = buf.subarray(start); // the rest of this value comes in the next message
          break;
        } finally {
          swapContinuationCollector(previous);
        }
        if (this.pending.length > 0) {
          // A runner's GroupByKey output whose values continue in its state: read them before the element goes on.
          const pending = this.pending.splice(0);
          if (this.fetchContinuations === undefined) throw new Error(`input stream of ${this.transformId} has an iterable continued in the runner's state, but this source cannot read state`);
          await this.fetchContinuations(pending);
        }
        this.readIndex++;
        if (stats.countOne()) stats.addSize(r.offset - start);
        sampler.lastAsync = undefined;
        const p = this.next.receive(wv.value, wv);
        if (p !== undefined) {
          // While the bundle waits, its time (and log lines) belong to the step that went async.
          sampler.enter(sampler.lastAsync ?? this.slot);
          await p;
          sampler.enter(this.slot);
        }
      }
    }
    if (isLast) {
      // Elements after a split's stop are the runner's to send elsewhere; their bytes are dropped.
      if (this.tail !== undefined && this.tail.length > 0 && this.readIndex + 1 < this.stop) {
        throw new Error(`input stream of ${this.transformId} ended in the middle of an element`);
      }
      this.done = true;
      this.readIndex++;
    }
  }

  /** The stream ended (or failed): no more splits. */
  finish(): void {
    this.reading = false;
  }

  get ended(): boolean {
    return this.done;
  }
}

/** An inbound timer stream of a bundle (timers.ts TimerStreamReader). */
export interface InboundTimerStream {
  readonly url: string;
  readonly transformId: string;
  readonly familyId: string;
  /** The execution-time slot its work counts to. */
  readonly slot: number;
  consume(data: Uint8Array, isLast: boolean): Promise<void>;
}

/**
 * Reads the data streams of `sources` and the `timers` streams of bundle `instructionId` to their
 * ends: chunks in arrival order, each to its source or timer stream, as Beam's SDK harnesses
 * process data and timers (a runner orders a key's timers by time across timer families).
 * Streams on different data endpoints are read one endpoint after another (each endpoint pauses
 * on its own).
 */
export async function readInputs(
  channel: (url: string) => DataChannel,
  instructionId: string,
  sources: readonly DataSource[],
  timers: readonly InboundTimerStream[] = [],
): Promise<void> {
  const byUrl = new Map<string, { sources: DataSource[]; timers: InboundTimerStream[] }>();
  const at = (url: string) => {
    let g = byUrl.get(url);
    if (g === undefined) byUrl.set(url, (g = { sources: [], timers: [] }));
    return g;
  };
  for (const s of sources) at(s.url).sources.push(s);
  for (const t of timers) at(t.url).timers.push(t);
  const timerId = (transformId: string, familyId: string): string => `${transformId}\u0000${familyId}`;
  const sampler = StateSampler.get();
  try {
    for (const [url, group] of byUrl) {
      const input = channel(url).input(instructionId);
      const byId = new Map(group.sources.map((s) => [s.transformId, s]));
      const timersById = new Map(group.timers.map((t) => [timerId(t.transformId, t.familyId), t]));
      let open = group.sources.length + group.timers.length;
      while (open > 0) {
        sampler.enter(IDLE_SLOT);
        const chunk = await input.next();
        if (chunk.timerFamilyId !== undefined) {
          const stream = timersById.get(timerId(chunk.transformId, chunk.timerFamilyId));
          if (stream === undefined) {
            throw new Error(`the runner sent timers of family '${chunk.timerFamilyId}' for transform ${chunk.transformId}, which is not a timer stream of this bundle (${group.timers.map((t) => `${t.transformId}/${t.familyId}`).join(", ") || "none"})`);
          }
          sampler.enter(stream.slot);
          await stream.consume(chunk.data, chunk.isLast);
        } else {
          const source = byId.get(chunk.transformId);
          if (source === undefined) throw new Error(`the runner sent data for transform ${chunk.transformId}, which is not a source of this bundle (${[...byId.keys()].join(", ")})`);
          sampler.enter(source.slot);
          await source.consume(chunk.data, chunk.isLast);
        }
        if (chunk.isLast) open--;
      }
    }
  } finally {
    sampler.enter(IDLE_SLOT);
    for (const s of sources) s.finish();
  }
}
