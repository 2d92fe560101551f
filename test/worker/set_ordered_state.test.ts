/**
 * SetState and OrderedListState in the SDK harness, against a State API that keeps what it is
 * sent the way Beam's runners do: set cells in a bag (StateKey.BagUserState), ordered list cells
 * under StateKey.OrderedListUserState (field 9, written by hand: see ordered_list_key.ts) as
 * varint sort keys (microseconds) followed by length-prefixed values, answered and cleared by
 * half-open sort-key range. Each bundle reads the cells back from the runner (no cache token).
 */
import { strict as assert } from "node:assert";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { GlobalWindowCoder, JsValueCoder, StringUtf8Coder } from "../../lib/coders/index";
import type { Coder } from "../../lib/coders/coder";
import { StateSpec } from "../../lib/model/state";
import { GlobalWindow } from "../../lib/model/window";
import { fnApi, type fnapi } from "../../runners/portable/protos";
import { FnStateBackend } from "../../runners/worker/fn_state";
import type { StateChannel } from "../../runners/worker/state_channel";
import type { CellSpec } from "../../runners/worker/user_state_cells";
import { UserStateStore } from "../../runners/worker/user_state";
import { DeterministicJsValueCoder } from "../../lib/coders/js_value";

const members = StateSpec.set<{ id: number }>("members");
const items = StateSpec.orderedList<string>("items");
const cells: CellSpec[] = [
  { spec: members, coder: new DeterministicJsValueCoder() as Coder<unknown> },
  { spec: items, coder: new JsValueCoder() as Coder<unknown> },
];

/** The ordered list key's fields, parsed from the StateKey as it goes on the wire. */
function orderedKey(k: fnapi.StateKey): { state: string; range?: [bigint, bigint] } | undefined {
  // Parsed by hand: the generated StateKey reader cannot skip fields it does not know.
  const wire = new ByteReader(fnApi.StateKey.toBinary(k));
  if (wire.atEnd() || wire.readVarInt() !== ((9 << 3) | 2)) return undefined;
  const body = new ByteReader(wire.readBytes(wire.readVarInt()));
  const out: { state: string; range?: [bigint, bigint] } = { state: "" };
  while (!body.atEnd()) {
    const tag = body.readVarInt();
    const bytes = body.readBytes(body.readVarInt());
    if (tag >> 3 === 2) out.state = Buffer.from(bytes).toString("utf8");
    if (tag >> 3 === 5) {
      const range = new ByteReader(bytes);
      const bounds: bigint[] = [0n, 0n];
      while (!range.atEnd()) bounds[(range.readVarInt() >> 3) - 1] = range.readVarInt64();
      out.range = [bounds[0]!, bounds[1]!];
    }
  }
  return out;
}

/** A runner's user state for one key and window, and the requests it was sent. */
function fakeRunner(): { channel: StateChannel; bag: Uint8Array[]; list: { key: bigint; bytes: Uint8Array }[]; log: string[] } {
  const bag: Uint8Array[] = [];
  let list: { key: bigint; bytes: Uint8Array }[] = [];
  const log: string[] = [];
  const inRange = (key: bigint, range: [bigint, bigint] | undefined): boolean => range !== undefined && key >= range[0] && key < range[1];
  const name = (k: fnapi.StateKey): string => {
    const o = orderedKey(k);
    if (o !== undefined) return `${o.state}${o.range === undefined ? "" : `[${o.range[0]},${o.range[1]})`}`;
    return k.type.oneofKind === "bagUserState" ? k.type.bagUserState.userStateId : String(k.type.oneofKind);
  };
  const channel = {
    get: async (_i: string, k: fnapi.StateKey) => {
      const o = orderedKey(k);
      if (o === undefined) return Buffer.concat(bag);
      return Buffer.concat(list.filter((e) => inRange(e.key, o.range)).map((e) => e.bytes));
    },
    append: async (_i: string, k: fnapi.StateKey, data: Uint8Array) => {
      log.push(`append ${name(k)}`);
      if (orderedKey(k) === undefined) return void bag.push(data);
      const r = new ByteReader(data);
      while (!r.atEnd()) {
        const start = r.offset;
        const key = r.readVarInt64();
        r.readBytes(r.readVarInt());
        list.push({ key, bytes: data.subarray(start, r.offset) });
      }
      list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    clear: async (_i: string, k: fnapi.StateKey) => {
      log.push(`clear ${name(k)}`);
      const o = orderedKey(k);
      if (o === undefined) bag.length = 0;
      else list = list.filter((e) => !inRange(e.key, o.range));
    },
  };
  return { channel: channel as unknown as StateChannel, bag, get list() { return list; }, log };
}

describe("Fn API harness: SetState over the bag protocol, OrderedListState over OrderedListUserState", () => {
  const runner = fakeRunner();
  const store = new UserStateStore("t1", "Stateful", cells, () => runner.channel, () => "i1");
  const backend = new FnStateBackend(new StringUtf8Coder() as Coder<unknown>, new GlobalWindowCoder() as Coder<unknown>, store, () => undefined);
  const w = GlobalWindow.INSTANCE;
  const key = backend.keyId("k");
  const bundle = async (body: () => void): Promise<string[]> => {
    runner.log.length = 0;
    backend.startBundle();
    await backend.prepare(key, "k", [w]);
    body();
    await backend.finishBundle();
    return [...runner.log];
  };
  const set = () => backend.cell(members, key, "k", w);
  const list = () => backend.cell(items, key, "k", w);
  const show = () => list().read().map((v) => `${v.value}@${v.timestamp}`).join(",");

  it("writes elements and values in the runners' format, and reads them back in a later bundle", async () => {
    const writes = await bundle(() => {
      assert.deepEqual(
        [1, 2, 1].map((id) => set().addIfAbsent({ id })),
        [true, true, false],
      );
      for (const [value, timestamp] of [["a", 97], ["b", 42], ["c", -12], ["b2", 42]] as const) list().add({ value, timestamp });
    });
    // A new cell: nothing to clear on the runner (Prism 2.66 fails clearing an ordered list it has no state for).
    assert.deepEqual(writes.sort(), ["append items", "append members"]);
    assert.deepEqual(runner.list.map((e) => e.key), [-12000n, 42000n, 42000n, 97000n], "sort keys are microseconds");
    const first = new ByteReader(runner.list[0]!.bytes);
    first.readVarInt64();
    assert.equal(first.readVarInt(), first.remaining, "the value is length-prefixed");
    await bundle(() => {
      assert.deepEqual(set().read().map((m) => m.id).sort(), [1, 2]);
      assert.equal(set().contains({ id: 2 }), true);
      assert.equal(show(), "c@-12,b@42,b2@42,a@97");
      assert.equal(list().readRange(-12, 42).map((v) => v.value).join(","), "c");
    });
  });

  it("a removal rewrites the set's bag; duplicates the runner holds are read once", async () => {
    const dup = new ByteWriter();
    new DeterministicJsValueCoder().encode({ id: 2 }, dup, "nested");
    runner.bag.push(dup.finish());
    const writes = await bundle(() => {
      assert.deepEqual(set().read().map((m) => m.id).sort(), [1, 2]);
      set().remove({ id: 1 });
      set().add({ id: 3 });
    });
    assert.deepEqual(writes, ["clear members", "append members"]);
    await bundle(() => assert.deepEqual(set().read().map((m) => m.id).sort(), [2, 3]));
  });

  it("clearRange clears the runner's half-open range before appending; clear() clears everything", async () => {
    const writes = await bundle(() => {
      list().add({ value: "d", timestamp: 10 });
      list().clearRange(0, 43);
      list().add({ value: "e", timestamp: 20 });
      list().clearRange(1000, 2000); // the runner holds nothing there: no request
      assert.equal(show(), "c@-12,e@20,a@97");
    });
    assert.deepEqual(writes, ["clear items[0,43000)", "append items"]);
    await bundle(() => assert.equal(show(), "c@-12,e@20,a@97"));
    const cleared = await bundle(() => {
      list().clear();
      assert.equal(list().isEmpty(), true);
    });
    assert.deepEqual(cleared, [`clear items[${-(1n << 63n)},${(1n << 63n) - 1n})`]);
    await bundle(() => assert.equal(list().isEmpty(), true));
  });

  it("range bounds may be any Instant: fractional bounds round up to the next millisecond, infinite ones are the widest range", async () => {
    await bundle(() => {
      list().clear();
      for (const t of [-5, 0, 1, 2, 3]) list().add({ value: `v${t}`, timestamp: t });
    });
    const writes = await bundle(() => {
      assert.equal(list().readRange(0.5, 2.5).map((v) => v.value).join(","), "v1,v2");
      list().clearRange(0.5, 2.5);
      list().clearRange(-Infinity, -1);
      assert.equal(show(), "v0@0,v3@3");
      assert.throws(() => list().readRange(Number.NaN, 1), /OrderedListState 'items': readRange\(from, to\) takes two Instants/);
    });
    assert.deepEqual(writes, ["clear items[1000,3000)", `clear items[${-(1n << 63n)},-1000)`]);
    await bundle(() => {
      assert.equal(show(), "v0@0,v3@3");
      list().clear();
    });
  });

  it("a failed element's changes (withExceptionHandling) are undone and never reach the runner", async () => {
    const writes = await bundle(() => {
      list().add({ value: "y", timestamp: 1 });
      const before = { set: set().read().map((m) => m.id).sort(), list: show() };
      backend.beginElement();
      set().add({ id: 9 });
      set().remove({ id: 2 });
      list().add({ value: "x", timestamp: 5 });
      list().clearRange(-100, 100);
      backend.endElement(false);
      assert.deepEqual({ set: set().read().map((m) => m.id).sort(), list: show() }, before);
      assert.deepEqual(before, { set: [2, 3], list: "y@1" });
    });
    assert.deepEqual(writes, ["append items"], "only what succeeded goes back");
  });
});
