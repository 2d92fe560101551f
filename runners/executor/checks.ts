/**
 * The DirectRunner's strict model checks (like Beam Java's DirectRunner):
 *  - every element survives a round trip through its PCollection's coder;
 *  - grouping keys encode deterministically;
 *  - DoFns do not mutate their inputs.
 *
 * Checking every element of a hot loop would make the DirectRunner several times slower, so each
 * operator checks the first CHECK_ALL_FIRST elements of every bundle and one in CHECK_EVERY_NTH
 * after that, counting only elements the check could fail on (objects for the mutation and key
 * checks; anything but numbers, booleans, null and undefined for the coder check). Broken code paths show up on the first elements in practice; a test that needs
 * every element checked can set `strictChecksEveryElement`.
 */
import { isDeepStrictEqual } from "node:util";
import type { Coder } from "../../lib/coders/coder";
import { decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { ModelCheckError, previewValue } from "../../lib/model/errors";
import { DeterministicJsValueCoder, JsValueCoder } from "../../lib/coders/js_value";
import { deterministicKeyCoder } from "./default_coders";
import { type MaybePromise, type Receiver, receiveRest } from "./receiver";
import type { ElementMeta } from "../../lib/model/window";

export const CHECK_ALL_FIRST = 1000;
export const CHECK_EVERY_NTH = 97;

/** Decides which elements of a bundle get checked. */
export class CheckSampler {
  /** Elements seen since the last reset. */
  private seen = 0;
  /** The next element (by `seen`) to check past the first CHECK_ALL_FIRST: a comparison per element, no division. */
  private nextSampled = 0;
  constructor(private readonly everyElement: boolean) {}
  resetForBundle(): void {
    this.seen = 0;
    this.nextSampled = 0;
  }
  shouldCheck(): boolean {
    const n = this.seen++;
    if (n < CHECK_ALL_FIRST || this.everyElement) return true;
    if (n < this.nextSampled) return false;
    // The multiples of CHECK_EVERY_NTH, as before: n itself when it is one, else none until the next.
    const sampled = n % CHECK_EVERY_NTH === 0;
    this.nextSampled = n - (n % CHECK_EVERY_NTH) + CHECK_EVERY_NTH;
    return sampled;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Long arrays (encoded elements, tensors) through the native comparison; short ones in a loop.
  if (a.length > 64) return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The bytes a typed array views. */
function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Structural equality that treats Buffer and Uint8Array of equal bytes as equal. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesEqual(a, b);
  // Other typed arrays (Float32Array, ...) by their bytes, not one index key at a time (which costs
  // ~0.5 ms for a 784-value image); equal bytes are equal elements, NaN and -0 included.
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b) && !(a instanceof DataView) && !(b instanceof DataView)) {
    return Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && bytesEqual(bytesOf(a), bytesOf(b));
  }
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return Object.is(a, b) || isDeepStrictEqual(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Map || a instanceof Set || a instanceof Date) return isDeepStrictEqual(a, b);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return (value as object).constructor?.name ?? "Object";
}

/**
 * Whether `value` is a flat plain object (a KV of strings and numbers, say) that the default
 * coders provably round-trip: own enumerable data properties whose names and values are
 * well-formed strings, numbers, booleans, null or undefined. Such values skip the encode/decode of
 * the check (and its cold code, most of a small run's check cost); anything else is round-tripped.
 */
function survivesJsValueCoder(coder: Coder<unknown>, value: object): boolean {
  if ((coder.constructor !== JsValueCoder && coder.constructor !== DeterministicJsValueCoder) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const o = value as Record<string, unknown>;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) return false;
    const v = o[k];
    const t = typeof v;
    if (t === "string" ? !(v as string).isWellFormed() : t !== "number" && t !== "boolean" && t !== "undefined" && v !== null) return false;
    if (!k.isWellFormed()) return false;
  }
  // Accessors (a getter may answer differently each time) are round-tripped like any other value.
  for (const k in o) if (Object.getOwnPropertyDescriptor(o, k)!.get !== undefined) return false;
  return true;
}

/**
 * Whether a coder check could fail on `value`: numbers, booleans, null and undefined always
 * survive a round trip (checkCoderRoundTrip returns at once for them). Samplers count only the
 * other values, as the key and mutation checks count only objects: a PCollection of numbers costs
 * a type test per element, and its first non-trivial values are all checked.
 */
export function coderCheckMayFail(value: unknown): boolean {
  return typeof value === "object" ? value !== null : typeof value !== "number" && typeof value !== "boolean" && value !== undefined;
}

/** Checks that `value` survives `coder` unchanged. */
export function checkCoderRoundTrip(transformName: string, pcollId: string, coder: Coder<unknown>, value: unknown): void {
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return;
  if (typeof value === "string") {
    if (value.isWellFormed()) return;
    throw new ModelCheckError(transformName, "coder", `Output ${previewValue(value)} of ${pcollId} contains a lone UTF-16 surrogate, which no UTF-8 coder can preserve`);
  }
  if (typeof value === "object" && survivesJsValueCoder(coder, value)) return;
  let decoded: unknown;
  try {
    decoded = decodeFromBytes(coder, encodeToBytes(coder, value));
  } catch (e) {
    throw new ModelCheckError(
      transformName,
      "coder",
      `Output ${previewValue(value)} (a ${typeName(value)}) of ${pcollId} cannot be encoded with coder ${coder.urn}: ${(e as Error).message}. ` +
        `Elements cross processes encoded; emit plain data (objects, arrays, strings, numbers) or set a coder with setCoder()`,
    );
  }
  if (!sameValue(value, decoded)) {
    throw new ModelCheckError(
      transformName,
      "coder",
      `Output ${previewValue(value)} of ${pcollId} does not survive a round trip through coder ${coder.urn} (it decodes as ${previewValue(decoded)}). ` +
        `Emit plain data, or set a coder that preserves the value with setCoder()`,
    );
  }
}

/**
 * What an input was before user code ran: its encoding, or for a flat plain object under the
 * default coder its keys and values in order (`[k0, v0, k1, v1, ...]`). The coder encodes such an
 * object as exactly those keys and values, so comparing them detects what comparing the bytes
 * does (and changes the bytes cannot show, such as 0 becoming -0), without the two encodings.
 */
export type MutationSnapshot = Uint8Array | unknown[];

/** A flat plain object's keys and values in the coder's order, if `value` is one (data properties with primitive values). */
function flatEntries(coder: Coder<unknown>, value: object): unknown[] | undefined {
  if (coder.constructor !== JsValueCoder || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  const entries = new Array<unknown>(2 * keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = o[k];
    const t = typeof v;
    if ((t === "object" && v !== null) || t === "function" || t === "symbol") return undefined;
    entries[2 * i] = k;
    entries[2 * i + 1] = v;
  }
  // A getter may answer differently each time: such objects are compared by their encodings.
  for (let i = 0; i < keys.length; i++) if (Object.getOwnPropertyDescriptor(o, keys[i]!)!.get !== undefined) return undefined;
  return entries;
}

/** Whether `value` still has the keys and values of `entries` (see `flatEntries`). */
function sameEntries(value: object, entries: unknown[]): boolean {
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (2 * keys.length !== entries.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k !== entries[2 * i] || !Object.is(o[k], entries[2 * i + 1])) return false;
  }
  return true;
}

/** Records an input before user code runs, to detect mutation afterwards (undefined for immutable values). */
export function snapshotForMutation(coder: Coder<unknown>, value: unknown): MutationSnapshot | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  try {
    return flatEntries(coder, value) ?? encodeToBytes(coder, value);
  } catch {
    return undefined; // the coder check reports unencodable values
  }
}

/** Fails if `value` is no longer what it was before user code ran (see `snapshotForMutation`). */
export function checkNotMutated(transformName: string, coder: Coder<unknown>, value: unknown, before: MutationSnapshot): void {
  const same = Array.isArray(before) ? sameEntries(value as object, before) : bytesEqual(before, encodeToBytes(coder, value));
  if (!same) {
    throw new ModelCheckError(
      transformName,
      "mutation",
      `The DoFn mutated its input element (now ${previewValue(value)}). Inputs may be shared with other transforms and must not be ` +
        `modified; copy the element first (e.g. {...element} or structuredClone(element)) and output the copy`,
    );
  }
}

/**
 * Checks that a grouping key encodes to the same bytes after a round trip (so equal keys group together).
 * `element`, when given, is the KV the key came from: the error then shows it too.
 */
export function checkKeyDeterministic(transformName: string, key: unknown, keyCoder: Coder<unknown> = deterministicKeyCoder(), ...element: [unknown?]): void {
  if (typeof key === "string" || typeof key === "number" || typeof key === "boolean" || key === null) return;
  const of = element.length > 0 ? ` of element ${previewValue(element[0])}` : "";
  let first: Uint8Array;
  let second: Uint8Array;
  try {
    first = encodeToBytes(keyCoder, key);
    second = encodeToBytes(keyCoder, decodeFromBytes(keyCoder, first));
  } catch (e) {
    throw new ModelCheckError(
      transformName,
      "key-determinism",
      `Grouping key ${previewValue(key)} (a ${typeName(key)})${of} cannot be encoded deterministically: ${(e as Error).message}. Use strings, numbers or plain objects as keys`,
    );
  }
  if (!bytesEqual(first, second)) {
    throw new ModelCheckError(transformName, "key-determinism", `Grouping key ${previewValue(key)}${of} does not encode deterministically with ${keyCoder.urn}`);
  }
}

/** Checks (sampled) that the elements of a PCollection survive its coder, then passes them on. */
export class CoderCheckReceiver implements Receiver {
  constructor(
    /** Full name of the transform producing the PCollection (the error names it). */
    private readonly producer: string,
    private readonly pcollId: string,
    private readonly coder: Coder<unknown>,
    private readonly sampler: CheckSampler,
    private readonly next: Receiver,
    /** The PCollection's element count, kept here rather than by a receiver of its own (one call less per element). */
    private readonly count: { n: number } = { n: 0 },
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.count.n++;
    if (typeof value !== "number" && coderCheckMayFail(value) && this.sampler.shouldCheck()) checkCoderRoundTrip(this.producer, this.pcollId, this.coder, value);
    return this.next.receive(value, meta);
  }
  /**
   * A run of numbers (which always survive a coder, and which the sampler does not count) is
   * handed on as a run; any other run element by element, each checked before it goes on.
   */
  receiveRun(values: readonly unknown[], from: number, to: number, meta: ElementMeta): MaybePromise {
    const next = this.next;
    let numbers = next.receiveRun !== undefined;
    for (let i = from; numbers && i < to; i++) numbers = typeof values[i] === "number";
    if (!numbers) {
      for (let i = from; i < to; i++) {
        const p = this.receive(values[i], meta);
        if (p !== undefined) return receiveRest(this, p, values, i + 1, to, meta);
      }
      return undefined;
    }
    this.count.n += to - from;
    return next.receiveRun!(values, from, to, meta);
  }
}
