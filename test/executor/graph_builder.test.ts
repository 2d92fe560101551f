/**
 * The graph builder wires every edge PCollection → consumer in one place, where a monitor's
 * EdgeObserver wraps it: here one counts elements per PCollection and keeps a "current step"
 * register set while a consumer receives an element (what live progress monitoring needs), on a
 * batch stage with a fork, and checks each edge and PCollection is wrapped exactly once.
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, ParDo, Pipeline, type ProcessContext } from "../../lib";
import { inGlobalWindow } from "../../lib/model/window";
import type { EdgeObserver, Step } from "../../runners/executor/graph_builder";
import type { Receiver } from "../../runners/executor/receiver";
import { planStages } from "../../runners/direct/plan";
import { buildStage } from "../../runners/direct/stage_builder";
import { testStageEnvironment } from "./stage_env";
import { runStageInstances } from "../../runners/direct/stage_runner";

/** What the monitor saw: the step executing whenever a DoFn ran, and elements per PCollection. */
class Tally implements EdgeObserver {
  current: string | undefined;
  readonly elements = new Map<string, number>();
  readonly edges: string[] = [];
  readonly pcollections: string[] = [];
  edge(pcollId: string, consumer: Step, target: Receiver): Receiver {
    this.edges.push(`${pcollId} -> ${consumer.name}`);
    return {
      receive: (value, meta) => {
        const previous = this.current;
        this.current = consumer.name;
        try {
          return target.receive(value, meta);
        } finally {
          this.current = previous;
        }
      },
    };
  }
  pcollection(pcollId: string, receiver: Receiver): Receiver {
    this.pcollections.push(pcollId);
    return {
      receive: (value, meta) => {
        this.elements.set(pcollId, (this.elements.get(pcollId) ?? 0) + 1);
        return receiver.receive(value, meta);
      },
    };
  }
}

describe("Graph builder: the monitoring hook on every edge", () => {
  it("wraps each PCollection and each edge to a consumer once; the register names the step that runs", async () => {
    const tally = new Tally();
    const seenIn: string[] = [];
    class Record extends DoFn<number, never> {
      process(_: number, _ctx: ProcessContext<never>): void {
        seenIn.push(tally.current ?? "(none)");
      }
    }
    const p = Pipeline.create();
    const doubled = p.apply("Nums", Create.of(1, 2, 3)).map("Double", (x) => x * 2);
    doubled.apply("RecordAll", ParDo.of(new Record()));
    doubled.filter("Big", (x) => x > 2).apply("RecordBig", ParDo.of(new Record()));

    const plan = planStages(p);
    assert.equal(plan.stages.length, 1, "Create's impulse stage fuses everything");
    const env = testStageEnvironment(plan, { observer: tally });
    const stage = plan.stages[0]!;
    await runStageInstances([buildStage(stage, env)], [inGlobalWindow(new Uint8Array(0))]);

    const id = (name: string): string => p.findTransform(name)!.mainOutput().id;
    assert.deepEqual(
      [...tally.edges].sort(),
      [`${id("Nums/Impulse")} -> Nums/Values`, `${id("Nums/Values")} -> Double`, `${id("Double")} -> RecordAll`, `${id("Double")} -> Big`, `${id("Big")} -> RecordBig`].sort(),
    );
    assert.equal(new Set(tally.pcollections).size, tally.pcollections.length, "each PCollection wrapped once");
    assert.equal(tally.elements.get(id("Double")), 3);
    assert.equal(tally.elements.get(id("Big")), 2);
    assert.deepEqual(seenIn.sort(), ["RecordAll", "RecordAll", "RecordAll", "RecordBig", "RecordBig"]);
    assert.equal(tally.current, undefined, "the register is restored after each element");
  });
});
