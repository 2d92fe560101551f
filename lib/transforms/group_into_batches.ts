/**
 * GroupIntoBatches (Beam Java's `GroupIntoBatches`, Beam Python's `beam.GroupIntoBatches`):
 * batches the values of each key, per window, into arrays of at most a count or a byte size.
 *
 *     pairs.apply(GroupIntoBatches.ofSize(100))                                // KV<K, V[]>
 *     pairs.apply(GroupIntoBatches.ofByteSize(1 << 20, (v: string) => v.length))
 *     pairs.apply(GroupIntoBatches.ofSize(100).withMaxBufferingDuration(10_000))
 *     pairs.apply(GroupIntoBatches.ofSize(100).withShardedKey())               // KV<ShardedKey<K>, V[]>
 *
 * A batch is emitted as soon as it is full; a partial batch waits until `withMaxBufferingDuration`
 * of processing time has passed since its first element, or until its window expires (its end
 * plus the allowed lateness), so no element is left behind. Batches may gather elements from
 * several bundles. Each batch has the timestamp of its earliest element and stays in its window.
 * It runs as a stateful DoFn (batch_state.ts), on every runner, batch and streaming.
 */
import type * as Crypto from "node:crypto";
import { threadId } from "node:worker_threads";
import { encodeToBytes, type Coder } from "../coders/coder";
import { JsValueCoder } from "../coders/js_value";
import { IterableCoder, KVCoder, ShardedKeyCoder, type ShardedKey } from "../coders/structural";
import { PipelineConstructionError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import type { StatefulProcessContext } from "../model/state";
import { PTransform } from "../model/transform";
import { kv, type Instant, type KV } from "../model/window";
import { BatchingDoFn, type BatchLimits, type Buffered } from "./batch_state";

export type { ShardedKey } from "../coders/structural";

/** How batches are bounded (Beam Java's BatchingParams). */
interface BatchingParams<V> {
  readonly batchSize?: number;
  readonly batchSizeBytes?: number;
  readonly weigher?: (value: V) => number;
  readonly maxBufferingMillis: number;
}

const KV_URN = "beam:coder:kv:v1";

/** Outputs each key's batch with the timestamp of its earliest element (as Beam Java). */
class GroupIntoBatchesDoFn<K, V> extends BatchingDoFn<K, V, KV<K, V[]>> {
  constructor(limits: BatchLimits<V>) {
    super(limits);
    // A batch flushed by a later element or a timer is stamped earlier than that input (Beam
    // Java's GroupIntoBatchesDoFn allows any skew too); the timers' holds keep it on time.
    this.allowedTimestampSkewMillis = Infinity;
  }

  protected emitBatch(key: K, batch: readonly Buffered<V>[], earliest: Instant, ctx: StatefulProcessContext<KV<K, V[]>>): void {
    ctx.outputWithTimestamp(kv(key, batch.map((b) => b.element)), earliest);
  }
}

function checkPositive(what: string, n: number): number {
  if (!(Number.isSafeInteger(n) && n > 0)) throw new PipelineConstructionError(`GroupIntoBatches needs a positive whole ${what}, got ${String(n)}`);
  return n;
}

/** The key and value coders of a collection's KV coder, if it has one. */
function kvComponents(pc: PCollection<unknown>): readonly [Coder<unknown>, Coder<unknown>] | undefined {
  const c = pc.coder;
  return c !== undefined && c.urn === KV_URN && c.components.length === 2 ? [c.components[0]!, c.components[1]!] : undefined;
}

/**
 * Batches the values of each key (per window): `KV<K, V>` in, `KV<K, V[]>` out, each batch at
 * most `ofSize` values and `ofByteSize` bytes. See the module comment for when batches are emitted.
 */
export class GroupIntoBatches<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>> {
  private constructor(private readonly params: BatchingParams<V>) {
    super("GroupIntoBatches");
  }

  /** Batches of at most `batchSize` values: `pairs.apply(GroupIntoBatches.ofSize(50))`. */
  static ofSize<K, V>(batchSize: number): GroupIntoBatches<K, V> {
    return new GroupIntoBatches<K, V>({ maxBufferingMillis: 0 }).withSize(batchSize);
  }

  /**
   * Batches of at most `batchSizeBytes` bytes, each value weighing `weigher(value)`, or by
   * default its encoded size under the input's value coder (a batch of one value may exceed it).
   */
  static ofByteSize<K, V>(batchSizeBytes: number, weigher?: (value: V) => number): GroupIntoBatches<K, V> {
    return new GroupIntoBatches<K, V>({ maxBufferingMillis: 0 }).withByteSize(batchSizeBytes, weigher);
  }

  /** Also limits batches to `batchSize` values. */
  withSize<K2 extends K = K, V2 extends V = V>(batchSize: number): GroupIntoBatches<K2, V2> {
    return new GroupIntoBatches<K2, V2>({ ...this.params, batchSize: checkPositive("batch size", batchSize) });
  }

  /** Also limits batches to `batchSizeBytes` bytes (see `ofByteSize`). */
  withByteSize<K2 extends K = K, V2 extends V = V>(batchSizeBytes: number, weigher?: (value: V2) => number): GroupIntoBatches<K2, V2> {
    const params = this.params as BatchingParams<V2>;
    return new GroupIntoBatches<K2, V2>({ ...params, batchSizeBytes: checkPositive("byte size", batchSizeBytes), weigher });
  }

  /**
   * A partial batch is emitted once it has waited `millis` of processing time since its first
   * value (Beam's max buffering duration); 0 (the default) waits for the window to expire.
   */
  withMaxBufferingDuration<K2 extends K = K, V2 extends V = V>(millis: number): GroupIntoBatches<K2, V2> {
    if (!(Number.isFinite(millis) && millis >= 0)) throw new PipelineConstructionError(`GroupIntoBatches needs a max buffering duration of 0 ms or more, got ${String(millis)}`);
    return new GroupIntoBatches<K2, V2>({ ...(this.params as BatchingParams<V2>), maxBufferingMillis: millis });
  }

  /**
   * Batches of a key spread over shards (one per worker process and thread, as Beam's default
   * sharding), so a hot key is batched in parallel: `KV<ShardedKey<K>, V[]>` out.
   */
  withShardedKey<K2 extends K = K, V2 extends V = V>(): GroupIntoBatchesWithShardedKey<K2, V2> {
    return new GroupIntoBatchesWithShardedKey<K2, V2>(new GroupIntoBatches<ShardedKey<K2>, V2>(this.params as BatchingParams<V2>));
  }

  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, V[]>> {
    const { batchSize, batchSizeBytes, maxBufferingMillis } = this.params;
    const components = kvComponents(input);
    let weigh = this.params.weigher;
    if (batchSizeBytes !== undefined && weigh === undefined) {
      // As Beam Java: the value's encoded size (nested, as inside the batch).
      const coder = (components?.[1] ?? new JsValueCoder()) as Coder<V>;
      weigh = (value) => encodeToBytes(coder, value, "nested").length;
    }
    const fn = new GroupIntoBatchesDoFn<K, V>({
      maxCount: () => batchSize ?? Infinity,
      maxBytes: batchSizeBytes,
      weigh,
      maxBufferingMillis,
      allowedLatenessMillis: input.windowing.allowedLatenessMillis,
    });
    const out = input.apply("ParDo(GroupIntoBatchesDoFn)", ParDo.of(fn));
    if (components !== undefined) out.setCoder(new KVCoder(components[0], new IterableCoder(components[1])) as unknown as Coder<KV<K, V[]>>);
    return out;
  }
}

/** This thread's shard id, made on first use: node:crypto loads only for programs that shard keys. */
let threadShardId: Uint8Array | undefined;

/**
 * The shard of elements keyed in this process and thread: a random id of the process (Beam
 * Java: the worker's UUID), then the thread id. A copy each time: elements are never shared.
 */
function currentShardId(): Uint8Array {
  if (threadShardId === undefined) {
    const { randomUUID } = require("node:crypto") as typeof Crypto;
    threadShardId = new Uint8Array(24);
    threadShardId.set(Buffer.from(randomUUID().replace(/-/g, ""), "hex"), 0);
    new DataView(threadShardId.buffer).setBigUint64(16, BigInt(threadId));
  }
  return threadShardId.slice();
}

/** GroupIntoBatches over sharded keys (`GroupIntoBatches.ofSize(n).withShardedKey()`). */
export class GroupIntoBatchesWithShardedKey<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<ShardedKey<K>, V[]>>> {
  /** @internal use `GroupIntoBatches.ofSize(n).withShardedKey()`. */
  constructor(private readonly batches: GroupIntoBatches<ShardedKey<K>, V>) {
    super("GroupIntoBatches.WithShardedKey");
  }

  expand(input: PCollection<KV<K, V>>): PCollection<KV<ShardedKey<K>, V[]>> {
    const sharded = input.map("AddShardId", (e: KV<K, V>): KV<ShardedKey<K>, V> => kv({ shardId: currentShardId(), key: e.key }, e.value));
    const components = kvComponents(input);
    if (components !== undefined) sharded.setCoder(new KVCoder(new ShardedKeyCoder(components[0]), components[1]) as unknown as Coder<KV<ShardedKey<K>, V>>);
    return sharded.apply("GroupIntoBatches", this.batches);
  }
}
