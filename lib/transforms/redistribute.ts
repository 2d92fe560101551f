/**
 * Redistribute (Beam Java's): a hint to the runner that spreading the elements over workers is
 * worth a shuffle here, without Reshuffle's promise of a checkpoint (stable input) between the
 * steps before and after it. The output equals the input, each element keeping its timestamp,
 * window and pane.
 *
 * - `Redistribute.arbitrarily()`: any spreading the runner sees fit (each element gets a shard key,
 *   `withNumBuckets(n)` of them, dropped after the shuffle).
 * - `Redistribute.byKey()`: a collection of KVs redistributed by their keys.
 * - `withAllowDuplicates()`: the runner may emit an element more than once (a cheaper shuffle on
 *   runners that offer one); Beamline's DirectRunner never does.
 *
 * Runners that know the URNs (`beam:transform:redistribute_arbitrarily:v1`,
 * `beam:transform:redistribute_by_key:v1`: Prism, Dataflow) run them natively; others run the
 * expansion, a GroupByKey that fires for every element, as for Reshuffle.
 */
import { DoFn, type ProcessContext } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { PTransform } from "../model/transform";
import { kv, type KV } from "../model/window";
import { KVCoder } from "../coders/structural";
import { groupForShuffle } from "./util";

/** The family's factories: `pc.apply(Redistribute.arbitrarily())`, `kvs.apply(Redistribute.byKey())`. */
export const Redistribute = {
  /** Redistributes the elements however the runner sees fit. */
  arbitrarily: <T>(): RedistributeArbitrarily<T> => new RedistributeArbitrarily<T>(undefined, false),
  /** Redistributes a collection of KVs by key. */
  byKey: <K, V>(): RedistributeByKey<K, V> => new RedistributeByKey<K, V>(false),
};

/** `Redistribute.byKey()`: the KVs, spread over workers by key. */
export class RedistributeByKey<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V>>> {
  /** @internal */
  constructor(
    /** Whether the runner may emit an element more than once. */
    readonly allowDuplicates: boolean,
  ) {
    super("RedistributeByKey");
  }

  /** The same transform, allowing the runner to emit duplicates (default true). */
  withAllowDuplicates(allowDuplicates = true): RedistributeByKey<K, V> {
    return new RedistributeByKey<K, V>(allowDuplicates);
  }

  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, V>> {
    input.pipeline.currentNode().composite = { urn: "beam:transform:redistribute_by_key:v1", allowDuplicates: this.allowDuplicates };
    return shuffleByKey(input);
  }
}

/**
 * The KVs through a grouping that fires for every element and back, as steps of the transform
 * being expanded. A step of its own comes before the grouping, whose input gets a trigger of its
 * own that the transform's input (the user's collection) must not.
 */
function shuffleByKey<K, V>(input: PCollection<KV<K, V>>): PCollection<KV<K, V>> {
  const keyed = input.map("SetShuffleWindowing", (e: KV<K, V>) => e);
  if (input.coder !== undefined) keyed.setCoder(input.coder);
  const out = groupForShuffle(keyed, input.windowing).flatMap("ExpandIterable", (group: KV<K, V[]>) => group.value.map((v) => kv(group.key, v)));
  if (input.coder !== undefined) out.setCoder(input.coder);
  return out;
}

/** `Redistribute.arbitrarily()`: the elements, spread over workers. */
export class RedistributeArbitrarily<T> extends PTransform<PCollection<T>, PCollection<T>> {
  /** @internal */
  constructor(
    /** How many shard keys the elements get (undefined: any 32-bit integer). */
    readonly numBuckets: number | undefined,
    /** Whether the runner may emit an element more than once. */
    readonly allowDuplicates: boolean,
  ) {
    super("RedistributeArbitrarily");
  }

  /**
   * The same transform with the elements keyed by `n` shards (Beam Java's `withNumBuckets`): fewer
   * keys give larger bundles after the shuffle; a runner may ignore it.
   */
  withNumBuckets(n: number | undefined): RedistributeArbitrarily<T> {
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 0xffffffff)) {
      throw new PipelineConstructionError(`Redistribute.arbitrarily().withNumBuckets(${n}): the number of buckets must be a positive integer (up to 2^32 - 1), or undefined for any`);
    }
    return new RedistributeArbitrarily<T>(n, this.allowDuplicates);
  }

  /** The same transform, allowing the runner to emit duplicates (default true). */
  withAllowDuplicates(allowDuplicates = true): RedistributeArbitrarily<T> {
    return new RedistributeArbitrarily<T>(this.numBuckets, allowDuplicates);
  }

  expand(input: PCollection<T>): PCollection<T> {
    input.pipeline.currentNode().composite = { urn: "beam:transform:redistribute_arbitrarily:v1", allowDuplicates: this.allowDuplicates };
    const keyed = input.apply("AssignShard", ParDo.of(new AssignShardFn<T>(this.numBuckets)));
    if (input.coder !== undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { VarIntCoder } = require("../coders/primitive") as typeof import("../coders/primitive");
      keyed.setCoder(new KVCoder(VarIntCoder.INSTANCE, input.coder));
    }
    // The grouping's steps directly in this composite, not in a nested Redistribute.byKey: a runner
    // that replaces the composite (Prism) drops its direct steps only, and one that runs it (Beam
    // Python's) needs no URN of a nested one.
    const out = shuffleByKey(keyed).map("Values", (e: KV<number, T>) => e.value);
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}

/**
 * Keys each element by a shard: a counter from a random start, its bits mixed (as Beam Java's,
 * with the murmur3 constants) so that runners hashing small integers poorly still spread them,
 * then reduced to `numBuckets` if set.
 */
export class AssignShardFn<T> extends DoFn<T, KV<number, T>> {
  private shard = 0;
  constructor(private readonly numBuckets: number | undefined) {
    super();
  }
  setup(): void {
    this.shard = (Math.random() * 0x100000000) | 0;
  }
  process(element: T, ctx: ProcessContext<KV<number, T>>): void {
    this.shard = (this.shard + 1) | 0;
    const k = Math.imul(this.shard, 0xcc9e2d51);
    let hash = Math.imul(0x1b873593, (k << 15) | (k >>> 17));
    if (this.numBuckets !== undefined) hash = (hash >>> 0) % this.numBuckets;
    ctx.output(kv(hash, element));
  }
}
