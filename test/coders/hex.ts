/** Test helpers: hex strings to bytes and exact encode/decode assertions. */
import { strict as assert } from "node:assert";
import { ByteReader } from "../../lib/coders/byte_io";
import { Coder, CoderContext, decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";

/** Bytes from hex, ignoring spaces and │ separators: "03 61 62 63". */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s│|]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex in test: ${s}`);
  return new Uint8Array(Buffer.from(clean, "hex"));
}

/** Lowercase hex of bytes, no spaces. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Bytes from a Latin-1 string (how standard_coders.yaml writes its example keys). */
export function latin1(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

export type Contexts = CoderContext | "both";

/**
 * Asserts that `value` encodes to exactly `expected` and that `expected` decodes to `value`
 * (deep-strict), in the given context(s). `decoded` overrides the expected decoded value.
 */
export function assertCodes<T>(coder: Coder<T>, value: T, expected: Uint8Array | string, contexts: Contexts = "both", decoded: unknown = value): void {
  const bytes = typeof expected === "string" ? hex(expected) : expected;
  for (const context of contexts === "both" ? (["nested", "outer"] as const) : [contexts]) {
    assert.equal(toHex(encodeToBytes(coder, value, context)), toHex(bytes), `encode (${context}) of ${preview(value)}`);
    assertDecodes(coder, bytes, decoded, context);
  }
}

/** Asserts that `bytes` decode (consuming all of them) to `expected`, deep-strict. */
export function assertDecodes<T>(coder: Coder<T>, bytes: Uint8Array | string, expected: unknown, context: CoderContext = "outer"): void {
  const input = typeof bytes === "string" ? hex(bytes) : bytes;
  if (context === "outer") {
    assert.deepStrictEqual(decodeFromBytes(coder, input, context), expected);
  } else {
    // Nested: the value must be self-delimiting, so it must stop exactly at its end even with data after it.
    const padded = new Uint8Array(input.length + 1);
    padded.set(input);
    padded[input.length] = 0xee;
    const r = new ByteReader(padded);
    assert.deepStrictEqual(coder.decode(r, "nested"), expected);
    assert.equal(r.remaining, 1, "nested decode must stop at the end of the value");
  }
}

function preview(value: unknown): string {
  try {
    return typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    return typeof value;
  }
}
