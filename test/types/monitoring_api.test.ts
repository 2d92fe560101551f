/**
 * Type-level tests of the job-watching API exported from the package root: a listener gets a
 * MonitoredJob whose snapshot, graph and logs are typed (no casts), and drain is optional.
 * This file fails to COMPILE when that breaks; at run time it watches one real job.
 */
import { strict as assert } from "node:assert";
import { Create, Pipeline, watchJobs, type JobSnapshot, type LogEntry, type MonitoredJob, type StepNode, type StepProgress } from "../../lib";
import "../../runners/direct";

describe("watchJobs: the typed job-watching API", () => {
  it("hands listeners typed jobs; their snapshots name every step", async () => {
    const seen: MonitoredJob[] = [];
    const stop: () => void = watchJobs((job) => seen.push(job));
    try {
      const p = Pipeline.create();
      p.apply("Numbers", Create.of(1, 2, 3)).map("Double", (n: number) => n * 2);
      assert.equal(await (await p.run()).waitUntilFinish(), "DONE");
    } finally {
      stop();
    }
    const job = seen[0]!;
    const steps: readonly StepNode[] = job.graph.steps;
    const snapshot: JobSnapshot = job.snapshot();
    const double: StepProgress | undefined = snapshot.steps["Double"];
    const lines: readonly LogEntry[] = job.logs().entries;
    // @ts-expect-error drain is optional (batch jobs cannot be drained): it must be checked before a call
    void (() => job.drain());
    assert.deepEqual(steps.filter((s) => s.parent === undefined).map((s) => s.name), ["Numbers", "Double"]);
    assert.equal(double?.elementsOut, 3);
    assert.equal(snapshot.state, "DONE");
    assert.ok(Array.isArray(lines));
  });
});
