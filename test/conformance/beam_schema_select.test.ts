/**
 * Select against Beam's own tests as the oracle: Beam Java's SelectTest (flat, renamed, nested,
 * wildcard, through arrays and maps, unknown fields) over plain-object rows, with and without a
 * RowCoder, on one and two DirectRunner workers; and Beam Python's ptransform_test.py
 * SelectTest.test_simple (named expressions and attribute names).
 */
import { strict as assert } from "node:assert";
import { Create, FieldType, Pipeline, Schema, Select, type SchemaRow } from "../../lib";
import { input, rows, run, schemaOf, WORKERS } from "./beam_schema_helpers";

/** SelectTest.Schema1 and Schema2. */
const Schema1 = Schema.of({ field1: FieldType.STRING, field2: FieldType.INT32, field3: FieldType.DOUBLE });
type Schema1 = SchemaRow<typeof Schema1>;
const Schema2 = Schema.of({ field1: FieldType.STRING, field2: FieldType.row(Schema1) });
type Schema2 = SchemaRow<typeof Schema2>;
const s1 = (): Schema1 => ({ field1: "field1", field2: 42, field3: 3.14 });
const s2 = (): Schema2 => ({ field1: "field1", field2: s1() });

/** SelectTest.RowSingleArray, RowSingleMap and RowMultipleArray. */
const RowSingleArray = Schema.of({ field1: FieldType.array(FieldType.row(Schema1)) });
const RowSingleMap = Schema.of({ field1: FieldType.map(FieldType.STRING, FieldType.row(Schema1)) });
const RowMultipleArray = Schema.of({ field1: FieldType.array(FieldType.array(FieldType.array(FieldType.row(Schema1)))) });
const three = <T>(x: () => T): T[] => [x(), x(), x()];
const map3 = <T>(x: () => T): Map<string, T> => new Map([["key1", x()], ["key2", x()], ["key3", x()]]);

for (const workers of WORKERS) {
  for (const withSchema of [true, false]) {
    const mode = `${withSchema ? "RowCoder rows" : "plain objects"}, ${workers} worker${workers > 1 ? "s" : ""}`;
    const schema = <T extends object>(s: Schema<T>): Schema<T> | undefined => (withSchema ? s : undefined);

    describe(`Beam Java SelectTest (${mode})`, () => {
      it("testSelectAll, testSimpleSelect, testSimpleSelectRename: flat selections keep the order given", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const pc = input(p, "In", [s1()], schema(Schema1));
          const all = pc.apply("All", Select.fields("*"));
          const simple = pc.apply("Simple", Select.fields("field1", "field3"));
          const renamed = pc.apply("Renamed", Select.create<Schema1>().withFieldNameAs("field1", "fieldOne").withFieldNameAs("field3", "fieldThree"));
          const reordered = pc.apply("Reordered", Select.fields("field3", "field1"));
          if (withSchema) schemas = [schemaOf(simple), schemaOf(renamed), schemaOf(reordered)];
          out("all", all);
          out("simple", simple);
          out("renamed", renamed);
          out("reordered", reordered);
        });
        assert.deepEqual(r, {
          all: rows(s1()),
          simple: rows({ field1: "field1", field3: 3.14 }),
          renamed: rows({ fieldOne: "field1", fieldThree: 3.14 }),
          reordered: rows({ field3: 3.14, field1: "field1" }),
        });
        if (withSchema) assert.deepEqual(schemas, ["field1: STRING, field3: DOUBLE", "fieldOne: STRING, fieldThree: DOUBLE", "field3: DOUBLE, field1: STRING"]);
      });

      it("testSelectNestedAll, testSelectNestedAllWildcard, testSelectNestedPartial: a nested field is named by its last name, at the top level", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const pc = input(p, "In", [s2()], schema(Schema2));
          const nestedAll = pc.apply("NestedAll", Select.fields("field2"));
          const wildcard = pc.apply("Wildcard", Select.fields("field2.*"));
          const partial = pc.apply("Partial", Select.fields("field2.field1", "field2.field3"));
          // Java's order: top-level selections first, then the nested ones.
          const mixed = pc.apply("Mixed", Select.fields("field2.field2", "field1"));
          if (withSchema) schemas = [schemaOf(nestedAll), schemaOf(wildcard), schemaOf(partial), schemaOf(mixed)];
          out("nestedAll", nestedAll);
          out("wildcard", wildcard);
          out("partial", partial);
          out("mixed", mixed);
        });
        assert.deepEqual(r, {
          nestedAll: rows({ field2: s1() }),
          wildcard: rows(s1()),
          partial: rows({ field1: "field1", field3: 3.14 }),
          mixed: rows({ field1: "field1", field2: 42 }),
        });
        if (withSchema) {
          assert.deepEqual(schemas, [
            "field2: {field1: STRING, field2: INT32, field3: DOUBLE}",
            "field1: STRING, field2: INT32, field3: DOUBLE",
            "field1: STRING, field3: DOUBLE",
            "field1: STRING, field2: INT32",
          ]);
        }
      });

      it("testSelectPrimitiveArray, testSelectRowArray, testSelectRowMap, testSelectedNestedArrays: paths through arrays and maps give arrays and maps", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const prim = input(p, "Prim", [{ field1: [1.0, 2.1, 3.2] }], schema(Schema.of({ field1: FieldType.array(FieldType.DOUBLE) })));
          const arr = input(p, "Arr", [{ field1: three(s1) }], schema(RowSingleArray));
          const map = input(p, "Map", [{ field1: map3(s1) }], schema(RowSingleMap));
          const multi = input(p, "Multi", [{ field1: three(() => three(() => three(s1))) }], schema(RowMultipleArray));
          const selArr = arr.apply("SelArr", Select.fields("field1.field1", "field1.field3"));
          const selMap = map.apply("SelMap", Select.fields("field1.field1", "field1.field3"));
          const selMulti = multi.apply("SelMulti", Select.fields("field1.field1", "field1.field3"));
          // Java's qualifiers ("field1[][][].field1") name the same fields (typed paths leave them out).
          const qualified = multi.apply("Qualified", Select.fields("field1[][][].field1" as "field1.field1", "field1[][][].field3" as "field1.field3"));
          if (withSchema) schemas = [schemaOf(selArr), schemaOf(selMap), schemaOf(selMulti)];
          out("prim", prim.apply("SelPrim", Select.fields("field1")));
          out("arr", selArr);
          out("map", selMap);
          out("multi", selMulti);
          out("qualified", qualified);
        });
        const multi = { field1: three(() => three(() => three(() => "field1"))), field3: three(() => three(() => three(() => 3.14))) };
        assert.deepEqual(r, {
          prim: rows({ field1: [1.0, 2.1, 3.2] }),
          arr: rows({ field1: ["field1", "field1", "field1"], field3: [3.14, 3.14, 3.14] }),
          map: rows({ field1: map3(() => "field1"), field3: map3(() => 3.14) }),
          multi: rows(multi),
          qualified: rows(multi),
        });
        if (withSchema) {
          assert.deepEqual(schemas, [
            "field1: array<STRING>, field3: array<DOUBLE>",
            "field1: map<STRING, STRING>, field3: map<STRING, DOUBLE>",
            "field1: array<array<array<STRING>>>, field3: array<array<array<DOUBLE>>>",
          ]);
        }
      });

      it("a path through a null row gives null, and the field is nullable", async () => {
        const Outer = Schema.of({ id: FieldType.INT32, inner: FieldType.nullable(FieldType.row(Schema1)) });
        let described = "";
        const r = await run(workers, (p, out) => {
          const pc = input(p, "In", [{ id: 1, inner: s1() }, { id: 2, inner: null }], schema(Outer));
          const sel = pc.apply("Sel", Select.fields("id", "inner.field2"));
          if (withSchema) described = schemaOf(sel);
          out("sel", sel);
        });
        assert.deepEqual(r, { sel: rows({ id: 1, field2: 42 }, { id: 2, field2: null }) });
        if (withSchema) assert.equal(described, "id: INT32, field2: INT32?");
      });
    });
  }
}

describe("Beam Java SelectTest: construction errors", () => {
  it("testSelectMissingFieldName: an unknown field of a RowCoder input fails at construction, naming the transform, the field and the fields there are", () => {
    const p = Pipeline.create();
    const pc = input(p, "In", [s2()], Schema2);
    assert.throws(
      () => pc.apply("Pick", Select.fields("missing" as "field1")),
      (e: Error) => /Pick/.test(e.message) && /no field 'missing'/.test(e.message) && /field1, field2/.test(e.message) && /Fix the field name/.test(e.message),
    );
    assert.throws(() => pc.apply("PickNested", Select.fields("field2.nope" as "field2.field1")), /no field 'nope' in 'field2'.*PickNested/);
    assert.throws(() => pc.apply("PickLeaf", Select.fields("field1.x" as "field1")), /'field1' .*is not a row.*PickLeaf/);
  });

  it("two selections with one last name fail at construction and say to use withFieldNameAs (with or without a schema)", () => {
    const p = Pipeline.create();
    for (const [label, s] of [["Typed", Schema2], ["Plain", undefined]] as const) {
      const pc = input(p, `In${label}`, [s2()], s);
      assert.throws(() => pc.apply(`Clash${label}`, Select.fields("field1", "field2.field1")), new RegExp(`both be named 'field1'.*withFieldNameAs.*Clash${label}`));
    }
  });

  it("without a RowCoder the output keeps the default coder", () => {
    const p = Pipeline.create();
    const out = p.apply(Create.from([s1()])).apply(Select.fields("field1"));
    assert.notEqual(out.coder?.urn, "beam:coder:row:v1");
  });
});

describe("Beam Python SelectTest.test_simple (named expressions)", () => {
  for (const workers of WORKERS) {
    it(`from lambdas, then from attributes under new names (${workers} worker${workers > 1 ? "s" : ""})`, async () => {
      const r = await run(workers, (p, out) => {
        const rowsPc = p.apply("Start", Create.of(1, 2, 10)).apply("Lambdas", Select.fields({ a: (x: number) => x * x, b: (x: number) => -x }));
        out("CheckFromLambdas", rowsPc);
        out("CheckFromAttrs", rowsPc.apply("Attrs", Select.fields("b", { z: "a" })));
      });
      assert.deepEqual(r, {
        CheckFromLambdas: rows({ a: 1, b: -1 }, { a: 4, b: -2 }, { a: 100, b: -10 }),
        CheckFromAttrs: rows({ b: -1, z: 1 }, { b: -2, z: 4 }, { b: -10, z: 100 }),
      });
    });
  }

  it("test_type_inference's fields: names, paths and expressions together; an expression makes the output schema-less", () => {
    const p = Pipeline.create();
    const S = Schema.of({ s: FieldType.STRING, i: FieldType.INT32 });
    const out = input(p, "In", [{ s: "abc", i: 1 }], S).apply("Exprs", Select.fields("s", "i", { s_again: "s", expr: (x) => x.i + 1 }));
    assert.notEqual(out.coder?.urn, "beam:coder:row:v1");
    const named = input(p, "In2", [{ s: "abc", i: 1 }], S).apply("Named", Select.fields("s", { s_again: "s" }));
    assert.equal(schemaOf(named), "s: STRING, s_again: STRING");
  });
});
