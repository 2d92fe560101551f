/** Snippets of docs/guide/03-transforms.md's section on schema transforms. */
import { AddFields, Cast, Create, DropFields, FieldType, Filter, Join, JsonToRow, RenameFields, RowCoder, Schema, Select, ToJson, type PCollection, type Pipeline, type SchemaRow } from "beamline";

const Location = Schema.of({ city: FieldType.STRING, zip: FieldType.nullable(FieldType.STRING) });
const Order = Schema.of({ id: FieldType.INT32, buyer: FieldType.STRING, cents: FieldType.INT64, ship: FieldType.row(Location) });
type Order = SchemaRow<typeof Order>;
const User = Schema.of({ userId: FieldType.STRING, name: FieldType.STRING });
type User = SchemaRow<typeof User>;

export function schemaTransforms(p: Pipeline): Record<string, PCollection<unknown>> {
  // [START schema_transforms]
  const orders = p
    .apply("Orders", Create.of<Order>({ id: 1, buyer: "ann", cents: 1050n, ship: { city: "Oslo", zip: "0150" } }, { id: 2, buyer: "bob", cents: 300n, ship: { city: "Lima", zip: null } }))
    .setCoder(RowCoder.of(Order));
  const users = p.apply("Users", Create.of<User>({ userId: "ann", name: "Ann" })).setCoder(RowCoder.of(User));

  const cities = orders.apply("Cities", Select.fields("id", "ship.city"));                 // { id: number; city: string }
  const priced = orders.apply("Priced", Select.fields("id", { euros: (o) => Number(o.cents) / 100 }));   // Python's beam.Select(..., euros=...)
  const flat = orders.apply("Flat", DropFields.fields("ship.zip"));                        // { id; buyer; cents; city }
  const renamed = orders.apply("Renamed", RenameFields.create<Order>().rename("buyer", "customer").rename("ship.city", "town"));
  const tagged = orders.apply("Tagged", AddFields.create<Order>().field("channel", FieldType.STRING, "web"));   // channel: string
  const big = orders.apply("Big", Filter.create<Order>().whereFieldName("cents", (c) => c >= 1000n));
  const withUser = orders.apply("WithUser", Join.leftOuterJoin(users).on(Join.FieldsEqual.left("buyer").right("userId")));   // { lhs: Order; rhs: User | null }
  // [END schema_transforms]
  return { cities, priced, flat, renamed, tagged, big, withUser };
}

const Person = Schema.of({ name: FieldType.STRING, height: FieldType.INT32, knowsJavascript: FieldType.nullable(FieldType.BOOLEAN) });

export function jsonAndCast(p: Pipeline): Record<string, PCollection<unknown>> {
  // [START json_and_cast]
  const lines = p.apply("Lines", Create.of('{"name": "ann", "height": 80}', '{"name": "bob", "height": "tall"}'));
  const { results, failedToParseLines } = lines.apply("Parse", JsonToRow.withExceptionReporting(Person).withExtendedErrorInfo());
  // results: { name: "ann", height: 80, knowsJavascript: null }, with the RowCoder of Person
  // failedToParseLines: { line: '{"name": "bob", ...}', err: "Unable to get value from field 'height'. Schema type 'INT32'. JSON node type STRING: ..." }

  const json = results.apply("ToJson", ToJson.of());                                  // '{"name":"ann","height":80,"knowsJavascript":null}'
  const wide = results.apply("Widen", Cast.widening(Schema.of({ height: FieldType.INT64, name: FieldType.STRING })));   // { height: 80n, name: "ann" }
  const small = results.apply("Narrow", Cast.narrowing(Schema.of({ height: FieldType.BYTE })));   // fails the run on a height beyond 127
  // [END json_and_cast]
  return { results, failedToParseLines, json, wide, small };
}
