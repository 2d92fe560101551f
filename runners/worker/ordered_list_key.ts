/**
 * The Fn API's `StateKey.OrderedListUserState` (beam_fn_api.proto, StateKey field 9, protocol
 * beam:user_state:ordered_list:v1; served by Prism and Beam Python's runners).
 *
 * The Fn API modules Beamline generates come from an older Beam release that lacks this key, so
 * the key is written here by hand and attached to an otherwise empty StateKey as an unknown
 * field, which protobuf-ts writes out as it is. Field numbers, from beam_fn_api.proto:
 * OrderedListUserState { transform_id = 1; user_state_id = 2; window = 3; key = 4;
 * OrderedListRange range = 5 } and OrderedListRange { int64 start = 1; int64 end = 2 }.
 *
 * The cell's elements, as Beam's SDKs and runners exchange them: a varint sort key (the
 * timestamp in microseconds, as Beam Python uses) followed by the length-prefixed value.
 */
import { UnknownFieldHandler, WireType } from "@protobuf-ts/runtime";
import { ByteWriter } from "../../lib/coders/byte_io";
import type { fnapi } from "../portable/protos";

/** StateKey's `ordered_list_user_state` field. */
const ORDERED_LIST_USER_STATE = 9;
/** The widest range (Beam Python's RANGE_MIN / RANGE_MAX: the end is excluded). */
export const SORT_KEY_MIN = -(1n << 63n);
export const SORT_KEY_MAX = (1n << 63n) - 1n;

function lengthDelimited(w: ByteWriter, field: number, bytes: Uint8Array): void {
  w.writeVarInt((field << 3) | 2);
  w.writeVarInt(bytes.length);
  w.writeBytes(bytes);
}

/** The key of an ordered list cell; `range` is `[start, end)` in sort keys (none for appends). */
export function orderedListStateKey(
  transformId: string,
  userStateId: string,
  window: Uint8Array,
  key: Uint8Array,
  range?: readonly [bigint, bigint],
): fnapi.StateKey {
  const w = new ByteWriter();
  lengthDelimited(w, 1, Buffer.from(transformId, "utf8"));
  lengthDelimited(w, 2, Buffer.from(userStateId, "utf8"));
  lengthDelimited(w, 3, window);
  lengthDelimited(w, 4, key);
  if (range !== undefined) {
    const r = new ByteWriter();
    r.writeVarInt((1 << 3) | 0);
    r.writeVarInt64(range[0]);
    r.writeVarInt((2 << 3) | 0);
    r.writeVarInt64(range[1]);
    lengthDelimited(w, 5, r.finish());
  }
  const body = w.finish();
  // protobuf-ts writes an unknown field as its tag followed by `data` as it is: the length goes in `data`.
  const data = new ByteWriter();
  data.writeVarInt(body.length);
  data.writeBytes(body);
  const stateKey = { type: { oneofKind: undefined } } as fnapi.StateKey;
  (stateKey as unknown as Record<symbol, unknown>)[UnknownFieldHandler.symbol] = [{ no: ORDERED_LIST_USER_STATE, wireType: WireType.LengthDelimited, data: data.finish() }];
  return stateKey;
}

/** Carries a state key's hand-written fields over to the copy protobuf-ts `create` makes of it. */
export function keepUnknownFields(from: fnapi.StateKey, to: fnapi.StateKey | undefined): void {
  const unknown = (from as unknown as Record<symbol, unknown>)[UnknownFieldHandler.symbol];
  if (unknown !== undefined && to !== undefined) (to as unknown as Record<symbol, unknown>)[UnknownFieldHandler.symbol] = unknown;
}
