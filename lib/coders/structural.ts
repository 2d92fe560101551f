/**
 * Beam's standard composite coders: kv, iterable, length_prefix, nullable and sharded_key
 * (BEAM_PORTABILITY.md §4.6–4.8, §4.15).
 */
import type { KV } from "../model/window";
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { CoderError, describeValue } from "./errors";

export const KV_URN = "beam:coder:kv:v1";
export const ITERABLE_URN = "beam:coder:iterable:v1";
export const LENGTH_PREFIX_URN = "beam:coder:length_prefix:v1";
export const NULLABLE_URN = "beam:coder:nullable:v1";
export const SHARDED_KEY_URN = "beam:coder:sharded_key:v1";

/** `beam:coder:kv:v1`: the key nested, then the value in the KV's own context. Decodes to `{key, value}`. */
export class KVCoder<K, V> implements Coder<KV<K, V>> {
  readonly urn = KV_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder of the keys. */
    readonly keyCoder: Coder<K>,
    /** The coder of the values. */
    readonly valueCoder: Coder<V>,
  ) {
    this.components = [keyCoder, valueCoder];
    this.deterministic = keyCoder.deterministic && valueCoder.deterministic;
  }

  encode(value: KV<K, V>, out: ByteWriter, context: CoderContext): void {
    if (typeof value !== "object" || value === null) {
      throw new CoderError(`KVCoder can only encode {key, value} objects, got ${describeValue(value)}; build elements with kv(key, value)`);
    }
    this.keyCoder.encode(value.key, out, "nested");
    this.valueCoder.encode(value.value, out, context);
  }

  decode(input: ByteReader, context: CoderContext): KV<K, V> {
    const key = this.keyCoder.decode(input, "nested");
    const value = this.valueCoder.decode(input, context);
    return { key, value };
  }
}

/** Writes the known-length iterable encoding: int32 BE count, then each element nested. */
export function writeIterable<T>(out: ByteWriter, items: readonly T[], elementCoder: Coder<T>): void {
  const n = items.length;
  if (n > 0x7fffffff) throw new CoderError(`IterableCoder cannot encode ${n} elements: the count must fit in an int32`);
  out.writeInt32BE(n);
  for (let i = 0; i < n; i++) elementCoder.encode(items[i], out, "nested");
}

/**
 * Reads an iterable in either form: known length (int32 count ≥ 0, then the elements) or unknown
 * length (int32 -1, then blocks of varint(count) + elements, ending with varint(0)).
 */
export function readIterable<T>(input: ByteReader, elementCoder: Coder<T>): T[] {
  const start = input.offset;
  return readIterableElements(input, elementCoder, input.readInt32BE(), start);
}

/** `readIterable` after its int32 count `n` (read at offset `start`) has been consumed. */
export function readIterableElements<T>(input: ByteReader, elementCoder: Coder<T>, n: number, start: number): T[] {
  const out: T[] = [];
  if (n >= 0) {
    for (let i = 0; i < n; i++) out.push(elementCoder.decode(input, "nested"));
    return out;
  }
  if (n !== -1) {
    throw new CoderError(`Iterable at offset ${start} has negative length ${n}; only -1 (unknown length) is valid. The data is corrupt or was written by another coder`);
  }
  for (;;) {
    const blockAt = input.offset;
    const count = input.readVarIntOrBigInt();
    if (count === 0) return out;
    if (typeof count !== "number" || count < 0) {
      throw new CoderError(
        `Iterable block at offset ${blockAt} has count ${count}: a negative count marks a state-backed iterable ` +
          `(beam:coder:state_backed_iterable:v1), which IterableCoder cannot read. Decode it with a state-backed iterable coder`,
      );
    }
    for (let i = 0; i < count; i++) out.push(elementCoder.decode(input, "nested"));
  }
}

/**
 * `beam:coder:iterable:v1` over arrays. Encodes the known-length form (the only one Prism's
 * byte-skipping decoder handles); decodes both the known- and unknown-length forms. Encoding
 * accepts any iterable (non-arrays are copied into an array first).
 */
export class IterableCoder<T> implements Coder<T[]> {
  readonly urn = ITERABLE_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder of each element. */
    readonly elementCoder: Coder<T>,
  ) {
    this.components = [elementCoder];
    this.deterministic = elementCoder.deterministic;
  }

  encode(value: Iterable<T>, out: ByteWriter, _context: CoderContext): void {
    if (Array.isArray(value)) {
      writeIterable(out, value as readonly T[], this.elementCoder);
    } else if (value !== null && typeof value === "object" && Symbol.iterator in value) {
      writeIterable(out, Array.from(value), this.elementCoder);
    } else {
      throw new CoderError(`IterableCoder can only encode arrays or iterables, got ${describeValue(value)}`);
    }
  }

  decode(input: ByteReader, _context: CoderContext): T[] {
    return readIterable(input, this.elementCoder);
  }
}

/**
 * `beam:coder:length_prefix:v1` around any coder: varint(n) + the n bytes of the inner coder's
 * outer-context encoding. Lets a runner skip values of coders it does not know.
 */
export class LengthPrefixCoder<T> implements Coder<T> {
  readonly urn = LENGTH_PREFIX_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder this one wraps. */
    readonly innerCoder: Coder<T>,
  ) {
    this.components = [innerCoder];
    this.deterministic = innerCoder.deterministic;
  }

  encode(value: T, out: ByteWriter, _context: CoderContext): void {
    const mark = out.beginLengthPrefix();
    this.innerCoder.encode(value, out, "outer");
    out.endLengthPrefix(mark);
  }

  decode(input: ByteReader, _context: CoderContext): T {
    const at = input.offset;
    const n = input.readVarInt();
    const sub = input.subReader(n);
    const value = this.innerCoder.decode(sub, "outer");
    if (!sub.atEnd()) {
      throw new CoderError(
        `Length-prefixed value at offset ${at} is ${n} bytes but ${this.innerCoder.urn} read only ${n - sub.remaining}: ` +
          `the inner coder does not match the one that wrote the data`,
      );
    }
    return value;
  }
}

/**
 * `beam:coder:nullable:v1`: 00 for null (or undefined), else 01 + the inner encoding in the same
 * context. Decodes the absent case as null.
 */
export class NullableCoder<T> implements Coder<T | null> {
  readonly urn = NULLABLE_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder this one wraps. */
    readonly innerCoder: Coder<T>,
  ) {
    this.components = [innerCoder];
    this.deterministic = innerCoder.deterministic;
  }

  encode(value: T | null | undefined, out: ByteWriter, context: CoderContext): void {
    if (value === null || value === undefined) {
      out.writeByte(0);
    } else {
      out.writeByte(1);
      this.innerCoder.encode(value, out, context);
    }
  }

  decode(input: ByteReader, context: CoderContext): T | null {
    const b = input.readByte();
    if (b === 0) return null;
    if (b === 1) return this.innerCoder.decode(input, context);
    throw new CoderError(`NullableCoder read presence byte 0x${b.toString(16)} at offset ${input.offset - 1}; expected 00 or 01 (the data was written by a different coder)`);
  }
}

/** A key spread over shards: an opaque shard id plus the user key. */
export interface ShardedKey<K> {
  /** Which shard of the key (opaque bytes; GroupIntoBatches uses the worker process and thread). */
  readonly shardId: Uint8Array;
  /** The user key. */
  readonly key: K;
}

/** `beam:coder:sharded_key:v1`: the shard id as nested bytes, then the user key (always nested). */
export class ShardedKeyCoder<K> implements Coder<ShardedKey<K>> {
  readonly urn = SHARDED_KEY_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder of the keys. */
    readonly keyCoder: Coder<K>,
  ) {
    this.components = [keyCoder];
    this.deterministic = keyCoder.deterministic;
  }

  encode(value: ShardedKey<K>, out: ByteWriter, _context: CoderContext): void {
    if (typeof value !== "object" || value === null || !(value.shardId instanceof Uint8Array)) {
      throw new CoderError(`ShardedKeyCoder can only encode {shardId: Uint8Array, key} objects, got ${describeValue(value)}`);
    }
    out.writeVarInt(value.shardId.length);
    out.writeBytes(value.shardId);
    this.keyCoder.encode(value.key, out, "nested");
  }

  decode(input: ByteReader, _context: CoderContext): ShardedKey<K> {
    const shardId = input.readBytes(input.readVarInt());
    const key = this.keyCoder.decode(input, "nested");
    return { shardId, key };
  }
}
