/**
 * FileIO.matchAll().continuously ends in a Reshuffle, as Beam Java's FileIO.matchAll does: a
 * fusion break, so a runner runs the steps after the watch in stages of their own, and a slow
 * step on the files does not hold up the watch's polls (on Prism: real_runner_match_continuously
 * .test.ts). Here, as a runner plans it (test/portable/fuser.ts, Prism's fusion).
 */
import { strict as assert } from "node:assert";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { plan } from "./fuser";
import { slowConsumerProgram } from "./match_continuously_programs";

describe("FileIO.matchAll().continuously on a portable runner: the steps after the watch", () => {
  it("run in a stage of their own, not in the stage of the watch's polls", () => {
    const p = slowConsumerProgram.create({ dir: "/watched", output: "/out/found" });
    const { proto } = translatePipeline(p, dockerEnvironment(), { splittableReads: true });
    const planned = plan(proto, "localhost:0");
    const name = (id: string): string => planned.components.transforms[id]!.uniqueName;
    const polling = planned.stages.find((s) => s.transforms.some((t) => planned.components.transforms[t]!.spec?.urn === URNS.sdfProcessSized));
    assert.ok(polling !== undefined, "the watch's process phase is a stage");
    assert.ok(!polling.transforms.some((t) => name(t) === "Slow"), `the watch's stage also runs: ${polling.transforms.map(name).join(", ")}`);
    assert.ok(planned.stages.some((s) => s !== polling && s.transforms.some((t) => name(t) === "Slow")), "the step after the watch is in a stage");
  });
});
