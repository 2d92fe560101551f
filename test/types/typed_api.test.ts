/**
 * Type-level tests of the typed API: variance, side-input declarations, the output type of a
 * function ParDo and the one way to make a transform. This file fails to COMPILE when inference
 * breaks, and each `@ts-expect-error` line fails to compile when the wrong use it shows stops
 * being an error. Wrong uses sit in functions that never run: only their types matter.
 */
import { strict as assert } from "node:assert";
import {
  AsIterable,
  AsMap,
  AsSingleton,
  Create,
  Distinct,
  DoFn,
  FixedWindows,
  Flatten,
  GroupByKey,
  Keys,
  kv,
  ParDo,
  Partition,
  Pipeline,
  ptransform,
  Reshuffle,
  StatefulDoFn,
  StateSpec,
  Values,
  Window,
  WithKeys,
  type KV,
  type PCollection,
  type ProcessContext,
  type PTransform,
  type StatefulProcessContext,
  type TimerContext,
} from "../../lib";
import { expectType } from "./expect_type";

type AB = { a: number; b: number };

describe("the typed API (type-level)", () => {
  it("variance: a transform applies only to collections of what it accepts", () => {
    const p = Pipeline.create();
    const narrow = p.apply("Narrow", Create.of({ a: 1 }));
    const wide = p.apply("Wide", Create.of({ a: 1, b: 2 }));
    const needsB = ptransform("NeedsB", (input: PCollection<AB>) => input.map("B", (x) => x.b));
    const needsA = ptransform("NeedsA", (input: PCollection<{ a: number }>) => input.map("A", (x) => x.a));
    expectType(wide.apply(needsB))<PCollection<number>>(true);
    // A transform of a wider element type applies to a narrower one ({ a; b } is an { a }).
    expectType(wide.apply(needsA))<PCollection<number>>(true);
    // The output may be used as any supertype of what the transform produces.
    const widened: PTransform<PCollection<AB>, PCollection<number | string>> = needsB;
    assert.ok(widened);

    const typeOnly = (): void => {
      // @ts-expect-error: a PCollection<{ a }> lacks b (the hole of bivariant `expand`)
      narrow.apply(needsB);
      // @ts-expect-error: the same through a label
      narrow.apply("Bad", needsB);
      // @ts-expect-error: the input is contravariant: a transform of { a; b } is not one of { a }
      const asNarrow: PTransform<PCollection<{ a: number }>, PCollection<number>> = needsB;
      // @ts-expect-error: the output is covariant: PCollection<number> is not PCollection<1>
      const asLiteral: PTransform<PCollection<AB>, PCollection<1>> = needsB;
      // @ts-expect-error: pipe checks each stage against the previous one's output (numbers, not { a; b })
      wide.pipe(needsA, needsB);
      // @ts-expect-error: a source starts a pipeline; it does not apply to a collection
      wide.apply("NotASource", Create.of(1));
      // @ts-expect-error: nor does a transform of collections apply to the pipeline's beginning
      p.apply("NotAtTheStart", needsA);
      void [asNarrow, asLiteral];
    };
    void typeOnly;
  });

  it("pipe infers every stage, factories included, without type arguments", () => {
    const p = Pipeline.create();
    const pairs = p.apply(Create.of(kv("a", 1), kv("b", 2)));
    const grouped = pairs.pipe(Window.into(new FixedWindows(1000)), GroupByKey.create());
    expectType(grouped)<PCollection<KV<string, number[]>>>(true);
    const keys = pairs.pipe(Reshuffle.viaRandomKey(), Distinct.create(), Keys.create());
    expectType(keys)<PCollection<string>>(true);
    const parities = Pipeline.create().apply(Create.of(kv("a", 1))).pipe(Values.create(), WithKeys.of((n: number) => n % 2 === 0), Keys.create());
    expectType(parities)<PCollection<boolean>>(true);
    const parts = pairs.apply(Partition.of(2, (e) => e.value % 2));
    expectType(parts)<PCollection<KV<string, number>>[]>(true);
    const merged = parts[0]!.apply(Flatten.with(parts[1]!));
    expectType(merged)<PCollection<KV<string, number>>>(true);
    expectType(p.apply("FromArray", Create.from([1, 2, 3])))<PCollection<number>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: library transforms are made by their factories, not with `new`
      new GroupByKey();
      // @ts-expect-error: Flatten merges collections of one element type
      pairs.apply(Flatten.with(p.apply(Create.of("x"))));
      // @ts-expect-error: GroupByKey needs KV elements
      p.apply(Create.of(1)).apply(GroupByKey.create());
    };
    void typeOnly;
  });

  it("declares side inputs once, by name, and types ctx.sideInputs from the views (function form)", () => {
    const p = Pipeline.create();
    const nums = p.apply("Nums", Create.of(1, 2));
    const factor = AsSingleton(p.apply("Factor", Create.of(2)));
    const names = AsMap(p.apply("Names", Create.of(kv(1, "one"))));
    const all = AsIterable(p.apply("All", Create.of("x", "y")));
    const out = nums.apply(
      "UseSides",
      ParDo.into<string>().of(
        (n, ctx) => {
          expectType(n)<number>(true);
          expectType(ctx.sideInputs.factor)<number>(true);
          expectType(ctx.sideInputs.names)<ReadonlyMap<number, string>>(true);
          expectType(ctx.sideInputs.all)<readonly string[]>(true);
          ctx.output(`${ctx.sideInputs.names.get(n) ?? "?"}${n * ctx.sideInputs.factor}${ctx.sideInputs.all.length}`);
        },
        { sideInputs: { factor, names, all } },
      ),
    );
    expectType(out)<PCollection<string>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: reading a side input that was not declared
      nums.apply(ParDo.into<number>().of((n, ctx) => ctx.output(n * ctx.sideInputs.nope), { sideInputs: { factor } }));
      // @ts-expect-error: reading side inputs without declaring any
      nums.apply(ParDo.into<number>().of((n, ctx) => ctx.output(n * ctx.sideInputs.factor)));
      // @ts-expect-error: the old, unnamed list form is gone (side inputs are declared by name)
      nums.apply(ParDo.into<number>().of((n, ctx) => ctx.output(n), { sideInputs: [factor] }));
      // @ts-expect-error: a side input is read with its view's type (a number here, not a string)
      nums.apply(ParDo.into<number>().of((n, ctx) => ctx.output(ctx.sideInputs.factor.length), { sideInputs: { factor } }));
    };
    void typeOnly;
  });

  it("a DoFn class declares the side inputs it reads as a type parameter; ParDo.of checks the views", () => {
    type Sides = { factor: number; labels: ReadonlyMap<number, string> };
    class Scale extends DoFn<number, string, {}, Sides> {
      process(n: number, ctx: ProcessContext<string, {}, Sides>): void {
        ctx.output(`${ctx.sideInputs.labels.get(n) ?? n}×${ctx.sideInputs.factor}`);
      }
    }
    class Plain extends DoFn<number, number> {
      process(n: number, ctx: ProcessContext<number>): void {
        ctx.output(n);
      }
    }
    const p = Pipeline.create();
    const nums = p.apply("Nums", Create.of(1, 2));
    const factor = AsSingleton(p.apply("Factor", Create.of(2)));
    const labels = AsMap(p.apply("Labels", Create.of(kv(1, "one"))));
    const words = AsSingleton(p.apply("Word", Create.of("w")));
    expectType(nums.apply("Scale", ParDo.of(new Scale(), { sideInputs: { factor, labels } })))<PCollection<string>>(true);
    expectType(nums.apply("Plain", ParDo.of(new Plain())))<PCollection<number>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: the DoFn reads side inputs, so the ParDo must pass them (it was a run-time error)
      nums.apply(ParDo.of(new Scale()));
      // @ts-expect-error: one of them is missing
      nums.apply(ParDo.of(new Scale(), { sideInputs: { factor } }));
      // @ts-expect-error: passed under another name
      nums.apply(ParDo.of(new Scale(), { sideInputs: { factr: factor, labels } }));
      // @ts-expect-error: a view of the wrong type (a string, not a number)
      nums.apply(ParDo.of(new Scale(), { sideInputs: { factor: words, labels } }));
      // @ts-expect-error: a side input the DoFn does not read
      nums.apply(ParDo.of(new Plain(), { sideInputs: { factor } }));
      class Forgetful extends DoFn<number, number, {}, { factor: number }> {
        process(n: number, ctx: ProcessContext<number>): void {
          // @ts-expect-error: ctx must be typed with the DoFn's side inputs to read them
          ctx.output(n * ctx.sideInputs.factor);
        }
      }
      void Forgetful;
    };
    void typeOnly;
  });

  it("stateful DoFns read typed side inputs in process and onTimer", () => {
    type Sides = { limit: number };
    class Capped extends StatefulDoFn<string, number, string, {}, Sides> {
      readonly sum = StateSpec.value<number>("sum");
      process(e: KV<string, number>, ctx: StatefulProcessContext<string, {}, Sides>): void {
        expectType(ctx.sideInputs.limit)<number>(true);
        ctx.state(this.sum).write(Math.min(e.value, ctx.sideInputs.limit));
      }
      onTimer(_timer: string, ctx: TimerContext<string, string, {}, Sides>): void {
        expectType(ctx.fireTimestamp)<number>(true);
        expectType(ctx.timestamp)<number>(true);
        ctx.output(`${ctx.key}<=${ctx.sideInputs.limit}`);
      }
    }
    const p = Pipeline.create();
    const limit = AsSingleton(p.apply("Limit", Create.of(10)));
    const out = p.apply("Pairs", Create.of(kv("a", 1))).apply(ParDo.of(new Capped(), { sideInputs: { limit } }));
    expectType(out)<PCollection<string>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: the stateful DoFn's side input must be passed
      p.apply("Pairs2", Create.of(kv("a", 1))).apply(ParDo.of(new Capped()));
    };
    void typeOnly;
  });

  it("a function ParDo's output type is declared with ParDo.into, else it is never", () => {
    const p = Pipeline.create();
    const words = p.apply(Create.of("a", "bb"));
    const lengths = words.apply(ParDo.into<number>().of((w, ctx) => ctx.output(w.length)));
    expectType(lengths)<PCollection<number>>(true);
    const seen: string[] = [];
    // A ParDo that outputs nothing (a sink) is a PCollection<never>.
    expectType(words.apply("Sink", ParDo.of((w: string) => seen.push(w))))<PCollection<never>>(true);
    // Annotating ctx still works.
    expectType(words.apply("Annotated", ParDo.of((w: string, ctx: ProcessContext<number>) => ctx.output(w.length))))<PCollection<number>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: without a declared output type there is nothing to output (it used to be PCollection<unknown>)
      words.apply(ParDo.of((w: string, ctx) => ctx.output(w.length)));
      // @ts-expect-error: the declared output type is checked
      words.apply(ParDo.into<string>().of((w, ctx) => ctx.output(w.length)));
      // @ts-expect-error: the element type comes from where it is applied (strings have no toFixed)
      words.apply(ParDo.into<string>().of((w, ctx) => ctx.output(w.toFixed(1))));
    };
    void typeOnly;
  });
});
