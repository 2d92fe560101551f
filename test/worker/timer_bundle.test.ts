/**
 * Timers the runner delivers in a bundle that has already changed them (Beam Java's
 * FnApiDoFnRunner.processTimer): the runner cannot know of a set or clear made earlier in the
 * same bundle (it learns of it from the timer stream when the bundle ends), so the harness must
 * not fire a delivered timer whose (key, window, timer) this bundle has since set to another time
 * or cleared. Timers the bundle set for the same key and window that are due no later than a
 * delivered one fire first, in time order (also when re-set in their own onTimer), and the runner
 * is told they are cleared.
 */
import { strict as assert } from "node:assert";
import type { Coder } from "../../lib/coders/coder";
import type { Timer } from "../../lib/coders/index";
import { Create, definePipeline, FixedWindows, KV, ParDo, StatefulDoFn, TimerSpec, Window } from "../../lib";
import type { StatefulProcessContext, TimerContext } from "../../lib/model/state";
import { IntervalWindow, kv, NO_FIRING, WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { statefulProgram } from "../portable/streaming_programs";
import { coder, decodeAll, encodeAll, stageAndTransform } from "./wire";
import { FnApiServer } from "./fn_server";

/** Sets `early` at each element's time; early's onTimer re-sets it 4 s later while that stays in the window. */
class TwoTimers extends StatefulDoFn<string, number, string> {
  readonly early = TimerSpec.eventTime("early");
  readonly late = TimerSpec.eventTime("late");
  process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.timer(this.early).set(ctx.timestamp);
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${ctx.key} ${timer}@${ctx.timestamp}`);
    if (timer === "early" && ctx.timestamp + 4_000 <= ctx.window.maxTimestamp()) ctx.timer(this.early).set(ctx.timestamp + 4_000);
  }
}

const twoTimersProgram = definePipeline({
  name: "worker-test-two-timers",
  description: "two event-time timers of one key",
  flags: {},
  build(root) {
    root
      .apply("Numbers", Create.timestamped([{ value: kv("a", 1), timestamp: 1_000 }]))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("Order", ParDo.of(new TwoTimers()));
  },
});

describe("Fn API harness: timers changed within the bundle that delivers them", function () {
  let server: FnApiServer;
  let harness: FnHarness | undefined;
  beforeEach(async () => {
    server = await FnApiServer.start();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await server.stop();
  });

  async function setUp() {
    const planned = plan(translatePipeline(statefulProgram.create({}), dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-timer-bundle", controlUrl: server.url, loadPipeline: () => statefulProgram.create({}), runId: "r" }).start();
    const [stage, bufferId] = stageAndTransform(planned, "Buffer");
    server.addDescriptor(stage.descriptor!);
    const c = planned.components;
    const payload = runnerApi.ParDoPayload.fromBinary(c.transforms[bufferId]!.spec!.payload);
    const timerCoder = coder(c, payload.timerFamilySpecs["flush"]!.timerFamilyCoderId) as Coder<Timer<unknown>>;
    const wire = coder(c, planned.wireCoder(stage.input));
    const [outPc, sink] = [...stage.outputs][0]!;
    const streams = { flush: `${bufferId}|flush`, idle: `${bufferId}|idle` };
    const run = async (elements: readonly WindowedValue<unknown>[], due: { flush?: Timer<unknown>[]; idle?: Timer<unknown>[] }) => {
      const r = await server.processBundle(stage.id, new Map([[stage.sourceId, elements.length > 0 ? [encodeAll(wire, elements)] : []]]), [sink], {
        inputs: new Map([
          [streams.flush, due.flush !== undefined ? [encodeAll(timerCoder, due.flush)] : []],
          [streams.idle, due.idle !== undefined ? [encodeAll(timerCoder, due.idle)] : []],
        ]),
        outputs: [streams.flush, streams.idle],
      });
      return {
        out: (decodeAll(coder(c, planned.wireCoder(outPc)), r.outputs.get(sink)) as WindowedValue<string>[]).map((o) => o.value),
        flush: decodeAll(timerCoder, r.timers.get(streams.flush)) as Timer<unknown>[],
        idle: decodeAll(timerCoder, r.timers.get(streams.idle)) as Timer<unknown>[],
      };
    };
    return { run };
  }

  const window = new IntervalWindow(0, 10_000);
  const idleTimer = (key: string, fireTimestamp: number, holdTimestamp: number): Timer<unknown> => ({ userKey: key, dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp, holdTimestamp, pane: NO_FIRING });

  it("does not fire a delivered timer that an element of the bundle set to another time", async () => {
    const { run } = await setUp();
    const before = Date.now();
    // b's idle timer (set by an earlier bundle for 70 000) is due; an element of b in the same
    // bundle re-arms it for now + 60 s first (BufferPerKey.process: idle.offset(60 000)).
    const r = await run([{ value: kv("b", 3), timestamp: 3_000, windows: [window], pane: NO_FIRING }], { idle: [idleTimer("b", 70_000, 2_000)] });
    assert.deepEqual(r.out, [], "the replaced idle timer does not fire");
    assert.equal(r.idle.length, 1);
    assert.ok(!r.idle[0]!.clearBit && r.idle[0]!.fireTimestamp! >= before + 60_000, "the runner gets the new setting");
    assert.equal(r.idle[0]!.holdTimestamp, 3_000);
  });

  it("does not fire a delivered timer that an earlier onTimer of the bundle cleared, and sends the clear", async () => {
    const { run } = await setUp();
    // a's flush and idle timers are both due; flush comes first and its onTimer clears idle.
    const flush: Timer<unknown> = { userKey: "a", dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp: 9_999, holdTimestamp: 9_999, pane: NO_FIRING };
    const r = await run([], { flush: [flush], idle: [idleTimer("a", 70_000, 1_000), idleTimer("c", 70_000, 1_000)] });
    assert.deepEqual(r.out, ["a@9999 [] count=0 total=0 seen=", "c idle@1000 fired@70000"], "a's cleared idle timer does not fire; c's (untouched) does, its ctx.timestamp the hold (as Beam Java's @Timestamp)");
    assert.deepEqual(r.idle.map((t) => [t.userKey, t.clearBit]), [["a", true]], "the clear goes to the runner");
    assert.deepEqual(r.flush, [], "flush was not set again");
  });

  it("fires a delivered timer that the bundle set to the same time", async () => {
    const { run } = await setUp();
    // An element of a sets flush to the end of the window, the very timer being delivered.
    const flush: Timer<unknown> = { userKey: "a", dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp: 9_999, holdTimestamp: 9_999, pane: NO_FIRING };
    const r = await run([{ value: kv("a", 4), timestamp: 4_000, windows: [window], pane: NO_FIRING }], { flush: [flush] });
    assert.deepEqual(r.out, ["a@9999 [4] count=1 total=4 seen=4x1"], "it fires once");
    assert.deepEqual(r.flush.map((t) => [t.userKey, t.clearBit]), [["a", true]], "the runner is told not to fire the bundle's setting again");
  });

  it("fires the bundle's own earlier timers of the key and window before a later delivered one, in time order", async () => {
    const planned = plan(translatePipeline(twoTimersProgram.create({}), dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-timer-order", controlUrl: server.url, loadPipeline: () => twoTimersProgram.create({}), runId: "r" }).start();
    const [stage, orderId] = stageAndTransform(planned, "Order");
    server.addDescriptor(stage.descriptor!);
    const c = planned.components;
    const payload = runnerApi.ParDoPayload.fromBinary(c.transforms[orderId]!.spec!.payload);
    const timerCoder = coder(c, payload.timerFamilySpecs["early"]!.timerFamilyCoderId) as Coder<Timer<unknown>>;
    const wire = coder(c, planned.wireCoder(stage.input));
    const [outPc, sink] = [...stage.outputs][0]!;
    const streams = [`${orderId}|early`, `${orderId}|late`];
    // The runner's watermark passed 9 999: a's late timer is due. In the same bundle elements of
    // a and b set their early timers at 1 000, which are due too.
    const elements: WindowedValue<unknown>[] = [
      { value: kv("a", 1), timestamp: 1_000, windows: [window], pane: NO_FIRING },
      { value: kv("b", 1), timestamp: 1_000, windows: [window], pane: NO_FIRING },
    ];
    const late: Timer<unknown> = { userKey: "a", dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp: 9_999, holdTimestamp: 9_999, pane: NO_FIRING };
    const r = await server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(wire, elements)]]]), [sink], {
      inputs: new Map([
        [streams[0]!, []],
        [streams[1]!, [encodeAll(timerCoder, [late])]],
      ]),
      outputs: streams,
    });
    const out = (decodeAll(coder(c, planned.wireCoder(outPc)), r.outputs.get(sink)) as WindowedValue<string>[]).map((o) => [o.value, o.timestamp]);
    assert.deepEqual(out, [
      ["a early@1000", 1_000],
      ["a early@5000", 5_000],
      ["a early@9000", 9_000],
      ["a late@9999", 9_999],
    ]);
    const early = decodeAll(timerCoder, r.timers.get(streams[0]!)) as Timer<unknown>[];
    assert.deepEqual(
      early.map((t) => [t.userKey, t.clearBit, t.fireTimestamp]).sort(),
      [["a", true, undefined], ["b", false, 1_000]],
      "a's early timer fired in the bundle: the runner is told it is cleared; b's (no timer of b delivered) goes to the runner",
    );
    assert.deepEqual(decodeAll(timerCoder, r.timers.get(streams[1]!)), []);
  });

  it("fires delivered timers in the order they arrive, across timer families (as the runner ordered them by time)", async () => {
    const planned = plan(translatePipeline(twoTimersProgram.create({}), dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-timer-arrival", controlUrl: server.url, loadPipeline: () => twoTimersProgram.create({}), runId: "r" }).start();
    const [stage, orderId] = stageAndTransform(planned, "Order");
    server.addDescriptor(stage.descriptor!);
    const c = planned.components;
    const payload = runnerApi.ParDoPayload.fromBinary(c.transforms[orderId]!.spec!.payload);
    assert.deepEqual(Object.keys(payload.timerFamilySpecs), ["early", "late"]);
    const timerCoder = coder(c, payload.timerFamilySpecs["early"]!.timerFamilyCoderId) as Coder<Timer<unknown>>;
    const [outPc, sink] = [...stage.outputs][0]!;
    const due = (fireTimestamp: number): Timer<unknown> => ({ userKey: "a", dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp, holdTimestamp: fireTimestamp, pane: NO_FIRING });
    // The runner sends a's late timer (due at 1 000) before its early timer (due at 9 999).
    const r = await server.processBundle(stage.id, new Map([[stage.sourceId, []]]), [sink], {
      inputs: new Map([
        [`${orderId}|late`, [encodeAll(timerCoder, [due(1_000)])]],
        [`${orderId}|early`, [encodeAll(timerCoder, [due(9_999)])]],
      ]),
      outputs: [`${orderId}|early`, `${orderId}|late`],
    });
    const out = (decodeAll(coder(c, planned.wireCoder(outPc)), r.outputs.get(sink)) as WindowedValue<string>[]).map((o) => o.value);
    assert.deepEqual(out, ["a late@1000", "a early@9999"]);
  });
});
