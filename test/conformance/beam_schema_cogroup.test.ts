/**
 * CoGroup against Beam Java's CoGroupTest as the oracle: grouping three inputs by the same fields
 * (testCoGroupByFieldNames), by differently named fields per input (testCoGroupByDifferentFields),
 * cross products with every input required (testInnerJoin), some optional (testPartialOuterJoin)
 * and all optional (testFullOuterJoin), and the construction errors (testMismatchingKeys,
 * testUnderspecifiedCoGroup); over plain-object rows, with and without RowCoders (the output schema
 * checked as Java checks getSchema()), on one and two DirectRunner workers. The cross products'
 * expected rows are computed as Java's JoinTestUtils and the tests' added outer rows are.
 */
import { strict as assert } from "node:assert";
import { By, CoGroup, FieldType, Pipeline, Schema } from "../../lib";
import { input, rows, run, schemaOf, show, WORKERS } from "./beam_schema_helpers";

const CG_SCHEMA_1 = Schema.of({ user: FieldType.STRING, count: FieldType.INT32, country: FieldType.STRING });
const CG_SCHEMA_2 = Schema.of({ user2: FieldType.STRING, count2: FieldType.INT32, country2: FieldType.STRING });
const CG_SCHEMA_3 = Schema.of({ user3: FieldType.STRING, count3: FieldType.INT32, country3: FieldType.STRING });
const r1 = (user: string, count: number, country: string) => ({ user, count, country });
const r2 = (user2: string, count2: number, country2: string) => ({ user2, count2, country2 });
const r3 = (user3: string, count3: number, country3: string) => ({ user3, count3, country3 });

/** testCoGroupByFieldNames' inputs: counts 1-8, 9-16 and 17-24 over four keys, two rows each. */
const KEYS: [string, string][] = [["user1", "us"], ["user1", "il"], ["user2", "fr"], ["user2", "ar"]];
const grouped = (from: number) => KEYS.flatMap(([u, c], i) => [r1(u, from + 2 * i, c), r1(u, from + 2 * i + 1, c)]);

/** Rows for the cross products: keys in all three inputs, in two, and in one. */
const PC1 = [r1("user1", 1, "us"), r1("user2", 8, "ar"), r1("user3", 7, "ar")];
const PC2 = [r2("user1", 9, "us"), r2("user1", 10, "us"), r2("user3", 7, "ar")];
const PC3 = [r3("user1", 17, "us"), r3("user2", 23, "ar"), r3("user27", 24, "se")];
type AnyRow = Record<string, unknown>;
const keyOf = (r: AnyRow, fields: readonly string[]) => JSON.stringify(fields.map((f) => r[f]));

/** The cross product per key, an optional input as null when it has none (Java's CoGroup.crossProductJoin). */
function crossProduct(inputs: Record<string, { rows: readonly AnyRow[]; key: readonly string[]; optional: boolean }>): AnyRow[] {
  const tags = Object.keys(inputs).sort();
  const keys = new Set(tags.flatMap((t) => inputs[t]!.rows.map((r) => keyOf(r, inputs[t]!.key))));
  const out: AnyRow[] = [];
  for (const k of keys) {
    const lists = tags.map((t) => {
      const matching = inputs[t]!.rows.filter((r) => keyOf(r, inputs[t]!.key) === k);
      return matching.length === 0 && inputs[t]!.optional ? [null] : matching;
    });
    const walk = (i: number, acc: AnyRow): void => {
      if (i === tags.length) out.push(acc);
      else for (const r of lists[i]!) walk(i + 1, { ...acc, [tags[i]!]: r });
    };
    walk(0, {});
  }
  return out;
}

/** A grouped output with each input's rows sorted, so the order a runner gives them in does not matter. */
const sortedGroups = (xs: string[]): string[] =>
  xs.map((x) => JSON.parse(x) as AnyRow).map((g) => show(Object.fromEntries(Object.entries(g).map(([k, v]) => [k, Array.isArray(v) ? v.map(show).sort() : v])))).sort();

const S1 = "{user: STRING, count: INT32, country: STRING}";
const S2 = "{user2: STRING, count2: INT32, country2: STRING}";
const S3 = "{user3: STRING, count3: INT32, country3: STRING}";

for (const workers of WORKERS) {
  for (const withSchema of [true, false]) {
    const mode = `${withSchema ? "RowCoder rows" : "plain objects"}, ${workers} worker${workers > 1 ? "s" : ""}`;
    const schema = <T extends object>(s: Schema<T>): Schema<T> | undefined => (withSchema ? s : undefined);

    describe(`Beam Java CoGroupTest (${mode})`, () => {
      it("testCoGroupByFieldNames, testCoGroupByDifferentFields: one output per key, the key and each input's rows", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const pc1 = input(p, "Create1", grouped(1), schema(CG_SCHEMA_1));
          const pc2 = input(p, "Create2", grouped(9), schema(CG_SCHEMA_1));
          const pc3 = input(p, "Create3", grouped(17), schema(CG_SCHEMA_1));
          const d2 = input(p, "CreateD2", grouped(9).map((x) => r2(x.user, x.count, x.country)), schema(CG_SCHEMA_2));
          const same = p.apply("CoGroup", CoGroup.join({ pc1, pc2, pc3 }, By.fieldNames("user", "country")));
          const different = p.apply("CoGroupDifferent", CoGroup.join({ pc1, pc2: d2 }, { pc1: By.fieldNames("user", "country"), pc2: By.fieldNames("user2", "country2") }));
          if (withSchema) schemas = [same, different].map(schemaOf);
          out("same", same);
          out("different", different);
        });
        const expectSame = KEYS.map(([user, country], i) => ({ key: { user, country }, pc1: grouped(1).slice(2 * i, 2 * i + 2), pc2: grouped(9).slice(2 * i, 2 * i + 2), pc3: grouped(17).slice(2 * i, 2 * i + 2) }));
        const expectDifferent = KEYS.map(([user, country], i) => ({ key: { user, country }, pc1: grouped(1).slice(2 * i, 2 * i + 2), pc2: grouped(9).slice(2 * i, 2 * i + 2).map((x) => r2(x.user, x.count, x.country)) }));
        assert.deepEqual(sortedGroups(r.same!), sortedGroups(rows(...expectSame)));
        assert.deepEqual(sortedGroups(r.different!), sortedGroups(rows(...expectDifferent)));
        if (withSchema) assert.deepEqual(schemas, [`key: {user: STRING, country: STRING}, pc1: iterable<${S1}>, pc2: iterable<${S1}>, pc3: iterable<${S1}>`, `key: {user: STRING, country: STRING}, pc1: iterable<${S1}>, pc2: iterable<${S2}>`]);
      });

      it("testInnerJoin, testPartialOuterJoin, testFullOuterJoin: cross products, optional inputs as null", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const pc1 = input(p, "Create1", PC1, schema(CG_SCHEMA_1));
          const pc2 = input(p, "Create2", PC2, schema(CG_SCHEMA_2));
          const pc3 = input(p, "Create3", PC3, schema(CG_SCHEMA_3));
          const by1 = By.fieldNames("user", "country");
          const by2 = By.fieldNames("user2", "country2");
          const by3 = By.fieldNames("user3", "country3");
          const inner = p.apply("Inner", CoGroup.join({ pc1, pc2, pc3 }, { pc1: by1, pc2: by2, pc3: by3 }).crossProductJoin());
          const partial = p.apply("Partial", CoGroup.join({ pc1, pc2, pc3 }, { pc1: by1, pc2: by2.withOptionalParticipation(), pc3: by3 }).crossProductJoin());
          const full = p.apply("Full", CoGroup.join({ pc1, pc2, pc3 }, { pc1: by1.withOptionalParticipation(), pc2: by2.withOptionalParticipation(), pc3: by3.withOptionalParticipation() }).crossProductJoin());
          if (withSchema) schemas = [inner, partial, full].map(schemaOf);
          out("inner", inner);
          out("partial", partial);
          out("full", full);
        });
        const ins = (o1: boolean, o2: boolean, o3: boolean) => ({
          pc1: { rows: PC1, key: ["user", "country"], optional: o1 },
          pc2: { rows: PC2, key: ["user2", "country2"], optional: o2 },
          pc3: { rows: PC3, key: ["user3", "country3"], optional: o3 },
        });
        const expected = { inner: rows(...crossProduct(ins(false, false, false))), partial: rows(...crossProduct(ins(false, true, false))), full: rows(...crossProduct(ins(true, true, true))) };
        assert.equal(expected.inner.length, 2); // user1/us: 1 × 2 × 1
        assert.equal(expected.partial.length, 3); // and user2/ar with pc2 null
        assert.equal(expected.full.length, 5); // and user3/ar (pc3 null), user27/se (pc1, pc2 null)
        assert.deepEqual(r, expected);
        if (withSchema) assert.deepEqual(schemas, [`pc1: ${S1}, pc2: ${S2}, pc3: ${S3}`, `pc1: ${S1}, pc2: ${S2}?, pc3: ${S3}`, `pc1: ${S1}?, pc2: ${S2}?, pc3: ${S3}?`]);
      });
    });
  }
}

describe("Beam Java CoGroupTest: construction errors", () => {
  it("testMismatchingKeys, testUnderspecifiedCoGroup, key counts that differ, unknown fields", () => {
    const p = Pipeline.create();
    const pc1 = input(p, "Create1", PC1, CG_SCHEMA_1);
    const pc2 = input(p, "Create2", PC2, CG_SCHEMA_2);
    assert.throws(() => p.apply("Mismatch", CoGroup.join({ pc1, pc2 }, { pc1: By.fieldNames("user"), pc2: By.fieldNames("count2") })), /key field 1 has different types.*at transform 'Mismatch'/);
    assert.throws(() => CoGroup.join({ pc1, pc2 }, { pc1: By.fieldNames("user") } as never), /input 'pc2' has no key fields/);
    assert.throws(() => CoGroup.join({ pc1, pc2 }, { pc1: By.fieldNames("user", "country"), pc2: By.fieldNames("user2") }), /'pc2' has 1 key field\(s\) but 'pc1' has 2/);
    assert.throws(() => p.apply("Unknown", CoGroup.join({ pc1, pc2 }, By.fieldNames("user"))), /input 'pc2'.*no field 'user'.*user2, count2, country2.*at transform 'Unknown'/);
  });
});
