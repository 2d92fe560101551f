/**
 * Beam Java FlattenTest's coder cases (testFlattenMultipleCoders, testFlattenWithDifferentInputAndOutputCoders2):
 * a Flatten's inputs may have coders of their own and its output another, set on it; the elements
 * are the same whichever coder carries them. In batch (one worker and two, where outputs cross
 * workers encoded), streaming, and through the Fn API harness (fn_runner_helpers.ts). Also GroupByKeyTest.testLargeKeys10MB (beam_group_by_key.test.ts
 * has the 10 KB to 1 MB keys), in batch.
 */
import { strict as assert } from "node:assert";
import { Create, Flatten, GroupByKey, kv, Values, WithKeys, type KV } from "../../lib";
import { DoubleCoder, StringUtf8Coder, VarIntCoder } from "../../lib/coders/primitive";
import { IterableCoder, KVCoder, NullableCoder } from "../../lib/coders/structural";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";
import { harnessOutputs } from "./fn_runner_helpers";

const LINES = ["Let's", "test", "flatten", "with", "multiple", "coders"];

const runs: { mode: Mode; workers: number; harness?: boolean }[] = [
  { mode: "batch", workers: 1 },
  { mode: "batch", workers: 2 },
  { mode: "streaming", workers: 1 },
  // Through the Fn API harness: each input keeps its coder, and a transcoding step before the Flatten re-encodes it with the output's.
  { mode: "batch", workers: 1, harness: true },
];

for (const { mode, workers, harness } of runs) {
  const outputsOf = harness === true ? harnessOutputs : labelledOutputs;
  describe(`Beam Java FlattenTest (coders): ${mode}, ${harness === true ? "through the Fn API harness" : `${workers} worker(s)`}`, () => {
    const at0 = <T>(values: readonly T[]) => values.map((value) => ({ value, timestamp: 0 }));

    it("inputs with different coders, the output with a third (testFlattenMultipleCoders)", async () => {
      const out = await outputsOf(
        (p, collectAs) => {
          // Java's NullableCoder(BigEndianLongCoder) and VarLongCoder: a nullable double here, and varints.
          const doubles = timestamped<number | null>(p, "BigEndianLongs", mode, at0([0, 1, 2, 3, null, 4, 5, null, 6, 7, 8, null, 9])).setCoder(new NullableCoder(DoubleCoder.INSTANCE));
          const varLongs = timestamped<number | null>(p, "VarLengthLongs", mode, at0([0, 1, 2, 3, 4])).setCoder(new NullableCoder(VarIntCoder.INSTANCE));
          const flattened = p.apply("Flatten", Flatten.pCollections(doubles, varLongs)).setCoder(new NullableCoder(VarIntCoder.INSTANCE));
          collectAs("out", flattened);
        },
        undefined,
        { directNumWorkers: workers },
      );
      assert.deepEqual(out.out, ["0", "0", "1", "1", "2", "2", "3", "3", "4", "4", "5", "6", "7", "8", "9", "null", "null", "null"]);
    });

    // Java's grouping of a bounded Create in the global window: refused over a TestStream (no trigger), in Beam as here.
    if (mode === "batch") it("a grouping's output flattened under another coder, then its values (testFlattenWithDifferentInputAndOutputCoders2)", async () => {
      const out = await outputsOf(
        (p, collectAs) => {
          const grouped = timestamped(p, "Create", mode, at0(LINES))
            .apply("WithKeys", WithKeys.of<string, string>("a"))
            .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, StringUtf8Coder.INSTANCE))
            .apply("GroupByKey", GroupByKey.create<string, string>());
          const flattened = p.apply("Flatten", Flatten.pCollections(grouped)).setCoder(new KVCoder<string, string[]>(StringUtf8Coder.INSTANCE, new IterableCoder<string>(StringUtf8Coder.INSTANCE)));
          const values = flattened.apply("Values", Values.create<string[]>()).setCoder(new IterableCoder(StringUtf8Coder.INSTANCE));
          collectAs("out", values.flatMap("FlatMap", (vs: string[]) => vs));
        },
        (o) => String(o.value),
        { directNumWorkers: workers },
      );
      assert.deepEqual(out.out, [...LINES].sort());
    });
  });
}

for (const workers of [1, 2]) {
  describe(`Beam Java GroupByKeyTest.testLargeKeys10MB: batch, ${workers} worker(s)`, function () {
    this.timeout(120_000);
    it("keys of 10 MB group by value (testLargeKeys10MB)", async () => {
      const size = 10 << 20;
      const out = await labelledOutputs(
        (p, collectAs) => {
          const counts = p
            .apply("Letters", Create.of("a", "a", "b"))
            .map("Expand", (c: string) => kv(c.repeat(size), c))
            .apply("Group", GroupByKey.create<string, string>())
            .map("Count", (g: KV<string, string[]>) => `${g.key.length === size ? g.key[0] : "wrong key"}=${g.value.length}`);
          collectAs("out", counts);
        },
        (o) => String(o.value),
        { directNumWorkers: workers },
      );
      assert.deepEqual(out.out, ["a=2", "b=1"]);
    });
  });
}
