/**
 * withExceptionHandling on a stateful DoFn in the SDK harness: an element that throws must leave
 * no state writes or timers behind (as on the DirectRunner, test/faults/stateful_rollback), so
 * what goes back to the runner at the end of the bundle is only the other elements' changes.
 * Driven at the harness's state and timer backends, with a recording State API channel.
 */
import { strict as assert } from "node:assert";
import { JsValueCoder, StringUtf8Coder, TimerCoder, GlobalWindowCoder, decodeFromBytes } from "../../lib/coders/index";
import type { Coder } from "../../lib/coders/coder";
import type { Timer } from "../../lib/coders/index";
import type { CombineFn } from "../../lib/model/combine_fn";
import { StateSpec } from "../../lib/model/state";
import type { TimerSpec } from "../../lib/model/state";
import { GlobalWindow } from "../../lib/model/window";
import type { fnapi } from "../../runners/portable/protos";
import { FnStateBackend, FnTimerBackend } from "../../runners/worker/fn_state";
import type { StateChannel } from "../../runners/worker/state_channel";
import type { DataChannel } from "../../runners/worker/data_channel";
import { TimerOutputs } from "../../runners/worker/timers";
import type { CellSpec } from "../../runners/worker/user_state_cells";
import { UserStateStore } from "../../runners/worker/user_state";

/** Counts in place (addInput changes its accumulator), the case a rollback must copy for. */
const inPlaceSum: CombineFn<number, { n: number }, number> = {
  createAccumulator: () => ({ n: 0 }),
  addInput: (a, x) => ((a.n += x), a),
  mergeAccumulators: (accs) => ({ n: [...accs].reduce((s, a) => s + a.n, 0) }),
  extractOutput: (a) => a.n,
};

const count = StateSpec.value<number>("count");
const items = StateSpec.bag<string>("items");
const total = StateSpec.combining("total", inPlaceSum);
const seen = StateSpec.map<string, number>("seen");
const js = new JsValueCoder() as Coder<unknown>;
const cells: CellSpec[] = [
  { spec: count, coder: js },
  { spec: items, coder: js },
  { spec: total, coder: js },
  { spec: seen, coder: js, mapKeyCoder: new StringUtf8Coder() as Coder<unknown> },
];

/** The runner's side of the State API for one key: nothing stored yet; records what the bundle writes back. */
function recordingChannel(): { channel: StateChannel; writes: string[] } {
  const writes: string[] = [];
  const name = (k: fnapi.StateKey): string => {
    const t = k.type;
    if (t.oneofKind === "bagUserState") return t.bagUserState.userStateId;
    if (t.oneofKind === "multimapUserState") return `${t.multimapUserState.userStateId}[${decodeFromBytes(new StringUtf8Coder(), t.multimapUserState.mapKey, "nested")}]`;
    if (t.oneofKind === "multimapKeysUserState") return `${t.multimapKeysUserState.userStateId}.keys`;
    return String(t.oneofKind);
  };
  const channel = {
    get: async () => new Uint8Array(0),
    append: async (_i: string, k: fnapi.StateKey, data: Uint8Array) => {
      writes.push(`append ${name(k)} ${JSON.stringify(decodeFromBytes(js, data, "nested"))}`);
    },
    clear: async (_i: string, k: fnapi.StateKey) => {
      writes.push(`clear ${name(k)}`);
    },
  };
  return { channel: channel as unknown as StateChannel, writes };
}

describe("Fn API harness: a failed element's state and timers are rolled back (withExceptionHandling)", () => {
  it("writes back only the successful element's changes, and sends only its timer", async () => {
    const { channel, writes } = recordingChannel();
    const store = new UserStateStore("t1", "Stateful", cells, () => channel, () => "i1");
    const backend = new FnStateBackend(new StringUtf8Coder() as Coder<unknown>, new GlobalWindowCoder() as Coder<unknown>, store, () => undefined);
    const timerCoder = new TimerCoder(new StringUtf8Coder(), new GlobalWindowCoder()) as unknown as Coder<Timer<unknown>>;
    const outputs = new TimerOutputs("t1", new Map([["flush", { id: "flush", domain: "EVENT_TIME" as const, coder: timerCoder }]]));
    const sent: Timer<unknown>[] = [];
    const timerChannel = {
      sendTimers: (_i: string, _t: string, _f: string, bytes: Uint8Array) => {
        if (bytes.length > 0) sent.push(decodeFromBytes(timerCoder, bytes, "nested"));
      },
    } as unknown as DataChannel;
    const timers = new FnTimerBackend("Stateful", backend.windows, outputs, () => timerChannel, () => "i1");
    const flush: TimerSpec = { name: "flush", domain: "EVENT_TIME" };

    backend.startBundle();
    timers.startBundle();
    const key = backend.keyId("k");
    const w = GlobalWindow.INSTANCE;
    await backend.prepare(key, "k", [w]);

    const element = (n: number, fail: boolean): void => {
      backend.beginElement();
      timers.beginElement();
      backend.cell(count, key, "k", w).write((backend.cell(count, key, "k", w).read() ?? 0) + 1);
      backend.cell(items, key, "k", w).add(`item${n}`);
      backend.cell(total, key, "k", w).add(n);
      backend.cell(seen, key, "k", w).put(`e${n}`, n);
      timers.setTimer(key, "k", w, flush, "", { domain: "EVENT_TIME", fireAt: 1000 * n, outputTimestamp: 1000 * n });
      backend.endElement(!fail);
      timers.endElement(!fail);
    };
    element(1, false);
    element(7, true);

    assert.equal(backend.cell(count, key, "k", w).read(), 1);
    assert.deepEqual(backend.cell(items, key, "k", w).read(), ["item1"]);
    assert.equal(backend.cell(total, key, "k", w).read(), 1, "the in-place accumulator was copied before the failed element's addInput");
    assert.deepEqual(backend.cell(seen, key, "k", w).entries(), [["e1", 1]]);

    await backend.finishBundle();
    timers.finishBundle();
    assert.deepEqual(writes.sort(), ['append count 1', 'append items "item1"', 'append seen[e1] 1', 'append total {"n":1}', "clear count", "clear seen[e1]", "clear total"]);
    assert.deepEqual(
      sent.map((t) => t.fireTimestamp),
      [1000],
      "only the successful element's timer goes to the runner",
    );
  });
});
