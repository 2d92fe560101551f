/** A program whose PCollections hold rows of a Beam schema (beam:coder:row:v1), for the portable and direct runner tests. */
import { Create, definePipeline, GroupByKey, kv } from "../../lib";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import { RowCoder } from "../../lib/coders/row";
import { FieldType, Schema, SchemaRow } from "../../lib/coders/schema";
import { KVCoder } from "../../lib/coders/structural";
import { WriteToText } from "../../lib/io/textio";

export const Purchase = Schema.of({
  customer: FieldType.STRING,
  item: FieldType.STRING,
  cents: FieldType.INT64,
  coupon: FieldType.nullable(FieldType.STRING),
  at: FieldType.MILLIS_INSTANT,
  tags: FieldType.array(FieldType.STRING),
});
/** Which customer used which coupon: rows as GroupByKey keys. */
export const CustomerCoupon = Schema.of({ customer: FieldType.STRING, coupon: FieldType.nullable(FieldType.STRING) });

const PURCHASES: SchemaRow<typeof Purchase>[] = [
  { customer: "ada", item: "book", cents: 1250n, coupon: null, at: 1000, tags: ["paper"] },
  { customer: "ada", item: "pen", cents: 199n, coupon: "SPRING", at: 2000, tags: [] },
  { customer: "bob", item: "boat", cents: 9007199254740993n, coupon: null, at: 3000, tags: ["big", "wet"] },
  { customer: "ada", item: "ink", cents: 350n, coupon: "SPRING", at: 4000, tags: [] },
];

/** What `rowsProgram` writes under --output: each file's sorted lines. */
export const ROWS_EXPECTED: Readonly<Record<string, readonly string[]>> = {
  customers: ["ada: book=1250@1000[paper],ink=350@4000[],pen=199@2000[]", "bob: boat=9007199254740993@3000[big+wet]"],
  coupons: ["ada/-: 1250", "ada/SPRING: 549", "bob/-: 9007199254740993"],
};

export const rowsProgram = definePipeline({
  name: "portable-test-rows",
  description: "rows of a Beam schema through GroupByKey, as values and as keys",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const rows = root.apply("Purchases", Create.from(PURCHASES)).setCoder(RowCoder.of(Purchase));
    rows
      .map("ByCustomer", (r) => kv(r.customer, r))
      .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, RowCoder.of(Purchase)))
      .apply("GroupByCustomer", GroupByKey.create())
      .map("FormatCustomers", (e) => `${e.key}: ${e.value.map((r) => `${r.item}=${r.cents}@${r.at}[${r.tags.join("+")}]`).sort().join(",")}`)
      .apply("WriteCustomers", WriteToText.to(`${flags.output}/customers`));
    rows
      .map("ByCoupon", (r) => kv({ customer: r.customer, coupon: r.coupon }, r))
      .setCoder(new KVCoder(RowCoder.of(CustomerCoupon), RowCoder.of(Purchase)))
      .apply("GroupByCoupon", GroupByKey.create())
      .map("FormatCoupons", (e) => `${e.key.customer}/${e.key.coupon ?? "-"}: ${e.value.reduce((a, r) => a + r.cents, 0n)}`)
      .apply("WriteCoupons", WriteToText.to(`${flags.output}/coupons`));
  },
});
