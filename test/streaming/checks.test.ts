import { strict as assert } from "node:assert";
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder, CoderContext } from "../../lib/coders/coder";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import { KVCoder } from "../../lib/coders/structural";
import { Combine, Combiners, FixedWindows, GroupByKey, kv, KV, ParDo, PCollection, Pipeline, ProcessContext, StatefulDoFn, StateSpec, Window } from "../../lib";
import type { StatefulProcessContext } from "../../lib/model/state";
import type { PipelineResult } from "../../lib/model/result";
import { TestStream } from "../../lib/testing/test_stream";
import { JsValueCoder } from "../../lib/coders/js_value";
import { runDirect } from "../helpers";

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/**
 * A key coder that says it is deterministic but is not: it decodes objects with their properties
 * in reverse order, so a key re-encodes differently after a round trip. Elements still compare
 * equal after the element coder's round trip (property order does not matter to equality), so
 * only the key determinism check can notice. (A coder that admits it is not deterministic is
 * refused when a grouping is applied to it, as in Beam.)
 */
class ReorderingKeyCoder implements Coder<object> {
  readonly urn = "beamline:coder:test_reordering:v1";
  readonly components = [];
  readonly deterministic = true;
  encode(value: object, out: ByteWriter, context: CoderContext): void {
    StringUtf8Coder.INSTANCE.encode(JSON.stringify(value), out, context);
  }
  decode(input: ByteReader, context: CoderContext): object {
    const parsed = JSON.parse(StringUtf8Coder.INSTANCE.decode(input, context)) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).reverse());
  }
}

type Keyed = KV<{ a: number; b: number }, number>;

/** A TestStream of KVs keyed by a two-property object, with the reordering key coder set. */
function objectKeyed(p: Pipeline): PCollection<Keyed> {
  return p
    .apply(TestStream.create<number>().addElements({ value: 1, timestamp: 1 }, { value: 2, timestamp: 2 }).advanceWatermarkToInfinity())
    // Windowed, so the groupings on this unbounded input are valid (Beam refuses the global window's default trigger there).
    .apply("Window", Window.into(new FixedWindows(1000)))
    .map("KeyByObject", (n: number): Keyed => kv({ a: n, b: 0 }, n))
    .setCoder(new KVCoder(new ReorderingKeyCoder() as Coder<{ a: number; b: number }>, new JsValueCoder() as Coder<number>));
}

class CountPerKey extends StatefulDoFn<{ a: number; b: number }, number, number> {
  readonly n = StateSpec.value<number>("n");
  process(e: Keyed, ctx: StatefulProcessContext<number>): void {
    const s = ctx.state(this.n);
    s.write((s.read() ?? 0) + e.value);
    ctx.output(s.read()!);
  }
}

class MutatingStateful extends StatefulDoFn<string, { n: number }, number> {
  readonly n = StateSpec.value<number>("n");
  process(e: KV<string, { n: number }>, ctx: StatefulProcessContext<number>): void {
    e.value.n++;
    ctx.output(e.value.n);
  }
}

function assertModelCheck(result: PipelineResult, check: RegExp, transform: string): Error {
  assert.equal(result.state, "FAILED", "the run fails");
  const error = result.error!;
  assert.equal(error.name, "ModelCheckError", error.message);
  assert.match(error.message, check);
  assert.ok(error.message.includes(`transform '${transform}'`), `names the transform: ${error.message}`);
  return error;
}

const objects = () =>
  TestStream.create<{ n: number }>()
    .addElements({ value: { n: 1 }, timestamp: 1 }, { value: { n: 2 }, timestamp: 2 })
    .advanceWatermarkToInfinity();

describe("Streaming DirectRunner: strict model checks", () => {
  describe("no mutation of DoFn inputs", () => {
    const mutateInParDo = (p: Pipeline): void => {
      p.apply(objects()).apply(
        "Mutate",
        ParDo.of((e: { n: number }, ctx: ProcessContext<number>) => {
          e.n += 10;
          ctx.output(e.n);
        }),
      );
    };

    it("fails a ParDo that mutates its input, naming the transform and showing the element", async () => {
      const error = assertModelCheck(await runDirect(mutateInParDo), /mutated its input element/, "Mutate");
      assert.match(error.message, /\{"n":11\}/, "shows the (mutated) element");
    });

    it("fails a Map that mutates its input", async () => {
      const result = await runDirect((p) => {
        p.apply(objects()).map("Bump", (e: { n: number }) => ++e.n);
      });
      assertModelCheck(result, /mutated its input element/, "Bump");
    });

    it("fails a DoFn that sorts the grouped values of a GroupByKey in place", async () => {
      const result = await runDirect((p) => {
        p.apply(
          TestStream.create<KV<string, number>>()
            .addElements({ value: kv("k", 3), timestamp: 1 }, { value: kv("k", 1), timestamp: 2 }, { value: kv("k", 2), timestamp: 3 })
            .advanceWatermarkToInfinity(),
        )
          .apply(Window.into(new FixedWindows(1000)))
          .apply(GroupByKey.create())
          .apply(
            "SortInPlace",
            ParDo.of((g: KV<string, number[]>, ctx: ProcessContext<number>) => {
              g.value.sort((x, y) => x - y);
              ctx.output(g.value[0]!);
            }),
          );
      });
      assertModelCheck(result, /mutated its input element/, "SortInPlace");
    });

    it("fails a stateful DoFn that mutates its input", async () => {
      const result = await runDirect((p) => {
        p.apply(objects())
          .map("Key", (e: { n: number }) => kv("k", e))
          .apply("MutatingStateful", ParDo.of(new MutatingStateful()));
      });
      assertModelCheck(result, /mutated its input element/, "MutatingStateful");
    });

    it("is off with strictChecks: false (--no_strict_checks)", async () => {
      const result = await runDirect(mutateInParDo, { strictChecks: false });
      assert.equal(result.state, "DONE", result.error?.message);
    });
  });

  describe("coder round trips", () => {
    const makePoints = (p: Pipeline): void => {
      p.apply(TestStream.create<number>().addElements({ value: 1, timestamp: 1 }).advanceWatermarkToInfinity()).map("MakePoint", (n: number) => new Point(n, n));
    };

    it("fails when an element does not survive its PCollection's coder, naming the producer", async () => {
      const error = assertModelCheck(await runDirect(makePoints), /cannot be encoded|does not survive/, "MakePoint");
      assert.match(error.message, /\{"x":1,"y":1\}/, "shows the element");
    });

    it("checks what a GroupByKey emits too", async () => {
      const result = await runDirect((p) => {
        p.apply(TestStream.create<number>().addElements({ value: 1, timestamp: 1 }).advanceWatermarkToInfinity())
          .map("Key", (n: number) => kv("k", n))
          .apply(Window.into(new FixedWindows(1000)))
          .apply("Group", GroupByKey.create())
          .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, StringUtf8Coder.INSTANCE) as unknown as Coder<KV<string, number[]>>);
      });
      assertModelCheck(result, /cannot be encoded/, "Group");
    });

    it("is off with strictChecks: false", async () => {
      const result = await runDirect(makePoints, { strictChecks: false });
      assert.equal(result.state, "DONE", result.error?.message);
    });
  });

  describe("deterministic grouping keys", () => {
    const cases: [string, (keyed: PCollection<Keyed>) => void][] = [
      ["GroupByKey", (keyed) => void keyed.apply("Group", GroupByKey.create())],
      ["Combine.perKey", (keyed) => void keyed.apply("Group", Combine.perKey(Combiners.sum()))],
      ["a stateful ParDo", (keyed) => void keyed.apply("Group", ParDo.of(new CountPerKey()))],
    ];
    for (const [what, apply] of cases) {
      it(`fails ${what} on a key that does not encode deterministically, showing the element`, async () => {
        const error = assertModelCheck(await runDirect((p) => apply(objectKeyed(p))), /does not encode deterministically/, "Group");
        assert.match(error.message, /element \{"key":\{"a":1,"b":0\},"value":1\}/);
      });
    }

    it("is off with strictChecks: false", async () => {
      for (const [, apply] of cases) {
        const result = await runDirect((p) => apply(objectKeyed(p)), { strictChecks: false });
        assert.equal(result.state, "DONE", result.error?.message);
      }
    });
  });

  describe("sampling", () => {
    /** 1500 objects in one bundle (one TestStream event), then 60 more in another; `bad` are mutated. */
    const run = (bad: ReadonlySet<number>) =>
      runDirect(
        (p) => {
          const first = Array.from({ length: 1500 }, (_, i) => ({ value: { i }, timestamp: 1 }));
          p.apply(TestStream.create<{ i: number }>().addElements(...first).addElements(...Array.from({ length: 60 }, (_, k) => ({ value: { i: 1500 + k }, timestamp: 2 }))).advanceWatermarkToInfinity()).map(
            "MaybeMutate",
            (e: { i: number }) => {
              if (bad.has(e.i)) (e as { touched?: boolean }).touched = true;
              return e.i;
            },
          );
        },
        {},
        { checkEveryElement: false },
      );

    it("checks the first 1000 elements of a step and one in 97 after that, counted across bundles", async () => {
      assertModelCheck(await run(new Set([999])), /mutated/, "MaybeMutate");
      assertModelCheck(await run(new Set([1067])), /mutated/, "MaybeMutate"); // 1067 = 11 * 97
      assert.equal((await run(new Set([1001]))).state, "DONE", "element 1001 is not sampled");
      // Streaming bundles are small: the count goes on in the next bundle rather than restarting.
      assert.equal((await run(new Set([1500]))).state, "DONE", "the first element of the next bundle is not sampled");
      assertModelCheck(await run(new Set([1552])), /mutated/, "MaybeMutate"); // 1552 = 16 * 97, in the second bundle
    });
  });
});
