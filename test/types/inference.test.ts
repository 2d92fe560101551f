/**
 * Type-level tests of the public API: this file fails to COMPILE when inference breaks, and the
 * `@ts-expect-error` lines fail to compile when a wrong use stops being an error.
 */
import { strict as assert } from "node:assert";
import {
  AsMap,
  AsSingleton,
  Combine,
  Combiners,
  Count,
  Create,
  DoFn,
  Flatten,
  GroupByKey,
  KV,
  kv,
  ParDo,
  PCollection,
  Pipeline,
  ProcessContext,
  Partition,
  definePipeline,
  FixedWindows,
  Window,
  ElementTimeoutError,
  type FailedElement,
} from "../../lib";
import { expectType } from "./expect_type";

describe("type inference of the public API", () => {
  it("flows element types through chains without casts", () => {
    const p = Pipeline.create();
    const lines = p.apply(Create.of("a b", "c"));
    expectType(lines)<PCollection<string>>(true);
    const words = lines.flatMap("Split", (l) => l.split(" "));
    expectType(words)<PCollection<string>>(true);
    const lengths = words.map("Len", (w) => w.length);
    expectType(lengths)<PCollection<number>>(true);
    const pairs = words.map("Pair", (w) => kv(w, 1));
    expectType(pairs)<PCollection<KV<string, number>>>(true);
    const grouped = pairs.apply(GroupByKey.create());
    expectType(grouped)<PCollection<KV<string, number[]>>>(true);
    const sums = pairs.apply("Sum", Combine.perKey(Combiners.sum()));
    expectType(sums)<PCollection<KV<string, number>>>(true);
    const counts = words.apply(Count.perElement());
    expectType(counts)<PCollection<KV<string, number>>>(true);
    const means = pairs.apply("Mean", Combine.perKey(Combiners.mean()));
    expectType(means)<PCollection<KV<string, number>>>(true);
    const total = lengths.apply("Total", Combine.globally(Combiners.sum()));
    expectType(total)<PCollection<number>>(true);
    const both = words.apply(Flatten.with(words.map("Copy", (w) => w)));
    expectType(both)<PCollection<string>>(true);
    const parts = lengths.apply(Partition.of(2, (n) => n % 2));
    expectType(parts)<PCollection<number>[]>(true);
    const windowed = pairs.apply(Window.into(new FixedWindows(1000)));
    expectType(windowed)<PCollection<KV<string, number>>>(true);
    // a type guard narrows the element type
    const strings = p.apply("Mixed", Create.of<string | number>("a", 1)).filter("OnlyStrings", (x): x is string => typeof x === "string");
    expectType(strings)<PCollection<string>>(true);

    // @ts-expect-error: a number transform cannot be applied to strings
    words.apply("Bad", Combine.globally(Combiners.sum()));
    // @ts-expect-error: map's function receives a string, which has no toFixed
    words.map("Bad2", (w) => w.toFixed(1));
    assert.ok(true);
  });

  it("types tagged outputs and side inputs", () => {
    class Classify extends DoFn<number, number, { negative: string; zero: null }> {
      process(n: number, ctx: ProcessContext<number, { negative: string; zero: null }>): void {
        if (n < 0) ctx.outputTo("negative", String(n));
        else if (n === 0) ctx.outputTo("zero", null);
        else ctx.output(n);
        // @ts-expect-error: the 'negative' output holds strings
        ctx.outputTo("negative", 1);
        // @ts-expect-error: undeclared tag
        ctx.outputTo("nope", 1);
      }
    }
    const p = Pipeline.create();
    const nums = p.apply(Create.of(-1, 0, 1));
    const outs = nums.apply(ParDo.of(new Classify()).withOutputs("negative", "zero"));
    expectType(outs.main)<PCollection<number>>(true);
    expectType(outs.negative)<PCollection<string>>(true);
    expectType(outs.zero)<PCollection<null>>(true);

    // Exception handling adds `failed`, typed by the input, to either form.
    const handled = nums.apply("Handled", ParDo.of(new Classify()).withExceptionHandling());
    expectType(handled.main)<PCollection<number>>(true);
    expectType(handled.failed)<PCollection<FailedElement<number>>>(true);
    const taggedHandled = nums.apply("TaggedHandled", ParDo.of(new Classify()).withOutputs("negative").withExceptionHandling({ ignoreRejected: true }));
    expectType(taggedHandled.negative)<PCollection<string>>(true);
    expectType(taggedHandled.failed)<PCollection<FailedElement<number>>>(true);
    // @ts-expect-error: only the declared tags and `failed`
    void taggedHandled.zero;
    // Which errors are dead letters (error classes, built in or the user's own), and a failure threshold: the outputs keep their types.
    class BadInput extends Error {
      constructor(readonly input: number) {
        super(`bad input ${input}`);
      }
    }
    const filtered = nums.apply(
      "Filtered",
      ParDo.of(new Classify()).withOutputs("zero").withExceptionHandling({ errorClass: [BadInput, TypeError], threshold: 0.1, thresholdWindowing: new FixedWindows(60_000) }),
    );
    expectType(filtered.zero)<PCollection<null>>(true);
    expectType(filtered.failed)<PCollection<FailedElement<number>>>(true);
    ParDo.of(new Classify()).withExceptionHandling({ errorClass: RangeError });
    // @ts-expect-error: an error class, not its name
    ParDo.of(new Classify()).withExceptionHandling({ errorClass: "RangeError" });
    // @ts-expect-error: Number is not an error class
    ParDo.of(new Classify()).withExceptionHandling({ errorClass: Number });
    // @ts-expect-error: the threshold is a fraction, not a string
    ParDo.of(new Classify()).withExceptionHandling({ threshold: "0.1" });
    // The failure callback gets the ParDo's input element, typed.
    ParDo.of(new Classify()).withOutputs("zero").withExceptionHandling({ onFailure: (error, element) => void expectType(element)<number>(true), partial: true });
    // @ts-expect-error: the element is a number, not a string
    ParDo.of(new Classify()).withExceptionHandling({ onFailure: (_error, element: string) => void element });
    ParDo.of(new Classify()).withExceptionHandling({ timeoutMillis: 30_000, errorClass: [ElementTimeoutError, TypeError] });
    // @ts-expect-error: a number of milliseconds
    ParDo.of(new Classify()).withExceptionHandling({ timeoutMillis: "30s" });
    // @ts-expect-error: threshold windowing takes a WindowFn
    ParDo.of(new Classify()).withExceptionHandling({ threshold: 0.1, thresholdWindowing: 60_000 });

    const factor = AsSingleton(p.apply("Factor", Create.of(2)));
    const names = AsMap(p.apply("Names", Create.of(kv(1, "one"))));
    nums.apply(
      "UseSide",
      ParDo.into<string>().of(
        (n, ctx) => {
          const f = ctx.sideInputs.factor;
          expectType(f)<number>(true);
          const m = ctx.sideInputs.names;
          expectType(m)<ReadonlyMap<number, string>>(true);
          ctx.output(`${m.get(n) ?? "?"}${n * f}`);
        },
        { sideInputs: { factor, names } },
      ),
    );
    assert.ok(true);
  });

  it("types pipeline flags from their specs", () => {
    const program = definePipeline({
      name: "typed-flags-test",
      description: "t",
      flags: {
        input: { type: "string", describe: "in", default: "x" },
        output: { type: "string", describe: "out", required: true },
        limit: { type: "number", describe: "n" },
        verbose: { type: "boolean", describe: "v" },
      },
      build(_root, flags) {
        expectType(flags.input)<string>(true);
        expectType(flags.output)<string>(true);
        expectType(flags.limit)<number | undefined>(true);
        expectType(flags.verbose)<boolean>(true);
      },
    });
    assert.equal(program.name, "typed-flags-test");
  });
});
