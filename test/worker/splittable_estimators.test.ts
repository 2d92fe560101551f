/**
 * A splittable DoFn's watermark estimator on the Fn API harness (as Prism drives it): each
 * self-checkpoint's residual carries the estimator's state in its restriction (KV(restriction,
 * state), as Beam's SDKs send it) and the estimate as the output watermark, and the next bundle's
 * estimator is built from that state (Beam's MonotonicallyIncreasing: the greatest output timestamp).
 */
import { strict as assert } from "node:assert";
import { inGlobalWindow, type KV, type WindowedValue } from "../../lib/model/window";
import type { OffsetRange } from "../../lib/model/offset_range";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { plan, type Stage } from "../portable/fuser";
import { EstimatedTicks, estimatorProgram } from "../portable/sdf_estimator_programs";
import { startProgramHarness } from "./program_harness";
import { FnApiServer } from "./fn_server";
import { coder, decodeAll, encodeAll } from "./wire";

type Sized = KV<KV<string, KV<OffsetRange, number>>, number>;

describe("Fn API harness: a splittable DoFn's watermark estimator", function () {
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

  it("MonotonicallyIncreasing: residuals carry its state and its estimate; the next bundle resumes from the state", async () => {
    const key = `worker-monotonic-${Date.now()}`;
    const p = estimatorProgram.create({ kind: "monotonic", key });
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, server.url);
    harness = startProgramHarness(p, server.url, "run-sdf-estimator", "sdf-estimator-worker");
    const stageOf = (urn: string): Stage => planned.stages.find((st) => st.transforms.some((t) => planned.components.transforms[t]!.spec?.urn === urn))!;
    const pair = stageOf(URNS.sdfPairWithRestriction);
    const process = stageOf(URNS.sdfProcessSized);
    assert.equal((await server.instruct({ oneofKind: "register", register: { processBundleDescriptor: [pair.descriptor!, process.descriptor!] } })).error, "");
    const impulse = encodeAll(coder(planned.components, planned.wireCoder(pair.input)), [inGlobalWindow(new Uint8Array(0))]);
    const [sizedPc, pairSink] = [...pair.outputs][0]!;
    const paired = await server.processBundle(pair.id, new Map([[pair.sourceId, [impulse]]]), [pairSink]);
    const sizedCoder = coder(planned.components, planned.wireCoder(sizedPc));

    const [outPc, sink] = [...process.outputs][0]!;
    const outCoder = coder(planned.components, planned.wireCoder(outPc));
    const out: string[] = [];
    const states: number[] = [];
    const estimates: number[] = [];
    let pending: Uint8Array[] = [paired.outputs.get(pairSink)!];
    for (let bundles = 0; pending.length > 0; bundles++) {
      assert.ok(bundles < 10, "the residuals run out");
      const run = await server.processBundle(process.id, new Map([[process.sourceId, pending]]), [sink]);
      out.push(...(decodeAll(outCoder, run.outputs.get(sink)) as WindowedValue<string>[]).map((wv) => wv.value));
      pending = run.response.residualRoots.map((root) => {
        const app = root.application!;
        const [residual] = decodeAll(sizedCoder, app.element) as WindowedValue<Sized>[];
        states.push(residual!.value.key.value.value);
        const w = Object.values(app.outputWatermarks)[0]!;
        estimates.push(Number(w.seconds) * 1000 + w.nanos / 1e6);
        return app.element;
      });
    }
    assert.deepEqual(out, ["x0", "x1", "x2"]);
    // x0 at 3 s, then x1 at 1 s (the estimate does not go back); the last call left nothing to resume.
    assert.deepEqual(states, [3000, 3000]);
    assert.deepEqual(estimates, [3000, 3000]);
    // Each bundle's estimator started from the state the residual carried (Create's element: the minimum timestamp).
    const starts = EstimatedTicks.starts.get(key)!;
    assert.deepEqual(starts.slice(1), [3000, 3000]);
  });
});
