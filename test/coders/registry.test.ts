/** The URN registry: rebuilding coders from {urn, components, payload} specs. */
import { strict as assert } from "node:assert";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { Coder, CoderContext, CoderError, decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { CoderSpec, coderFromSpec, coderToSpec, registerCoderUrn, registeredCoderUrns } from "../../lib/coders/registry";
import * as coders from "../../lib/coders";
import { ValueInSingleWindowCoder } from "../../lib/coders/value_in_single_window";
import { GlobalWindow, IntervalWindow, NO_FIRING } from "../../lib/model/window";
import { hex, toHex } from "./hex";

describe("coder registry", () => {
  it("rebuilds every registered coder from its spec", () => {
    const specs: [CoderSpec, Function][] = [
      [{ urn: "beam:coder:bytes:v1" }, coders.BytesCoder],
      [{ urn: "beam:coder:string_utf8:v1" }, coders.StringUtf8Coder],
      [{ urn: "beam:coder:varint:v1" }, coders.VarIntCoder],
      [{ urn: "beam:coder:bool:v1" }, coders.BoolCoder],
      [{ urn: "beam:coder:double:v1" }, coders.DoubleCoder],
      [{ urn: "beam:coder:global_window:v1" }, coders.GlobalWindowCoder],
      [{ urn: "beam:coder:interval_window:v1" }, coders.IntervalWindowCoder],
      [{ urn: "beamline:coder:jsvalue:v1" }, coders.JsValueCoder],
      [{ urn: "beamline:coder:jsvalue_deterministic:v1" }, coders.DeterministicJsValueCoder],
      [{ urn: "beam:coder:kv:v1", components: [{ urn: "beam:coder:bytes:v1" }, { urn: "beam:coder:varint:v1" }] }, coders.KVCoder],
      [{ urn: "beam:coder:iterable:v1", components: [{ urn: "beam:coder:varint:v1" }] }, coders.IterableCoder],
      [{ urn: "beam:coder:length_prefix:v1", components: [{ urn: "beamline:coder:jsvalue:v1" }] }, coders.LengthPrefixCoder],
      [{ urn: "beam:coder:nullable:v1", components: [{ urn: "beam:coder:varint:v1" }] }, coders.NullableCoder],
      [{ urn: "beam:coder:sharded_key:v1", components: [{ urn: "beam:coder:string_utf8:v1" }] }, coders.ShardedKeyCoder],
      [{ urn: "beam:coder:windowed_value:v1", components: [{ urn: "beam:coder:bytes:v1" }, { urn: "beam:coder:global_window:v1" }] }, coders.WindowedValueCoder],
      [{ urn: "beam:coder:timer:v1", components: [{ urn: "beam:coder:string_utf8:v1" }, { urn: "beam:coder:global_window:v1" }] }, coders.TimerCoder],
      [
        {
          urn: "beam:coder:param_windowed_value:v1",
          components: [{ urn: "beam:coder:varint:v1" }, { urn: "beam:coder:global_window:v1" }],
          payload: hex("7f df 3b 64 5a 1c ac 09 00 00 00 01 0f 00"),
        },
        coders.ParamWindowedValueCoder,
      ],
    ];
    for (const [spec, cls] of specs) {
      const coder = coderFromSpec(spec);
      assert.ok(coder instanceof cls, spec.urn);
      assert.equal(coder.urn, spec.urn);
      assert.deepStrictEqual(coderToSpec(coder), spec);
    }
    for (const [spec] of specs) assert.ok(registeredCoderUrns().includes(spec.urn));
  });

  it("rebuilds Reify.windows()'s coder from its spec (a worker decodes it), and it round-trips window and pane", () => {
    const spec: CoderSpec = { urn: "beamline:coder:value_in_single_window:v1", components: [{ urn: "beamline:coder:jsvalue:v1" }, { urn: "beam:coder:interval_window:v1" }] };
    const coder = coderFromSpec(spec);
    assert.ok(coder instanceof ValueInSingleWindowCoder);
    assert.deepStrictEqual(coderToSpec(coder), spec);
    const pane = { isFirst: false, isLast: true, timing: "LATE" as const, index: 3, onTimeIndex: 1 };
    const value = { value: { a: [1, "x"] }, timestamp: 15, window: new IntervalWindow(10, 30), pane };
    for (const context of ["nested", "outer"] as const) {
      const back = decodeFromBytes(coder, encodeToBytes(coder, value, context), context) as typeof value;
      assert.ok(back.window instanceof IntervalWindow);
      assert.deepStrictEqual(back, value);
    }
  });

  it("builds coders that speak the wire format", () => {
    const wv = coderFromSpec({
      urn: "beam:coder:windowed_value:v1",
      components: [{ urn: "beam:coder:length_prefix:v1", components: [{ urn: "beam:coder:string_utf8:v1" }] }, { urn: "beam:coder:global_window:v1" }],
    });
    const value = { value: "hi", timestamp: -9223372036854775, windows: [GlobalWindow.INSTANCE], pane: NO_FIRING };
    assert.equal(toHex(encodeToBytes(wv, value, "nested")), "7fdf3b645a1cac09000000010f026869");
    const pwv = coderFromSpec({
      urn: "beam:coder:param_windowed_value:v1",
      components: [{ urn: "beam:coder:varint:v1" }, { urn: "beam:coder:global_window:v1" }],
      payload: hex("7f df 3b 64 5a 1c ac 09 00 00 00 01 0f 00"),
    });
    assert.deepStrictEqual(decodeFromBytes(pwv, hex("02")), { value: 2, timestamp: -9223372036854775, windows: [GlobalWindow.INSTANCE], pane: NO_FIRING });
  });

  it("explains unknown URNs, wrong arity and a missing payload", () => {
    assert.throws(() => coderFromSpec({ urn: "beam:coder:no_such_coder:v1" }), (e: Error) => e instanceof CoderError && /Unknown coder URN .beam:coder:no_such_coder:v1./.test(e.message) && /registerCoderUrn/.test(e.message));
    assert.throws(() => coderFromSpec({ urn: "beam:coder:kv:v1", components: [{ urn: "beam:coder:bytes:v1" }] }), (e: Error) => e instanceof CoderError && /needs 2 component/.test(e.message));
    assert.throws(() => coderFromSpec({ urn: "beam:coder:bytes:v1", components: [{ urn: "beam:coder:bytes:v1" }] }), CoderError);
    assert.throws(
      () => coderFromSpec({ urn: "beam:coder:param_windowed_value:v1", components: [{ urn: "beam:coder:varint:v1" }, { urn: "beam:coder:global_window:v1" }] }),
      (e: Error) => e instanceof CoderError && /payload/.test(e.message),
    );
  });

  it("accepts new URNs", () => {
    class Upper implements Coder<string> {
      readonly urn = "beamline:coder:test_upper:v1";
      readonly components: readonly Coder<unknown>[] = [];
      readonly deterministic = true;
      encode(value: string, out: ByteWriter, _context: CoderContext): void {
        out.writeUtf8Nested(value.toUpperCase());
      }
      decode(input: ByteReader, _context: CoderContext): string {
        return input.readUtf8Nested();
      }
    }
    registerCoderUrn("beamline:coder:test_upper:v1", () => new Upper());
    const coder = coderFromSpec({ urn: "beam:coder:kv:v1", components: [{ urn: "beamline:coder:test_upper:v1" }, { urn: "beam:coder:varint:v1" }] });
    assert.equal(toHex(encodeToBytes(coder, { key: "ab", value: 1 })), "02414201");
  });
});
