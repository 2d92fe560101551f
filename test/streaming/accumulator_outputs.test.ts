/**
 * What a combine hands downstream is not the accumulator it goes on adding to. Beam's CombineFn
 * may return its accumulator from extractOutput (Combiners.toList does), so a runner that keeps
 * an accumulator after extracting from it extracts from a copy (Beam Java's
 * InMemoryCombiningState.read merges it into a fresh accumulator first). Otherwise an earlier
 * pane, or an earlier CombiningState read, changes after it was output.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, GlobalWindows, kv, KV, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec } from "../../lib/model/state";
import { AfterCount, Repeatedly } from "../../lib/model/triggers";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, Observed, paneOf } from "./collect";

const four = () =>
  TestStream.create<KV<string, number>>()
    .addElements({ value: kv("a", 1), timestamp: 1 }, { value: kv("a", 2), timestamp: 2 })
    .advanceWatermarkTo(10)
    .addElements({ value: kv("a", 3), timestamp: 11 }, { value: kv("a", 4), timestamp: 12 })
    .advanceWatermarkToInfinity();

class ListSoFar extends StatefulDoFn<string, number, number[]> {
  readonly seen = StateSpec.combining("seen", Combiners.toList<number>());
  process(e: KV<string, number>, ctx: StatefulProcessContext<number[]>): void {
    const state = ctx.state(this.seen);
    state.add(e.value);
    ctx.output(state.read());
  }
}

describe("Accumulators stay the runner's: outputs do not change after they are emitted", () => {
  it("an ACCUMULATING pane of Combiners.toList keeps the elements it fired with", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const lists = p
        .apply(four())
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(2)), accumulationMode: "ACCUMULATING" }))
        .apply(Combine.perKey(Combiners.toList<number>()));
      collect(lists, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(
      out.map((o) => `${JSON.stringify(o.value.value)} ${paneOf(o.pane)}`),
      ["[1,2] EARLY#0/-1 first", "[1,2,3,4] EARLY#1/-1", "[1,2,3,4] ON_TIME#2/0 last"],
    );
  });

  it("a CombiningState read stays as it was when the state is added to afterwards", async () => {
    const out: Observed<number[]>[] = [];
    const result = await runDirect((p) => {
      collect(p.apply(four()).apply("ListSoFar", ParDo.of(new ListSoFar())), out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => JSON.stringify([...o.value].sort())), ["[1]", "[1,2]", "[1,2,3]", "[1,2,3,4]"]);
  });
});
