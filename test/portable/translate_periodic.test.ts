/**
 * PeriodicImpulse's translation: no runner executes it natively, so every runner (portable ones,
 * and Dataflow, which reads Pub/Sub natively) gets Impulse → the splittable ParDo our worker runs
 * (restriction: KV of doubles, the range of firing instants), then WindowInto with applyWindowing;
 * its in-process DirectRunner source is never sent.
 */
import { strict as assert } from "node:assert";
import { Pipeline, PeriodicImpulse } from "../../lib";
import { validatePipelineProto } from "../../runners/portable/describe";
import { dockerEnvironment } from "../../runners/portable/environments";
import { rapi, runnerApi } from "../../runners/portable/protos";
import { decodeReference, translatePipeline, type TranslateOptions } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";

function byName(proto: rapi.Pipeline, uniqueName: string): rapi.PTransform {
  const t = Object.values(proto.components!.transforms).find((x) => x.uniqueName === uniqueName);
  assert.ok(t, `no transform ${uniqueName}`);
  return t;
}

const TARGETS: readonly [string, TranslateOptions][] = [
  ["portable runners (Prism, Flink)", { liftCombiners: true, splittableReads: true }],
  ["Dataflow (native Pub/Sub, no native PeriodicImpulse)", { nativePubSubWrite: true }],
];

describe("portable translation: PeriodicImpulse", () => {
  for (const [target, options] of TARGETS) {
    it(`for ${target}: Impulse → a splittable ParDo over the range of firings, then the fixed windows`, () => {
      const p = Pipeline.create();
      p.apply("Ticks", PeriodicImpulse.create({ start: 0, stop: 10_000, intervalMillis: 1000, applyWindowing: true })).map("Next", (t: number) => t + 1);
      const { proto } = translatePipeline(p, dockerEnvironment(), options);
      assert.deepEqual(validatePipelineProto(proto), []);
      const c = proto.components!;
      const composite = byName(proto, "Ticks/GenSequence");
      assert.deepEqual(composite.subtransforms.map((id) => c.transforms[id]!.uniqueName), ["Ticks/GenSequence/Impulse", "Ticks/GenSequence/Read"]);
      const read = byName(proto, "Ticks/GenSequence/Read");
      assert.equal(read.spec!.urn, URNS.pardo);
      assert.equal(read.environmentId, "beamline");
      const payload = runnerApi.ParDoPayload.fromBinary(read.spec!.payload);
      assert.equal(decodeReference(payload.doFn!.payload).transform, "Ticks/GenSequence", "the worker builds the SDF from the composite");
      const restriction = c.coders[payload.restrictionCoderId]!;
      assert.equal(restriction.spec!.urn, "beam:coder:kv:v1");
      assert.deepEqual(restriction.componentCoderIds.map((id) => c.coders[id]!.spec!.urn), ["beam:coder:double:v1", "beam:coder:double:v1"]);
      assert.equal(payload.requestsFinalization, false);
      assert.ok(proto.requirements.includes(URNS.requirementSplittable));
      assert.equal(c.pcollections[read.outputs["main"]!]!.isBounded, runnerApi.IsBounded_Enum.UNBOUNDED);
      assert.equal(byName(proto, "Ticks/ApplyWindowing").inputs["input"] ?? Object.values(byName(proto, "Ticks/ApplyWindowing").inputs)[0], read.outputs["main"]);
      assert.ok(!Object.values(c.transforms).some((t) => t.uniqueName.includes("ReadUnbounded")), "the in-process source is not sent");
    });
  }
});
