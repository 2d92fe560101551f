/** Drives the Split stage of a word count (Split → PairWithOne → precombine) through a harness, as a runner would. */
import { strict as assert } from "node:assert";
import { ByteReader, ByteWriter, coderFromSpec, CoderSpec } from "../../lib/coders/index";
import type { Pipeline } from "../../lib/model/pipeline";
import { inGlobalWindow, type WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import type { rapi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { plan } from "../portable/fuser";
import type { FnApiServer } from "./fn_server";

/** Sends `line` to the stage holding the transform `split` (full name) and returns the word counts it emits. */
export async function countWordsThroughHarness(fn: FnApiServer, p: Pipeline, split: string, line: string): Promise<Record<string, number>> {
  const planned = plan(translatePipeline(p, dockerEnvironment()).proto, fn.url, { breakAt: new Set([split]) });
  const stage = planned.stages.find((s) => s.transforms.some((t) => planned.components.transforms[t]!.uniqueName === split))!;
  fn.addDescriptor(stage.descriptor!);
  const c: rapi.Components = planned.components;
  const spec = (cid: string): CoderSpec => ({ urn: c.coders[cid]!.spec!.urn, components: c.coders[cid]!.componentCoderIds.map(spec), payload: c.coders[cid]!.spec!.payload });
  const w = new ByteWriter();
  coderFromSpec(spec(planned.wireCoder(stage.input))).encode(inGlobalWindow(line), w, "nested");
  const [outPc, sink] = [...stage.outputs][0]!;
  const r = await fn.processBundle(stage.id, new Map([[stage.sourceId, [w.finish()]]]), [sink]);
  assert.equal(r.response.residualRoots.length, 0);
  const reader = new ByteReader(r.outputs.get(sink)!);
  const outCoder = coderFromSpec(spec(planned.wireCoder(outPc)));
  const counts: Record<string, number> = {};
  while (!reader.atEnd()) {
    const wv = outCoder.decode(reader, "nested") as WindowedValue<{ key: string; value: number }>;
    counts[wv.value.key] = wv.value.value;
  }
  return counts;
}
