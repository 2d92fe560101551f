import { strict as assert } from "node:assert";
import {
  AsIterable,
  AsMap,
  AsMultimap,
  AsSingleton,
  Combine,
  Combiners,
  Count,
  Create,
  Distinct,
  DoFn,
  Flatten,
  GroupByKey,
  Keys,
  kv,
  KV,
  ParDo,
  Partition,
  ProcessContext,
  Reshuffle,
  Values,
  WithKeys,
} from "../../lib";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect, runOk } from "../helpers";

describe("DirectRunner: core transforms", () => {
  it("chains map, flatMap and filter", async () => {
    await runOk((p) => {
      const out = p
        .apply(Create.of("a b", "c d e", ""))
        .flatMap("Split", (line: string) => line.split(" ").filter((w) => w !== ""))
        .map("Upper", (w: string) => w.toUpperCase())
        .filter("NotC", (w: string) => w !== "C");
      assertThat(out, equalTo(["A", "B", "D", "E"]));
    });
  });

  it("fails the run when an assertion does not hold, naming the assertion", async () => {
    const result = await runDirect((p) => {
      assertThat(p.apply(Create.of(1, 2)), equalTo([1, 3]));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /AssertThat\/Check/);
    assert.match(result.error!.message, /missing \(1\): \[3\]/);
    assert.match(result.error!.message, /unexpected \(1\): \[2\]/);
  });

  it("groups values by key", async () => {
    await runOk((p) => {
      const grouped = p
        .apply(Create.of(kv("a", 1), kv("b", 2), kv("a", 3)))
        .apply(GroupByKey.create())
        .map("Sort", (g: KV<string, number[]>) => kv(g.key, [...g.value].sort()));
      assertThat(grouped, equalTo([kv("a", [1, 3]), kv("b", [2])]));
    });
  });

  it("groups by structured keys by value, not identity", async () => {
    await runOk((p) => {
      const grouped = p
        .apply(Create.of(kv({ x: 1, y: 2 }, "a"), kv({ y: 2, x: 1 }, "b"), kv({ x: 2, y: 2 }, "c")))
        .apply(Count.perKey());
      assertThat(grouped, equalTo([kv({ x: 1, y: 2 }, 2), kv({ x: 2, y: 2 }, 1)]));
    });
  });

  it("combines per key with the usual combiners", async () => {
    await runOk((p) => {
      const data = p.apply(Create.of(kv("a", 1), kv("a", 5), kv("b", 2), kv("a", 3)));
      assertThat(data.apply("Sum", Combine.perKey(Combiners.sum())), equalTo([kv("a", 9), kv("b", 2)]), "AssertSum");
      assertThat(data.apply("Mean", Combine.perKey(Combiners.mean())), equalTo([kv("a", 3), kv("b", 2)]), "AssertMean");
      assertThat(data.apply("Min", Combine.perKey(Combiners.min<number>())), equalTo([kv("a", 1), kv("b", 2)]), "AssertMin");
      assertThat(data.apply("Max", Combine.perKey(Combiners.max<number>())), equalTo([kv("a", 5), kv("b", 2)]), "AssertMax");
      assertThat(data.apply("Top2", Combine.perKey(Combiners.top<number>(2))), equalTo([kv("a", [5, 3]), kv("b", [2])]), "AssertTop");
      assertThat(data.apply("Count", Count.perKey()), equalTo([kv("a", 3), kv("b", 1)]), "AssertCount");
    });
  });

  it("combines globally, giving the empty combine for an empty input", async () => {
    await runOk((p) => {
      assertThat(p.apply("Nums", Create.of(1, 2, 3, 4)).apply("Sum", Combine.globally(Combiners.sum())), equalTo([10]), "AssertSum");
      assertThat(p.apply("None", Create.of<number>()).apply("SumNone", Combine.globally(Combiners.sum())), equalTo([0]), "AssertEmpty");
      assertThat(p.apply("Words", Create.of("a", "b", "a")).apply(Count.globally()), equalTo([3]), "AssertCount");
    });
  });

  it("counts elements, removes duplicates, keys and unkeys", async () => {
    await runOk((p) => {
      const words = p.apply(Create.of("x", "y", "x", "z", "x"));
      assertThat(words.apply(Count.perElement()), equalTo([kv("x", 3), kv("y", 1), kv("z", 1)]), "AssertCount");
      assertThat(words.apply(Distinct.create()), equalTo(["x", "y", "z"]), "AssertDistinct");
      const keyed = words.apply(WithKeys.of((w: string) => w.charCodeAt(0)));
      assertThat(keyed.apply(Keys.create()), equalTo([120, 121, 120, 122, 120]), "AssertKeys");
      assertThat(keyed.apply(Values.create()), equalTo(["x", "y", "x", "z", "x"]), "AssertValues");
    });
  });

  it("partitions and flattens", async () => {
    await runOk((p) => {
      const nums = p.apply(Create.of(1, 2, 3, 4, 5, 6, 7));
      const [even, odd] = nums.apply(Partition.of<number>(2, (n) => n % 2));
      assertThat(even!, equalTo([2, 4, 6]), "AssertEven");
      assertThat(odd!, equalTo([1, 3, 5, 7]), "AssertOdd");
      assertThat(even!.apply(Flatten.with(odd!)), equalTo([1, 2, 3, 4, 5, 6, 7]), "AssertAll");
    });
  });

  it("reshuffles without changing the elements", async () => {
    await runOk((p) => {
      const values = Array.from({ length: 200 }, (_, i) => i);
      assertThat(p.apply(Create.from(values)).apply(Reshuffle.viaRandomKey()), equalTo(values));
    });
  });

  it("reads side inputs as singleton, iterable, map and multimap", async () => {
    await runOk((p) => {
      const total = p.apply("Total", Create.of(10));
      const names = p.apply("Names", Create.of(kv(1, "one"), kv(2, "two")));
      const tags = p.apply("Tags", Create.of(kv(1, "odd"), kv(1, "small"), kv(2, "even")));
      const all = p.apply("All", Create.of(5, 6));
      const singleton = AsSingleton(total);
      const map = AsMap(names);
      const multimap = AsMultimap(tags);
      const iterable = AsIterable(all);
      const out = p.apply("Main", Create.of(1, 2)).apply(
        "Describe",
        ParDo.into<string>().of(
          (n, ctx) => {
            const tagList = [...(ctx.sideInputs.multimap.get(n) ?? [])].sort().join("+");
            const sum = ctx.sideInputs.iterable.reduce((a, b) => a + b, 0);
            ctx.output(`${ctx.sideInputs.map.get(n)}/${n * ctx.sideInputs.singleton}/${tagList}/${sum}`);
          },
          { sideInputs: { singleton, map, multimap, iterable } },
        ),
      );
      assertThat(out, equalTo(["one/10/odd+small/11", "two/20/even/11"]));
    });
  });

  it("fails clearly when a singleton side input is empty and has no default", async () => {
    const result = await runDirect((p) => {
      const view = AsSingleton(p.apply("Empty", Create.of<number>()));
      p.apply("Main", Create.of(1)).apply("UseIt", ParDo.into<number>().of((n, ctx) => ctx.output(n + ctx.sideInputs.view), { sideInputs: { view } }));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /singleton side input .*Empty.* is empty/);
    assert.match(result.error!.message, /UseIt/);
  });

  it("emits typed tagged outputs", async () => {
    class SplitBySize extends DoFn<string, string, { long: string; lengths: number }> {
      process(word: string, ctx: ProcessContext<string, { long: string; lengths: number }>): void {
        if (word.length > 3) ctx.outputTo("long", word);
        else ctx.output(word);
        ctx.outputTo("lengths", word.length);
      }
    }
    await runOk((p) => {
      const outs = p.apply(Create.of("a", "abcd", "xyz", "hello")).apply(ParDo.of(new SplitBySize()).withOutputs("long", "lengths"));
      assertThat(outs.main, equalTo(["a", "xyz"]), "AssertMain");
      assertThat(outs.long, equalTo(["abcd", "hello"]), "AssertLong");
      assertThat(outs.lengths, equalTo([1, 4, 3, 5]), "AssertLengths");
    });
  });

  it("gives the same results with several workers", async () => {
    const values = Array.from({ length: 1000 }, (_, i) => `w${i % 37}`);
    const expected = Array.from({ length: 37 }, (_, i) => kv(`w${i}`, values.filter((v) => v === `w${i}`).length));
    await runOk(
      (p) => {
        assertThat(p.apply(Create.from(values)).apply(Reshuffle.viaRandomKey()).apply(Count.perElement()), equalTo(expected));
      },
      { directNumWorkers: 3 },
    );
  });
});

describe("DirectRunner: GroupByKey past its memory budget", () => {
  it("spills to disk and still groups every value (end to end)", async () => {
    const n = 30_000;
    const values = Array.from({ length: n }, (_, i) => kv(`k${i % 3000}`, i));
    const result = await runOk(
      (p) => {
        const sizes = p
          .apply(Create.from(values))
          .apply(GroupByKey.create())
          .map("Summarise", (g: KV<string, number[]>) => kv(g.key, g.value.reduce((a, b) => a + b, 0)));
        const expected = new Map<string, number>();
        for (const v of values) expected.set(v.key, (expected.get(v.key) ?? 0) + v.value);
        assertThat(sizes, equalTo([...expected].map(([k, s]) => kv(k, s))));
      },
      { directShuffleMemoryMb: 0.05 },
    );
    assert.ok(result.metrics.counterTotal("beamline", "shuffleSpills", "GroupByKey") > 1);
  });
});
