/**
 * Flatten's output keeps its first input's coder, as Beam Java's Flatten ("the Coder of the
 * output PCollection is the same as the Coder of the first PCollection"): a collection only its
 * own coder can encode (reified windows) flattens with others like it.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, Flatten, ParDo, Pipeline, Reify, Window } from "../../lib";
import type { PBegin, PCollection } from "../../lib";
import type { ValueInSingleWindow } from "../../lib/coders/value_in_single_window";
import { IntervalWindow } from "../../lib/model/window";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runOk } from "../helpers";

/** `value` at `timestamp` in 10 ms fixed windows, reified. */
function reified(root: PBegin, label: string, value: string, timestamp: number): PCollection<ValueInSingleWindow<string>> {
  return root
    .apply(`${label}Values`, Create.timestamped([{ value, timestamp }]))
    .apply(`${label}Window`, Window.into(new FixedWindows(10)))
    .apply(`${label}Reify`, Reify.windows<string>());
}

describe("Flatten: the output's coder", () => {
  it("is the first input's coder", () => {
    const p = Pipeline.create();
    const a = reified(p.begin(), "A", "a", 1);
    const out = a.apply(Flatten.with(reified(p.begin(), "B", "b", 12)));
    assert.equal(out.coder, a.coder);
    const plain = p.apply("Plain", Create.of(1)).apply("FlattenPlain", Flatten.with(p.apply("Plain2", Create.of(2))));
    assert.equal(plain.coder, undefined);
  });

  it("lets collections only their coder encodes (reified windows) flow through a Flatten on the DirectRunner", async () => {
    await runOk((p) => {
      const out = reified(p.begin(), "A", "a", 1)
        .apply(Flatten.with(reified(p.begin(), "B", "b", 12)))
        .apply(
          "Describe",
          ParDo.into<string>().of((v: ValueInSingleWindow<string>, ctx) => {
            if (!(v.window instanceof IntervalWindow)) throw new Error(`the window of ${v.value} is ${JSON.stringify(v.window)}, not an IntervalWindow`);
            ctx.output(`${v.value}[${v.window.start},${v.window.end})`);
          }),
        );
      assertThat(out, equalTo(["a[0,10)", "b[10,20)"]));
    });
  });
});
