/**
 * A program of Beam's schema transforms over RowCoder rows (Select, DropFields, RenameFields,
 * AddFields, Join inner/outer/broadcast, CoGroup's cross product), for the DirectRunner and real runners: each output a
 * RowCoder collection (beam:coder:row:v1), grouped by the runner by its row encoding (a
 * Sets.unionDistinct of it with itself) so the rows cross the runner as Beam rows, then written
 * as one "name=json" line each.
 */
import { AddFields, By, CoGroup, Create, definePipeline, DropFields, FieldType, Flatten, Join, RenameFields, RowCoder, Schema, Select, Sets, type PCollection, type SchemaRow } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

const Location = Schema.of({ city: FieldType.STRING, zip: FieldType.nullable(FieldType.STRING) });
/** Amounts in cents: INT32 keeps the row coder deterministic, so the runner can group the rows by their encoding. */
const Order = Schema.of({ id: FieldType.INT32, buyer: FieldType.STRING, amount: FieldType.INT32, ship: FieldType.row(Location) });
type Order = SchemaRow<typeof Order>;
const User = Schema.of({ userId: FieldType.STRING, name: FieldType.STRING });
type User = SchemaRow<typeof User>;

const ORDERS: Order[] = [
  { id: 1, buyer: "ann", amount: 1050, ship: { city: "Oslo", zip: "0150" } },
  { id: 2, buyer: "bob", amount: 300, ship: { city: "Lima", zip: null } },
  { id: 3, buyer: "ann", amount: 725, ship: { city: "Oslo", zip: "0151" } },
  { id: 4, buyer: "cid", amount: 100, ship: { city: "Pune", zip: null } },
];
const USERS: User[] = [
  { userId: "ann", name: "Ann" },
  { userId: "bob", name: "Bob" },
  { userId: "dan", name: "Dan" },
];

const line = (name: string, x: unknown): string => `${name}=${JSON.stringify(x)}`;

/** The program's output lines, sorted (what Beam Java's Select, DropFields, RenameFields, AddFields and Join give these rows). */
export const SCHEMA_TRANSFORMS_EXPECTED: readonly string[] = [
  ...ORDERS.map((o) => line("select", { id: o.id, city: o.ship.city })),
  ...ORDERS.map((o) => line("drop", { id: o.id, buyer: o.buyer, amount: o.amount, city: o.ship.city })),
  ...ORDERS.map((o) => line("rename", { orderId: o.id, buyer: o.buyer, amount: o.amount, ship: { town: o.ship.city, zip: o.ship.zip } })),
  ...ORDERS.map((o) => line("add", { id: o.id, channel: "web", note: null })),
  ...[1, 2, 3].map((i) => line("inner", { lhs: { id: i, buyer: ORDERS[i - 1]!.buyer }, rhs: USERS.find((u) => u.userId === ORDERS[i - 1]!.buyer) })),
  ...[1, 2, 3].map((i) => line("broadcast", { lhs: { id: i, buyer: ORDERS[i - 1]!.buyer }, rhs: USERS.find((u) => u.userId === ORDERS[i - 1]!.buyer) })),
  ...[1, 2, 3, 4].map((i) => line("leftOuter", { lhs: { id: i, buyer: ORDERS[i - 1]!.buyer }, rhs: USERS.find((u) => u.userId === ORDERS[i - 1]!.buyer) ?? null })),
  ...[1, 2, 3].map((i) => line("cogroup", { orders: { id: i, buyer: ORDERS[i - 1]!.buyer }, users: USERS.find((u) => u.userId === ORDERS[i - 1]!.buyer) })),
  line("fullOuter", { lhs: null, rhs: USERS[2] }),
  ...[1, 2, 3, 4].map((i) => line("fullOuter", { lhs: { id: i, buyer: ORDERS[i - 1]!.buyer }, rhs: USERS.find((u) => u.userId === ORDERS[i - 1]!.buyer) ?? null })),
].sort();

export const schemaTransformsProgram = definePipeline({
  name: "portable-test-schema-transforms",
  description: "Select, DropFields, RenameFields, AddFields and Join over RowCoder rows",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    const out: PCollection<string>[] = [];
    /** Groups the rows by their row encoding on the runner (it must be a RowCoder), then writes each as JSON. */
    const emit = <T>(name: string, pc: PCollection<T>) => {
      if (!(pc.coder instanceof RowCoder)) throw new Error(`${name}: expected a RowCoder output, got ${pc.coder?.urn}`);
      out.push(pc.apply(`Group ${name}`, Sets.unionDistinct(pc)).map(`Show ${name}`, (x: T) => line(name, x)));
    };
    const orders = root.apply("Orders", Create.from(ORDERS)).setCoder(RowCoder.of(Order));
    const users = root.apply("Users", Create.from(USERS)).setCoder(RowCoder.of(User));
    emit("select", orders.apply("Select", Select.fields("id", "ship.city")));
    emit("drop", orders.apply("Drop", DropFields.fields("ship.zip")));
    emit("rename", orders.apply("Rename", RenameFields.create<Order>().rename("id", "orderId").rename("ship.city", "town")));
    emit("add", orders.apply("Narrow", Select.fields("id")).apply("Add", AddFields.create<{ id: number }>().field("channel", FieldType.STRING, "web").field("note", FieldType.STRING)));
    const slim = orders.apply("Slim", Select.fields("id", "buyer"));
    const on = Join.FieldsEqual.left("buyer").right("userId");
    emit("inner", slim.apply("Inner", Join.innerJoin(users).on(on)));
    emit("broadcast", slim.apply("Broadcast", Join.innerBroadcastJoin(users).on(on)));
    emit("leftOuter", slim.apply("LeftOuter", Join.leftOuterJoin(users).on(on)));
    emit("fullOuter", slim.apply("FullOuter", Join.fullOuterJoin(users).on(on)));
    emit("cogroup", root.apply("CoGroup", CoGroup.join({ orders: slim, users }, { orders: By.fieldNames("buyer"), users: By.fieldNames("userId") }).crossProductJoin()));
    root.apply("All", Flatten.pCollections(...out)).apply("Write", WriteToText.to(`${flags.output}/out`));
  },
});
