/**
 * A user's splittable DoFn with side inputs and tagged outputs on the Fn API harness, driven as
 * Prism drives it (test/portable/fuser.ts): the translation puts the side inputs and the outputs in
 * the splittable ParDo (its payload's side_inputs, its inputs and outputs, and the composite's
 * inputs), the runner copies them to the phases it expands it into, and the process phase reads
 * each side input over the State API in the element's window (Beam's testWindowedSideInput) and
 * writes each tag to its own output (Beam's testAdditionalOutput).
 */
import { strict as assert } from "node:assert";
import type { Coder } from "../../lib/coders/coder";
import { encodeToBytes } from "../../lib/coders/coder";
import { inGlobalWindow, IntervalWindow, type WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { plan, type Plan, type Stage } from "../portable/fuser";
import { sdfSideInputProgram, sdfTaggedOutputProgram, WINDOWED_SIDE_EXPECTED } from "../portable/sdf_side_programs";
import { startProgramHarness } from "./program_harness";
import { FnApiServer, stateKeyId } from "./fn_server";
import { coder, decodeAll, encodeAll } from "./wire";

describe("Fn API harness: a splittable DoFn with side inputs and tagged outputs", function () {
  this.timeout(30_000);
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

  /** Starts the harness on `p`'s program; registers its pair and process stages. */
  async function start(p: ReturnType<typeof sdfSideInputProgram.create>, runId: string, planned: Plan): Promise<{ pair: Stage; process: Stage }> {
    harness = startProgramHarness(p, server.url, runId, "sdf-side-worker");
    const stageOf = (urn: string): Stage => planned.stages.find((st) => st.transforms.some((t) => planned.components.transforms[t]!.spec?.urn === urn))!;
    const pair = stageOf(URNS.sdfPairWithRestriction);
    const process = stageOf(URNS.sdfProcessSized);
    assert.notEqual(pair, process);
    assert.equal((await server.instruct({ oneofKind: "register", register: { processBundleDescriptor: [pair.descriptor!, process.descriptor!] } })).error, "");
    return { pair, process };
  }

  /** Runs the pair stage on an impulse: the sized element-restrictions, encoded. */
  async function pairAll(planned: Plan, pair: Stage): Promise<Uint8Array> {
    const impulse = encodeAll(coder(planned.components, planned.wireCoder(pair.input)), [inGlobalWindow(new Uint8Array(0))]);
    const [, pairSink] = [...pair.outputs][0]!;
    const paired = await server.processBundle(pair.id, new Map([[pair.sourceId, [impulse]]]), [pairSink]);
    return paired.outputs.get(pairSink)!;
  }

  it("side inputs: in the splittable ParDo's payload and inputs; the process phase reads them in each element's window (Beam's testWindowedSideInput)", async () => {
    const p = sdfSideInputProgram.create({ output: "", unbounded: false });
    const { proto } = translatePipeline(p, dockerEnvironment());
    const transforms = proto.components!.transforms;
    const sdfId = Object.keys(transforms).find((id) => transforms[id]!.uniqueName === "WithSide/ProcessSplittable")!;
    const sdf = transforms[sdfId]!;
    const payload = runnerApi.ParDoPayload.fromBinary(sdf.spec!.payload);
    assert.notEqual(payload.restrictionCoderId, "");
    assert.deepEqual(Object.keys(payload.sideInputs), ["side0"]);
    assert.equal(payload.sideInputs["side0"]!.accessPattern!.urn, "beam:side_input:iterable:v1");
    const sidePc = Object.values(Object.values(transforms).find((t) => t.uniqueName === "Window4")!.outputs)[0]!;
    assert.equal(sdf.inputs["side0"], sidePc, "the ParDo reads the side input's PCollection under its local name");
    const composite = Object.values(transforms).find((t) => t.uniqueName === "WithSide")!;
    assert.equal(composite.inputs["side0"], sidePc, "the composite reads it too");

    const planned = plan(proto, server.url, { fuseSideInputConsumers: true });
    const { pair, process } = await start(p, "run-sdf-side", planned);
    const processId = process.transforms.find((t) => planned.components.transforms[t]!.spec?.urn === URNS.sdfProcessSized)!;
    // The runner serves the side input per window of the side input's windowing (4 ms windows).
    const c = planned.components;
    const side = c.pcollections[sidePc]!;
    const sideCoder: Coder<unknown> = coder(c, side.coderId);
    const windowCoder = coder(c, c.windowingStrategies[side.windowingStrategyId]!.windowCoderId);
    for (const [start, value] of [[0, "a"], [4, "b"]] as const) {
      const window = encodeToBytes(windowCoder, new IntervalWindow(start, start + 4), "nested");
      server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: processId, sideInputId: "side0", window } } }), encodeAll(sideCoder, [value]));
    }
    const sized = await pairAll(planned, pair);
    const [outPc, sink] = [...process.outputs][0]!;
    const run = await server.processBundle(process.id, new Map([[process.sourceId, [sized]]]), [sink]);
    const out = (decodeAll(coder(c, planned.wireCoder(outPc)), run.outputs.get(sink)) as WindowedValue<string>[]).map((wv) => wv.value);
    assert.deepEqual(out.sort(), WINDOWED_SIDE_EXPECTED);
  });

  it("tagged outputs: the splittable ParDo has each tag as an output; the process phase writes each to its own (Beam's testAdditionalOutput)", async () => {
    const p = sdfTaggedOutputProgram.create({ output: "", unbounded: false });
    const { proto } = translatePipeline(p, dockerEnvironment());
    const sdf = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "Tagged/ProcessSplittable")!;
    assert.deepEqual(Object.keys(sdf.outputs).sort(), ["additional", "main"]);
    const composite = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "Tagged")!;
    assert.deepEqual(composite.outputs, sdf.outputs, "the composite's outputs are its ParDo's");

    const planned = plan(proto, server.url);
    const { pair, process } = await start(p, "run-sdf-tagged", planned);
    const sized = await pairAll(planned, pair);
    const sinks = [...process.outputs];
    assert.equal(sinks.length, 2);
    const run = await server.processBundle(process.id, new Map([[process.sourceId, [sized]]]), sinks.map(([, s]) => s));
    const byPc = new Map(sinks.map(([pc, s]) => [pc, (decodeAll(coder(planned.components, planned.wireCoder(pc)), run.outputs.get(s)) as WindowedValue<string>[]).map((wv) => wv.value).sort()]));
    assert.deepEqual(byPc.get(sdf.outputs["main"]!), ["main:0", "main:1", "main:2"]);
    assert.deepEqual(byPc.get(sdf.outputs["additional"]!), ["additional:0", "additional:1", "additional:2"]);
  });
});
