import { strict as assert } from "node:assert";
import { Create, Count, DoFn, kv, ParDo, ProcessContext } from "../../lib";
import { runDirect } from "../helpers";
import { CHECK_ALL_FIRST, CHECK_EVERY_NTH, CheckSampler, checkNotMutated, CoderCheckReceiver, snapshotForMutation } from "../../runners/executor/checks";
import { ElementwiseOperator } from "../../runners/executor/elementwise_operator";
import { DISCARD } from "../../runners/executor/receiver";
import { DeterministicJsValueCoder, JsValueCoder } from "../../lib/coders/js_value";
import { MetricsContainer } from "../../lib/model/metrics";
import { inGlobalWindow } from "../../lib/model/window";

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("DirectRunner: strict model checks", () => {
  it("rejects a DoFn that mutates its input, naming the transform", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of({ n: 1 }, { n: 2 })).apply(
        "Mutate",
        ParDo.of((e: { n: number }, ctx: ProcessContext<number>) => {
          e.n += 1;
          ctx.output(e.n);
        }),
      );
    });
    assert.equal(result.state, "FAILED");
    assert.equal(result.error!.name, "ModelCheckError");
    assert.match(result.error!.message, /mutated its input element/);
    assert.match(result.error!.message, /transform 'Mutate'/);
  });

  it("detects every mutation of a flat object (compared by keys and values, not encoded twice), and of nested ones", () => {
    const coder = JsValueCoder.INSTANCE as JsValueCoder<unknown>;
    const mutations: [string, () => object, (o: Record<string, unknown>) => void][] = [
      ["a changed value", () => ({ key: "w", value: 1 }), (o) => (o["value"] = 2)],
      ["0 made -0", () => ({ key: "w", value: 0 }), (o) => (o["value"] = -0)],
      ["an added key", () => ({ key: "w" }), (o) => (o["extra"] = undefined)],
      ["a deleted key", () => ({ key: "w", value: undefined }), (o) => delete o["value"]],
      ["keys reordered", () => ({ a: 1, b: 2 }), (o) => {
        delete o["a"];
        o["a"] = 1;
      }],
      ["a value made an object", () => ({ key: "w", value: null }), (o) => (o["value"] = {})],
      ["the prototype changed", () => ({ key: "w" }), (o) => Object.setPrototypeOf(o, null)],
      ["a nested value changed", () => ({ key: "w", value: { n: [1] } }), (o) => ((o["value"] as { n: number[] }).n[0] = 2)],
    ];
    for (const [what, make, mutate] of mutations) {
      const value = make();
      const before = snapshotForMutation(coder, value)!;
      checkNotMutated("Step", coder, value, before);
      mutate(value as Record<string, unknown>);
      assert.throws(() => checkNotMutated("Step", coder, value, before), /mutated its input element.*in transform 'Step'/s, what);
    }
    // The deterministic coder sorts keys, so only the bytes can tell what it sees as the same input.
    const sorted = { b: 1, a: 2 };
    const bytes = snapshotForMutation(DeterministicJsValueCoder.INSTANCE as DeterministicJsValueCoder<unknown>, sorted)!;
    assert.ok(bytes instanceof Uint8Array);
    delete (sorted as Record<string, unknown>)["b"];
    (sorted as Record<string, unknown>)["b"] = 1;
    checkNotMutated("Step", DeterministicJsValueCoder.INSTANCE as DeterministicJsValueCoder<unknown>, sorted, bytes);
  });

  it("rejects outputs that do not survive their coder", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of(1)).map("MakePoint", (n: number) => new Point(n, n));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /cannot be encoded|does not survive/);
    assert.match(result.error!.message, /MakePoint/);
  });

  it("rejects grouping keys that cannot be encoded deterministically", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of(1, 2))
        .map("KeyByPoint", (n: number) => kv(n, n))
        .map("BadKey", (e: { key: number; value: number }) => ({ key: new Point(e.key, 0), value: e.value }))
        .apply(Count.perKey());
    }, { strictChecks: true });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Point/);
  });

  it("can be switched off", async () => {
    const result = await runDirect(
      (p) => {
        p.apply(Create.of({ n: 1 })).apply(
          "Mutate",
          ParDo.of(
            new (class extends DoFn<{ n: number }, number> {
              process(e: { n: number }, ctx: ProcessContext<number>): void {
                e.n += 1;
                ctx.output(e.n);
              }
            })(),
          ),
        );
      },
      { strictChecks: false },
    );
    assert.equal(result.state, "DONE");
  });

  it("counts only elements a coder check could fail on: a bad object after thousands of numbers is still among the first checked", () => {
    // Element 2001 is past CHECK_ALL_FIRST and not a multiple of CHECK_EVERY_NTH: a sampler counting the numbers before it would skip it.
    const last = 2 * CHECK_ALL_FIRST + 1;
    assert.notEqual(last % CHECK_EVERY_NTH, 0);
    const coder = new JsValueCoder();
    const meta = inGlobalWindow(0);
    // A PCollection's receiver (outputs of a ParDo, a source, Window.into).
    const receiver = new CoderCheckReceiver("EmitPoint", "pc1", coder, new CheckSampler(false), DISCARD);
    for (let n = 0; n < last; n++) receiver.receive(n % 2 === 0 ? n : n % 3 === 0, meta);
    assert.throws(() => receiver.receive(new Point(last, last), meta), (e: Error) => e.name === "ModelCheckError" && /EmitPoint/.test(e.message));
    // An element-wise step checking its own outputs.
    const map = new ElementwiseOperator(
      "MakePoint",
      { type: "map", fn: (n) => (n === last ? new Point(last, last) : n === 1 ? null : n) },
      DISCARD,
      new MetricsContainer("MakePoint"),
      undefined,
      { pcollId: "pc2", coder, sampler: new CheckSampler(false) },
    );
    for (let n = 0; n < last; n++) map.receive(n, meta);
    assert.throws(() => map.receive(last, meta), (e: Error) => e.name === "ModelCheckError" && /MakePoint/.test(e.message));
  });

  it("samples the first CHECK_ALL_FIRST elements of a bundle, then every CHECK_EVERY_NTH-th, starting over with each bundle", () => {
    const sampler = new CheckSampler(false);
    for (const length of [5000, 1200, 3000]) {
      sampler.resetForBundle();
      const checked: number[] = [];
      for (let n = 0; n < length; n++) if (sampler.shouldCheck()) checked.push(n);
      const expected: number[] = [];
      for (let n = 0; n < length; n++) if (n < CHECK_ALL_FIRST || n % CHECK_EVERY_NTH === 0) expected.push(n);
      assert.deepEqual(checked, expected);
    }
    const every = new CheckSampler(true);
    for (let n = 0; n < 3000; n++) assert.ok(every.shouldCheck());
  });
});
