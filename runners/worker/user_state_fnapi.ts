/**
 * How a stateful ParDo's user state travels over the Fn API State API (BEAM_PORTABILITY.md §3.7):
 * the state keys of each kind of cell, reading a (key, window)'s cells from the runner and
 * writing a changed cell back.
 *
 * - value, bag and combining cells use `StateKey.BagUserState` (protocol beam:user_state:bag:v1):
 *   a value cell is a bag with at most one element, a combining cell a bag of accumulators
 *   (merged when read, written back as one).
 * - map cells use the multimap protocol: `MultimapKeysUserState` lists the map keys,
 *   `MultimapUserState` holds the (single) value of each map key.
 * - set cells use the bag protocol, as Beam Python does: the bag holds the elements (duplicates
 *   dropped when read, by encoded bytes); a removal rewrites the bag.
 * - ordered list cells use `OrderedListUserState` (beam:user_state:ordered_list:v1): elements
 *   are appended with their sort key, ranges are cleared on the runner.
 */
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter } from "../../lib/coders/index";
import type { fnapi } from "../portable/protos";
import { orderedListStateKey, SORT_KEY_MAX, SORT_KEY_MIN } from "./ordered_list_key";
import type { StateChannel } from "./state_channel";
import type { Slot } from "./user_state_cache";
import { BagCell, type Cell, type CellSpec, hex, MapCell, SetCell } from "./user_state_cells";
import { decodeOrdered, encodeOrdered, OrderedListCell } from "./user_state_ordered_list";

function decodeAll(coder: Coder<unknown>, bytes: Uint8Array): unknown[] {
  const r = new ByteReader(bytes);
  const out: unknown[] = [];
  while (!r.atEnd()) out.push(coder.decode(r, "nested"));
  return out;
}

function encodeAll(coder: Coder<unknown>, values: readonly unknown[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) coder.encode(v, w, "nested");
  return w.finish();
}

function bagKey(transformId: string, state: string, keyBytes: Uint8Array, windowBytes: Uint8Array): fnapi.StateKey {
  return { type: { oneofKind: "bagUserState", bagUserState: { transformId, userStateId: state, window: windowBytes, key: keyBytes } } };
}
function keysKey(transformId: string, state: string, keyBytes: Uint8Array, windowBytes: Uint8Array): fnapi.StateKey {
  return { type: { oneofKind: "multimapKeysUserState", multimapKeysUserState: { transformId, userStateId: state, window: windowBytes, key: keyBytes } } };
}
function valuesKey(transformId: string, state: string, keyBytes: Uint8Array, windowBytes: Uint8Array, mapKey: Uint8Array): fnapi.StateKey {
  return { type: { oneofKind: "multimapUserState", multimapUserState: { transformId, userStateId: state, window: windowBytes, key: keyBytes, mapKey } } };
}

function orderedKey(transformId: string, state: string, keyBytes: Uint8Array, windowBytes: Uint8Array, range?: readonly [bigint, bigint]): fnapi.StateKey {
  return orderedListStateKey(transformId, state, windowBytes, keyBytes, range);
}

/** Reads every declared cell of (key, window) of transform `transformId` from the runner. */
export async function loadSlot(
  transformId: string,
  transformName: string,
  specs: readonly CellSpec[],
  channel: () => StateChannel,
  instructionId: () => string,
  keyBytes: Uint8Array,
  windowBytes: Uint8Array,
): Promise<Slot> {
  const instruction = instructionId();
  const get = (key: fnapi.StateKey): Promise<Uint8Array> => channel().get(instruction, key);
  const cells = new Map<string, Cell>();
  await Promise.all(
    specs.map(async (c) => {
      const name = c.spec.name;
      try {
        if (c.spec.kind === "set") {
          const set = new SetCell(new Map(), c.coder);
          for (const v of decodeAll(c.coder, await get(bagKey(transformId, name, keyBytes, windowBytes)))) set.elements.set(set.id(v), v);
          cells.set(name, set);
          return;
        }
        if (c.spec.kind === "orderedList") {
          const all = await get(orderedKey(transformId, name, keyBytes, windowBytes, [SORT_KEY_MIN, SORT_KEY_MAX]));
          cells.set(name, new OrderedListCell(decodeOrdered(c.coder, all)));
          return;
        }
        if (c.spec.kind !== "map") {
          cells.set(name, new BagCell(decodeAll(c.coder, await get(bagKey(transformId, name, keyBytes, windowBytes)))));
          return;
        }
        const keyCoder = c.mapKeyCoder!;
        const keys = await get(keysKey(transformId, name, keyBytes, windowBytes));
        const entries = new Map<string, { key: unknown; value: unknown }>();
        const r = new ByteReader(keys);
        const pending: Promise<void>[] = [];
        while (!r.atEnd()) {
          const start = r.offset;
          const key = keyCoder.decode(r, "nested");
          const mapKey = keys.subarray(start, r.offset);
          pending.push(
            get(valuesKey(transformId, name, keyBytes, windowBytes, mapKey)).then((bytes) => {
              const values = decodeAll(c.coder, bytes);
              if (values.length > 0) entries.set(hex(mapKey), { key, value: values[values.length - 1] });
            }),
          );
        }
        await Promise.all(pending);
        cells.set(name, new MapCell(entries, keyCoder));
      } catch (e) {
        throw new Error(`Reading state '${name}' of transform '${transformName}' from the runner failed: ${(e as Error).message}`, { cause: e });
      }
    }),
  );
  return { keyBytes, windowBytes, cells };
}

/** Writes a cell's changes in the bundle back to the runner: clear, then append. */
export async function flushCell(transformId: string, channel: () => StateChannel, instruction: string, c: CellSpec, cell: Cell, slot: Slot): Promise<void> {
  const ch = channel();
  const { keyBytes, windowBytes } = slot;
  if (cell instanceof BagCell) {
    if (!cell.dirty) return;
    const key = bagKey(transformId, c.spec.name, keyBytes, windowBytes);
    if (cell.cleared) await ch.clear(instruction, key);
    if (cell.appended.length > 0) await ch.append(instruction, key, encodeAll(c.coder, cell.appended));
    return;
  }
  if (cell instanceof SetCell) {
    if (!cell.dirty) return;
    const key = bagKey(transformId, c.spec.name, keyBytes, windowBytes);
    // A removal cannot be appended: the bag is rewritten with the elements left.
    const rewrite = cell.cleared || cell.removed;
    if (rewrite) await ch.clear(instruction, key);
    const values = rewrite ? [...cell.elements.values()] : [...cell.added.values()];
    if (values.length > 0) await ch.append(instruction, key, encodeAll(c.coder, values));
    return;
  }
  if (cell instanceof OrderedListCell) {
    // In order: the clears, then the appends (which the clears must not remove).
    for (const range of cell.clears) await ch.clear(instruction, orderedKey(transformId, c.spec.name, keyBytes, windowBytes, range));
    if (cell.appended.length > 0) await ch.append(instruction, orderedKey(transformId, c.spec.name, keyBytes, windowBytes), encodeOrdered(c.coder, cell.appended));
    return;
  }
  if (cell.clearedAll) await ch.clear(instruction, keysKey(transformId, c.spec.name, keyBytes, windowBytes));
  await Promise.all(
    [...cell.touched.values()].map(async (t) => {
      const key = valuesKey(transformId, c.spec.name, keyBytes, windowBytes, t.keyBytes);
      if (!cell.clearedAll) await ch.clear(instruction, key);
      if (!t.removed) await ch.append(instruction, key, encodeAll(c.coder, [t.value]));
    }),
  );
}
