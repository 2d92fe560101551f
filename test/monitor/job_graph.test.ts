import { strict as assert } from "node:assert";
import { stepProgress } from "../../runners/monitor/job_graph";
import { fakeJob, outputOf } from "./fake_job";

describe("per-step progress from a runner's raw counts", () => {
  it("a composite's time includes time credited to the composite itself (a lifted combine runs as one unit) and to the steps inside it", () => {
    const fake = fakeJob();
    const inner = fake.job.graph.steps.filter((s) => s.parent === "GroupAndSum").map((s) => s.name);
    assert.ok(inner.length > 0);
    const progress = stepProgress(fake.job.graph, {
      elements: new Map([[outputOf(fake, "PairWithOne"), 6]]),
      msSpent: new Map([
        ["GroupAndSum", 30],
        [inner[0]!, 10],
        ["Split", 5],
      ]),
    });
    assert.equal(progress["GroupAndSum"]!.msSpent, 40);
    assert.equal(progress[inner[0]!]!.msSpent, 10);
    assert.equal(progress["Split"]!.msSpent, 5);
    assert.equal(progress["Format"]!.msSpent, undefined, "no time measured: none shown");
    assert.equal(progress["GroupAndSum"]!.elementsIn, 6);
  });
});
