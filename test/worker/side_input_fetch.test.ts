/**
 * Map side inputs cost one state fetch for the whole map, not a round trip per key; a side
 * input is fetched once however many elements reach its ParDo while the fetch is under way.
 */
import { strict as assert } from "node:assert";
import { inGlobalWindow, kv, WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { fnServerPerTest, stateKeyId } from "./fn_server";
import { mapSideInputProgram, splitThenListSideInputProgram } from "./programs";
import { coder, decodeAll, encodeAll, stageAndTransform } from "./wire";

describe("Fn API harness: map side inputs", function () {
  const fn = fnServerPerTest();

  it("reads a map view of 500 entries in one state request (iterable access), then from its cache", async () => {
    const p = mapSideInputProgram.create({});
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, fn.server.url);
    const [stage, lookup] = stageAndTransform(planned, "Lookup");
    const t = planned.components.transforms[lookup]!;
    const access = runnerApi.ParDoPayload.fromBinary(t.spec!.payload).sideInputs["side0"]!.accessPattern!.urn;
    assert.equal(access, URNS.sideInputIterable, "a map view is requested as an iterable");
    const table = Array.from({ length: 500 }, (_, i) => kv(`k${i}`, i));
    const sideCoder = coder(planned.components, planned.components.pcollections[t.inputs["side0"]!]!.coderId);
    const contents = encodeAll(sideCoder, table);
    fn.server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: lookup, sideInputId: "side0", window: new Uint8Array(0) } } }), contents);
    fn.server.statePageBytes = contents.length; // one page: the count is of round trips the SDK makes
    fn.server.addDescriptor(stage.descriptor!);
    fn.harness = new FnHarness({ workerId: "w-map", controlUrl: fn.server.url, loadPipeline: () => mapSideInputProgram.create({}), runId: "r" }).start();

    const inCoder = coder(planned.components, planned.wireCoder(stage.input));
    const [outPc, sink] = [...stage.outputs][0]!;
    const outCoder = coder(planned.components, planned.wireCoder(outPc));
    const run = async (words: string[]): Promise<string[]> => {
      const r = await fn.server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(inCoder, words.map((w) => inGlobalWindow(w)))]]]), [sink]);
      return (decodeAll(outCoder, r.outputs.get(sink)) as WindowedValue<string>[]).map((wv) => wv.value);
    };
    assert.deepEqual(await run(["k7", "k499", "nope"]), ["k7=7", "k499=499", "nope=none"]);
    assert.equal(fn.server.stateRequests, 1, fn.server.stateLog.join("\n"));
    assert.deepEqual(await run(["k1"]), ["k1=1"]);
    assert.equal(fn.server.stateRequests, 1, "a bounded side input stays cached for later bundles");
  });

  it("fetches a side input once when a fused step hands several elements to its ParDo at once (each sees it once)", async () => {
    // Prism fuses Split and Tag into one stage: Split's three outputs reach Tag's side-input
    // fetch before the first fetch has returned. Each used to start its own fetch and append
    // its own copy to the view, so later elements saw the list twice and three times.
    const p = splitThenListSideInputProgram.create({});
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, fn.server.url, { fuseSideInputConsumers: true, breakAt: new Set(["Split"]) });
    const [stage, tag] = stageAndTransform(planned, "Tag");
    assert.ok(stage.transforms.some((id) => planned.components.transforms[id]!.uniqueName.startsWith("Split")), "Split is fused with Tag");
    const t = planned.components.transforms[tag]!;
    const sideCoder = coder(planned.components, planned.components.pcollections[t.inputs["side0"]!]!.coderId);
    const digits = encodeAll(sideCoder, [1, 2, 3]);
    fn.server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: tag, sideInputId: "side0", window: new Uint8Array(0) } } }), digits);
    fn.server.statePageBytes = digits.length;
    fn.server.addDescriptor(stage.descriptor!);
    fn.harness = new FnHarness({ workerId: "w-split", controlUrl: fn.server.url, loadPipeline: () => splitThenListSideInputProgram.create({}), runId: "r" }).start();
    const inCoder = coder(planned.components, planned.wireCoder(stage.input));
    const [outPc, sink] = [...stage.outputs][0]!;
    const outCoder = coder(planned.components, planned.wireCoder(outPc));
    const r = await fn.server.processBundle(stage.id, new Map([[stage.sourceId, [encodeAll(inCoder, [inGlobalWindow("a,b,c")])]]]), [sink]);
    assert.deepEqual((decodeAll(outCoder, r.outputs.get(sink)) as WindowedValue<string>[]).map((wv) => wv.value), ["a:123", "b:123", "c:123"]);
    assert.equal(fn.server.stateRequests, 1, fn.server.stateLog.join("\n"));
  });
});
