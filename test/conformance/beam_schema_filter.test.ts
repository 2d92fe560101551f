/**
 * Filter with field predicates against Beam Java's schema FilterTest as the oracle
 * (testFilterFieldsByName, testFilterOnNestedField, testFilterMultipleFields, testMissingFieldName),
 * over plain-object rows, with and without a RowCoder, on one and two DirectRunner workers.
 */
import { strict as assert } from "node:assert";
import { FieldType, Filter, Pipeline, Schema, type SchemaRow } from "../../lib";
import { input, rows, run, schemaOf, WORKERS } from "./beam_schema_helpers";

const Simple = Schema.of({ field1: FieldType.STRING, field2: FieldType.INT32, field3: FieldType.INT32 });
type Simple = SchemaRow<typeof Simple>;
const Nested = Schema.of({ nested: FieldType.row(Simple) });
type Nested = SchemaRow<typeof Nested>;
const simple = (field1: string, field2: number, field3: number): Simple => ({ field1, field2, field3 });

for (const workers of WORKERS) {
  for (const withSchema of [true, false]) {
    const mode = `${withSchema ? "RowCoder rows" : "plain objects"}, ${workers} worker${workers > 1 ? "s" : ""}`;
    const schema = <T extends object>(s: Schema<T>): Schema<T> | undefined => (withSchema ? s : undefined);

    describe(`Beam Java schema FilterTest (${mode})`, () => {
      it("testFilterFieldsByName, testFilterOnNestedField, testFilterMultipleFields; the output keeps the input's coder", async () => {
        let described = "";
        const r = await run(workers, (p, out) => {
          const flat = input(p, "Flat", [simple("pass", 52, 2), simple("pass", 2, 2), simple("fail", 100, 100)], schema(Simple));
          const nested = input(p, "Nested", [simple("pass", 52, 2), simple("pass", 2, 2), simple("fail", 100, 100)].map((nested) => ({ nested })), schema(Nested));
          const sums = input(p, "Sums", [simple("", 52, 48), simple("", 52, 2), simple("", 70, 33)], schema(Simple));
          const byName = flat.apply("ByName", Filter.create<Simple>().whereFieldName("field1", (s) => s === "pass").whereFieldName("field2", (i) => i > 50));
          if (withSchema) described = schemaOf(byName);
          out("byName", byName);
          out("nested", nested.apply("OnNested", Filter.create<Nested>().whereFieldName("nested.field1", (s) => s === "pass").whereFieldName("nested.field2", (i) => i > 50)));
          out("multiple", sums.apply("Multiple", Filter.create<Simple>().whereFieldNames(["field2", "field3"], (row) => row.field2 + row.field3 >= 100)));
        });
        assert.deepEqual(r, {
          byName: rows(simple("pass", 52, 2)),
          nested: rows({ nested: simple("pass", 52, 2) }),
          multiple: rows(simple("", 52, 48), simple("", 70, 33)),
        });
        if (withSchema) assert.equal(described, "field1: STRING, field2: INT32, field3: INT32");
      });
    });
  }
}

describe("Beam Java schema FilterTest: testMissingFieldName", () => {
  it("an unknown field of a RowCoder input fails at construction, naming the transform and the field", () => {
    const p = Pipeline.create();
    const pc = input(p, "In", [simple("pass", 52, 2)], Simple);
    assert.throws(() => pc.apply("Keep", Filter.create<Simple>().whereFieldName("missing" as "field1", () => true)), /Filter\(missing\): the input's rows have no field 'missing'.*at transform 'Keep'/);
  });
});
