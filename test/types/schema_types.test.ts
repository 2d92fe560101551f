/**
 * Type-level tests of the schema builder (Schema.of / FieldType, exported from "beamline"): a
 * schema's row type is inferred from its field types (int64 as bigint, nullable as `| null`,
 * maps as Map, nested rows as their own row type), and RowCoder.of(schema) is a coder of exactly
 * those rows, usable with pc.setCoder. This file fails to COMPILE when inference breaks, and each
 * `@ts-expect-error` line fails to compile when the wrong use it shows stops being an error.
 */
import { strict as assert } from "node:assert";
import { Create, FieldType, Pipeline, RowCoder, Schema, type PCollection, type SchemaRow } from "../../lib";
import type { Coder } from "../../lib/coders/coder";
import { expectType } from "./expect_type";

describe("Schema.of and RowCoder (type-level)", () => {
  it("infers the row type of a schema, field by field", () => {
    const Address = Schema.of({ city: FieldType.STRING, zip: FieldType.nullable(FieldType.fixedChar(5)) });
    const Person = Schema.of({
      name: FieldType.STRING,
      age: FieldType.nullable(FieldType.INT32),
      id: FieldType.INT64,
      score: FieldType.FLOAT,
      photo: FieldType.BYTES,
      active: FieldType.BOOLEAN,
      tags: FieldType.array(FieldType.STRING),
      visits: FieldType.iterable(FieldType.nullable(FieldType.MILLIS_INSTANT)),
      prefs: FieldType.map(FieldType.STRING, FieldType.nullable(FieldType.INT64)),
      home: FieldType.row(Address),
      created: FieldType.MICROS_INSTANT,
      balance: FieldType.DECIMAL,
      code: FieldType.varBytes(4),
    });
    type Person = SchemaRow<typeof Person>;
    const row = { home: {} } as Person; // type-level only: no field is read at run time but home (to reach its own fields)
    expectType(row.name)<string>(true);
    expectType(row.age)<number | null>(true);
    expectType(row.id)<bigint>(true);
    expectType(row.score)<number>(true);
    expectType(row.photo)<Uint8Array>(true);
    expectType(row.active)<boolean>(true);
    expectType(row.tags)<string[]>(true);
    expectType(row.visits)<(number | null)[]>(true);
    expectType(row.prefs)<Map<string, bigint | null>>(true);
    expectType(row.home.zip)<string | null>(true);
    expectType(row.created)<bigint>(true);
    expectType(row.balance)<string>(true);
    expectType(row.code)<Uint8Array>(true);
    expectType(RowCoder.of(Person))<RowCoder<Person>>(true);
    assert.deepEqual(Person.fieldNames.slice(0, 3), ["name", "age", "id"]);
  });

  it("RowCoder.of(schema) is the coder of the schema's rows, for pc.setCoder", () => {
    const Point = Schema.of({ x: FieldType.DOUBLE, y: FieldType.DOUBLE, label: FieldType.nullable(FieldType.STRING) });
    const p = Pipeline.create();
    const points = p.apply(Create.of({ x: 1, y: 2, label: null as string | null })).setCoder(RowCoder.of(Point));
    expectType(points)<PCollection<{ x: number; y: number; label: string | null }>>(true);
    const coder: Coder<{ x: number; y: number; label: string | null }> = RowCoder.of(Point);
    assert.equal(coder.urn, "beam:coder:row:v1");

    const typeOnly = (): void => {
      const words = p.apply("Words", Create.of("a", "b"));
      // @ts-expect-error: a row coder cannot be the coder of strings
      words.setCoder(RowCoder.of(Point));
      // @ts-expect-error: field types are built with FieldType, not given as plain strings
      Schema.of({ x: "DOUBLE" });
      const row = {} as SchemaRow<typeof Point>;
      // @ts-expect-error: a DOUBLE field is a number
      row.x = "1";
    };
    assert.equal(typeof typeOnly, "function");
  });
});
