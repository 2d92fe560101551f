/**
 * Type-level tests of Regex and ToString: what each transform outputs, and the wrong uses that must not compile
 * (a non-string input, a group that is neither a number nor a name). This file fails to COMPILE
 * when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, kv, Pipeline, Regex, ToString, type KV, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("Regex (type-level)", () => {
  it("each transform's output type", () => {
    const p = Pipeline.create();
    const lines = p.apply("Lines", Create.of("a b c"));
    expectType(lines.apply("Matches", Regex.matches("a (b) c", 1)))<PCollection<string>>(true);
    expectType(lines.apply("AllMatches", Regex.allMatches(/a (b) c/)))<PCollection<string[]>>(true);
    expectType(lines.apply("MatchesKV", Regex.matchesKV("a (?<k>b) (c)", "k", 2)))<PCollection<KV<string, string>>>(true);
    expectType(lines.apply("Find", Regex.find("b")))<PCollection<string>>(true);
    expectType(lines.apply("FindAll", Regex.findAll("(b)")))<PCollection<string[]>>(true);
    expectType(lines.apply("FindKV", Regex.findKV("(a) (b)", 1)))<PCollection<KV<string, string>>>(true);
    expectType(lines.apply("ReplaceAll", Regex.replaceAll(/b/g, "$&$&")))<PCollection<string>>(true);
    expectType(lines.apply("ReplaceFirst", Regex.replaceFirst("b", "x")))<PCollection<string>>(true);
    expectType(lines.apply("Split", Regex.split("\\s+", true)))<PCollection<string>>(true);

    const typeOnly = (): void => {
      const numbers = p.apply("Numbers", Create.of(1, 2));
      // @ts-expect-error: Regex transforms take strings
      numbers.apply("NotText", Regex.find("1"));
      const pairs = p.apply("Pairs", Create.of(kv("a", "b")));
      // @ts-expect-error: nor KVs of strings
      pairs.apply("NotTextKV", Regex.matches("a"));
      // @ts-expect-error: a group is a number or a name
      Regex.find("(a)", true);
      // @ts-expect-error: a replacement is a string (no replacer function: a step's output is data)
      Regex.replaceAll("a", (s: string) => s.toUpperCase());
    };
    assert.equal(typeof typeOnly, "function");
  });
});

describe("ToString (type-level)", () => {
  it("strings from any element, KVs, iterables", () => {
    const p = Pipeline.create();
    const nums = p.apply("Nums", Create.of(1, 2));
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    const lists = p.apply("Lists", Create.of([1, 2], [3]));
    expectType(nums.apply("Elements", ToString.elements()))<PCollection<string>>(true);
    expectType(pairs.apply("KVs", ToString.kvs("\t")))<PCollection<string>>(true);
    expectType(lists.apply("Iterables", ToString.iterables()))<PCollection<string>>(true);
    const sets = p.apply("Sets", Create.of(new Set(["x"])));
    expectType(sets.apply("SetItems", ToString.iterables(" ")))<PCollection<string>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: kvs needs KVs
      nums.apply("NotKV", ToString.kvs());
      // @ts-expect-error: iterables needs iterables
      nums.apply("NotIterable", ToString.iterables());
      // @ts-expect-error: a delimiter is a string
      ToString.kvs(1);
    };
    assert.equal(typeof typeOnly, "function");
  });
});
