/**
 * Sets against Beam Java's SetsTest as the oracle (a ValidatesRunner test: every pairwise and
 * PCollectionList case, over strings and over schema rows, whose coder the output keeps), in batch
 * and streaming (TestStream), on one worker and on two; plus what Java checks when the pipeline is
 * built (a coder that is not deterministic, fewer than two inputs, incompatible windowing) and
 * each window computed on its own.
 */
import { strict as assert } from "node:assert";
import { Create, FieldType, FixedWindows, PipelineConstructionError, RowCoder, Schema, Sets, TestStream, Window, type PCollection, type Pipeline } from "../../lib";
import { DoubleCoder } from "../../lib/coders/primitive";
import { labelledOutputs, type Mode } from "./beam_helpers";
import { runDirect } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

const FIRST = ["a", "a", "a", "b", "b", "c", "d", "d", "g", "g", "h", "h"];
const SECOND = ["a", "a", "b", "b", "b", "c", "d", "d", "e", "e", "f", "f"];

const ALPHABET = Schema.of({ alphabet: FieldType.STRING });
const rowCoder = RowCoder.of(ALPHABET);
type AlphabetRow = { alphabet: string };

/** The letters, as one window of an hour from a Create (batch) or a TestStream (streaming). */
function input(p: Pipeline, label: string, mode: Mode, letters: readonly string[]): PCollection<string> {
  const values = letters.map((value, i) => ({ value, timestamp: i }));
  const source = mode === "batch" ? p.apply(label, Create.timestamped(values)) : p.apply(label, TestStream.create<string>().addElements(...values).advanceWatermarkToInfinity());
  // Streaming input needs a window to be grouped; batch input is windowed alike so both run the same pipeline.
  return source.apply(`Window${label}`, Window.into<string>(new FixedWindows(3_600_000)));
}

/** The same letters as rows of SetsTest's schema, with its RowCoder. */
function rows(p: Pipeline, label: string, mode: Mode, letters: readonly string[]): PCollection<AlphabetRow> {
  return input(p, label, mode, letters)
    .map(`${label}Rows`, (alphabet: string): AlphabetRow => ({ alphabet }))
    .setCoder(rowCoder as never) as PCollection<AlphabetRow>;
}

type Case = readonly [name: string, build: (p: Pipeline, mode: Mode, a: PCollection<string>, b: PCollection<string>, label: string) => PCollection<string>, expected: readonly string[]];

/** SetsTest's string cases: pairwise, and over a PCollectionList (here the first collection and the others as arguments). */
const CASES: readonly Case[] = [
  ["testIntersection", (_p, _m, a, b, label) => a.apply(label, Sets.intersectDistinct(b)), ["a", "b", "c", "d"]],
  ["testIntersectionCollectionList", (p, m, a, b, label) => a.apply(label, Sets.intersectDistinct(b, input(p, `${label}/third`, m, ["b", "b", "c", "f"]))), ["b", "c"]],
  ["testIntersectionAll", (_p, _m, a, b, label) => a.apply(label, Sets.intersectAll(b)), ["a", "a", "b", "b", "c", "d", "d"]],
  ["testIntersectionAllCollectionList", (p, m, a, b, label) => a.apply(label, Sets.intersectAll(b, input(p, `${label}/third`, m, ["a", "b", "f"]))), ["a", "b"]],
  ["testExcept", (_p, _m, a, b, label) => a.apply(label, Sets.exceptDistinct(b)), ["g", "h"]],
  ["testExceptCollectionList", (p, m, a, b, label) => a.apply(label, Sets.exceptDistinct(b, input(p, `${label}/third`, m, ["a", "b", "b", "g", "g"]))), ["h"]],
  ["testExceptAll", (_p, _m, a, b, label) => a.apply(label, Sets.exceptAll(b)), ["a", "g", "g", "h", "h"]],
  ["testExceptAllCollectionList", (p, m, a, b, label) => a.apply(label, Sets.exceptAll(b, input(p, `${label}/third`, m, ["a", "b", "b", "g", "f"]))), ["g", "h", "h"]],
  ["testUnion", (_p, _m, a, b, label) => a.apply(label, Sets.unionDistinct(b)), ["a", "b", "c", "d", "e", "f", "g", "h"]],
  ["testUnionCollectionList", (p, m, a, b, label) => a.apply(label, Sets.unionDistinct(b, input(p, `${label}/third`, m, ["a", "k", "k"]))), ["a", "b", "c", "d", "e", "f", "g", "h", "k"]],
  ["testUnionAll", (_p, _m, a, b, label) => a.apply(label, Sets.unionAll(b)), [...FIRST, ...SECOND].sort()],
  ["testUnionAllCollections", (p, m, a, b, label) => a.apply(label, Sets.unionAll(b, input(p, `${label}/third`, m, ["a", "b", "b", "k", "k"]))), [...FIRST, ...SECOND, "a", "b", "b", "k", "k"].sort()],
];

/** SetsTest's row cases (the thirds of its CollectionList cases; exceptAll's third row list has no "f", as Java's). */
const ROW_CASES: readonly (readonly [string, (a: PCollection<AlphabetRow>, b: PCollection<AlphabetRow>, third: (letters: string[]) => PCollection<AlphabetRow>, label: string) => PCollection<AlphabetRow>, readonly string[]])[] = [
  ["testIntersection", (a, b, _t, label) => a.apply(label, Sets.intersectDistinct(b)), ["a", "b", "c", "d"]],
  ["testIntersectionCollectionList", (a, b, t, label) => a.apply(label, Sets.intersectDistinct(b, t(["b", "b", "c", "f"]))), ["b", "c"]],
  ["testIntersectionAll", (a, b, _t, label) => a.apply(label, Sets.intersectAll(b)), ["a", "a", "b", "b", "c", "d", "d"]],
  ["testIntersectionAllCollectionList", (a, b, t, label) => a.apply(label, Sets.intersectAll(b, t(["a", "b", "f"]))), ["a", "b"]],
  ["testExcept", (a, b, _t, label) => a.apply(label, Sets.exceptDistinct(b)), ["g", "h"]],
  ["testExceptCollectionList", (a, b, t, label) => a.apply(label, Sets.exceptDistinct(b, t(["a", "b", "b", "g", "g"]))), ["h"]],
  ["testExceptAll", (a, b, _t, label) => a.apply(label, Sets.exceptAll(b)), ["a", "g", "g", "h", "h"]],
  ["testExceptAllCollectionList", (a, b, t, label) => a.apply(label, Sets.exceptAll(b, t(["a", "b", "b", "g"]))), ["g", "h", "h"]],
  ["testUnion", (a, b, _t, label) => a.apply(label, Sets.unionDistinct(b)), ["a", "b", "c", "d", "e", "f", "g", "h"]],
  ["testUnionCollectionList", (a, b, t, label) => a.apply(label, Sets.unionDistinct(b, t(["a", "k", "k"]))), ["a", "b", "c", "d", "e", "f", "g", "h", "k"]],
  ["testUnionAll", (a, b, _t, label) => a.apply(label, Sets.unionAll(b)), [...FIRST, ...SECOND].sort()],
  ["testUnionAllCollections", (a, b, t, label) => a.apply(label, Sets.unionAll(b, t(["a", "b", "b", "k", "k"]))), [...FIRST, ...SECOND, "a", "b", "b", "k", "k"].sort()],
];

describe("Beam conformance: Sets (SetsTest.java)", function () {
  this.timeout(120_000);

  for (const mode of ["batch", "streaming"] as Mode[]) {
    for (const workers of [1, 2]) {
      const where = `${mode}, ${workers} worker${workers > 1 ? "s" : ""}`;
      it(`every SetsTest case over strings (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collectAs) => {
            for (const [name, build] of CASES) {
              // Each case in its own composite scope, as each Java test has its own pipeline.
              collectAs(name, build(p, mode, input(p, `${name}/first`, mode, FIRST), input(p, `${name}/second`, mode, SECOND), `${name}/strings`).apply(`${name}/Out`, Window.into<string>(new FixedWindows(3_600_000))));
            }
          },
          (o) => String(o.value),
          { directNumWorkers: workers },
        );
        for (const [name, , expected] of CASES) assert.deepEqual(out[name], [...expected].sort(), name);
      });

      it(`every SetsTest case over schema rows, the output keeping the first input's RowCoder (${where})`, async () => {
        const coders: Record<string, unknown> = {};
        const out = await labelledOutputs(
          (p, collectAs) => {
            for (const [name, build] of ROW_CASES) {
              let thirds = 0;
              const third = (letters: string[]) => rows(p, `${name}/third${thirds++}`, mode, letters);
              const result = build(rows(p, `${name}/firstRows`, mode, FIRST), rows(p, `${name}/secondRows`, mode, SECOND), third, `${name}/rows`);
              coders[name] = result.coder;
              collectAs(name, result as PCollection<unknown>);
            }
          },
          (o) => (o.value as AlphabetRow).alphabet,
          { directNumWorkers: workers },
        );
        for (const [name, , expected] of ROW_CASES) {
          assert.deepEqual(out[name], [...expected].sort(), name);
          assert.equal(coders[name], rowCoder, `${name}: the output's coder is the first input's (Java: results.getSchema() is the input's)`);
        }
      });
    }
  }

  for (const workers of [1, 2]) {
    it(`each window on its own: a TestStream over two windows (${workers} worker${workers > 1 ? "s" : ""})`, async () => {
      const intersect: Observed<string>[] = [];
      const except: Observed<string>[] = [];
      // Window [0, 10): left a, a, b; right a, c.  Window [10, 20): left c, c; right b, c.
      const left = TestStream.create<string>()
        .addElements({ value: "a", timestamp: 1 }, { value: "a", timestamp: 2 }, { value: "b", timestamp: 3 })
        .advanceWatermarkTo(10)
        .addElements({ value: "c", timestamp: 11 }, { value: "c", timestamp: 12 })
        .advanceWatermarkToInfinity();
      const right = TestStream.create<string>()
        .addElements({ value: "a", timestamp: 5 }, { value: "c", timestamp: 6 })
        .advanceWatermarkTo(10)
        .addElements({ value: "b", timestamp: 15 }, { value: "c", timestamp: 16 })
        .advanceWatermarkToInfinity();
      const result = await runDirect(
        (p) => {
          const l = p.apply("Left", left).apply("WindowLeft", Window.into<string>(new FixedWindows(10)));
          const r = p.apply("Right", right).apply("WindowRight", Window.into<string>(new FixedWindows(10)));
          collect(l.apply("Intersect", Sets.intersectAll(r)), intersect, "CollectIntersect");
          collect(l.apply("Except", Sets.exceptAll(r)), except, "CollectExcept");
        },
        { directNumWorkers: workers },
      );
      await result.waitUntilFinish();
      const show = (xs: readonly Observed<string>[]) => xs.map((o) => `${o.window} ${o.value} @${o.timestamp}`).sort();
      assert.deepEqual(show(intersect), ["0:10 a @9", "10:20 c @19"]);
      assert.deepEqual(show(except), ["0:10 a @9", "0:10 b @9", "10:20 c @19"]);
    });
  }

  it("refuses a coder that is not deterministic when the pipeline is built, naming the operation (Java: the keyCoder must be deterministic)", async () => {
    await assert.rejects(
      runDirect((p) => {
        const a = p.apply("A", Create.of(0.5, -0)).setCoder(DoubleCoder.INSTANCE);
        const b = p.apply("B", Create.of(0.5, 0));
        a.apply("Common", Sets.intersectDistinct(b));
      }),
      (e: unknown) => {
        assert.ok(e instanceof PipelineConstructionError, String(e));
        assert.match(e.message, /Sets\.intersectDistinct compares elements by their encoding, but the coder of .* \(beam:coder:double:v1\) does not encode deterministically/);
        assert.match(e.message, /Common/, "the message names the application");
        return true;
      },
    );
  });

  it("accepts it with --allow_non_deterministic_key_coders, as GroupByKey does; unionAll (a Flatten) needs no deterministic coder, as Java's", async () => {
    const out = await labelledOutputs(
      (p, collectAs) => {
        const a = p.apply("A", Create.of(0.5, 1.5)).setCoder(DoubleCoder.INSTANCE);
        const b = p.apply("B", Create.of(1.5, 2.5)).setCoder(DoubleCoder.INSTANCE);
        collectAs("union", a.apply("Union", Sets.unionAll(b)));
        collectAs("intersect", a.apply("Intersect", Sets.intersectDistinct(b)));
      },
      (o) => String(o.value),
      { allowNonDeterministicKeyCoders: true },
    );
    assert.deepEqual(out, { union: ["0.5", "1.5", "1.5", "2.5"], intersect: ["1.5"] });
    await labelledOutputs((p, collectAs) => {
      const a = p.apply("A", Create.of(0.5)).setCoder(DoubleCoder.INSTANCE);
      collectAs("union", a.apply("Union", Sets.unionAll(p.apply("B", Create.of(1.5)))));
    });
  });

  it("needs at least two inputs (Java: a PCollectionList of at least two) and compatible windowing", async () => {
    assert.throws(() => Sets.exceptAll<string>(), (e: unknown) => e instanceof PipelineConstructionError && /Sets\.exceptAll needs at least one other collection/.test(e.message));
    await assert.rejects(
      runDirect((p) => {
        const a = p.apply("A", Create.of("x")).apply("Fixed", Window.into<string>(new FixedWindows(10)));
        const b = p.apply("B", Create.of("x"));
        a.apply("Union", Sets.unionDistinct(b));
      }),
      (e: unknown) => e instanceof PipelineConstructionError && /Sets\.unionDistinct inputs must have compatible windowing.*argument 1/.test(e.message),
    );
  });
});
