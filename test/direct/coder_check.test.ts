import { strict as assert } from "node:assert";
import type { ByteReader } from "../../lib/coders/byte_io";
import { decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import type { CoderContext } from "../../lib/coders/coder";
import { DeterministicJsValueCoder, JsValueCoder } from "../../lib/coders/js_value";
import { checkCoderRoundTrip } from "../../runners/executor/checks";

/** Flat objects of every primitive kind the coder check may pass without encoding them. */
function flatObjects(): Record<string, unknown>[] {
  const values: unknown[] = ["", "word", "é€𝄞", 0, -0, 1.5, -7, NaN, Infinity, -Infinity, 2 ** 60, true, false, null, undefined];
  const out: Record<string, unknown>[] = [{}];
  for (const v of values) out.push({ key: "k", value: v }, { [String(v)]: v, other: 1 });
  out.push(JSON.parse('{"__proto__": 1, "a": "b"}') as Record<string, unknown>);
  return out;
}

describe("DirectRunner: the coder round-trip check of flat objects", () => {
  it("passes flat objects of strings, numbers, booleans, null and undefined, which the default coders do round-trip", () => {
    for (const coder of [JsValueCoder.INSTANCE, DeterministicJsValueCoder.INSTANCE]) {
      for (const v of flatObjects()) {
        // The claim the check relies on: such values survive the coder exactly.
        assert.deepStrictEqual(decodeFromBytes(coder, encodeToBytes(coder, v)), { ...v });
        checkCoderRoundTrip("T", "pc", coder, v);
      }
    }
  });

  it("still rejects a lone surrogate in a flat object's value or property name", () => {
    assert.throws(() => checkCoderRoundTrip("T", "pc", JsValueCoder.INSTANCE, { key: "a\uD800", value: 1 }), /does not survive a round trip/);
    assert.throws(() => checkCoderRoundTrip("T", "pc", JsValueCoder.INSTANCE, { ["b\uDC00"]: 1 }), /does not survive a round trip/);
  });

  it("round-trips anything else: class instances, accessors, coders other than the default ones", () => {
    class Point {
      constructor(readonly x: number) {}
    }
    assert.throws(() => checkCoderRoundTrip("T", "pc", JsValueCoder.INSTANCE, { key: "p", value: new Point(1) }), /T/);
    let n = 0;
    const ticking = Object.defineProperty({}, "n", { enumerable: true, get: () => n++ });
    assert.throws(() => checkCoderRoundTrip("T", "pc", JsValueCoder.INSTANCE, ticking), /does not survive a round trip/);
    class Lossy extends JsValueCoder<unknown> {
      override decode(input: ByteReader, context: CoderContext): unknown {
        super.decode(input, context);
        return { key: "changed" };
      }
    }
    assert.throws(() => checkCoderRoundTrip("T", "pc", new Lossy(), { key: "k" }), /does not survive a round trip/);
  });
});
