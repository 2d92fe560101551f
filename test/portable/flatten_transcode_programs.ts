/**
 * Flattens whose inputs runners encode with different coders, as one program for portable runners
 * (the translation puts a transcoding step before each input whose coder differs from the
 * Flatten's output's, runners/portable/flatten_transcode.ts): Beam Python's fn_runner_test.py
 * test_flatten_and_gbk and test_flattened_side_input with and without transcoding, Beam Java
 * FlattenTest's coder cases (testFlattenMultipleCoders, testFlattenWithDifferentInputAndOutputCoders
 * and ...Coders2), a Flatten of two GroupByKey outputs with different value coders, and a Flatten
 * of key-value and plain elements keyed by a Map before a GroupByKey, and bigints transcoded to a
 * varint coder over bigints, and two groupings flattened into a Reshuffle and a GroupByKey. Each result a "name=value"
 * line, all written to one text output. Also a program whose Flatten of key-value and plain
 * elements feeds a GroupByKey directly, which cannot run anywhere.
 */
import { AsMap, Create, definePipeline, Flatten, GroupByKey, kv, ParDo, Reshuffle, Values, WithKeys, type KV, type PCollection } from "../../lib";
import { BigIntVarIntCoder, DoubleCoder, StringUtf8Coder, VarIntCoder } from "../../lib/coders/primitive";
import { IterableCoder, KVCoder, NullableCoder } from "../../lib/coders/structural";
import { JsValueCoder } from "../../lib/coders/js_value";
import type { Coder } from "../../lib/coders/coder";
import { WriteToText } from "../../lib/io/textio";

const lines = (name: string, values: readonly string[]): string[] => values.map((v) => `${name}=${v}`);
const show = (x: unknown): string => JSON.stringify(x);
const LINES = ["Let's", "test", "flatten", "with", "multiple", "coders"];

/** The program's output lines, sorted: Beam's expectations for each case. */
export const FLATTEN_TRANSCODE_EXPECTED: readonly string[] = [
  // test_flatten_and_gbk, with transcoding (a plain string beside a grouped KV) and without.
  ...lines("flattenAndGbk", [show(kv("a", 1)), show("another_type")]),
  ...lines("flattenAndGbkGrouped", [show(kv("a", [1]))]),
  ...lines("flattenAndGbkSame", [show(kv("a", 1)), show(kv("b", 2))]),
  // test_flattened_side_input with transcoding: a Flatten read as a map, flattened again with a string.
  ...lines("flattenedSideInput", [show([null, { a: 1, b: 2 }])]),
  ...lines("flattenOfSideInput", [show(kv("a", 1)), show(kv("b", 2)), show("another_type")]),
  // FlattenTest.testFlattenMultipleCoders.
  ...lines("multipleCoders", ["0", "0", "1", "1", "2", "2", "3", "3", "4", "4", "5", "6", "7", "8", "9", "null", "null", "null"]),
  // FlattenTest.testFlattenWithDifferentInputAndOutputCoders and ...Coders2.
  ...lines("differentCoders", LINES),
  ...lines("differentCoders2", LINES),
  // Two GroupByKey outputs whose value coders differ.
  ...lines("twoGroupings", [show(kv("a", ["x"])), show(kv("b", ["y"]))]),
  // A Flatten of KV and plain elements, keyed by a Map, then grouped.
  ...lines("keyedAfterFlatten", [show(kv("object", [kv("a", 1), kv("a", 2)])), show(kv("string", ["p", "q"]))]),
  ...lines("keyedAfterFlattenGrouped", [show(kv("a", [1, 2]))]),
  // Java longs as bigints: the output has the first input's varint coder (over bigints).
  ...lines("bigints", ["bigint:-5", "bigint:9007199254740993"]),
  // Two groupings flattened, reshuffled and grouped again.
  ...lines("reshuffledGroups", [show(kv("a", [[1, 2]])), show(kv("b", [[3, 4]]))]),
].sort();

const sortedValues = <K, V>(g: KV<K, V[]>): KV<K, V[]> => kv(g.key, [...g.value].sort((a, b) => show(a).localeCompare(show(b))));

export const flattenTranscodeProgram = definePipeline({
  name: "portable-test-flatten-transcode",
  description: "Flattens of inputs with different coders",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const out: PCollection<string>[] = [];
    const emit = <T>(name: string, pc: PCollection<T>, fmt: (x: T) => string = show): void => void out.push(pc.map(`Show ${name}`, (x: T) => `${name}=${fmt(x)}`));

    // test_flatten_and_gbk: side1 is grouped (so runners get it as KV), side2 holds a plain string.
    const side1 = root.apply("side1", Create.of(kv("a", 1)));
    const side2 = root.apply("side2", Create.of("another_type"));
    emit("flattenAndGbk", root.apply("FlattenAndGbk", Flatten.pCollections<KV<string, number> | string>(side1, side2)));
    emit("flattenAndGbkGrouped", side1.apply("Gbk", GroupByKey.create<string, number>()));
    const sameType = root.apply("side2Same", Create.of(kv("b", 2)));
    emit("flattenAndGbkSame", root.apply("FlattenSame", Flatten.pCollections(side1, sameType)));

    // test_flattened_side_input: the Flatten is read as a map (keyed), then flattened with a string.
    const main = root.apply("main", Create.of(null));
    const sideB = root.apply("sideB", Create.of(kv("b", 2)));
    const side = root.apply("FlattenSide", Flatten.pCollections(side1, sideB));
    emit("flattenedSideInput", main.apply("AsDict", ParDo.into<[null, Record<string, number>]>().of((a: null, ctx) => ctx.output([a, Object.fromEntries([...ctx.sideInputs.d].sort(([x], [y]) => x.localeCompare(y)))]), { sideInputs: { d: AsMap(side) } })));
    emit("flattenOfSideInput", root.apply("FlattenAfter", Flatten.pCollections<KV<string, number> | string>(side, side2)));

    // FlattenTest.testFlattenMultipleCoders: NullableCoder(BigEndianLong) and VarLong in, NullableCoder(VarLong) out.
    const bigEndian = root.apply("BigEndianLongs", Create.of<number | null>(0, 1, 2, 3, null, 4, 5, null, 6, 7, 8, null, 9)).setCoder(new NullableCoder(DoubleCoder.INSTANCE));
    const varLongs = root.apply("VarLengthLongs", Create.of<number | null>(0, 1, 2, 3, 4)).setCoder(VarIntCoder.INSTANCE as Coder<number | null>);
    emit("multipleCoders", root.apply("FlattenMultipleCoders", Flatten.pCollections(bigEndian, varLongs)).setCoder(new NullableCoder(VarIntCoder.INSTANCE)), String);

    // FlattenTest.testFlattenWithDifferentInputAndOutputCoders: an SDK coder in, KV(string, string) out, grouped.
    const keyedLines = root.apply("Lines", Create.from(LINES)).apply("WithKeys", WithKeys.of<string, string>("a"));
    const differentOut = root
      .apply("FlattenDifferent", Flatten.pCollections(keyedLines.setCoder(new JsValueCoder<KV<string, string>>())))
      .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, StringUtf8Coder.INSTANCE))
      .apply("GroupDifferent", GroupByKey.create<string, string>())
      .apply("ValuesDifferent", Values.create<string[]>());
    emit("differentCoders", differentOut.flatMap("EachDifferent", (vs: string[]) => vs), String);
    // ...Coders2: a grouping's output flattened under an SDK coder.
    const grouped2 = root
      .apply("Lines2", Create.from(LINES))
      .apply("WithKeys2", WithKeys.of<string, string>("a"))
      .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, StringUtf8Coder.INSTANCE))
      .apply("Group2", GroupByKey.create<string, string>());
    const different2 = root
      .apply("FlattenDifferent2", Flatten.pCollections(grouped2))
      .setCoder(new JsValueCoder<KV<string, string[]>>())
      .apply("Values2", Values.create<string[]>())
      .setCoder(new IterableCoder(StringUtf8Coder.INSTANCE));
    emit("differentCoders2", different2.flatMap("Each2", (vs: string[]) => vs), String);

    // Two GroupByKey outputs the runner encodes with different value coders.
    const grouping = (name: string, key: string, value: string, values: Coder<unknown>): PCollection<KV<string, string[]>> =>
      root
        .apply(`${name}Create`, Create.of(kv(key, value)))
        .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, values) as Coder<KV<string, string>>)
        .apply(`${name}Group`, GroupByKey.create<string, string>());
    emit("twoGroupings", root.apply("FlattenGroupings", Flatten.pCollections(grouping("A", "a", "x", StringUtf8Coder.INSTANCE as Coder<unknown>), grouping("B", "b", "y", new JsValueCoder()))));

    // KV and plain elements flattened, then a Map keys everything and a GroupByKey groups it; the KV input is grouped too.
    const pairs = root.apply("Pairs", Create.of(kv("a", 1), kv("a", 2)));
    emit("keyedAfterFlattenGrouped", pairs.apply("GroupPairs", GroupByKey.create<string, number>()), (g) => show(sortedValues(g)));
    const plain = root.apply("Plain", Create.of("p", "q"));
    const keyed = root
      .apply("FlattenMixed", Flatten.pCollections<KV<string, number> | string>(pairs, plain))
      .map("KeyByType", (x: KV<string, number> | string) => kv(typeof x, x))
      .apply("GroupByType", GroupByKey.create<string, KV<string, number> | string>());
    emit("keyedAfterFlatten", keyed, (g) => show(sortedValues(g)));

    // Bigints under BigIntVarIntCoder flattened with bigints under the default coder: the output has
    // the first input's coder, and the transcoded second input must encode bigints with it.
    const bigs = root.apply("Bigs", Create.of(9007199254740993n)).setCoder(BigIntVarIntCoder.INSTANCE);
    const defaultBigs = root.apply("DefaultBigs", Create.of(-5n));
    emit("bigints", root.apply("FlattenBigints", Flatten.pCollections(bigs, defaultBigs)), (x) => `${typeof x}:${x}`);

    // Two groupings flattened, then a Reshuffle and a GroupByKey: the inputs agree on the runner's
    // coder for a grouping (KV), which the Reshuffle (one coder for its input and output) takes as
    // well, so nothing is transcoded.
    const regroup = (name: string, key: string, value: number): PCollection<KV<string, number[]>> =>
      root.apply(`${name}Create`, Create.of(kv(key, value), kv(key, value + 1))).apply(`${name}Group`, GroupByKey.create<string, number>());
    const reshuffled = root
      .apply("FlattenReshuffle", Flatten.pCollections(regroup("RA", "a", 1), regroup("RB", "b", 3)))
      .apply("ReshuffleFlattened", Reshuffle.viaRandomKey())
      .apply("GroupReshuffled", GroupByKey.create<string, number[]>());
    emit("reshuffledGroups", reshuffled, (g) => show(kv(g.key, g.value.map((v) => [...v].sort((x, y) => x - y)))));

    root.apply("All", Flatten.pCollections(...out)).apply("Write", WriteToText.to(`${flags.output}/out`));
  },
});

/** A Flatten of KV and plain elements read by a GroupByKey: the plain element cannot be grouped (Beam fails it too). */
export const flattenPlainIntoGroupingProgram = definePipeline({
  name: "portable-test-flatten-plain-into-grouping",
  description: "A Flatten of KV and plain elements, grouped by key",
  flags: {},
  build(root) {
    const pairs = root.apply("Pairs", Create.of(kv("a", 1)));
    const plain = root.apply("Plain", Create.of("not a pair"));
    // The plain collection typed as pairs, as an untyped program would pass it.
    root.apply("Mixed", Flatten.pCollections(pairs, plain as unknown as PCollection<KV<string, number>>)).apply("Group", GroupByKey.create<string, number>());
  },
});
