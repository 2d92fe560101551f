/**
 * The summary behind ApproximateQuantiles, step for step as Beam Python's `_QuantileState`
 * (Manku-Rajagopalan-Lindsay's "New Algorithm" with Munro-Paterson's buffer sizing, and Python's
 * generalisation to weighted inputs). Beam Java's gives the same boundaries except where elements
 * tie in the order; there Python's choice is made, so Beam Python's tests' outputs come out.
 *
 * Elements are gathered unbuffered until `bufferSize` of them fill a sorted buffer; when there
 * are more than `numBuffers` buffers, the lowest levels are collapsed into one, picking
 * `bufferSize` elements at even steps of their merged (weighted) order. Unweighted buffers stand
 * for `weight` inputs per element; weighted ones keep a weight per element. The extremes are kept
 * per buffer (a collapse may drop them from its elements), so the minimum and maximum come out
 * whatever their weights. Python keeps the buffers in a `heapq` by level; which buffers a collapse
 * takes, and the order their elements merge in (it decides ties), follow that heap, emulated here.
 *
 * The state is plain data (it crosses workers and checkpoints with the default coder).
 */
import { ValidationError } from "../model/errors";

/** A sorted buffer. */
export interface QuantileBuffer<T> {
  /** How many collapses made it (0: filled from inputs). */
  readonly level: number;
  readonly elements: T[];
  /** Unweighted: one weight, how many inputs each element stands for. Weighted: one per element. */
  readonly weights: number[];
  /** The smallest and largest input it stands for. */
  readonly min: T;
  readonly max: T;
}

/** The accumulator of ApproximateQuantiles. */
export interface QuantileAccumulator<T> {
  /** Inputs not yet in a buffer (fewer than a buffer's size). */
  unbuffered: T[];
  /** Their weights (weighted only). */
  unbufferedWeights: number[];
  /** Buffers, a binary heap by level (as Python's heapq). */
  buffers: QuantileBuffer<T>[];
  /** Alternates the offset of even-weight collapses, so their rounding does not drift one way. */
  jitter: number;
}

/** How a summary orders and sizes. */
export interface QuantileSpec<T> {
  /** The order of values (reverse applied). */
  readonly compare: (a: T, b: T) => number;
  /** Python sorts `(value, weight)` pairs when it has no key: ties of value are then ordered by weight. */
  readonly tieByWeight: boolean;
  /** Python's `reverse` (ties by weight are reversed too). */
  readonly reverse: boolean;
  readonly weighted: boolean;
  readonly bufferSize: number;
  readonly numBuffers: number;
}

// Python's heapq over buffers ordered by level, step for step (its _siftdown and _siftup).
type Heap<T> = QuantileBuffer<T>[];
function siftDown<T>(heap: Heap<T>, start: number, pos: number): void {
  const item = heap[pos]!;
  while (pos > start) {
    const parentPos = (pos - 1) >> 1;
    const parent = heap[parentPos]!;
    if (!(item.level < parent.level)) break;
    heap[pos] = parent;
    pos = parentPos;
  }
  heap[pos] = item;
}
function siftUp<T>(heap: Heap<T>, pos: number): void {
  const end = heap.length;
  const start = pos;
  const item = heap[pos]!;
  let child = 2 * pos + 1;
  while (child < end) {
    const right = child + 1;
    if (right < end && !(heap[child]!.level < heap[right]!.level)) child = right;
    heap[pos] = heap[child]!;
    pos = child;
    child = 2 * pos + 1;
  }
  heap[pos] = item;
  siftDown(heap, start, pos);
}
function heapPush<T>(heap: Heap<T>, item: QuantileBuffer<T>): void {
  heap.push(item);
  siftDown(heap, 0, heap.length - 1);
}
function heapPop<T>(heap: Heap<T>): QuantileBuffer<T> {
  const last = heap.pop()!;
  if (heap.length === 0) return last;
  const top = heap[0]!;
  heap[0] = last;
  siftUp(heap, 0);
  return top;
}
function heapify<T>(heap: Heap<T>): void {
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftUp(heap, i);
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Beam Python's buffer sizing: the fewest buffers b with (b - 2) * 2^(b - 2) >= epsilon * N, less one, of k = max(2, ceil(N / 2^(b - 1))) elements. */
export function quantileBufferSizes(epsilon: number, maxInputSize: number): { numBuffers: number; bufferSize: number } {
  let b = 2;
  while ((b - 2) * 2 ** (b - 2) < epsilon * maxInputSize) b++;
  b--;
  return { numBuffers: b, bufferSize: Math.max(2, Math.ceil(maxInputSize / 2 ** (b - 1))) };
}

/** The operations on a summary, for one spec. */
export class QuantileSummary<T> {
  private readonly pairOrder: (a: { v: T; w: number }, b: { v: T; w: number }) => number;

  constructor(private readonly spec: QuantileSpec<T>) {
    const { compare, tieByWeight, reverse } = spec;
    // Python: sorted((value, weight) ...) compares the pairs when it has no key; reverse reverses both.
    this.pairOrder = (a, b) => compare(a.v, b.v) || (tieByWeight ? (reverse ? b.w - a.w : a.w - b.w) : 0);
  }

  create(): QuantileAccumulator<T> {
    return { unbuffered: [], unbufferedWeights: [], buffers: [], jitter: 0 };
  }

  isEmpty(acc: QuantileAccumulator<T>): boolean {
    return acc.unbuffered.length === 0 && acc.buffers.length === 0;
  }

  /** Adds inputs (with their weights when weighted), filling buffers and collapsing as needed. */
  add(acc: QuantileAccumulator<T>, values: readonly T[], weights?: readonly number[]): void {
    const { bufferSize, weighted } = this.spec;
    if (weighted) {
      for (let i = 0; i < values.length; i++) {
        const w = weights![i];
        if (typeof w !== "number" || !(w >= 0 && w !== Infinity)) {
          throw new ValidationError(`ApproximateQuantiles (weighted): the weight of ${JSON.stringify(values[i])} is ${String(w)}; weights must be finite numbers >= 0`);
        }
        acc.unbufferedWeights.push(w);
      }
    }
    for (const v of values) acc.unbuffered.push(v);
    const newBuffers = Math.floor(acc.unbuffered.length / bufferSize);
    for (let b = 0; b < newBuffers; b++) {
      const from = b * bufferSize;
      heapPush(acc.buffers, this.sortedBuffer(acc.unbuffered.slice(from, from + bufferSize), weighted ? acc.unbufferedWeights.slice(from, from + bufferSize) : undefined));
    }
    if (newBuffers > 0) {
      acc.unbuffered = acc.unbuffered.slice(newBuffers * bufferSize);
      if (weighted) acc.unbufferedWeights = acc.unbufferedWeights.slice(newBuffers * bufferSize);
    }
    this.collapseIfNeeded(acc);
  }

  /** Python's merge: a fresh summary takes each one's unbuffered inputs, then its buffers. */
  merge(accs: Iterable<QuantileAccumulator<T>>): QuantileAccumulator<T> {
    const into = this.create();
    for (const acc of accs) {
      if (this.isEmpty(acc)) continue;
      // The fresh summary's jitter carries on from the first one merged (Python's lives on the CombineFn).
      if (into.buffers.length === 0 && into.unbuffered.length === 0) into.jitter = acc.jitter;
      this.add(into, acc.unbuffered, this.spec.weighted ? acc.unbufferedWeights : undefined);
      into.buffers.push(...acc.buffers);
    }
    heapify(into.buffers);
    this.collapseIfNeeded(into);
    return into;
  }

  /** `numQuantiles` boundaries: the minimum, numQuantiles - 2 evenly spaced, the maximum (`[]` when empty). */
  quantiles(acc: QuantileAccumulator<T>, numQuantiles: number): T[] {
    if (this.isEmpty(acc)) return [];
    // Python's finalize appends the unbuffered inputs as one more buffer (acc itself is left as it is).
    const all = acc.unbuffered.length > 0 ? [...acc.buffers, this.sortedBuffer(acc.unbuffered, this.spec.weighted ? acc.unbufferedWeights : undefined)] : acc.buffers;
    let total = 0;
    for (const b of all) total += this.spec.weighted ? sum(b.weights) : b.elements.length * b.weights[0]!;
    const r = this.interpolate(all, numQuantiles - 2, total / (numQuantiles - 1), (total - 1) / (numQuantiles - 1));
    return [r.min, ...r.elements, r.max];
  }

  /** A level-0 buffer of `values` sorted (stably: Python's sorted and argsort). */
  private sortedBuffer(values: readonly T[], weights: readonly number[] | undefined): QuantileBuffer<T> {
    const { compare } = this.spec;
    if (weights === undefined) {
      const elements = [...values].sort(compare);
      return { level: 0, elements, weights: [1], min: elements[0]!, max: elements[elements.length - 1]! };
    }
    const order = values.map((_, i) => i).sort((a, b) => compare(values[a]!, values[b]!));
    const elements = order.map((i) => values[i]!);
    return { level: 0, elements, weights: order.map((i) => weights[i]!), min: elements[0]!, max: elements[elements.length - 1]! };
  }

  private collapseIfNeeded(acc: QuantileAccumulator<T>): void {
    while (acc.buffers.length > this.spec.numBuffers) {
      const toCollapse = [heapPop(acc.buffers), heapPop(acc.buffers)];
      const minLevel = toCollapse[1]!.level;
      while (acc.buffers.length > 0 && acc.buffers[0]!.level <= minLevel) toCollapse.push(heapPop(acc.buffers));
      heapPush(acc.buffers, this.collapse(acc, toCollapse));
    }
  }

  private collapse(acc: QuantileAccumulator<T>, buffers: readonly QuantileBuffer<T>[]): QuantileBuffer<T> {
    const { bufferSize, weighted } = this.spec;
    let level = 0;
    let weight = 0;
    for (const b of buffers) {
      level = Math.max(level, b.level + 1);
      weight = weight + sum(b.weights);
    }
    let step: number;
    let offset: number;
    if (weighted) {
      step = weight / (bufferSize - 1);
      offset = weight / (2 * bufferSize);
    } else {
      step = weight;
      // An even weight must round up or down: alternate, so as not to bias one way.
      if (weight % 2 === 1) offset = (weight + 1) / 2;
      else {
        acc.jitter = 2 - acc.jitter;
        offset = (weight + acc.jitter) / 2;
      }
    }
    const r = this.interpolate(buffers, bufferSize, step, offset);
    return { level, elements: r.elements, weights: weighted ? r.weights : [weight], min: r.min, max: r.max };
  }

  /**
   * Python's _interpolate: the elements at positions j * step + offset (0 <= j < count) of the
   * ordered union of the buffers' elements, each repeated by its weight; with the weight each stands for.
   */
  private interpolate(buffers: readonly QuantileBuffer<T>[], count: number, step: number, offset: number): { elements: T[]; weights: number[]; min: T; max: T } {
    const { compare, weighted } = this.spec;
    let min = buffers[0]!.min;
    let max = buffers[0]!.max;
    const merged: { v: T; w: number }[] = [];
    for (const b of buffers) {
      if (compare(b.min, min) < 0) min = b.min;
      if (compare(max, b.max) < 0) max = b.max;
      for (let i = 0; i < b.elements.length; i++) merged.push({ v: b.elements[i]!, w: weighted ? b.weights[i]! : b.weights[0]! });
    }
    merged.sort(this.pairOrder); // stable, as Python's sorted
    const elements: T[] = [];
    const weights: number[] = [];
    const weight = buffers[0]!.weights[0]!;
    if (!weighted && buffers.every((b) => b.weights[0] === weight)) {
      // All of one weight: the positions are evenly spread over the merged elements.
      const last = merged.length - 1;
      for (let j = 0; j < count; j++) elements.push(merged[Math.min(Math.trunc(j * (step / weight) + offset / weight), last)]!.v);
      return { elements, weights, min, max };
    }
    let i = 0;
    let current = merged[0]!.w;
    let previous = 0;
    for (let j = 0; j < count; j++) {
      const target = j * step + offset;
      while (current <= target && i + 1 < merged.length) current += merged[++i]!.w;
      elements.push(merged[i]!.v);
      if (weighted) weights.push(current - previous);
      previous = current;
    }
    return { elements, weights, min, max };
  }
}
