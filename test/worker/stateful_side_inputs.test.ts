/**
 * A stateful DoFn with side inputs on the Fn API: the side inputs (a map view and an iterable) are
 * fetched over the State API before a fired timer or an element reaches the DoFn, next to its
 * user state; outputs of onTimer and process read them.
 */
import { strict as assert } from "node:assert";
import type { Coder } from "../../lib/coders/coder";
import { encodeToBytes, Timer } from "../../lib/coders/index";
import { IntervalWindow, kv, NO_FIRING, WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { statefulSideInputProgram } from "../portable/streaming_programs";
import { coder, decodeAll, encodeAll } from "./wire";
import { FnApiServer, stateKeyId } from "./fn_server";

describe("Fn API harness: a stateful DoFn with side inputs", function () {
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

  it("fetches side inputs before a fired timer and before elements, and reads them in onTimer and process", async () => {
    const planned = plan(translatePipeline(statefulSideInputProgram.create({}), dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-stateful-side", controlUrl: server.url, loadPipeline: () => statefulSideInputProgram.create({}), runId: "r" }).start();
    const c = planned.components;
    const stage = planned.stages.find((st) => st.transforms.some((t) => c.transforms[t]!.uniqueName === "Sum"))!;
    const sumId = stage.transforms.find((t) => c.transforms[t]!.uniqueName === "Sum")!;
    const t = c.transforms[sumId]!;
    const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
    assert.deepEqual(Object.keys(payload.sideInputs).sort(), ["side0", "side1"]);
    server.addDescriptor(stage.descriptor!);

    // Side inputs in the global window (encoded as no bytes), both read as iterables: limits (a map view) as its KVs.
    const global = new Uint8Array(0);
    const sideCoder = (local: string): Coder<unknown> => coder(c, c.pcollections[t.inputs[local]!]!.coderId);
    server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: sumId, sideInputId: "side0", window: global } } }), encodeAll(sideCoder("side0"), [kv("a", 5), kv("b", 100)]));
    server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: sumId, sideInputId: "side1", window: global } } }), encodeAll(sideCoder("side1"), ["kg"]));

    // User state the runner holds for b: a sum of 7 in window [0, 10 s).
    const inputPc = c.pcollections[stage.input]!;
    const keyCoder = coder(c, inputPc.coderId).components[0]!;
    const windowCoder = coder(c, c.windowingStrategies[inputPc.windowingStrategyId]!.windowCoderId);
    const window = new IntervalWindow(0, 10_000);
    const sumSpec = payload.stateSpecs["sum"]!.spec;
    assert.ok(sumSpec.oneofKind === "readModifyWriteSpec");
    const sumCoder = coder(c, sumSpec.readModifyWriteSpec.coderId);
    const sumKey = (k: string): string =>
      stateKeyId({ type: { oneofKind: "bagUserState", bagUserState: { transformId: sumId, userStateId: "sum", window: encodeToBytes(windowCoder, window, "nested"), key: encodeToBytes(keyCoder, k, "nested") } } });
    server.state.set(sumKey("b"), encodeAll(sumCoder, [7]));

    const timerCoder = coder(c, payload.timerFamilySpecs["end"]!.timerFamilyCoderId) as Coder<Timer<unknown>>;
    const [outPc, sink] = [...stage.outputs][0]!;
    const outCoder = coder(c, planned.wireCoder(outPc));
    const stream = `${sumId}|end`;

    // Bundle 1: only b's end-of-window timer. onTimer reads both side inputs, fetched first.
    const due: Timer<unknown> = { userKey: "b", dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp: 9_999, holdTimestamp: 9_999, pane: NO_FIRING };
    const r1 = await server.processBundle(stage.id, new Map([[stage.sourceId, []]]), [sink], { inputs: new Map([[stream, [encodeAll(timerCoder, [due])]]]), outputs: [stream] });
    assert.deepEqual((decodeAll(outCoder, r1.outputs.get(sink)) as WindowedValue<string>[]).map((o) => [o.value, o.timestamp]), [["b left 7kg of 100", 9_999]]);
    assert.deepEqual(decodeAll(sumCoder, server.state.get(sumKey("b"))), [], "onTimer cleared b's sum");

    // Bundle 2: elements of a; the limit (5) is reached on the second.
    const wire = coder(c, planned.wireCoder(stage.input));
    const elements: WindowedValue<unknown>[] = [
      { value: kv("a", 2), timestamp: 1_000, windows: [window], pane: NO_FIRING },
      { value: kv("a", 3), timestamp: 2_000, windows: [window], pane: NO_FIRING },
    ];
    const r2 = await server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(wire, elements)]]]), [sink], { inputs: new Map([[stream, []]]), outputs: [stream] });
    assert.deepEqual((decodeAll(outCoder, r2.outputs.get(sink)) as WindowedValue<string>[]).map((o) => o.value), ["a reached 5kg with 5"]);
    const timers = decodeAll(timerCoder, r2.timers.get(stream)) as Timer<unknown>[];
    assert.deepEqual(timers.map((x) => [x.userKey, x.fireTimestamp]), [["a", 9_999]]);
  });

  it("finds the main input by its local name when the descriptor lists side inputs first (a proto map has no order)", async () => {
    // Prism's descriptors list a transform's inputs in no particular order; the keyed main input
    // is the one that is not a side input, wherever it stands.
    const planned = plan(translatePipeline(statefulSideInputProgram.create({}), dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-stateful-side-order", controlUrl: server.url, loadPipeline: () => statefulSideInputProgram.create({}), runId: "r" }).start();
    const c = planned.components;
    const stage = planned.stages.find((st) => st.transforms.some((t) => c.transforms[t]!.uniqueName === "Sum"))!;
    const sumId = stage.transforms.find((t) => c.transforms[t]!.uniqueName === "Sum")!;
    const described = stage.descriptor!.transforms[sumId]!;
    const { main, ...sides } = described.inputs;
    assert.ok(main !== undefined);
    described.inputs = { ...sides, main };
    assert.deepEqual(Object.keys(described.inputs), ["side0", "side1", "main"]);
    server.addDescriptor(stage.descriptor!);
    const t = c.transforms[sumId]!;
    const global = new Uint8Array(0);
    const sideCoder = (local: string): Coder<unknown> => coder(c, c.pcollections[t.inputs[local]!]!.coderId);
    server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: sumId, sideInputId: "side0", window: global } } }), encodeAll(sideCoder("side0"), [kv("a", 5), kv("b", 100)]));
    server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: sumId, sideInputId: "side1", window: global } } }), encodeAll(sideCoder("side1"), ["kg"]));
    const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
    const stream = `${sumId}|end`;
    const [outPc, sink] = [...stage.outputs][0]!;
    const window = new IntervalWindow(0, 10_000);
    const elements: WindowedValue<unknown>[] = [{ value: kv("a", 6), timestamp: 1_000, windows: [window], pane: NO_FIRING }];
    const r = await server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(coder(c, planned.wireCoder(stage.input)), elements)]]]), [sink], { inputs: new Map([[stream, []]]), outputs: [stream] });
    assert.deepEqual((decodeAll(coder(c, planned.wireCoder(outPc)), r.outputs.get(sink)) as WindowedValue<string>[]).map((o) => o.value), ["a reached 5kg with 6"]);
    const timerCoder = coder(c, payload.timerFamilySpecs["end"]!.timerFamilyCoderId) as Coder<Timer<unknown>>;
    assert.deepEqual((decodeAll(timerCoder, r.timers.get(stream)) as Timer<unknown>[]).map((x) => [x.userKey, x.fireTimestamp]), [["a", 9_999]]);
  });
});
