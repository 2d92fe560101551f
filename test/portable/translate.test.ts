/**
 * Golden tests of the Beam pipeline protos Beamline writes for wordcount and wordcount2.
 * Regenerate the goldens with UPDATE_GOLDENS=1 after an intended change.
 */
import { strict as assert } from "node:assert";
import { wordcount } from "../../pipelines/wordcount";
import { wordcount2 } from "../../pipelines/wordcount2";
import { pipelineFromJson, pipelineToJson, validatePipelineProto } from "../../runners/portable/describe";
import { dockerEnvironment } from "../../runners/portable/environments";
import { rapi, runnerApi } from "../../runners/portable/protos";
import { decodeReference, translatePipeline } from "../../runners/portable/translate";
import { golden } from "./golden";
import { flattenProgram, reshuffleProgram } from "./programs";
import { Create, Flatten, GroupByKey, KV, kv, Pipeline } from "../../lib";
import { JsValueCoder, KVCoder, StringUtf8Coder } from "../../lib/coders/index";
import type { Coder } from "../../lib/coders/coder";
import { URNS } from "../../runners/portable/urns";


function byName(proto: rapi.Pipeline, uniqueName: string): rapi.PTransform {
  const t = Object.values(proto.components!.transforms).find((x) => x.uniqueName === uniqueName);
  assert.ok(t, `no transform ${uniqueName}`);
  return t;
}

function coderUrns(proto: rapi.Pipeline, id: string): string {
  const c = proto.components!.coders[id]!;
  const parts = c.componentCoderIds.map((cc) => coderUrns(proto, cc));
  const short = c.spec!.urn.replace(/^beam:coder:|^beamline:coder:/, "").replace(/:v1$/, "");
  return parts.length > 0 ? `${short}(${parts.join(",")})` : short;
}

function checkCommon(p: Pipeline, proto: rapi.Pipeline): void {
  assert.deepEqual(validatePipelineProto(proto), []);
  const parsed = pipelineFromJson(pipelineToJson(proto));
  assert.ok(runnerApi.Pipeline.equals(parsed, proto), "JSON round trip through the Beam classes changes the proto");
  const c = proto.components!;
  // One proto transform per application, plus the two SDK steps Reshuffle's expansion adds around
  // its GroupByKey and the transcoding steps before Flatten inputs whose coders differ.
  const transcoding = (t: rapi.PTransform): boolean => t.spec?.urn === URNS.pardo && runnerApi.ParDoPayload.fromBinary(t.spec.payload).doFn?.urn === URNS.transcodeDoFn;
  const added = Object.values(c.transforms).filter((t) => t.spec?.urn === URNS.reifyMetadata || t.spec?.urn === URNS.restoreMetadata || transcoding(t)).length;
  assert.equal(Object.keys(c.transforms).length - added, p.transforms().length);
  for (const t of Object.values(c.transforms)) {
    const urn = t.spec?.urn ?? "";
    if (urn === URNS.impulse || urn === URNS.gbk) assert.equal(t.environmentId, "", `${t.uniqueName} runs on the runner`);
    else assert.equal(t.environmentId, "beamline", `${t.uniqueName} runs in the SDK`);
    if (transcoding(t)) {
      assert.match(t.uniqueName, /\/Transcode\d+$/);
    } else if (urn === URNS.pardo) {
      const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
      assert.equal(payload.doFn!.urn, URNS.dofnByName);
      assert.deepEqual(decodeReference(payload.doFn!.payload), { transform: t.uniqueName, fingerprint: p.fingerprint() });
    }
    if (urn === URNS.gbk) assert.match(coderUrns(proto, c.pcollections[t.inputs["main"]!]!.coderId), /^kv\(/, `${t.uniqueName} input must be KV`);
    if (urn === URNS.impulse) assert.equal(coderUrns(proto, c.pcollections[t.outputs["main"]!]!.coderId), "bytes");
    // Runners pass a Flatten's and a Reshuffle's elements through as bytes: one coder for inputs and output.
    if (urn === URNS.flatten || urn === URNS.reshuffle) {
      const ids = new Set([...Object.values(t.inputs), ...Object.values(t.outputs)].map((pc) => c.pcollections[pc]!.coderId));
      assert.equal(ids.size, 1, `${t.uniqueName}: inputs and output must share one coder`);
    }
  }
  const caps = c.environments["beamline"]!.capabilities;
  for (const urn of ["beam:coder:varint:v1", "beam:coder:length_prefix:v1", "beam:coder:windowed_value:v1", URNS.precombine]) assert.ok(caps.includes(urn), urn);
  for (const coder of Object.values(c.coders)) {
    if (coder.spec!.urn.startsWith("beamline:")) {
      const parents = Object.values(c.coders).filter((x) => x.componentCoderIds.some((id) => c.coders[id] === coder));
      assert.ok(parents.length > 0 && parents.every((x) => x.spec!.urn === "beam:coder:length_prefix:v1"), "SDK coders appear only length-prefixed");
    }
  }
}

describe("portable translation", () => {
  it("wordcount: golden proto, standard URNs, lifted-combine payload, KV coders at the shuffle", () => {
    const p = wordcount.create({ input: "/data/kinglear.txt", output: "/out/counts" }, { jobName: "wordcount-golden" });
    const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    checkCommon(p, proto);
    const combine = byName(proto, "wordcount/GroupAndSum");
    assert.equal(combine.spec!.urn, URNS.combinePerKey);
    assert.equal(combine.environmentId, "beamline");
    const payload = runnerApi.CombinePayload.fromBinary(combine.spec!.payload);
    assert.equal(payload.combineFn!.urn, URNS.combineFnByName);
    assert.equal(coderUrns(proto, payload.accumulatorCoderId), "length_prefix(jsvalue)");
    assert.deepEqual(combine.subtransforms.map((id) => proto.components!.transforms[id]!.uniqueName), ["wordcount/GroupAndSum/GroupByKey", "wordcount/GroupAndSum/Combine"]);
    const gbk = byName(proto, "wordcount/GroupAndSum/GroupByKey");
    assert.equal(coderUrns(proto, proto.components!.pcollections[gbk.inputs["main"]!]!.coderId), "kv(length_prefix(jsvalue_deterministic),length_prefix(jsvalue))");
    assert.equal(coderUrns(proto, proto.components!.pcollections[gbk.outputs["main"]!]!.coderId), "kv(length_prefix(jsvalue_deterministic),iterable(length_prefix(jsvalue)))");
    assert.equal(byName(proto, "wordcount/Read/Reshuffle").spec!.urn, URNS.reshuffle);
    const finalize = runnerApi.ParDoPayload.fromBinary(byName(proto, "wordcount/Write/Finalize").spec!.payload);
    assert.deepEqual(Object.keys(finalize.sideInputs), ["side0"]);
    assert.equal(finalize.sideInputs["side0"]!.accessPattern!.urn, URNS.sideInputIterable);
    assert.deepEqual(proto.rootTransformIds.map((id) => proto.components!.transforms[id]!.uniqueName), ["wordcount"]);
    golden("wordcount.pipeline.json", proto);
  });

  it("wordcount2: golden proto with two branches and two lifted combines", () => {
    const p = wordcount2.create({ input: "/data/kinglear.txt", output: "/out/counts", output2: "/out/first" }, { jobName: "wordcount2-golden" });
    const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    checkCommon(p, proto);
    const words = byName(proto, "wordcount2/lowerCase").outputs["main"]!;
    const consumers = Object.values(proto.components!.transforms).filter((t) => Object.values(t.inputs).includes(words) && t.subtransforms.length === 0);
    assert.deepEqual(consumers.map((t) => t.uniqueName).sort(), ["wordcount2/filter", "wordcount2/firstChar"]);
    assert.equal(byName(proto, "wordcount2/GroupAndSum2").spec!.urn, URNS.combinePerKey);
    golden("wordcount2.pipeline.json", proto);
  });

  it("Flatten and Reshuffle: a Flatten's inputs keep their coders and reach it through transcoding steps to the coder its keyed consumers need; Flatten names the SDK environment", () => {
    const p = flattenProgram.create({ output: "/out", consumer: "all" });
    const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    checkCommon(p, proto);
    const flat = byName(proto, "Flatten");
    assert.equal(flat.environmentId, "beamline", "as in Beam's SDKs, runners may run a Flatten in the SDK");
    const c = proto.components!;
    const kvJs = "kv(length_prefix(jsvalue_deterministic),length_prefix(jsvalue))";
    for (const pc of [...Object.values(flat.inputs), flat.outputs["main"]!]) assert.equal(coderUrns(proto, c.pcollections[pc]!.coderId), kvJs, pc);
    // The Maps' outputs are not grouped themselves: they keep the default coder, and a step per input makes them KV.
    for (const [i, pair] of ["PairA", "PairB"].entries()) {
      const mapped = byName(proto, pair).outputs["main"]!;
      assert.equal(coderUrns(proto, c.pcollections[mapped]!.coderId), "length_prefix(jsvalue)");
      const step = byName(proto, `Flatten/Transcode${i}`);
      assert.deepEqual([step.inputs["main"], step.outputs["main"]], [mapped, flat.inputs[String(i)]]);
    }
    const r = reshuffleProgram.create({ output: "/out" });
    const reshuffled = translatePipeline(r, dockerEnvironment("beamline/worker:test")).proto;
    checkCommon(r, reshuffled);
    const input = byName(reshuffled, "Reshuffle").inputs["main"]!;
    assert.equal(coderUrns(reshuffled, reshuffled.components!.pcollections[input]!.coderId), "kv(length_prefix(jsvalue_deterministic),length_prefix(jsvalue))");
  });

  it("Flatten of PCollections the runner encodes with different coders (two GroupByKeys' outputs): the second is transcoded to the first's coder, which the output has", () => {
    const p = Pipeline.create();
    const grouped = (name: string, values: Coder<unknown>) =>
      p
        .apply(`${name}Create`, Create.from([kv("a", "x")]))
        .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, values) as Coder<KV<string, string>>)
        .apply(`${name}Group`, GroupByKey.create());
    grouped("A", StringUtf8Coder.INSTANCE as Coder<unknown>).apply("Both", Flatten.with(grouped("B", new JsValueCoder() as Coder<unknown>)));
    const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    checkCommon(p, proto);
    const c = proto.components!;
    const both = byName(proto, "Both");
    const coderOfPc = (pc: string) => coderUrns(proto, c.pcollections[pc]!.coderId);
    assert.deepEqual(Object.values(both.inputs).map(coderOfPc), ["kv(string_utf8,iterable(string_utf8))", "kv(string_utf8,iterable(string_utf8))"]);
    const step = byName(proto, "Both/Transcode1");
    assert.equal(step.inputs["main"], byName(proto, "BGroup").outputs["main"]);
    assert.equal(coderOfPc(step.inputs["main"]!), "kv(string_utf8,iterable(length_prefix(jsvalue)))");
    assert.deepEqual(proto.rootTransformIds.map((id) => c.transforms[id]!.uniqueName), ["ACreate", "AGroup", "BCreate", "BGroup", "Both/Transcode1", "Both"]);
  });

  it("translation is deterministic (same graph, same bytes)", () => {
    const a = translatePipeline(wordcount.create({ input: "/i", output: "/o" }), dockerEnvironment()).proto;
    const b = translatePipeline(wordcount.create({ input: "/i", output: "/o" }), dockerEnvironment()).proto;
    assert.deepEqual(Buffer.from(runnerApi.Pipeline.toBinary(a)), Buffer.from(runnerApi.Pipeline.toBinary(b)));
  });
});
