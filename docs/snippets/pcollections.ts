/** Snippets of docs/guide/02-pcollections.md. */
import { Create, FieldType, GroupByKey, kv, Pipeline, ReadFromText, RowCoder, Schema } from "beamline";
import type { KV, PCollection, SchemaRow } from "beamline";

/** In-memory data. */
export function createData(p: Pipeline): { numbers: PCollection<number>; lines: PCollection<string>; events: PCollection<string> } {
  // [START create]
  const numbers = p.apply("Numbers", Create.of(1, 2, 3, 4));
  const lines = p.apply("Lines", Create.from(["to be", "or not", "to be"]));
  const events = p.apply("Events", Create.timestamped([
    { value: "login", timestamp: Date.parse("2024-05-01T10:00:00Z") },
    { value: "logout", timestamp: Date.parse("2024-05-01T10:30:00Z") },
  ]));
  // [END create]
  return { numbers, lines, events };
}

/** A file. */
export function readLines(p: Pipeline, path: string): PCollection<string> {
  // [START read]
  const lines = p.apply("ReadLines", ReadFromText.from(path));   // PCollection<string>, one element per line
  // [END read]
  return lines;
}

/** Element types flow through transforms. */
export function typedFlow(p: Pipeline): PCollection<KV<string, number>> {
  // [START types]
  const words: PCollection<string> = p.apply("Words", Create.of("apple", "kiwi", "banana"));
  const lengths = words.map("Length", (w) => kv(w, w.length));   // PCollection<KV<string, number>>
  // lengths.map((e) => e.toUpperCase());   // does not compile: e is a KV<string, number>
  // [END types]
  return lengths;
}

/** Rows of a Beam schema, encoded as beam:coder:row:v1. */
export function schemaRows(p: Pipeline): PCollection<string> {
  // [START schema]
  const Purchase = Schema.of({
    customer: FieldType.STRING,
    cents: FieldType.INT64,                        // bigint
    coupon: FieldType.nullable(FieldType.STRING),  // string | null
    tags: FieldType.array(FieldType.STRING),       // string[]
  });
  type Purchase = SchemaRow<typeof Purchase>;      // { customer: string; cents: bigint; coupon: string | null; tags: string[] }

  const purchases: PCollection<Purchase> = p
    .apply("Purchases", Create.of<Purchase>({ customer: "ada", cents: 1250n, coupon: null, tags: ["book"] }, { customer: "ada", cents: 199n, coupon: "SPRING", tags: [] }))
    .setCoder(RowCoder.of(Purchase));
  const totals = purchases
    .map("ByCustomer", (r) => kv(r.customer, r.cents))
    .apply("Group", GroupByKey.create())
    .map("Total", (e) => `${e.key}: ${e.value.reduce((a, b) => a + b, 0n)}`);
  // [END schema]
  return totals;
}
