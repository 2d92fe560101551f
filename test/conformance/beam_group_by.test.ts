/**
 * Beam Python's schema-less GroupBy against Beam's own tests as the oracle (ptransform_test.py
 * GroupByTest.test_groupby_attr / test_aggregate, with records for beam.Row): grouping by a field,
 * by a function, by several named keys, force_tuple_keys, and aggregate_field.
 */
import { strict as assert } from "node:assert";
import { binaryCombineFn, Combiners, Create, GroupBy, KV } from "../../lib";
import { labelledOutputs } from "./beam_helpers";

const outputs = labelledOutputs;

interface Num {
  value: number;
  square: number;
  sign: number;
}
/** Python's `beam.Row(value=x, square=x * x, sign=...)` for x in range(-2, 3). */
const ROWS: Num[] = [-2, -1, 0, 1, 2].map((x) => ({ value: x, square: x * x, sign: Math.sign(x) }));
/** Python's normalize: the key and the sorted values of the group. */
const normalize = <K>(e: KV<K, Num[]>): [K, number[]] => [e.key, e.value.map((r) => r.value).sort((a, b) => a - b)];
const all = binaryCombineFn<boolean>((a, b) => a && b, () => true);

describe("Beam Python GroupBy (ptransform_test.py GroupByTest)", () => {
  it("by a field, force_tuple_keys, several fields, a named function key (test_groupby_attr)", async () => {
    const r = await outputs((p, out) => {
      const pc = p.apply("Start", Create.from(ROWS));
      out("GroupSquare", pc.apply("G1", GroupBy.of<Num>().by("square")).map("n1", normalize));
      out("GroupSquareTupleKey", pc.apply("G2", GroupBy.of<Num>().by("square").forceTupleKeys()).map("n2", normalize));
      out("GroupSquareSign", pc.apply("G3", GroupBy.of<Num>().fields({ square: "square", sign: "sign" })).map("n3", normalize));
      out("GroupSquareNonzero", pc.apply("G4", GroupBy.of<Num>().fields({ square: "square", big: (x) => x.value > 1 })).map("n4", normalize));
      out("ByFunction", pc.apply("G5", GroupBy.by((x) => x.sign)).map("n5", normalize));
    });
    const expect = (rows: unknown[]): string[] => rows.map((x) => JSON.stringify(x)).sort();
    assert.deepEqual(r, {
      GroupSquare: expect([[0, [0]], [1, [-1, 1]], [4, [-2, 2]]]),
      GroupSquareTupleKey: expect([[{ square: 0 }, [0]], [{ square: 1 }, [-1, 1]], [{ square: 4 }, [-2, 2]]]),
      GroupSquareSign: expect([
        [{ square: 0, sign: 0 }, [0]],
        [{ square: 1, sign: 1 }, [1]],
        [{ square: 4, sign: 1 }, [2]],
        [{ square: 1, sign: -1 }, [-1]],
        [{ square: 4, sign: -1 }, [-2]],
      ]),
      GroupSquareNonzero: expect([
        [{ square: 0, big: false }, [0]],
        [{ square: 1, big: false }, [-1, 1]],
        [{ square: 4, big: false }, [-2]],
        [{ square: 4, big: true }, [2]],
      ]),
      ByFunction: expect([[-1, [-2, -1]], [0, [0]], [1, [1, 2]]]),
    });
  });

  it("aggregate_field by field name and by function, into records of the keys and the aggregates (test_aggregate)", async () => {
    const r = await outputs((p, out) => {
      const pc = p.apply("Start", Create.from(ROWS));
      out(
        "Aggregate",
        pc.apply(
          "G",
          GroupBy.of<Num>().fields({ square: "square", big: (x) => x.value > 1 })
            .aggregateField("value", Combiners.sum(), "sum")
            .aggregateField((x) => x.sign === 1, all, "positive"),
        ),
      );
      // A single function key is named `key` in the records (as the brief's country/amount example).
      out("Single", pc.apply("S", GroupBy.by((x: Num) => x.sign).aggregateField((x) => x.value, Combiners.sum(), "total").aggregateField("value", Combiners.count(), "n")));
      out("ByField", pc.apply("F", GroupBy.of<Num>().by("sign").aggregateField("square", Combiners.max(), "maxSquare")));
    });
    const expect = (rows: unknown[]): string[] => rows.map((x) => JSON.stringify(x)).sort();
    assert.deepEqual(r, {
      Aggregate: expect([
        { square: 0, big: false, sum: 0, positive: false },
        { square: 1, big: false, sum: 0, positive: false },
        { square: 4, big: false, sum: -2, positive: false },
        { square: 4, big: true, sum: 2, positive: true },
      ]),
      Single: expect([
        { key: -1, total: -3, n: 2 },
        { key: 0, total: 0, n: 1 },
        { key: 1, total: 3, n: 2 },
      ]),
      ByField: expect([
        { sign: -1, maxSquare: 4 },
        { sign: 0, maxSquare: 0 },
        { sign: 1, maxSquare: 4 },
      ]),
    });
  });

  it("refuses an aggregate whose dest is already a key or aggregate, when built", () => {
    assert.throws(() => GroupBy.of<Num>().by("sign").aggregateField("value", Combiners.sum(), "sign"), /the output field 'sign' is already a key or aggregate of this GroupBy \(sign\)/);
    assert.throws(
      () => GroupBy.by((x: Num) => x.sign).aggregateField("value", Combiners.sum(), "total").aggregateField("value", Combiners.count(), "total"),
      /'total' is already a key or aggregate of this GroupBy \(key, total\)/,
    );
  });
});
