/**
 * Join against Beam Java's JoinTest as the oracle (its inputs, and its expected rows computed as
 * JoinTestUtils.innerJoin does, key lists compared with equals: nulls equal): inner joins on the
 * same and on differently named keys, nullable keys, full, left and right outer joins, and the
 * broadcast variants, over plain-object rows, with and without RowCoders (the output schema
 * checked as Java checks getSchema()), on one and two DirectRunner workers.
 */
import { strict as assert } from "node:assert";
import { FieldType, Join, Pipeline, Schema, type SchemaRow } from "../../lib";
import { input, rows, run, schemaOf, WORKERS } from "./beam_schema_helpers";

const CG_SCHEMA_1 = Schema.of({ user: FieldType.STRING, count: FieldType.INT32, country: FieldType.STRING });
type Row1 = SchemaRow<typeof CG_SCHEMA_1>;
const CG_SCHEMA_2 = Schema.of({ user2: FieldType.STRING, count2: FieldType.INT32, country2: FieldType.STRING });
type Row2 = SchemaRow<typeof CG_SCHEMA_2>;
const CG_SCHEMA_2N = Schema.of({ user2: FieldType.nullable(FieldType.STRING), count2: FieldType.nullable(FieldType.INT32), country2: FieldType.nullable(FieldType.STRING) });
type Row2N = SchemaRow<typeof CG_SCHEMA_2N>;

const r1 = (user: string, count: number, country: string): Row1 => ({ user, count, country });
const r2 = (user2: string | null, count2: number, country2: string | null): Row2N => ({ user2, count2, country2 });
const PC1: Row1[] = [
  r1("user1", 1, "us"), r1("user1", 2, "us"), r1("user1", 3, "il"), r1("user1", 4, "il"),
  r1("user2", 5, "fr"), r1("user2", 6, "fr"), r1("user2", 7, "ar"), r1("user2", 8, "ar"), r1("user3", 8, "ar"),
];
const PC2_SAME: Row1[] = [
  r1("user1", 9, "us"), r1("user1", 10, "us"), r1("user1", 11, "il"), r1("user1", 12, "il"),
  r1("user2", 13, "fr"), r1("user2", 14, "fr"), r1("user2", 15, "ar"), r1("user2", 16, "ar"), r1("user4", 8, "ar"),
];
const PC2: Row2[] = PC2_SAME.map((r) => ({ user2: r.user, count2: r.count, country2: r.country }));
const PC2N: Row2N[] = [...PC2.slice(0, 8), r2("user3", 17, null), r2(null, 18, "ar"), r2(null, 19, null), PC2[8]!];

/** JoinTestUtils.innerJoin: every pair whose key lists are equal (null equal to null). */
function innerJoin<L, R>(ls: readonly L[], rs: readonly R[], lk: readonly (keyof L)[], rk: readonly (keyof R)[]): { lhs: L; rhs: R }[] {
  return ls.flatMap((l) => rs.filter((r) => lk.every((k, i) => l[k] === (r[rk[i]!] as unknown))).map((r) => ({ lhs: l, rhs: r })));
}

const SCHEMA_1 = "{user: STRING, count: INT32, country: STRING}";
const SCHEMA_2 = "{user2: STRING, count2: INT32, country2: STRING}";

for (const workers of WORKERS) {
  for (const withSchema of [true, false]) {
    const mode = `${withSchema ? "RowCoder rows" : "plain objects"}, ${workers} worker${workers > 1 ? "s" : ""}`;
    const schema = <T extends object>(s: Schema<T>): Schema<T> | undefined => (withSchema ? s : undefined);

    describe(`Beam Java JoinTest (${mode})`, () => {
      it("testInnerJoinSameKeys, testInnerJoinDifferentKeys: grouping and broadcast inner joins", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const pc1 = input(p, "Create1", PC1, schema(CG_SCHEMA_1));
          const pc2same = input(p, "Create2", PC2_SAME, schema(CG_SCHEMA_1));
          const pc2 = input(p, "Create3", PC2, schema(CG_SCHEMA_2));
          const same = pc1.apply("inner", Join.innerJoin(pc2same).using("user", "country"));
          const sameB = pc1.apply("innerBroadcast", Join.innerBroadcastJoin(pc2same).using("user", "country"));
          const diff = pc1.apply("innerDiff", Join.innerJoin(pc2).on(Join.FieldsEqual.left("user", "country").right("user2", "country2")));
          const diffB = pc1.apply("innerBroadcastDiff", Join.innerBroadcastJoin(pc2).on(Join.FieldsEqual.left("user", "country").right("user2", "country2")));
          if (withSchema) schemas = [same, sameB, diff, diffB].map(schemaOf);
          out("same", same);
          out("sameB", sameB);
          out("diff", diff);
          out("diffB", diffB);
        });
        const same = rows(...innerJoin(PC1, PC2_SAME, ["user", "country"], ["user", "country"]));
        const diff = rows(...innerJoin(PC1, PC2, ["user", "country"], ["user2", "country2"]));
        assert.equal(same.length, 16);
        assert.deepEqual(r, { same, sameB: same, diff, diffB: diff });
        if (withSchema) assert.deepEqual(schemas, [`lhs: ${SCHEMA_1}, rhs: ${SCHEMA_1}`, `lhs: ${SCHEMA_1}, rhs: ${SCHEMA_1}`, `lhs: ${SCHEMA_1}, rhs: ${SCHEMA_2}`, `lhs: ${SCHEMA_1}, rhs: ${SCHEMA_2}`]);
      });

      it("testInnerJoinDifferentKeysNullable2: right-hand rows with null keys match nothing on the left", async () => {
        let described = "";
        const r = await run(workers, (p, out) => {
          const pc1 = input(p, "Create1", PC1, schema(CG_SCHEMA_1));
          const pc2 = input(p, "Create2", PC2N, schema(CG_SCHEMA_2N));
          const on = Join.FieldsEqual.left("user", "country").right("user2", "country2");
          const joined = pc1.apply("inner", Join.innerJoin(pc2).on(on));
          if (withSchema) described = schemaOf(joined);
          out("inner", joined);
          out("innerBroadcast", pc1.apply("innerBroadcast", Join.innerBroadcastJoin(pc2).on(on)));
        });
        const expected = rows(...innerJoin(PC1, PC2N, ["user", "country"], ["user2", "country2"]));
        assert.deepEqual(r, { inner: expected, innerBroadcast: expected });
        if (withSchema) assert.equal(described, `lhs: ${SCHEMA_1}, rhs: {user2: STRING?, count2: INT32?, country2: STRING?}`);
      });

      it("testOuterJoinDifferentKeys, testOuterJoinSameKeys, testLeftOuterJoinSameKeys, testRightOuterJoinSameKeys (and leftOuterBroadcastJoin)", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const pc1 = input(p, "Create1", PC1, schema(CG_SCHEMA_1));
          const pc2same = input(p, "Create2", PC2_SAME, schema(CG_SCHEMA_1));
          const pc2 = input(p, "Create3", PC2, schema(CG_SCHEMA_2));
          const fullDiff = pc1.apply("outerDiff", Join.fullOuterJoin(pc2).on(Join.FieldsEqual.left("user", "country").right("user2", "country2")));
          const full = pc1.apply("outer", Join.fullOuterJoin(pc2same).using("user", "country"));
          const left = pc1.apply("leftOuter", Join.leftOuterJoin(pc2same).using("user", "country"));
          const leftB = pc1.apply("leftOuterBroadcast", Join.leftOuterBroadcastJoin(pc2same).using("user", "country"));
          const right = pc1.apply("rightOuter", Join.rightOuterJoin(pc2same).using("user", "country"));
          if (withSchema) schemas = [fullDiff, full, left, leftB, right].map(schemaOf);
          for (const [label, pc] of Object.entries({ fullDiff, full, left, leftB, right })) out(label, pc);
        });
        const inner = innerJoin(PC1, PC2_SAME, ["user", "country"], ["user", "country"]);
        const innerDiff = innerJoin(PC1, PC2, ["user", "country"], ["user2", "country2"]);
        const user3 = { lhs: r1("user3", 8, "ar"), rhs: null };
        assert.deepEqual(r, {
          fullDiff: rows(...innerDiff, user3, { lhs: null, rhs: PC2[8] }),
          full: rows(...inner, user3, { lhs: null, rhs: r1("user4", 8, "ar") }),
          left: rows(...inner, user3),
          leftB: rows(...inner, user3),
          right: rows(...inner, { lhs: null, rhs: r1("user4", 8, "ar") }),
        });
        if (withSchema) {
          assert.deepEqual(schemas, [
            `lhs: ${SCHEMA_1}?, rhs: ${SCHEMA_2}?`,
            `lhs: ${SCHEMA_1}?, rhs: ${SCHEMA_1}?`,
            `lhs: ${SCHEMA_1}, rhs: ${SCHEMA_1}?`,
            `lhs: ${SCHEMA_1}, rhs: ${SCHEMA_1}?`,
            `lhs: ${SCHEMA_1}?, rhs: ${SCHEMA_1}`,
          ]);
        }
      });

      it("null key fields equal null key fields (Java compares key rows with equals), in grouping and broadcast joins", async () => {
        const r = await run(workers, (p, out) => {
          const left = input(p, "L", [r2(null, 1, "ar"), r2("u", 2, null)], schema(CG_SCHEMA_2N));
          const right = input(p, "R", [r2(null, 3, "ar"), r2("u", 4, null), r2("u", 5, "ar")], schema(CG_SCHEMA_2N));
          out("inner", left.apply("Inner", Join.innerJoin(right).using("user2", "country2")));
          out("broadcast", left.apply("Broadcast", Join.innerBroadcastJoin(right).using("user2", "country2")));
        });
        const expected = rows({ lhs: r2(null, 1, "ar"), rhs: r2(null, 3, "ar") }, { lhs: r2("u", 2, null), rhs: r2("u", 4, null) });
        assert.deepEqual(r, { inner: expected, broadcast: expected });
      });
    });
  }
}

describe("Beam Java Join: construction errors", () => {
  it("unknown key fields, key types that differ, and unmatched key counts fail at construction, naming the transform", () => {
    const p = Pipeline.create();
    const pc1 = input(p, "Create1", PC1, CG_SCHEMA_1);
    const pc2 = input(p, "Create2", PC2, CG_SCHEMA_2);
    assert.throws(
      () => pc1.apply("J1", Join.innerJoin(pc2).on(Join.FieldsEqual.left("user").right("nope" as "user2"))),
      /Join.innerJoin\(user = nope\) right-hand side: the input's rows have no field 'nope'; its fields are: user2, count2, country2.*at transform 'J1'/,
    );
    assert.throws(() => pc1.apply("J2", Join.innerJoin(pc2).on(Join.FieldsEqual.left("count").right("user2"))), /'count' \(left\) and 'user2' \(right\) have different types.*at transform 'J2'/);
    assert.throws(() => Join.innerJoin(pc2).on<Row1, readonly ["user", "country"], readonly ["user2"]>(Join.FieldsEqual.left("user", "country").right("user2")), /2 left-hand key field\(s\) \(user, country\) but 1 right-hand/);
  });
});
