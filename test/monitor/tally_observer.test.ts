/**
 * The run monitor's hooks on a batch stage, as the DirectRunner builds it: element counts in the
 * thread's tally row and the step register the time sampler reads. Map, FlatMap, Filter, the
 * combine's precombine, the GroupByKey's writer and ParDo count and mark their steps themselves (no
 * receiver in front of them).
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, Create, DoFn, GroupByKey, kv, KV, ParDo, Pipeline, type ProcessContext } from "../../lib";
import { inGlobalWindow } from "../../lib/model/window";
import type { Step } from "../../runners/executor/graph_builder";
import type { Receiver } from "../../runners/executor/receiver";
import { planStages } from "../../runners/direct/plan";
import { buildStage } from "../../runners/direct/stage_builder";
import { testStageEnvironment } from "../executor/stage_env";
import { runStageInstances } from "../../runners/direct/stage_runner";
import { ExecutionTally } from "../../runners/monitor/execution_tally";
import { TallyObserver } from "../../runners/monitor/tally_observer";

/** The monitor's observer, recording which edges it had to wrap. */
class RecordingObserver extends TallyObserver {
  readonly wrapped: string[] = [];
  override edge(pcollId: string, consumer: Step, target: Receiver): Receiver {
    this.wrapped.push(consumer.name);
    return super.edge(pcollId, consumer, target);
  }
}

describe("Run monitor: counts and step marks on a batch stage", () => {
  it("counts every PCollection and names the running step, without receivers of its own", async () => {
    const p = Pipeline.create();
    let tally: ExecutionTally | undefined;
    const seen: string[] = [];
    const at = (what: string): void => void seen.push(`${what} in ${tally!.currentStep(0) ?? "(none)"}`);
    class Record extends DoFn<KV<string, number>, never> {
      process(e: KV<string, number>, _ctx: ProcessContext<never>): void {
        at(`record ${e.key}`);
      }
    }
    const pairs = p
      .apply("Lines", Create.of("a b", "c a"))
      .flatMap("Split", (line: string) => {
        at("split");
        return line.split(" ");
      })
      .filter("NotC", (w: string) => {
        at("filter");
        return w !== "c";
      })
      .map("Pair", (w: string) => {
        at("pair");
        return kv(w, 1);
      });
    pairs.apply("Sum", Combine.perKey(Combiners.sum()));
    pairs.apply("Group", GroupByKey.create());
    pairs.apply("Record", ParDo.of(new Record()));

    const steps = p.transforms().map((n) => n.fullName);
    const pcollections = p.transforms().flatMap((n) => (n.primitive !== undefined ? [...n.outputs.values()].map((pc) => pc.id) : []));
    tally = new ExecutionTally(steps, pcollections, 2);
    const observer = new RecordingObserver(tally.thread(0), true);
    const shuffled: string[] = [];
    const sinkOf = (name: string) => ({
      add: (_group: string, key: unknown, _w: unknown, _t: unknown, value: unknown): void => {
        shuffled.push(`${name} ${String(key)}=${JSON.stringify(value)} in ${tally!.currentStep(0) ?? "(none)"}`);
      },
    });
    const plan = planStages(p);
    const env = testStageEnvironment(plan, { shuffleFor: (name) => sinkOf(name), observer });
    const stage = plan.stages.find((s) => s.fused.some((u) => u.node.fullName === "Split"))!;
    await runStageInstances([buildStage(stage, env)], [inGlobalWindow(new Uint8Array(0))]);

    const id = (name: string): string => p.findTransform(name)!.mainOutput().id;
    const counts = tally.elements();
    assert.equal(counts.get(id("Lines/Values")), 2);
    assert.equal(counts.get(id("Split")), 4);
    assert.equal(counts.get(id("NotC")), 3);
    assert.equal(counts.get(id("Pair")), 3);

    assert.deepEqual(seen, [
      "split in Split",
      "filter in NotC",
      "pair in Pair",
      "record a in Record",
      "filter in NotC",
      "pair in Pair",
      "record b in Record",
      "split in Split",
      "filter in NotC",
      "filter in NotC",
      "pair in Pair",
      "record a in Record",
    ]);
    // The GroupByKey's writer runs per element, in its own step; the precombine's accumulators leave at the bundle's end.
    assert.deepEqual(
      shuffled.filter((s) => s.startsWith("Group ")),
      ["Group a=1 in Group", "Group b=1 in Group", "Group a=1 in Group"],
    );
    assert.deepEqual(shuffled.filter((s) => s.startsWith("Sum")).sort(), ["Sum a=2 in (none)", "Sum b=1 in (none)"].sort());
    assert.equal(tally.currentStep(0), undefined, "the register is restored after each element");
    assert.deepEqual(observer.wrapped, [], "no edge needs a receiver of the monitor's");
    await tally.stop();
  });

  it("restores the register when a step's code throws", async () => {
    const p = Pipeline.create();
    p.apply("Nums", Create.of(1, 2))
      .map("Fails", (n: number) => {
        if (n === 2) throw new Error("bad element");
        return n;
      })
      .filter("Keep", () => true);
    const steps = p.transforms().map((n) => n.fullName);
    const tally = new ExecutionTally(steps, [], 1);
    const plan = planStages(p);
    const env = testStageEnvironment(plan, { strictChecks: false, checkEveryElement: false, observer: new TallyObserver(tally.thread(0), true) });
    await assert.rejects(runStageInstances([buildStage(plan.stages[0]!, env)], [inGlobalWindow(new Uint8Array(0))]), /Fails.*bad element|bad element/s);
    assert.equal(tally.currentStep(0), undefined);
    await tally.stop();
  });
});
