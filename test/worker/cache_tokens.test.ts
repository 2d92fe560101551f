/**
 * Cache tokens (ProcessBundleRequest.cache_tokens): user state stays cached across bundles while
 * the runner sends the same user-state token, and is read again under a new one; an unbounded
 * side input is fetched again in every bundle unless its side-input token is unchanged, while a
 * bounded one stays cached.
 */
import { strict as assert } from "node:assert";
import type { Coder } from "../../lib/coders/coder";
import { encodeToBytes } from "../../lib/coders/index";
import { IntervalWindow, kv, NO_FIRING, WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { fnApi, fnapi, runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { statefulProgram, statefulSideInputProgram } from "../portable/streaming_programs";
import { coder, decodeAll, encodeAll, stageAndTransform } from "./wire";
import { FnApiServer, stateKeyId } from "./fn_server";

const userToken = (t: string): fnapi.ProcessBundleRequest_CacheToken => ({ type: { oneofKind: "userState", userState: {} }, token: Buffer.from(t) });
const sideToken = (transformId: string, sideInputId: string, t: string): fnapi.ProcessBundleRequest_CacheToken => ({
  type: { oneofKind: "sideInput", sideInput: { transformId, sideInputId } },
  token: Buffer.from(t),
});

describe("Fn API harness: cache tokens", function () {
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

  it("keeps user state cached across bundles with the same user-state token, and reads it again under a new one", async () => {
    const planned = plan(translatePipeline(statefulProgram.create({}), dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-cache", controlUrl: server.url, loadPipeline: () => statefulProgram.create({}), runId: "r" }).start();
    const [stage, bufferId] = stageAndTransform(planned, "Buffer");
    server.addDescriptor(stage.descriptor!);
    const c = planned.components;
    const inputPc = c.pcollections[stage.input]!;
    const keyCoder = coder(c, inputPc.coderId).components[0]!;
    const windowCoder = coder(c, c.windowingStrategies[inputPc.windowingStrategyId]!.windowCoderId);
    const window = new IntervalWindow(0, 10_000);
    const payload = runnerApi.ParDoPayload.fromBinary(c.transforms[bufferId]!.spec!.payload);
    const sp = payload.stateSpecs["buffer"]!.spec;
    assert.ok(sp.oneofKind === "bagSpec");
    const bufferCoder = coder(c, sp.bagSpec.elementCoderId);
    const bufferKey = stateKeyId({
      type: { oneofKind: "bagUserState", bagUserState: { transformId: bufferId, userStateId: "buffer", window: encodeToBytes(windowCoder, window, "nested"), key: encodeToBytes(keyCoder, "a", "nested") } },
    });
    const wire = coder(c, planned.wireCoder(stage.input));
    const [, sink] = [...stage.outputs][0]!;
    const streams = [`${bufferId}|flush`, `${bufferId}|idle`];
    const bundle = async (value: number, tokens: fnapi.ProcessBundleRequest_CacheToken[]): Promise<number> => {
      const before = server.stateLog.length;
      const element: WindowedValue<unknown> = { value: kv("a", value), timestamp: 1_000, windows: [window], pane: NO_FIRING };
      await server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(wire, [element])]]]), [sink], { inputs: new Map(streams.map((st) => [st, []])), outputs: streams }, tokens);
      return server.stateLog.slice(before).filter((l) => l.startsWith(`get ${bufferKey} `)).length;
    };
    assert.equal(await bundle(1, [userToken("t1")]), 1, "the first bundle reads a's buffer");
    assert.equal(await bundle(2, [userToken("t1")]), 0, "same token: served from the cache");
    assert.deepEqual(decodeAll(bufferCoder, server.state.get(bufferKey)), [1, 2], "writes still reach the runner");
    // Someone else (another worker, before the runner issued a new token) changed the state.
    server.state.set(bufferKey, encodeAll(bufferCoder, [1, 2, 40]));
    assert.equal(await bundle(3, [userToken("t2")]), 1, "new token: read again");
    assert.deepEqual(decodeAll(bufferCoder, server.state.get(bufferKey)), [1, 2, 40, 3]);
    assert.equal(await bundle(4, []), 1, "no token: read in every bundle");
    assert.equal(await bundle(5, []), 1);
  });

  it("shares cached user state between the pooled processors of a descriptor, so none reads what another has since changed", async () => {
    const planned = plan(translatePipeline(statefulProgram.create({}), dockerEnvironment()).proto, server.url);
    harness = new FnHarness({ workerId: "w-cache-pool", controlUrl: server.url, loadPipeline: () => statefulProgram.create({}), runId: "r" }).start();
    const [stage, bufferId] = stageAndTransform(planned, "Buffer");
    server.addDescriptor(stage.descriptor!);
    const c = planned.components;
    const inputPc = c.pcollections[stage.input]!;
    const keyCoder = coder(c, inputPc.coderId).components[0]!;
    const windowCoder = coder(c, c.windowingStrategies[inputPc.windowingStrategyId]!.windowCoderId);
    const window = new IntervalWindow(0, 10_000);
    const payload = runnerApi.ParDoPayload.fromBinary(c.transforms[bufferId]!.spec!.payload);
    const sp = payload.stateSpecs["count"]!.spec;
    assert.ok(sp.oneofKind === "readModifyWriteSpec");
    const countCoder = coder(c, sp.readModifyWriteSpec.coderId);
    const countKey = (k: string): string =>
      stateKeyId({ type: { oneofKind: "bagUserState", bagUserState: { transformId: bufferId, userStateId: "count", window: encodeToBytes(windowCoder, window, "nested"), key: encodeToBytes(keyCoder, k, "nested") } } });
    const wire = coder(c, planned.wireCoder(stage.input));
    const [, sink] = [...stage.outputs][0]!;
    const streams = [`${bufferId}|flush`, `${bufferId}|idle`];
    const token = [userToken("t1")];
    const bundle = (key: string, release?: Promise<void>) => {
      const element: WindowedValue<unknown> = { value: kv(key, 1), timestamp: 1_000, windows: [window], pane: NO_FIRING };
      return server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(wire, [element])]]]), [sink], { inputs: new Map(streams.map((st) => [st, []])), outputs: streams, release }, token);
    };
    await bundle("a"); // processor 1 caches a's count (1)
    // A bundle of key z holds processor 1 (its timer streams are held back) ...
    let release!: () => void;
    const held = bundle("z", new Promise<void>((resolve) => (release = resolve)));
    while (!server.stateLog.some((l) => l.startsWith(`get ${countKey("z")} `))) await new Promise((resolve) => setImmediate(resolve));
    // ... so a's next bundle runs on a second processor (count 2) ...
    await bundle("a");
    assert.deepEqual(decodeAll(countCoder, server.state.get(countKey("a"))), [2]);
    release();
    await held;
    // ... and the one after that back on processor 1, which must not count from its stale 1.
    await bundle("a");
    assert.deepEqual(decodeAll(countCoder, server.state.get(countKey("a"))), [3], "a's count after three elements");
  });

  it("fetches an unbounded side input again in each bundle unless its token is unchanged; keeps a bounded one", async () => {
    const proto = translatePipeline(statefulSideInputProgram.create({}), dockerEnvironment()).proto;
    const planned = plan(proto, server.url);
    harness = new FnHarness({ workerId: "w-side-cache", controlUrl: server.url, loadPipeline: () => statefulSideInputProgram.create({}), runId: "r" }).start();
    const [stage, sumId] = stageAndTransform(planned, "Sum");
    const c = planned.components;
    const t = c.transforms[sumId]!;
    // The runner says the unit side input (side1) is unbounded, e.g. a triggered global window.
    const descriptor = fnApi.ProcessBundleDescriptor.clone(stage.descriptor!);
    descriptor.pcollections[t.inputs["side1"]!]!.isBounded = runnerApi.IsBounded_Enum.UNBOUNDED;
    server.addDescriptor(descriptor);
    const global = new Uint8Array(0);
    const sideCoder = (local: string): Coder<unknown> => coder(c, c.pcollections[t.inputs[local]!]!.coderId);
    const limitsKeys = stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: sumId, sideInputId: "side0", window: global } } });
    server.state.set(limitsKeys, encodeAll(sideCoder("side0"), [kv("a", 1)]));
    const unitKey = stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: sumId, sideInputId: "side1", window: global } } });
    const wire = coder(c, planned.wireCoder(stage.input));
    const [outPc, sink] = [...stage.outputs][0]!;
    const stream = `${sumId}|end`;
    const window = new IntervalWindow(0, 10_000);
    const run = async (unit: string, tokens: fnapi.ProcessBundleRequest_CacheToken[]): Promise<{ out: string[]; unitReads: number; limitReads: number }> => {
      server.state.set(unitKey, encodeAll(sideCoder("side1"), [unit]));
      const before = server.stateLog.length;
      const element: WindowedValue<unknown> = { value: kv("a", 5), timestamp: 1_000, windows: [window], pane: NO_FIRING };
      const r = await server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(wire, [element])]]]), [sink], { inputs: new Map([[stream, []]]), outputs: [stream] }, tokens);
      const log = server.stateLog.slice(before);
      return {
        out: (decodeAll(coder(c, planned.wireCoder(outPc)), r.outputs.get(sink)) as WindowedValue<string>[]).map((o) => o.value),
        unitReads: log.filter((l) => l.startsWith(`get ${unitKey} `)).length,
        limitReads: log.filter((l) => l.startsWith(`get ${limitsKeys} `)).length,
      };
    };
    assert.deepEqual(await run("kg", []), { out: ["a reached 1kg with 5"], unitReads: 1, limitReads: 1 });
    assert.deepEqual(await run("lb", []), { out: ["a reached 1lb with 5"], unitReads: 1, limitReads: 0 }, "unbounded: fetched again; bounded: cached");
    assert.deepEqual(await run("oz", [sideToken(sumId, "side1", "s1")]), { out: ["a reached 1oz with 5"], unitReads: 1, limitReads: 0 }, "a token never seen before: fetched");
    assert.deepEqual(await run("st", [sideToken(sumId, "side1", "s1")]), { out: ["a reached 1oz with 5"], unitReads: 0, limitReads: 0 }, "same token: the cached value");
  });
});
