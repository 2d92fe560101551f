/**
 * Regex against Beam's own tests as the oracle: Beam Java's RegexTest (whose semantics Beamline
 * follows) and Beam Python's util_test.py RegexTest, with Beam's expected outputs. Where Python's
 * differ (its `matches` matches a prefix, `find_all` lists every match, `split` outputs one list,
 * `find_kv` every match), the Python case is run in the Beamline spelling the migration guide gives.
 */
import { strict as assert } from "node:assert";
import { Create, kv, PipelineConstructionError, Regex, type PCollection, type PTransform } from "../../lib";
import { runDirect } from "../helpers";
import { outputsOf } from "./beam_helpers";

/** The outputs of `transform` over `input`, as sorted JSON. */
async function run<O>(input: readonly string[], transform: PTransform<PCollection<string>, PCollection<O>>): Promise<string[]> {
  const out = await outputsOf(Create.from(input), (pc) => pc.apply(transform));
  return out.map((o) => JSON.stringify(o.value)).sort();
}
const sorted = (values: readonly unknown[]): string[] => values.map((v) => JSON.stringify(v)).sort();

describe("Beam Regex (RegexTest.java)", () => {
  it("testFind, testFindGroup, testFindNone, testFindNameGroup, testFindNameNone", async () => {
    assert.deepEqual(await run(["aj", "xj", "yj", "zj"], Regex.find("[xyz]")), sorted(["x", "y", "z"]));
    assert.deepEqual(await run(["aj", "xj", "yj", "zj"], Regex.find("([xyz])", 1)), sorted(["x", "y", "z"]));
    assert.deepEqual(await run(["a", "b", "c", "d"], Regex.find("[xyz]")), []);
    assert.deepEqual(await run(["aj", "xj", "yj", "zj"], Regex.find("(?<namedgroup>[xyz])", "namedgroup")), sorted(["x", "y", "z"]));
    assert.deepEqual(await run(["a", "b", "c", "d"], Regex.find("(?<namedgroup>[xyz])", "namedgroup")), []);
  });

  it("testFindAllGroups: the groups of the first match", async () => {
    assert.deepEqual(await run(["aj", "xjx", "yjy", "zjz"], Regex.findAll("([xyz])j([xyz])")), sorted([["xjx", "x", "x"], ["yjy", "y", "y"], ["zjz", "z", "z"]]));
  });

  it("testKVFind, testKVFindNone, testKVFindName, testKVFindNameNone", async () => {
    assert.deepEqual(await run(["a b c"], Regex.findKV("a (b) (c)", 1, 2)), sorted([kv("b", "c")]));
    assert.deepEqual(await run(["x y z"], Regex.findKV("a (b) (c)", 1, 2)), []);
    assert.deepEqual(await run(["a b c"], Regex.findKV("a (?<keyname>b) (?<valuename>c)", "keyname", "valuename")), sorted([kv("b", "c")]));
    assert.deepEqual(await run(["x y z"], Regex.findKV("a (?<keyname>b) (?<valuename>c)", "keyname", "valuename")), []);
  });

  it("testMatches, testMatchesNone, testMatchesGroup, testMatchesName, testMatchesNameNone", async () => {
    assert.deepEqual(await run(["a", "x", "y", "z"], Regex.matches("[xyz]")), sorted(["x", "y", "z"]));
    assert.deepEqual(await run(["a", "b", "c", "d"], Regex.matches("[xyz]")), []);
    assert.deepEqual(await run(["a", "x xxx", "x yyy", "x zzz"], Regex.matches("x ([xyz]*)", 1)), sorted(["xxx", "yyy", "zzz"]));
    assert.deepEqual(await run(["a", "x xxx", "x yyy", "x zzz"], Regex.matches("x (?<namedgroup>[xyz]*)", "namedgroup")), sorted(["xxx", "yyy", "zzz"]));
    assert.deepEqual(await run(["a", "b", "c", "d"], Regex.matches("x (?<namedgroup>[xyz]*)", "namedgroup")), []);
  });

  it("matches needs the whole string, backtracking into alternatives as Java's Matcher.matches", async () => {
    assert.deepEqual(await run(["ab", "abc", "a"], Regex.matches("a|ab")), sorted(["a", "ab"]));
    assert.deepEqual(await run(["x\ny"], Regex.matches(/^x$/m)), []);
  });

  it("testAllMatches, testKVMatches, testKVMatchesNone, testKVMatchesName, testKVMatchesNameNone", async () => {
    assert.deepEqual(await run(["a x", "x x", "y y", "z z"], Regex.allMatches("([xyz]) ([xyz])")), sorted([["x x", "x", "x"], ["y y", "y", "y"], ["z z", "z", "z"]]));
    assert.deepEqual(await run(["a b c"], Regex.matchesKV("a (b) (c)", 1, 2)), sorted([kv("b", "c")]));
    assert.deepEqual(await run(["x y z"], Regex.matchesKV("a (b) (c)", 1, 2)), []);
    assert.deepEqual(await run(["a b c"], Regex.matchesKV("a (?<keyname>b) (?<valuename>c)", "keyname", "valuename")), sorted([kv("b", "c")]));
    assert.deepEqual(await run(["x y z"], Regex.matchesKV("a (?<keyname>b) (?<valuename>c)", "keyname", "valuename")), []);
  });

  it("testReplaceAll, testReplaceAllMixed, testReplaceFirst, testReplaceFirstMixed", async () => {
    assert.deepEqual(await run(["xj", "yj", "zj"], Regex.replaceAll("[xyz]", "new")), sorted(["newj", "newj", "newj"]));
    assert.deepEqual(await run(["abc", "xj", "yj", "zj", "def"], Regex.replaceAll("[xyz]", "new")), sorted(["abc", "newj", "newj", "newj", "def"]));
    assert.deepEqual(await run(["xjx", "yjy", "zjz"], Regex.replaceFirst("[xyz]", "new")), sorted(["newjx", "newjy", "newjz"]));
    assert.deepEqual(await run(["abc", "xjx", "yjy", "zjz", "def"], Regex.replaceFirst("[xyz]", "new")), sorted(["abc", "newjx", "newjy", "newjz", "def"]));
  });

  it("testSplits, testSplitsWithEmpty, testSplitsWithoutEmpty: each piece an element", async () => {
    const line = ["The  quick   brown fox jumps over    the lazy dog"];
    const words = ["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"];
    assert.deepEqual(await run(line, Regex.split("\\W+")), sorted(words));
    assert.deepEqual(await run(line, Regex.split("\\s", true)), sorted(["The", "", "quick", "brown", "", "", "fox", "jumps", "over", "", "", "", "the", "lazy", "dog"]));
    assert.deepEqual(await run(line, Regex.split("\\s", false)), sorted(words));
  });

  it("split as Java's Pattern.split: capture groups are not pieces, a zero-width match at the start makes no empty piece", async () => {
    assert.deepEqual(await run(["a1b2c"], Regex.split("(\\d)")), sorted(["a", "b", "c"]));
    assert.deepEqual(await run(["abc"], Regex.split("", true)), sorted(["a", "b", "c", ""]));
  });

  it("a group the pattern lacks is refused when the transform is made; a bad pattern too", () => {
    assert.throws(() => Regex.find("([xyz])", 2), (e: Error) => e instanceof PipelineConstructionError && /Regex\.find: \/\(\[xyz\]\)\/ has no group 2 \(it has groups 0\.\.1\)/.test(e.message));
    assert.throws(() => Regex.matchesKV("(?<k>a)", "k", "v"), (e: Error) => e instanceof PipelineConstructionError && /no group "v".*names k/.test(e.message));
    assert.throws(() => Regex.split("(", true), (e: Error) => e instanceof PipelineConstructionError && /Regex\.split: .*valid JavaScript regular expression/.test(e.message));
  });

  it("an optional group that took no part in the match fails the step, named (Java's String coder refuses its null)", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of("a")).apply("Groups", Regex.find("a(b)?", 1));
    });
    await assert.rejects(result.waitUntilFinish(), (e: Error) => /Groups/.test(e.message) && /group 1 took no part in the match of "a"/.test(e.message));
  });
});

describe("Beam Python Regex (util_test.py RegexTest)", () => {
  it("test_find*, test_match_group*, test_all_matched, test_match_group_kv*, test_match_kv_group_names*", async () => {
    assert.deepEqual(await run(["aj", "xj", "yj", "zj"], Regex.find(/[xyz]/)), sorted(["x", "y", "z"]));
    assert.deepEqual(await run(["aj", "xj", "yj", "zj"], Regex.find("([xyz])j", 1)), sorted(["x", "y", "z"]));
    assert.deepEqual(await run(["aj", "xj", "yj", "zj"], Regex.find(/(?<namedgroup>[xyz])j/, "namedgroup")), sorted(["x", "y", "z"]));
    assert.deepEqual(await run(["a", "x xxx", "x yyy", "x zzz"], Regex.matches(/x (?<namedgroup>[xyz]*)/, "namedgroup")), sorted(["xxx", "yyy", "zzz"]));
    assert.deepEqual(await run(["a x", "x x", "y y", "z z"], Regex.allMatches(/([xyz]) ([xyz])/)), sorted([["x x", "x", "x"], ["y y", "y", "y"], ["z z", "z", "z"]]));
    assert.deepEqual(await run(["a b c"], Regex.matchesKV(/a (b) (c)/, 1)), sorted([kv("b", "a b c")]));
    assert.deepEqual(await run(["a b c"], Regex.matchesKV(/a (?<keyname>b) (?<valuename>c)/, "keyname", "valuename")), sorted([kv("b", "c")]));
    assert.deepEqual(await run(["a b c d"], Regex.findKV("a (b) (c)", 1)), sorted([kv("b", "a b c")]));
  });

  it("test_match_mixed, test_match_entire_line: Python's prefix match is Beamline's matches with [\\s\\S]* after", async () => {
    assert.deepEqual(await run(["a", "ax", "yby", "zzc"], Regex.matches("([xyz])[\\s\\S]*", 1)), sorted(["y", "z"]));
    assert.deepEqual(await run(["a", "x", "y", "ay", "zz"], Regex.matches("[xyz]")), sorted(["x", "y"]));
  });

  it("test_replace_all_mixed_pattern, test_replace_first_mixed_pattern", async () => {
    assert.deepEqual(await run(["abc", "xj", "yj", "zj", "def"], Regex.replaceAll(/[xyz]/g, "new")), sorted(["abc", "newj", "newj", "newj", "def"]));
    assert.deepEqual(await run(["abc", "xjx", "yjy", "zjz", "def"], Regex.replaceFirst(/[xyz]/g, "new")), sorted(["abc", "newjx", "newjy", "newjz", "def"]));
  });
});
