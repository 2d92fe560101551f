/**
 * Type-level tests of JsonToRow, ToJson and Cast: row types come from the schemas (Schema.of's
 * inferred rows), the failed-line rows from the field names chosen, and wrong uses do not compile.
 */
import { Cast, Create, FieldType, JsonToRow, Pipeline, RowCoder, Schema, ToJson, type CompatibilityError, type JsonToRowResult, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

const elementOf = <T>(_pc: PCollection<T>): T => ({}) as T;

const Person = Schema.of({ name: FieldType.STRING, height: FieldType.INT32, big: FieldType.INT64, score: FieldType.nullable(FieldType.DECIMAL) });
type PersonRow = { name: string; height: number; big: bigint; score: string | null };

describe("JsonToRow, ToJson, Cast (type-level)", () => {
  const p = Pipeline.create();
  const lines = p.apply("Lines", Create.of("{}"));

  it("JsonToRow: rows of the schema; withExceptionReporting: { results, failedToParseLines } with Java's field names", () => {
    expectType(elementOf(lines.apply("A", JsonToRow.withSchema(Person))))<PersonRow>(true);
    expectType(elementOf(lines.apply("B", JsonToRow.withSchemaAndNullBehavior(Person, "REQUIRE_NULL"))))<PersonRow>(true);
    const plain = lines.apply("C", JsonToRow.withExceptionReporting(Person));
    expectType(plain)<JsonToRowResult<PersonRow, { line: string }>>(true);
    expectType(elementOf(lines.apply("D", JsonToRow.withExceptionReporting(Person).withExtendedErrorInfo()).failedToParseLines))<{ line: string; err: string }>(true);
    const custom = lines.apply("E", JsonToRow.withExceptionReporting(Person).withExtendedErrorInfo().setErrorField("why").setLineField("text").withNullBehavior("REQUIRE_MISSING"));
    expectType(elementOf(custom.failedToParseLines))<{ text: string; why: string }>(true);
    // Wrong uses are checked by the compiler only (each would also fail at run time).
    // @ts-expect-error: not a null behavior of Java's
    void (() => JsonToRow.withSchemaAndNullBehavior(Person, "ALLOW_ANYTHING"));
    // @ts-expect-error: JsonToRow reads strings
    void (() => p.apply("Nums", Create.of(1, 2)).apply("F", JsonToRow.withSchema(Person)));
  });

  it("ToJson: rows to strings", () => {
    const rows = p.apply("Rows", Create.from<PersonRow>([])).setCoder(RowCoder.of(Person));
    expectType(rows.apply("J", ToJson.of()))<PCollection<string>>(true);
  });

  it("Cast: rows of the output schema from any rows", () => {
    const rows = p.apply("Rows2", Create.from<PersonRow>([])).setCoder(RowCoder.of(Person));
    const Out = Schema.of({ height: FieldType.DOUBLE, score: FieldType.nullable(FieldType.DECIMAL) });
    expectType(elementOf(rows.apply("W", Cast.widening(Out))))<{ height: number; score: string | null }>(true);
    expectType(elementOf(rows.apply("N", Cast.narrowing(Schema.of({ big: FieldType.INT16 })))))<{ big: number }>(true);
    expectType(Cast.widening(Out).compatibilityErrors(Person))<CompatibilityError[]>(true);
    // @ts-expect-error: the output is a Schema, not a record of field types
    void (() => Cast.widening({ height: FieldType.INT64 }));
  });
});
