import { strict as assert } from "node:assert";
import { AsIterable, Create, GroupByKey, Impulse, kv, ParDo, Pipeline, PipelineConstructionError, Sessions, Window } from "../../lib";
import { BytesCoder } from "../../lib/coders/primitive";
import { StatefulDoFn, StatefulProcessContext, StateSpec } from "../../lib/model/state";
import type { KV } from "../../lib/model/window";
import { runDirect } from "../helpers";

/** Counts a key's elements in value state. */
class CountPerKey extends StatefulDoFn<string, number, number> {
  readonly count = StateSpec.value<number>("count");
  process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    const n = (ctx.state(this.count).read() ?? 0) + 1;
    ctx.state(this.count).write(n);
    ctx.output(n);
  }
}

describe("Pipeline construction", () => {
  it("names transforms hierarchically and derives readable names", () => {
    const p = Pipeline.create();
    p.apply("Numbers", Create.of(1, 2)).map((n: number) => n + 1);
    const names = p.transforms().map((t) => t.fullName);
    assert.deepEqual(names, ["Numbers", "Numbers/Impulse", "Numbers/Values", "Map((n) => n + 1)"]);
  });

  it("an Impulse's output has Beam's bytes coder as soon as it is applied (no runner needed)", () => {
    const p = Pipeline.create();
    const impulse = p.apply("Impulse", Impulse.create());
    assert.ok(impulse.coder instanceof BytesCoder, `got ${String(impulse.coder)}`);
    assert.equal(impulse.coder.urn, "beam:coder:bytes:v1");
    // Create's own Impulse too: the graph a runner translates has it before translation.
    p.apply("Numbers", Create.of(1, 2));
    const inner = p.transforms().find((t) => t.fullName === "Numbers/Impulse")!;
    assert.equal(inner.mainOutput().coder, BytesCoder.INSTANCE);
  });

  // Beam Java (Sessions.getDefaultWindowMappingFn) and Python (default_window_mapping_fn) refuse
  // sessions as side inputs: a main-input window has no session to map to before sessions merge.
  it("rejects a side input windowed into sessions, naming the ParDo and how to re-window it", () => {
    const p = Pipeline.create();
    const sessions = p
      .apply("Clicks", Create.timestamped([{ value: kv("u", 1), timestamp: 5 }]))
      .apply("IntoSessions", Window.into(new Sessions(10)))
      .apply(GroupByKey.create());
    const main = p.apply("Main", Create.of("x"));
    assert.throws(
      () => main.apply("Read", ParDo.into<string>().of((x: string, ctx) => ctx.output(x), { sideInputs: { s: AsIterable(sessions) } })),
      (e: Error) => {
        assert(e instanceof PipelineConstructionError);
        assert.match(e.message, /Read/);
        assert.match(e.message, /side input 's'.*session/i);
        assert.match(e.message, /Window\.into/);
        return true;
      },
    );
  });

  // Beam Java's StatefulDoFnRunner rejects a MergingWindowFn ("MergingWindowFn is not supported for
  // stateful DoFns"): state would be kept per unmerged proto-session, one per element.
  it("rejects a stateful DoFn over sessions (merging windows), naming the ParDo and how to re-window", () => {
    const p = Pipeline.create();
    const clicks = p.apply("Clicks", Create.timestamped([{ value: kv("u", 1), timestamp: 5 }])).apply("IntoSessions", Window.into(new Sessions(10)));
    assert.throws(
      () => clicks.apply("Count", ParDo.of(new CountPerKey())),
      (e: Error) => {
        assert(e instanceof PipelineConstructionError);
        assert.match(e.message, /'Count'/);
        assert.match(e.message, /state.*merging windows/i);
        assert.match(e.message, /Window\.into/);
        return true;
      },
    );
  });

  it("rejects duplicate names with a hint", () => {
    const p = Pipeline.create();
    const nums = p.apply(Create.of(1));
    nums.map("Double", (n: number) => n * 2);
    assert.throws(() => nums.map("Double", (n: number) => n * 3), (e: Error) => {
      assert(e instanceof PipelineConstructionError);
      assert.match(e.message, /Duplicate transform name 'Double'/);
      assert.match(e.message, /give this one its own label/);
      return true;
    });
  });

  it("requires a label for multi-line anonymous functions", () => {
    const p = Pipeline.create();
    assert.throws(
      () =>
        p.apply(Create.of(1)).map((n: number) => {
          const doubled = n * 2;
          return doubled;
        }),
      /needs a label/,
    );
  });

  it("fails the run when building twice gives a different graph, naming the transform", async () => {
    let builds = 0;
    const result = await runDirect((p) => {
      builds++;
      p.apply(Create.of(1)).map(`Step${builds}`, (n: number) => n);
    });
    assert.equal(result.state, "FAILED");
    assert.equal(result.error!.name, "PipelineReconstructionError");
    assert.match(result.error!.message, /first difference at 'Step1'/);
    assert.match(result.error!.message, /Date\.now\(\), Math\.random\(\)/);
  });

  it("gives equal fingerprints for equal graphs", () => {
    const build = (p: Pipeline): void => {
      p.apply(Create.of("a")).map("Upper", (s: string) => s.toUpperCase());
    };
    const a = Pipeline.build({}, build);
    assert.equal(a.fingerprint(), a.rebuild()!.fingerprint());
  });
});
