/**
 * Stateful DoFns on the Fn API, driven from the runner side over real gRPC (127.0.0.1): user
 * state served by the test driver's State API (get with continuation tokens, append, clear; bag
 * and multimap user state), timers received and emitted on the data plane's timer streams.
 */
import { strict as assert } from "node:assert";
import { encodeToBytes, Timer } from "../../lib/coders/index";
import type { Coder } from "../../lib/coders/coder";
import { IntervalWindow, kv, NO_FIRING, WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { fnApi, runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { statefulProgram } from "../portable/streaming_programs";
import { coder, decodeAll, encodeAll, stageWith } from "./wire";
import { FnApiServer, stateKeyId } from "./fn_server";

describe("Fn API harness: stateful DoFns (user state and timers over gRPC)", function () {
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

  it("buffers per key in bag/value/combining/map state, emits timers, then flushes on a delivered event-time timer", async () => {
    const p = statefulProgram.create({});
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-stateful", controlUrl: server.url, loadPipeline: () => statefulProgram.create({}), runId: "r" }).start();
    const stage = stageWith(planned, "Buffer");
    const c = planned.components;
    const bufferId = stage.transforms.find((t) => c.transforms[t]!.uniqueName === "Buffer")!;
    assert.deepEqual(stage.transforms, [bufferId], "a stateful ParDo starts its own stage");
    const d = stage.descriptor!;
    assert.equal(d.timerApiServiceDescriptor?.url, server.url, "the descriptor advertises the timer endpoint");
    server.addDescriptor(d);

    // Coders exactly as the descriptor gives them.
    const payload = runnerApi.ParDoPayload.fromBinary(c.transforms[bufferId]!.spec!.payload);
    const inputPc = c.pcollections[stage.input]!;
    const kvCoder = coder(c, inputPc.coderId);
    const keyCoder = kvCoder.components[0]!;
    const windowCoder = coder(c, c.windowingStrategies[inputPc.windowingStrategyId]!.windowCoderId);
    const timerCoder = coder(c, payload.timerFamilySpecs["flush"]!.timerFamilyCoderId) as Coder<Timer<unknown>>;
    const specCoder = (name: string): Coder<unknown> => {
      const sp = payload.stateSpecs[name]!.spec;
      switch (sp.oneofKind) {
        case "bagSpec":
          return coder(c, sp.bagSpec.elementCoderId);
        case "readModifyWriteSpec":
          return coder(c, sp.readModifyWriteSpec.coderId);
        case "combiningSpec":
          return coder(c, sp.combiningSpec.accumulatorCoderId);
        case "mapSpec":
          return coder(c, sp.mapSpec.valueCoderId);
        default:
          throw new Error(`unexpected spec ${String(sp.oneofKind)}`);
      }
    };
    const mapKeyCoder = (() => {
      const sp = payload.stateSpecs["seen"]!.spec;
      assert.ok(sp.oneofKind === "mapSpec");
      return coder(c, sp.mapSpec.keyCoderId);
    })();

    const window = new IntervalWindow(0, 10_000);
    const w = encodeToBytes(windowCoder, window, "nested");
    const key = (k: string): Uint8Array => encodeToBytes(keyCoder, k, "nested");
    const bag = (state: string, k: string): string => stateKeyId({ type: { oneofKind: "bagUserState", bagUserState: { transformId: bufferId, userStateId: state, window: w, key: key(k) } } });
    const mm = (k: string, mapKey: number): string =>
      stateKeyId({ type: { oneofKind: "multimapUserState", multimapUserState: { transformId: bufferId, userStateId: "seen", window: w, key: key(k), mapKey: encodeToBytes(mapKeyCoder, mapKey, "nested") } } });
    const read = (id: string, name: string): unknown[] => decodeAll(specCoder(name), server.state.get(id));
    const seenOf = (k: string, candidates: readonly number[]): Record<number, unknown> =>
      Object.fromEntries(candidates.filter((v) => (server.state.get(mm(k, v))?.length ?? 0) > 0).map((v) => [v, read(mm(k, v), "seen")]));

    // State the runner already holds for key "a" (served in 1-byte pages: continuation tokens).
    server.statePageBytes = 1;
    server.state.set(bag("buffer", "a"), encodeAll(specCoder("buffer"), [7]));
    server.state.set(bag("count", "a"), encodeAll(specCoder("count"), [1]));
    server.state.set(bag("total", "a"), encodeAll(specCoder("total"), [7]));
    server.state.set(mm("a", 7), encodeAll(specCoder("seen"), [1]));

    // Bundle 1: three elements; no output, state written back, one timer per key and family.
    const wire = coder(c, planned.wireCoder(stage.input));
    const elements: WindowedValue<unknown>[] = [
      { value: kv("a", 1), timestamp: 1_000, windows: [window], pane: NO_FIRING },
      { value: kv("a", 2), timestamp: 2_000, windows: [window], pane: NO_FIRING },
      { value: kv("b", 5), timestamp: 3_000, windows: [window], pane: NO_FIRING },
    ];
    const [outPc, sink] = [...stage.outputs][0]!;
    const streams = [`${bufferId}|flush`, `${bufferId}|idle`];
    const before = Date.now();
    const r1 = await server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(wire, elements)]]]), [sink], {
      inputs: new Map(streams.map((st) => [st, []])), // no timers due: each family's stream is just is_last
      outputs: streams,
    });
    assert.equal(r1.outputs.get(sink)!.length, 0, "nothing is output before the timer fires");
    assert.deepEqual(read(bag("buffer", "a"), "buffer"), [7, 1, 2]);
    assert.deepEqual(read(bag("count", "a"), "count"), [3]);
    assert.deepEqual(read(bag("total", "a"), "total"), [10]);
    assert.deepEqual(seenOf("a", [1, 2, 7]), { 1: [1], 2: [1], 7: [1] });
    assert.deepEqual(read(bag("buffer", "b"), "buffer"), [5]);
    assert.deepEqual(read(bag("count", "b"), "count"), [1]);
    assert.deepEqual(seenOf("b", [5]), { 5: [1] });

    const log1 = [...server.stateLog];
    const ops = (kind: string, id: string): number => log1.filter((l) => l.startsWith(`${kind} ${id} `)).length;
    assert.ok(ops("get+", bag("buffer", "a")) > 0, "the bag was read page by page (continuation tokens)");
    assert.equal(ops("clear", bag("buffer", "a")), 0, "a bag that was only added to is appended, not rewritten");
    assert.equal(ops("append", bag("buffer", "a")), 1, "one append per bag per bundle (cached within the bundle)");
    assert.equal(ops("clear", bag("count", "a")), 1, "value state is written as clear + append");
    assert.equal(ops("append", bag("count", "a")), 1);
    assert.equal(ops("get", bag("count", "a")), 1, "each cell is read once per key and window in a bundle (a has two elements)");
    assert.ok(server.stateLog.every((l) => / b\d+$/.test(l)), "every state request carries its bundle's instruction id");

    const flush1 = decodeAll(timerCoder, r1.timers.get(streams[0]!)) as Timer<unknown>[];
    assert.deepEqual(
      flush1.map((t) => [t.userKey, t.dynamicTimerTag, (t.windows[0] as IntervalWindow).end, t.clearBit, t.fireTimestamp, t.holdTimestamp]).sort(),
      [["a", "", 10_000, false, 9_999, 9_999], ["b", "", 10_000, false, 9_999, 9_999]],
      "one event-time timer per key (the last set wins), at the end of the window",
    );
    const idle1 = decodeAll(timerCoder, r1.timers.get(streams[1]!)) as Timer<unknown>[];
    assert.equal(idle1.length, 2);
    for (const t of idle1) {
      assert.equal(t.clearBit, false);
      assert.ok(t.fireTimestamp! >= before + 60_000, "processing-time timers are set relative to the wall clock");
    }

    const bIdle = idle1.find((t) => t.userKey === "b")!;
    assert.equal(bIdle.holdTimestamp, 3_000, "a processing-time timer holds at the event time of the element that set it");

    // Bundle 2: no elements; the runner delivers a's flush timer (split across two messages)
    // and b's idle timer (processing time: fires at its wall-clock time, outputs at its hold).
    const due: Timer<unknown> = { userKey: "a", dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp: 9_999, holdTimestamp: 9_999, pane: NO_FIRING };
    const timerBytes = encodeAll(timerCoder, [due]);
    const idleDue: Timer<unknown> = { ...bIdle, fireTimestamp: 70_000 };
    const r2 = await server.processBundle(stage.id, new Map([[stage.sourceId, []]]), [sink], {
      inputs: new Map([[`${bufferId}|flush`, [timerBytes.subarray(0, 4), timerBytes.subarray(4)]], [`${bufferId}|idle`, [encodeAll(timerCoder, [idleDue])]]]),
      outputs: streams,
    });
    const out = decodeAll(coder(c, planned.wireCoder(outPc)), r2.outputs.get(sink)) as WindowedValue<string>[];
    assert.deepEqual(out.map((o) => [o.value, o.timestamp, (o.windows[0] as IntervalWindow).start]), [
      ["a@9999 [1,2,7] count=3 total=10 seen=1x1,2x1,7x1", 9_999, 0],
      ["b idle@3000 fired@70000", 3_000, 0],
    ], "onTimer outputs carry the timer's hold timestamp, which is ctx.timestamp; ctx.fireTimestamp is its firing time");
    for (const name of ["buffer", "count", "total"]) assert.deepEqual(read(bag(name, "a"), name), [], `${name} of a is cleared`);
    assert.deepEqual(seenOf("a", [1, 2, 7]), {}, "map state of a is cleared");
    assert.deepEqual(read(bag("buffer", "b"), "buffer"), [5], "state of b is untouched");
    assert.deepEqual(decodeAll(timerCoder, r2.timers.get(streams[0]!)), [], "no new flush timer");
    const idle2 = decodeAll(timerCoder, r2.timers.get(streams[1]!)) as Timer<unknown>[];
    assert.deepEqual(idle2.map((t) => [t.userKey, t.clearBit]), [["a", true]], "onTimer cleared a's idle timer");
  });

  it("fails the bundle with the transform's name when a timer reaches a DoFn's descriptor without a timer endpoint", async () => {
    const p = statefulProgram.create({});
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-bad", controlUrl: server.url, loadPipeline: () => statefulProgram.create({}), runId: "r" }).start();
    const stage = stageWith(planned, "Buffer");
    const d = fnApi.ProcessBundleDescriptor.create({ ...stage.descriptor!, timerApiServiceDescriptor: undefined });
    server.addDescriptor(d);
    await assert.rejects(server.processBundle(stage.id, new Map([[stage.sourceId, []]]), []), /Stateful ParDo 'Buffer'.*timer_api_service_descriptor/s);
  });
});
