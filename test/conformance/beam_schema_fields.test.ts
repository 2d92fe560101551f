/**
 * DropFields, RenameFields and AddFields against Beam Java's DropFieldsTest, RenameFieldsTest and
 * AddFieldsTest as the oracle, over plain-object rows, with and without a RowCoder (the output
 * schema checked as Java checks getSchema()), on one and two DirectRunner workers.
 */
import { strict as assert } from "node:assert";
import { AddFields, DropFields, FieldType, Pipeline, RenameFields, Schema } from "../../lib";
import { input, rows, run, schemaOf, WORKERS } from "./beam_schema_helpers";

const SIMPLE = Schema.of({ field1: FieldType.INT32, field2: FieldType.STRING });
const simple = (field1: number, field2: string) => ({ field1, field2 });
const NESTED = Schema.of({ nested: FieldType.row(SIMPLE), string: FieldType.STRING });
const NESTED_ARRAY = Schema.of({ array: FieldType.array(FieldType.row(SIMPLE)) });
/** RenameFieldsTest's schemas: a string and a nested row of a string and an int. */
const INNER = Schema.of({ field1: FieldType.STRING, field2: FieldType.INT32 });
const OUTER = Schema.of({ field1: FieldType.STRING, nested: FieldType.row(INNER) });
/** AddFieldsTest's nested row of one string. */
const ONE = Schema.of({ field1: FieldType.STRING });

for (const workers of WORKERS) {
  for (const withSchema of [true, false]) {
    const mode = `${withSchema ? "RowCoder rows" : "plain objects"}, ${workers} worker${workers > 1 ? "s" : ""}`;
    const schema = <T extends object>(s: Schema<T>): Schema<T> | undefined => (withSchema ? s : undefined);

    describe(`Beam Java DropFieldsTest (${mode})`, () => {
      it("testDropTopLevelField, testDropNestedField, testDropNestedFieldKeepingOnlyNested, testDropNestedArrayField", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const flat = input(p, "Flat", [simple(1, "one"), simple(2, "two"), simple(3, "three")], schema(SIMPLE));
          const nested = input(p, "Nested", [1, 2, 3].map((i) => ({ nested: simple(i, ["one", "two", "three"][i - 1]!), string: "foo" })), schema(NESTED));
          const arrays = input(p, "Arrays", [1, 2, 3].map((i) => ({ array: [simple(i, `${i}a`), simple(i, `${i}b`)] })), schema(NESTED_ARRAY));
          const top = flat.apply("Top", DropFields.fields("field1"));
          const inner = nested.apply("Inner", DropFields.fields("nested.field1"));
          const onlyNested = nested.apply("OnlyNested", DropFields.fields("string", "nested.field1"));
          const inArray = arrays.apply("InArray", DropFields.fields("array.field1"));
          if (withSchema) schemas = [top, inner, onlyNested, inArray].map(schemaOf);
          out("top", top);
          out("inner", inner);
          out("onlyNested", onlyNested);
          out("inArray", inArray);
        });
        assert.deepEqual(r, {
          top: rows({ field2: "one" }, { field2: "two" }, { field2: "three" }),
          // As Java: the nested row's other fields come up to the top level, after the top-level ones.
          inner: rows({ string: "foo", field2: "one" }, { string: "foo", field2: "two" }, { string: "foo", field2: "three" }),
          onlyNested: rows({ field2: "one" }, { field2: "two" }, { field2: "three" }),
          inArray: rows({ field2: ["1a", "1b"] }, { field2: ["2a", "2b"] }, { field2: ["3a", "3b"] }),
        });
        if (withSchema) assert.deepEqual(schemas, ["field2: STRING", "string: STRING, field2: STRING", "field2: STRING", "field2: array<STRING>"]);
      });

      it("testMaintainsOriginalSchemaOrder", async () => {
        const fields = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field${i}`, FieldType.INT32]));
        const MANY = Schema.of(fields);
        const row = (v: number) => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field${i}`, v]));
        const dropped = ["field0", "field10", "field19", "field20", "field55"];
        let described = "";
        const r = await run(workers, (p, out) => {
          const res = input(p, "In", [row(1), row(2)], schema(MANY)).apply("Drop", DropFields.fields("field0", "field10", "field19", "field20", "field55"));
          if (withSchema) described = schemaOf(res);
          out("res", res);
        });
        const keep = (v: number) => Object.fromEntries(Object.entries(row(v)).filter(([k]) => !dropped.includes(k)));
        assert.deepEqual(r, { res: rows(keep(1), keep(2)) });
        if (withSchema) assert.equal(described, Object.keys(keep(1)).map((k) => `${k}: INT32`).join(", "));
      });
    });

    describe(`Beam Java RenameFieldsTest (${mode})`, () => {
      it("renameTopLevelFields, renameNestedFields, renameTopLevelAndNestedFields, renameNestedInArrayFields, renameNestedInMapFields", async () => {
        let schemas: string[] = [];
        const r = await run(workers, (p, out) => {
          const flat = input(p, "Flat", [{ field1: "one", field2: 1 }, { field1: "two", field2: 2 }], schema(INNER));
          const nested = input(p, "Nested", [{ field1: "one", nested: { field1: "one", field2: 1 } }, { field1: "two", nested: { field1: "two", field2: 1 } }], schema(OUTER));
          const arr = input(p, "Arr", [{ array: [{ field1: "one", field2: 1 }] }, { array: [{ field1: "two", field2: 1 }] }], schema(Schema.of({ array: FieldType.array(FieldType.row(INNER)) })));
          const map = input(p, "Map", [{ map: new Map([["k1", { field1: "one", field2: 1 }]]) }, { map: new Map([["k2", { field1: "two", field2: 1 }]]) }], schema(Schema.of({ map: FieldType.map(FieldType.STRING, FieldType.row(INNER)) })));
          const top = flat.apply("Top", RenameFields.create<{ field1: string; field2: number }>().rename("field1", "new1").rename("field2", "new2"));
          const inner = nested.apply("Inner", RenameFields.create<{ field1: string; nested: { field1: string; field2: number } }>().rename("nested.field1", "new1").rename("nested.field2", "new2"));
          // Every path names an input field, even under a renamed parent (Java resolves them against the input schema).
          const both = nested.apply(
            "Both",
            RenameFields.create<{ field1: string; nested: { field1: string; field2: number } }>().rename("field1", "top1").rename("nested", "newnested").rename("nested.field1", "new1").rename("nested.field2", "new2"),
          );
          const inArr = arr.apply("InArr", RenameFields.create<{ array: { field1: string; field2: number }[] }>().rename("array.field1", "new1").rename("array.field2", "new2"));
          const inMap = map.apply("InMap", RenameFields.create<{ map: Map<string, { field1: string; field2: number }> }>().rename("map.field1", "new1").rename("map.field2", "new2"));
          if (withSchema) schemas = [top, inner, both, inArr, inMap].map(schemaOf);
          out("top", top);
          out("inner", inner);
          out("both", both);
          out("inArr", inArr);
          out("inMap", inMap);
        });
        assert.deepEqual(r, {
          top: rows({ new1: "one", new2: 1 }, { new1: "two", new2: 2 }),
          inner: rows({ field1: "one", nested: { new1: "one", new2: 1 } }, { field1: "two", nested: { new1: "two", new2: 1 } }),
          both: rows({ top1: "one", newnested: { new1: "one", new2: 1 } }, { top1: "two", newnested: { new1: "two", new2: 1 } }),
          inArr: rows({ array: [{ new1: "one", new2: 1 }] }, { array: [{ new1: "two", new2: 1 }] }),
          inMap: rows({ map: new Map([["k1", { new1: "one", new2: 1 }]]) }, { map: new Map([["k2", { new1: "two", new2: 1 }]]) }),
        });
        if (withSchema) {
          assert.deepEqual(schemas, [
            "new1: STRING, new2: INT32",
            "field1: STRING, nested: {new1: STRING, new2: INT32}",
            "top1: STRING, newnested: {new1: STRING, new2: INT32}",
            "array: array<{new1: STRING, new2: INT32}>",
            "map: map<STRING, {new1: STRING, new2: INT32}>",
          ]);
        }
      });
    });

    describe(`Beam Java AddFieldsTest (${mode})`, () => {
      it("addSimpleFields, addSimpleFieldsDefaultValue, addNestedField, addNestedFieldDefaultValue, addSimpleAndNestedField", async () => {
        let schemas: string[] = [];
        const list = ["one", "two", "three"];
        const r = await run(workers, (p, out) => {
          const flat = input(p, "Flat", [{ field1: "value" }], schema(ONE));
          const nested = input(p, "Nested", [{ nested: { field1: "value" } }], schema(Schema.of({ nested: FieldType.row(ONE) })));
          const s = flat.apply("Simple", AddFields.create<{ field1: string }>().field("field2", FieldType.INT32).field("field3", FieldType.array(FieldType.STRING)).field("field4", FieldType.iterable(FieldType.STRING)));
          const d = flat.apply("Default", AddFields.create<{ field1: string }>().field("field2", FieldType.INT32, 42));
          const n = nested.apply("AddNested", AddFields.create<{ nested: { field1: string } }>().field("nested.field2", FieldType.INT32).field("nested.field3", FieldType.array(FieldType.STRING)).field("nested.field4", FieldType.iterable(FieldType.STRING)));
          const nd = nested.apply("NestedDefault", AddFields.create<{ nested: { field1: string } }>().field("nested.field2", FieldType.INT32, 42).field("nested.field3", FieldType.array(FieldType.STRING), list).field("nested.field4", FieldType.iterable(FieldType.STRING), list));
          const sn = nested.apply("SimpleAndNested", AddFields.create<{ nested: { field1: string } }>().field("field2", FieldType.INT32).field("nested.field2", FieldType.INT32).field("nested.field3", FieldType.array(FieldType.STRING)).field("nested.field4", FieldType.iterable(FieldType.STRING)));
          if (withSchema) schemas = [s, d, n, nd, sn].map(schemaOf);
          for (const [label, pc] of Object.entries({ s, d, n, nd, sn })) out(label, pc);
        });
        const nulls = { field1: "value", field2: null, field3: null, field4: null };
        assert.deepEqual(r, {
          s: rows(nulls),
          d: rows({ field1: "value", field2: 42 }),
          n: rows({ nested: nulls }),
          nd: rows({ nested: { field1: "value", field2: 42, field3: list, field4: list } }),
          sn: rows({ nested: nulls, field2: null }),
        });
        if (withSchema) {
          const added = "field1: STRING, field2: INT32?, field3: array<STRING>?, field4: iterable<STRING>?";
          assert.deepEqual(schemas, [added, "field1: STRING, field2: INT32", `nested: {${added}}`, "nested: {field1: STRING, field2: INT32, field3: array<STRING>, field4: iterable<STRING>}", `nested: {${added}}, field2: INT32?`]);
        }
      });

      it("recursivelyAddNestedFields, addNestedCollectionField, addNestedMapField", async () => {
        let schemas: string[] = [];
        const sub = { field1: "value" };
        const r = await run(workers, (p, out) => {
          const empty = input(p, "Empty", [{}], schema(Schema.of({})));
          const coll = input(p, "Coll", [{ array: [sub, sub], iter: [sub, sub] }], schema(Schema.of({ array: FieldType.array(FieldType.row(ONE)), iter: FieldType.iterable(FieldType.row(ONE)) })));
          const map = input(p, "Map", [{ map: new Map([["key", sub]]) }], schema(Schema.of({ map: FieldType.map(FieldType.STRING, FieldType.row(ONE)) })));
          const rec = empty.apply("Recursive", AddFields.create<{}>().field("nested.field1", FieldType.STRING, "value").field("nested.field2", FieldType.INT32).field("nested.field3", FieldType.array(FieldType.STRING)).field("nested.field4", FieldType.iterable(FieldType.STRING)));
          const inColl = coll.apply("InColl", AddFields.create<{ array: { field1: string }[]; iter: { field1: string }[] }>().field("array.field2", FieldType.INT32).field("array.field3", FieldType.array(FieldType.STRING)).field("iter.field2", FieldType.INT32).field("iter.field3", FieldType.array(FieldType.STRING)));
          const inMap = map.apply("InMap", AddFields.create<{ map: Map<string, { field1: string }> }>().field("map.field2", FieldType.INT32).field("map.field3", FieldType.array(FieldType.STRING)).field("map.field4", FieldType.iterable(FieldType.STRING)));
          if (withSchema) schemas = [rec, inColl, inMap].map(schemaOf);
          out("rec", rec);
          out("inColl", inColl);
          out("inMap", inMap);
        });
        const two = { field1: "value", field2: null, field3: null };
        assert.deepEqual(r, {
          rec: rows({ nested: { field1: "value", field2: null, field3: null, field4: null } }),
          inColl: rows({ array: [two, two], iter: [two, two] }),
          inMap: rows({ map: new Map([["key", { field1: "value", field2: null, field3: null, field4: null }]]) }),
        });
        if (withSchema) {
          assert.deepEqual(schemas, [
            "nested: {field1: STRING, field2: INT32?, field3: array<STRING>?, field4: iterable<STRING>?}?",
            "array: array<{field1: STRING, field2: INT32?, field3: array<STRING>?}>, iter: iterable<{field1: STRING, field2: INT32?, field3: array<STRING>?}>",
            "map: map<STRING, {field1: STRING, field2: INT32?, field3: array<STRING>?, field4: iterable<STRING>?}>",
          ]);
        }
      });
    });
  }
}

describe("Beam Java DropFields, RenameFields, AddFields: construction errors", () => {
  it("unknown fields of a RowCoder input fail at construction, naming the transform, the field and how to fix it", () => {
    const p = Pipeline.create();
    const pc = input(p, "In", [{ field1: "one", nested: { field1: "x", field2: 1 } }], OUTER);
    assert.throws(() => pc.apply("D", DropFields.fields("nope" as "field1")), /DropFields\(nope\): the input's rows have no field 'nope'.*its fields are: field1, nested.*Fix the field name.*at transform 'D'/);
    assert.throws(() => pc.apply("R", RenameFields.create<{ field1: string }>().rename("field1", "a").rename("nested.zz" as "field1", "b")), /RenameFields.*no field 'zz' in 'nested'.*at transform 'R'/);
    assert.throws(() => pc.apply("R2", RenameFields.create<{ field1: string; nested: object }>().rename("field1", "nested")), /cannot rename 'field1' to 'nested'.*already has a field 'nested'.*at transform 'R2'/);
  });

  it("addDuplicateField, addNonNullableField", () => {
    const p = Pipeline.create();
    const pc = input(p, "In", [{ field1: "value" }], ONE);
    assert.throws(() => pc.apply("Dup", AddFields.create<{ field1: string }>().field("field1", FieldType.INT32)), /already have a field 'field1'.*at transform 'Dup'/);
    assert.throws(() => AddFields.create<{ field1: string }>().field("field2", FieldType.INT32, null as unknown as number), /default null but its type is not nullable/);
  });
});
