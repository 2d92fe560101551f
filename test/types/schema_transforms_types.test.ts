/**
 * Type-level tests of the schema transforms (Select, DropFields, RenameFields, AddFields, Join):
 * each output type is exactly what Beam's semantics give (Pick, Omit, renamed keys, Java's names
 * for nested paths, nullable outer sides), inferred from the input collection at `apply`. This
 * file fails to COMPILE when inference breaks, and each `@ts-expect-error` line fails to compile
 * when the wrong use it shows stops being an error.
 */
import { AddFields, By, CoGroup, Create, DropFields, FieldType, Filter, Join, Pipeline, RenameFields, Select, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

interface Location {
  city: string;
  zip: number | null;
}
interface Event {
  userId: string;
  amount: number;
  location: Location;
  stops: Location[];
  byName: Map<string, Location>;
  maybe: Location | null;
}
interface User {
  id: string;
  name: string;
}

/** A stand-in element for reading types off (no field is read at run time but one level down). */
const elementOf = <T>(_pc: PCollection<T>): T => ({}) as T;

describe("schema transforms (type-level)", () => {
  const p = Pipeline.create();
  const events = p.apply("Events", Create.from<Event>([]));
  const users = p.apply("Users", Create.from<User>([]));

  it("Select: Pick for top-level names, Java's last names for nested paths, through arrays, maps and null", () => {
    expectType(elementOf(events.apply("S1", Select.fields("userId", "amount"))))<{ userId: string; amount: number }>(true);
    expectType(elementOf(events.apply("S2", Select.fields("location.city"))))<{ city: string }>(true);
    expectType(elementOf(events.apply("S3", Select.fields("location.*"))))<{ city: string; zip: number | null }>(true);
    expectType(elementOf(events.apply("S4", Select.fields("stops.city"))))<{ city: string[] }>(true);
    expectType(elementOf(events.apply("S5", Select.fields("byName.zip"))))<{ zip: Map<string, number | null> }>(true);
    expectType(elementOf(events.apply("S6", Select.fields("maybe.city"))))<{ city: string | null }>(true);
    expectType(elementOf(events.apply("S7", Select.fields("*"))))<Event>(true);
    // @ts-expect-error: no such field
    events.apply("S8", Select.fields("userid"));
    // @ts-expect-error: no such nested field
    events.apply("S9", Select.fields("location.town"));
  });

  it("Select: Python's named expressions and Java's withFieldNameAs", () => {
    expectType(elementOf(events.apply("N1", Select.fields("userId", { big: (e) => e.amount > 100, town: "location.city" }))))<{ userId: string; big: boolean; town: string }>(true);
    expectType(elementOf(p.apply("Nums", Create.of(1, 2)).apply("N2", Select.fields({ a: (x: number) => x * x }))))<{ a: number }>(true);
    expectType(elementOf(events.apply("N3", Select.create<Event>().withFieldNameAs("location.city", "town").withFieldNameAs("userId", "user"))))<{ town: string; user: string }>(true);
    // @ts-expect-error: an expression path must name a field
    events.apply("N4", Select.fields("userId", { town: "location.town" }));
  });

  it("DropFields: Omit, and Java's hoisting of a row's other fields", () => {
    expectType(elementOf(events.apply("D1", DropFields.fields("stops", "byName", "maybe"))))<{ userId: string; amount: number; location: Location }>(true);
    expectType(elementOf(events.apply("D2", DropFields.fields("location.zip", "stops", "byName", "maybe"))))<{ userId: string; amount: number; city: string }>(true);
    // @ts-expect-error: no such field
    events.apply("D3", DropFields.fields("nope"));
  });

  it("RenameFields: top-level and nested renames, every path a path of the input", () => {
    const renamed = events.apply("R1", RenameFields.create<Event>().rename("userId", "user").rename("location", "loc").rename("location.city", "town"));
    const row = elementOf(renamed);
    expectType(row.user)<string>(true);
    expectType(row.loc)<{ town: string; zip: number | null }>(true);
    expectType(elementOf(events.apply("R2", RenameFields.create<Event>().rename("stops.city", "town"))).stops)<{ town: string; zip: number | null }[]>(true);
    // @ts-expect-error: the old name is gone
    void row.userId;
    // @ts-expect-error: no such field to rename
    RenameFields.create<Event>().rename("nope", "x");
  });

  it("AddFields: nullable without a default, the value type with one, nested into rows and new rows", () => {
    const added = elementOf(events.apply("A1", AddFields.create<Event>().field("score", FieldType.DOUBLE).field("tag", FieldType.STRING, "none").field("location.country", FieldType.STRING).field("extra.flag", FieldType.BOOLEAN, true)));
    expectType(added.score)<number | null>(true);
    expectType(added.tag)<string>(true);
    expectType(added.location)<{ city: string; zip: number | null; country: string | null }>(true);
    expectType(added.extra)<{ flag: boolean }>(true);
    // @ts-expect-error: a default of another type
    AddFields.create<Event>().field("n", FieldType.INT32, "x");
  });

  it("Join: { lhs, rhs }, the outer sides nullable; key fields checked on both sides", () => {
    expectType(elementOf(events.apply("J1", Join.innerJoin(users).on(Join.FieldsEqual.left("userId").right("id")))))<{ lhs: Event; rhs: User }>(true);
    expectType(elementOf(events.apply("J2", Join.leftOuterJoin(users).on(Join.FieldsEqual.left("userId").right("id")))))<{ lhs: Event; rhs: User | null }>(true);
    expectType(elementOf(events.apply("J3", Join.rightOuterJoin(users).on(Join.FieldsEqual.left("userId").right("id")))))<{ lhs: Event | null; rhs: User }>(true);
    expectType(elementOf(events.apply("J4", Join.fullOuterJoin(users).on(Join.FieldsEqual.left("userId").right("id")))))<{ lhs: Event | null; rhs: User | null }>(true);
    expectType(elementOf(events.apply("J5", Join.leftOuterBroadcastJoin(users).on(Join.FieldsEqual.left("userId").right("id")))))<{ lhs: Event; rhs: User | null }>(true);
    expectType(elementOf(users.apply("J6", Join.innerJoin(users).using("id"))))<{ lhs: User; rhs: User }>(true);
    // @ts-expect-error: the right-hand side has no field 'userId'
    events.apply("J7", Join.innerJoin(users).using("userId"));
    // @ts-expect-error: the left-hand side has no field 'nope'
    events.apply("J8", Join.innerJoin(users).on(Join.FieldsEqual.left("nope").right("id")));
  });

  it("Filter.create: each predicate typed by its field's value, or by the row of its fields", () => {
    events.apply(
      "F1",
      Filter.create<Event>()
        .whereFieldName("location.city", (c) => {
          expectType(c)<string>(true);
          return c === "Oslo";
        })
        .whereFieldNames(["amount", "location.zip"], (r) => {
          expectType(r)<{ amount: number; zip: number | null }>(true);
          return r.amount > 0;
        }),
    );
    // @ts-expect-error: no such field
    Filter.create<Event>().whereFieldName("nope", () => true);
  });

  it("CoGroup: the key and each input's rows; cross products with optional inputs nullable", () => {
    const profiles = p.apply("Profiles", Create.from<{ userId: string; name: string }>([]));
    const grouped = elementOf(p.apply("G1", CoGroup.join({ events, profiles }, By.fieldNames("userId"))));
    expectType(grouped.key)<{ userId: string }>(true);
    expectType(grouped.events)<Event[]>(true);
    expectType(grouped.profiles)<{ userId: string; name: string }[]>(true);
    const crossed = elementOf(p.apply("G2", CoGroup.join({ events, profiles }, { events: By.fieldNames("userId"), profiles: By.fieldNames("userId").withOptionalParticipation() }).crossProductJoin()));
    expectType(crossed.events)<Event>(true);
    expectType(crossed.profiles)<{ userId: string; name: string } | null>(true);
  });
});
