/**
 * beam:coder:state_backed_iterable:v1 and beam:coder:custom_window:v1 against every case of
 * Beam's standard_coders.yaml, each coder rebuilt from its proto form through the registry and
 * each vector checked both ways (encode gives exactly the bytes unless the yaml marks the case
 * non_deterministic; the bytes decode to the value).
 */
import { strict as assert } from "node:assert";
import { Coder, CoderError, decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { CustomWindowCoder } from "../../lib/coders/custom_window";
import { coderFromSpec, coderToSpec, CoderSpec } from "../../lib/coders/registry";
import { appendContinuation, collectingContinuations, StateBackedIterableCoder, StateContinuation } from "../../lib/coders/state_backed_iterable";
import { GlobalWindow, IntervalWindow, MIN_TIMESTAMP } from "../../lib/model/window";
import { assertCodes, assertDecodes, hex, latin1, toHex } from "./hex";

const SBI = "beam:coder:state_backed_iterable:v1";
const sbi = (component: string): Coder<unknown[]> => {
  const spec: CoderSpec = { urn: SBI, components: [{ urn: component }] };
  const coder = coderFromSpec(spec);
  assert.ok(coder instanceof StateBackedIterableCoder);
  assert.deepEqual(coderToSpec(coder), spec);
  return coder as Coder<unknown[]>;
};

describe("beam:coder:state_backed_iterable:v1: standard_coders.yaml vectors", () => {
  it("varint elements, known length", () => {
    const c = sbi("beam:coder:varint:v1");
    assertCodes(c, [0], "00 00 00 01 00");
    assertCodes(c, [1, 10, 200, 1000], "00 00 00 04 01 0a c8 01 e8 07");
    assertCodes(c, [], "00 00 00 00");
  });

  it("bytes elements, known length", () => {
    const c = sbi("beam:coder:bytes:v1");
    assertCodes(c, [latin1("abc")], "00 00 00 01 03 61 62 63");
    assertCodes(c, [latin1("ab\0c"), latin1("de\0f")], "00 00 00 02 04 61 62 00 63 04 64 65 00 66");
    assertCodes(c, [], "00 00 00 00");
  });

  it("bool elements, known length", () => {
    const c = sbi("beam:coder:bool:v1");
    assertCodes(c, [true], "00 00 00 01 01");
    assertCodes(c, [true, false], "00 00 00 02 01 00");
    assertCodes(c, [], "00 00 00 00");
  });

  it("bytes elements, unknown length (non_deterministic: decoded, and re-encoded in the known-length form)", () => {
    const c = sbi("beam:coder:bytes:v1");
    const cases: [string, Uint8Array[]][] = [
      ["ff ff ff ff 00", []],
      ["ff ff ff ff 01 03 61 62 63 00", [latin1("abc")]],
      ["ff ff ff ff 02 04 61 62 00 63 04 64 65 00 66 00", [latin1("ab\0c"), latin1("de\0f")]],
    ];
    for (const [bytes, value] of cases) {
      for (const context of ["nested", "outer"] as const) {
        assertDecodes(c, bytes, value, context);
        assert.deepStrictEqual(decodeFromBytes(c, encodeToBytes(c, value, context), context), value);
      }
    }
  });

  it("global_window elements", () => {
    assertCodes(sbi("beam:coder:global_window:v1"), [GlobalWindow.INSTANCE], "00 00 00 01");
  });

  it("varint elements with state tokens (non_deterministic): the rest is read from the runner's state", () => {
    const c = sbi("beam:coder:varint:v1");
    // The yaml's state: emptySuffix holds nothing, nonEmptySuffix holds the values [1, 10].
    const state = new Map([
      ["emptySuffix", new Uint8Array(0)],
      ["nonEmptySuffix", hex("01 0a")],
    ]);
    const decode = (bytes: string): { value: unknown[]; tokens: string[] } => {
      const pending: StateContinuation[] = [];
      const value = collectingContinuations((p) => pending.push(p), () => decodeFromBytes(c, hex(bytes)));
      for (const p of pending) appendContinuation(p, state.get(Buffer.from(p.token).toString("latin1"))!);
      return { value, tokens: pending.map((p) => Buffer.from(p.token).toString("latin1")) };
    };
    const cases: [string, number[], string[]][] = [
      ["ff ff ff ff 00", [], []],
      ["ff ff ff ff 02 c8 01 e8 07 00", [200, 1000], []],
      ["ff ff ff ff ff ff ff ff ff ff ff ff ff 01 0b 65 6d 70 74 79 53 75 66 66 69 78", [], ["emptySuffix"]],
      ["ff ff ff ff ff ff ff ff ff ff ff ff ff 01 0e 6e 6f 6e 45 6d 70 74 79 53 75 66 66 69 78", [1, 10], ["nonEmptySuffix"]],
      ["ff ff ff ff 02 c8 01 e8 07 ff ff ff ff ff ff ff ff ff 01 0b 65 6d 70 74 79 53 75 66 66 69 78", [200, 1000], ["emptySuffix"]],
      ["ff ff ff ff 02 c8 01 e8 07 ff ff ff ff ff ff ff ff ff 01 0e 6e 6f 6e 45 6d 70 74 79 53 75 66 66 69 78", [200, 1000, 1, 10], ["nonEmptySuffix"]],
    ];
    for (const [bytes, value, tokens] of cases) {
      assert.deepStrictEqual(decode(bytes), { value, tokens }, bytes);
      assert.deepStrictEqual(decodeFromBytes(c, encodeToBytes(c, value)), value);
    }
  });

  it("a state token outside the Fn API worker fails clearly", () => {
    const c = sbi("beam:coder:varint:v1");
    assert.throws(
      () => decodeFromBytes(c, hex("ff ff ff ff 02 c8 01 e8 07 ff ff ff ff ff ff ff ff ff 01 0b 65 6d 70 74 79 53 75 66 66 69 78")),
      (e: Error) => e instanceof CoderError && /state token/.test(e.message) && /Fn API worker/.test(e.message),
    );
    assert.throws(() => decodeFromBytes(c, hex("ff ff ff ff fe ff ff ff ff ff ff ff ff 01")), (e: Error) => e instanceof CoderError && /count -2/.test(e.message));
  });
});

describe("beam:coder:custom_window:v1: standard_coders.yaml vectors", () => {
  const spec: CoderSpec = { urn: "beam:coder:custom_window:v1", components: [{ urn: "beam:coder:interval_window:v1" }] };
  const coder = coderFromSpec(spec) as Coder<IntervalWindow>;

  it("is rebuilt from its proto form", () => {
    assert.ok(coder instanceof CustomWindowCoder);
    assert.deepEqual(coderToSpec(coder), spec);
  });

  it("the max timestamp, then the window in its own coder", () => {
    // {window: {end: 1454293425000, span: 3600000}}
    assertCodes(coder, new IntervalWindow(1454293425000 - 3600000, 1454293425000), "80 00 01 52 9a a4 9b 67 80 00 01 52 9a a4 9b 68 80 dd db 01");
    // {window: {end: -9223372036854410, span: 365}}: the max timestamp, end - 1, is beyond 2^53 and is written exactly.
    assertCodes(coder, new IntervalWindow(MIN_TIMESTAMP, -9223372036854410), "7f df 3b 64 5a 1c ad 75 7f df 3b 64 5a 1c ad 76 ed 02");
  });

  it("rejects values that are not windows", () => {
    assert.throws(() => encodeToBytes(coder, 5 as unknown as IntervalWindow), (e: Error) => e instanceof CoderError && /only encode windows/.test(e.message));
    assert.equal(toHex(encodeToBytes(new CustomWindowCoder(coderFromSpec({ urn: "beam:coder:global_window:v1" }) as Coder<GlobalWindow>), GlobalWindow.INSTANCE)), "8020c49ba0bcf7f7");
  });
});
