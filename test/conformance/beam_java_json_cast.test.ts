/**
 * JsonToRow, ToJson and Cast against Beam Java's JsonToRowTest, ToJsonTest, util/RowJsonTest,
 * CastTest and CastValidatorTest as the oracle, on one and two DirectRunner workers (with two,
 * rows cross workers through the RowCoders the transforms set). Java's field types map to
 * Beamline's: INT64 → bigint, DECIMAL → decimal string, DATETIME → MILLIS_INSTANT (epoch millis).
 */
import { strict as assert } from "node:assert";
import { Cast, Create, FieldType, JsonToRow, Schema, ToJson, type PCollection } from "../../lib";
import { describeFailure, jsonToRow, writeRow, type NullBehavior } from "../../lib/transforms/row_json";
import { input, rows, run, schemaOf, show, WORKERS } from "./beam_schema_helpers";

const PERSON = Schema.of({ name: FieldType.STRING, height: FieldType.INT32, knowsJavascript: FieldType.BOOLEAN });
const PERSON_NULLABLE = Schema.of({ name: FieldType.STRING, height: FieldType.INT32, knowsJavascript: FieldType.nullable(FieldType.BOOLEAN) });
const jsonPerson = (name: string, height: string, knowsJs?: string): string =>
  knowsJs === undefined ? `{\n  "name": "${name}",\n  "height": ${height}}` : `{\n  "name": "${name}",\n  "height": ${height},\n  "knowsJavascript": ${knowsJs}\n}`;
const JSON_PERSON = [jsonPerson("person1", "80", "true"), jsonPerson("person2", "70", "false"), jsonPerson("person3", "60", "true"), jsonPerson("person4", "50", "false"), jsonPerson("person5", "40", "true")];
const person = (name: string, height: number, knowsJavascript: boolean | null) => ({ name, height, knowsJavascript });
const PERSON_ROWS = [person("person1", 80, true), person("person2", 70, false), person("person3", 60, true), person("person4", 50, false), person("person5", 40, true)];
const JSON_PERSON_WITH_IMPLICIT_NULLS = [jsonPerson("person1", "80"), jsonPerson("person2", "70", "false"), jsonPerson("person3", "60"), jsonPerson("person4", "50", "false"), jsonPerson("person5", "40", "true")];
const PERSON_ROWS_WITH_NULLS = [person("person1", 80, null), person("person2", 70, false), person("person3", 60, null), person("person4", 50, false), person("person5", 40, true)];
const JSON_PERSON_WITH_ERR = ["{}", "Is it 42?", ...JSON_PERSON];
const MISSING_NAME = "Non-nullable field 'name' is not present in the JSON object.";
/** Java's err is "Unable to parse Row"; Beamline adds where the JSON breaks. */
const NOT_JSON = "Unable to parse Row: unexpected token at offset 0 ('Is it 42?')";

const lines = (p: Parameters<Parameters<typeof run>[1]>[0], label: string, xs: readonly string[]): PCollection<string> => p.apply(label, Create.from(xs));

for (const workers of WORKERS) {
  const mode = `${workers} worker${workers > 1 ? "s" : ""}`;

  describe(`Beam Java JsonToRowTest (${mode})`, () => {
    it("testParsesRows, testParsesRowsMissing (ACCEPT_MISSING_OR_NULL), and the output's RowCoder", async () => {
      let schemas: string[] = [];
      const r = await run(workers, (p, out) => {
        const parsed = lines(p, "Persons", JSON_PERSON).apply("Parse", JsonToRow.withSchema(PERSON));
        const missing = lines(p, "Implicit", JSON_PERSON_WITH_IMPLICIT_NULLS).apply("ParseMissing", JsonToRow.withSchemaAndNullBehavior(PERSON_NULLABLE, "ACCEPT_MISSING_OR_NULL"));
        schemas = [schemaOf(parsed), schemaOf(missing)];
        out("parsed", parsed);
        out("missing", missing);
      });
      assert.deepEqual(r, { parsed: rows(...PERSON_ROWS), missing: rows(...PERSON_ROWS_WITH_NULLS) });
      assert.deepEqual(schemas, ["name: STRING, height: INT32, knowsJavascript: BOOLEAN", "name: STRING, height: INT32, knowsJavascript: BOOLEAN?"]);
    });

    it("testParsesRowsDeadLetterNoErrors, testParsesRowsDeadLetterWithMissingFieldsNoErrors", async () => {
      const r = await run(workers, (p, out) => {
        const a = lines(p, "Persons", JSON_PERSON).apply("A", JsonToRow.withExceptionReporting(PERSON));
        const b = lines(p, "Implicit", JSON_PERSON_WITH_IMPLICIT_NULLS).apply("B", JsonToRow.withExceptionReporting(PERSON_NULLABLE).withNullBehavior("ACCEPT_MISSING_OR_NULL"));
        out("a", a.results);
        out("aErrors", a.failedToParseLines);
        out("b", b.results);
        out("bErrors", b.failedToParseLines);
      });
      assert.deepEqual(r, { a: rows(...PERSON_ROWS), aErrors: [], b: rows(...PERSON_ROWS_WITH_NULLS), bErrors: [] });
    });

    it("testParsesErrorRowsDeadLetter, testParsesErrorWithErrorMsgRowsDeadLetter, ...WithCustomFieldNames", async () => {
      let schemas: string[] = [];
      const r = await run(workers, (p, out) => {
        const persons = lines(p, "Persons", JSON_PERSON_WITH_ERR);
        const plain = persons.apply("Plain", JsonToRow.withExceptionReporting(PERSON));
        const extended = persons.apply("Extended", JsonToRow.withExceptionReporting(PERSON).withExtendedErrorInfo());
        const custom = persons.apply("Custom", JsonToRow.withExceptionReporting(PERSON).withExtendedErrorInfo().setErrorField("CUSTOM_ERR").setLineField("CUSTOM_LINE"));
        schemas = [plain.failedToParseLines, extended.failedToParseLines, custom.failedToParseLines].map(schemaOf);
        out("plain", plain.results);
        out("plainErrors", plain.failedToParseLines);
        out("extended", extended.results);
        out("extendedErrors", extended.failedToParseLines);
        out("custom", custom.results);
        out("customErrors", custom.failedToParseLines);
      });
      assert.deepEqual(r, {
        plain: rows(...PERSON_ROWS),
        plainErrors: rows({ line: "{}" }, { line: "Is it 42?" }),
        extended: rows(...PERSON_ROWS),
        extendedErrors: rows({ line: "{}", err: MISSING_NAME }, { line: "Is it 42?", err: NOT_JSON }),
        custom: rows(...PERSON_ROWS),
        customErrors: rows({ CUSTOM_LINE: "{}", CUSTOM_ERR: MISSING_NAME }, { CUSTOM_LINE: "Is it 42?", CUSTOM_ERR: NOT_JSON }),
      });
      assert.deepEqual(schemas, ["line: STRING", "line: STRING, err: STRING", "CUSTOM_LINE: STRING, CUSTOM_ERR: STRING"]);
    });

    it("testParsesErrorWithErrorMsgWithRequireNullDeadLetter", async () => {
      const r = await run(workers, (p, out) => {
        const res = lines(p, "Implicit", JSON_PERSON_WITH_IMPLICIT_NULLS).apply("P", JsonToRow.withExceptionReporting(PERSON_NULLABLE).withExtendedErrorInfo().withNullBehavior("REQUIRE_NULL"));
        out("results", res.results);
        out("errors", res.failedToParseLines);
      });
      const missing = "Field 'knowsJavascript' is not present in the JSON object.";
      assert.deepEqual(r, {
        results: rows(person("person2", 70, false), person("person4", 50, false), person("person5", 40, true)),
        errors: rows({ line: jsonPerson("person1", "80"), err: missing }, { line: jsonPerson("person3", "60"), err: missing }),
      });
    });

    it("withSchema fails the run on a bad line, naming the step and Java's reason (no silent drop)", async () => {
      await assert.rejects(
        run(workers, (p, out) => out("x", lines(p, "Persons", [JSON_PERSON[0]!, "{}"]).apply("ParsePeople", JsonToRow.withSchema(PERSON)))),
        (e: Error) => e.message.includes("ParsePeople") && e.message.includes(MISSING_NAME) && e.message.includes("withExceptionReporting"),
      );
    });

    it("withExceptionReporting: failed lines nothing reads fail the run with the reason; ignoreRejected drops them", async () => {
      await assert.rejects(
        run(workers, (p, out) => out("x", lines(p, "Persons", ["{}", JSON_PERSON[0]!]).apply("ParsePeople", JsonToRow.withExceptionReporting(PERSON)).results)),
        (e: Error) => e.message.includes("ParsePeople") && e.message.includes(MISSING_NAME),
      );
      const r = await run(workers, (p, out) => out("x", lines(p, "Persons", ["{}", JSON_PERSON[0]!]).apply("ParsePeople", JsonToRow.withExceptionReporting(PERSON, { ignoreRejected: true })).results));
      assert.deepEqual(r, { x: rows(PERSON_ROWS[0]) });
    });
  });

  describe(`Beam Java ToJsonTest (${mode})`, () => {
    it("testSerializesParseableJson: rows → JSON → rows, and the exact JSON Java's RowJsonSerializer writes", async () => {
      const r = await run(workers, (p, out) => {
        const json = input(p, "Persons", PERSON_ROWS, PERSON).apply("ToJson", ToJson.of());
        out("json", json);
        out("back", json.apply("Back", JsonToRow.withSchema(PERSON)));
      });
      assert.deepEqual(r, {
        json: PERSON_ROWS.map((x) => `"{\\"name\\":\\"${x.name}\\",\\"height\\":${x.height},\\"knowsJavascript\\":${x.knowsJavascript}}"`).sort(),
        back: rows(...PERSON_ROWS),
      });
    });

    it("ToJson needs a RowCoder on its input", () => {
      const { Pipeline, Create } = require("../../lib") as typeof import("../../lib");
      const p = Pipeline.create();
      assert.throws(() => p.apply("Rows", Create.from([{ a: 1 }])).apply("Json", ToJson.of()), /ToJson needs the schema of its input's rows.*RowCoder.*Json/s);
      const { RowCoder } = require("../../lib") as typeof import("../../lib");
      const bytes = Schema.of({ a: FieldType.INT32, b: FieldType.BYTES });
      assert.throws(() => p.apply("Bytes", Create.from<{ a: number; b: Uint8Array }>([{ a: 1, b: new Uint8Array() }])).setCoder(RowCoder.of(bytes)).apply("BytesJson", ToJson.of()), /ToJson: Field type \[b=BYTES\] not supported .*at transform 'BytesJson'/s);
    });
  });

  describe(`Beam Java CastTest (${mode})`, () => {
    const IN3 = Schema.of({ f0: FieldType.INT16, f1: FieldType.INT32, f2: FieldType.STRING });
    it("testProjection, testTypeWiden, testTypeNarrow, testWeakenNullable, testIgnoreNullable, testCastInnerRow", async () => {
      const W_IN = Schema.of({ f0: FieldType.INT16, f1: FieldType.INT32 });
      const N_IN = Schema.of({ f0: FieldType.INT32, f1: FieldType.INT64 });
      const INNER_IN = Schema.of({ f0: FieldType.INT16, f1: FieldType.INT32 });
      const INNER_OUT = Schema.of({ f0: FieldType.INT32, f1: FieldType.INT64 });
      let schemas: string[] = [];
      const r = await run(workers, (p, out) => {
        const casts = {
          projection: input(p, "P", [{ f0: 1, f1: 2, f2: "3" }], IN3).apply("Projection", Cast.widening(Schema.of({ f2: FieldType.STRING, f1: FieldType.INT32 }))),
          widen: input(p, "W", [{ f0: 1, f1: 2 }], W_IN).apply("Widen", Cast.widening(Schema.of({ f0: FieldType.INT32, f1: FieldType.INT64 }))),
          narrow: input(p, "N", [{ f0: 1, f1: 2n }], N_IN).apply("Narrow", Cast.narrowing(Schema.of({ f0: FieldType.INT16, f1: FieldType.INT32 }))),
          weaken: input(p, "WN", [{ f0: 1, f1: 2 }], W_IN).apply("Weaken", Cast.widening(Schema.of({ f0: FieldType.INT32, f1: FieldType.nullable(FieldType.INT64) }))),
          ignore: input(p, "IN", [{ f0: 1, f1: 2n }], Schema.of({ f0: FieldType.INT32, f1: FieldType.nullable(FieldType.INT64) })).apply(
            "Ignore",
            Cast.narrowing(Schema.of({ f0: FieldType.INT16, f1: FieldType.nullable(FieldType.INT32) })),
          ),
          inner: input(p, "R", [{ f0: { f0: 1, f1: 2 }, f1: 42 }], Schema.of({ f0: FieldType.row(INNER_IN), f1: FieldType.INT32 })).apply(
            "Inner",
            Cast.widening(Schema.of({ f0: FieldType.row(INNER_OUT), f1: FieldType.INT64 })),
          ),
        };
        schemas = Object.values(casts).map((c) => schemaOf(c as PCollection<unknown>));
        for (const [k, c] of Object.entries(casts)) out(k, c as PCollection<unknown>);
      });
      assert.deepEqual(r, {
        projection: rows({ f2: "3", f1: 2 }),
        widen: rows({ f0: 1, f1: 2n }),
        narrow: rows({ f0: 1, f1: 2 }),
        weaken: rows({ f0: 1, f1: 2n }),
        ignore: rows({ f0: 1, f1: 2 }),
        inner: rows({ f0: { f0: 1, f1: 2n }, f1: 42n }),
      });
      assert.deepEqual(schemas, ["f2: STRING, f1: INT32", "f0: INT32, f1: INT64", "f0: INT16, f1: INT32", "f0: INT32, f1: INT64?", "f0: INT16, f1: INT32?", "f0: {f0: INT32, f1: INT64}, f1: INT64"]);
    });

    it("narrowing fails the run on a value out of range, naming the step and the field (Java wraps it around)", async () => {
      const IN = Schema.of({ id: FieldType.INT64, ok: FieldType.INT32 });
      await assert.rejects(
        run(workers, (p, out) => out("x", input(p, "In", [{ id: 1n, ok: 1 }, { id: 300n, ok: 2 }], IN).apply("ToByte", Cast.narrowing(Schema.of({ id: FieldType.BYTE }))))),
        (e: Error) => /ToByte/.test(e.message) && e.message.includes("row.id: cannot cast INT64 value 300n to BYTE: it is out of BYTE's range -128..127"),
      );
      await assert.rejects(
        run(workers, (p, out) => out("x", input(p, "In", [{ v: null }], Schema.of({ v: FieldType.nullable(FieldType.INT32) })).apply("NotNull", Cast.narrowing(Schema.of({ v: FieldType.INT64 }))))),
        (e: Error) => /NotNull/.test(e.message) && e.message.includes("row.v is null, but the output field is not nullable"),
      );
    });
  });
}

describe("Beam Java CastTest / CastValidatorTest (construction)", () => {
  const widenFail = (input: Schema<object>, output: Schema<object>): string => {
    try {
      Cast.widening(output).verifyCompatibility(input);
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };

  it("testTypeWidenFail, testIgnoreNullableFail, testCastInnerRowFail: Java's messages", () => {
    assert.match(widenFail(Schema.of({ f0: FieldType.INT16, f1: FieldType.INT64 }), Schema.of({ f0: FieldType.INT32, f1: FieldType.INT32 })), /f1: Can't cast 'INT64' to 'INT32'/);
    assert.match(widenFail(Schema.of({ f0: FieldType.nullable(FieldType.INT32) }), Schema.of({ f0: FieldType.INT64 })), /f0: Can't cast nullable field to non-nullable field/);
    const inner = (f1: FieldType<unknown>) => Schema.of({ f0: FieldType.INT16, f1 });
    assert.match(
      widenFail(Schema.of({ f0: FieldType.row(inner(FieldType.INT64)), f1: FieldType.INT32 }), Schema.of({ f0: FieldType.row(Schema.of({ f0: FieldType.INT32, f1: FieldType.INT32 })), f1: FieldType.INT64 })),
      /f0\.f1: Can't cast 'INT64' to 'INT32'/,
    );
  });

  it("lists every problem, types first then fields, as Java's SchemaZipFold orders them", () => {
    const message = widenFail(
      Schema.of({ a: FieldType.INT64, b: FieldType.nullable(FieldType.STRING), c: FieldType.DOUBLE }),
      Schema.of({ a: FieldType.INT32, b: FieldType.STRING, c: FieldType.FLOAT, d: FieldType.BOOLEAN }),
    );
    assert.equal(
      message,
      "Cast isn't compatible using Cast.Widening:\n\ta: Can't cast 'INT64' to 'INT32'\n\tc: Can't cast 'DOUBLE' to 'FLOAT'\n\tb: Can't cast nullable field to non-nullable field\n\td: Field is missing in output schema\n" +
        "Change the output schema, or use Cast.narrowing for conversions that may lose data; 'Field is missing in output schema' (Java's words) means the output schema has a field the input's rows lack: remove it, or add it to the input first (AddFields)",
    );
  });

  it("the transform checks at apply, naming the step, and needs a RowCoder input", () => {
    const { Pipeline, Create, RowCoder } = require("../../lib") as typeof import("../../lib");
    const p = Pipeline.create();
    const IN = Schema.of({ s: FieldType.STRING });
    assert.throws(() => p.apply("In", Create.from([{ s: "x" }])).setCoder(RowCoder.of(IN)).apply("ToInt", Cast.narrowing(Schema.of({ s: FieldType.INT32 }))), /Cast\.Narrowing:\n\ts: Can't cast 'STRING' to 'INT32'[\s\S]*ToInt/);
    assert.throws(() => p.apply("Plain", Create.from([{ s: "x" }])).apply("Cast2", Cast.widening(IN)), /Cast needs the schema of its input's rows.*RowCoder/s);
  });

  const NUMERIC_ORDER = ["BYTE", "INT16", "INT32", "INT64", "FLOAT", "DOUBLE", "DECIMAL"] as const;
  const TYPES: Record<(typeof NUMERIC_ORDER)[number], FieldType<unknown>> = {
    BYTE: FieldType.BYTE,
    INT16: FieldType.INT16,
    INT32: FieldType.INT32,
    INT64: FieldType.INT64,
    FLOAT: FieldType.FLOAT,
    DOUBLE: FieldType.DOUBLE,
    DECIMAL: FieldType.DECIMAL,
  };
  const FORTY_TWO: Record<(typeof NUMERIC_ORDER)[number], unknown> = { BYTE: 42, INT16: 42, INT32: 42, INT64: 42n, FLOAT: 42, DOUBLE: 42, DECIMAL: "42" };

  it("testWideningOrder: widening allowed exactly when the input comes no later in BYTE…DECIMAL", () => {
    for (const i of NUMERIC_ORDER) {
      for (const o of NUMERIC_ORDER) {
        const errors = Cast.widening(Schema.of({ f0: TYPES[o] })).compatibilityErrors(Schema.of({ f0: TYPES[i] }));
        if (NUMERIC_ORDER.indexOf(i) <= NUMERIC_ORDER.indexOf(o)) assert.deepEqual(errors, [], `${i} is before ${o}`);
        else assert.deepEqual(errors, [{ path: ["f0"], message: `Can't cast '${i}' to '${o}'` }], `${i} is after ${o}`);
      }
    }
  });

  it("testCasting: 42 of every numeric type casts to 42 of every other", () => {
    for (const i of NUMERIC_ORDER) for (const o of NUMERIC_ORDER) assert.deepEqual(Cast.castValue(FORTY_TWO[i], TYPES[i], TYPES[o]), FORTY_TWO[o], `${i} → ${o}`);
  });

  it("testWideningNullableToNotNullable, testNarrowingNullableToNotNullable", () => {
    const input = Schema.of({ f0: FieldType.nullable(FieldType.INT32) });
    const output = Schema.of({ f0: FieldType.INT32 });
    assert.deepEqual(Cast.widening(output).compatibilityErrors(input), [{ path: ["f0"], message: "Can't cast nullable field to non-nullable field" }]);
    assert.deepEqual(Cast.narrowing(output).compatibilityErrors(input), []);
  });

  it("Java's narrowing validator: an integral type to FLOAT is neither wider nor narrower (as Java's TypeName.isSupertypeOf)", () => {
    assert.deepEqual(Cast.narrowing(Schema.of({ f0: FieldType.FLOAT })).compatibilityErrors(Schema.of({ f0: FieldType.INT32 })), [{ path: ["f0"], message: "Can't cast 'INT32' to 'FLOAT'" }]);
    assert.deepEqual(Cast.narrowing(Schema.of({ f0: FieldType.INT16 })).compatibilityErrors(Schema.of({ f0: FieldType.DECIMAL })), []);
  });

  it("testCastArray, testCastMap", () => {
    assert.deepEqual(Cast.castValue([1, 2, 3], FieldType.array(FieldType.INT16), FieldType.array(FieldType.INT32)), [1, 2, 3]);
    assert.deepEqual(
      Cast.castValue(new Map([[1, 1], [2, 2], [3, 3]]), FieldType.map(FieldType.INT16, FieldType.INT32), FieldType.map(FieldType.INT32, FieldType.INT64)),
      new Map([[1, 1n], [2, 2n], [3, 3n]]),
    );
  });

  it("Java's value conversions: truncation toward zero, a double's exact decimal, and failures where Java wraps", () => {
    assert.equal(Cast.castValue(-2.7, FieldType.DOUBLE, FieldType.INT32), -2);
    assert.equal(Cast.castValue("-12.99", FieldType.DECIMAL, FieldType.INT64), -12n);
    assert.equal(Cast.castValue(0.1, FieldType.DOUBLE, FieldType.DECIMAL), "0.1000000000000000055511151231257827021181583404541015625");
    assert.equal(Cast.castValue(0.1, FieldType.FLOAT, FieldType.DECIMAL), "0.100000001490116119384765625");
    assert.equal(Cast.castValue(9007199254740993n, FieldType.INT64, FieldType.DOUBLE), 9007199254740992);
    assert.throws(() => Cast.castValue(1e39, FieldType.DOUBLE, FieldType.FLOAT), /beyond FLOAT's range/);
    assert.throws(() => Cast.castValue(40000, FieldType.INT32, FieldType.INT16), /out of INT16's range -32768\.\.32767/);
    assert.throws(() => Cast.castValue(Number.NaN, FieldType.DOUBLE, FieldType.DECIMAL), /finite/);
  });
});

// ---- util/RowJsonTest: the deserializer and serializer, value by value ----

describe("Beam Java RowJsonTest", () => {
  const FLAT = Schema.of({
    f_byte: FieldType.BYTE,
    f_int16: FieldType.INT16,
    f_int32: FieldType.INT32,
    f_int64: FieldType.INT64,
    f_float: FieldType.FLOAT,
    f_double: FieldType.DOUBLE,
    f_boolean: FieldType.BOOLEAN,
    f_string: FieldType.STRING,
    f_decimal: FieldType.DECIMAL,
    f_timestamp: FieldType.MILLIS_INSTANT,
  });
  const NESTED = Schema.of({ f_nestedInt32: FieldType.INT32, f_nestedString: FieldType.STRING });
  const DOUBLE_NESTED = Schema.of({ f_doubleNestedString: FieldType.STRING });
  const NESTED_ROW = Schema.of({ f_nestedRow: FieldType.row(DOUBLE_NESTED) });
  /** Java's parameterized ValueTests: name, schema, JSON (as Java's serializer writes it, compactly), row. */
  const VALUE_TESTS: [string, Schema<object>, string, Record<string, unknown>][] = [
    [
      "Flat row",
      FLAT,
      '{"f_byte":12,"f_int16":22,"f_int32":32,"f_int64":42,"f_float":102000.0,"f_double":62.2,"f_boolean":true,"f_string":"hello","f_decimal":123.12,"f_timestamp":"2021-11-18T08:45:38.000Z"}',
      { f_byte: 12, f_int16: 22, f_int32: 32, f_int64: 42n, f_float: 1.02e5, f_double: 62.2, f_boolean: true, f_string: "hello", f_decimal: "123.12", f_timestamp: Date.UTC(2021, 10, 18, 8, 45, 38) },
    ],
    ["Logical Types", Schema.of({ f_passThroughString: FieldType.varChar(10) }), '{"f_passThroughString":"hello"}', { f_passThroughString: "hello" }],
    ["Array field", Schema.of({ f_int32: FieldType.INT32, f_intArray: FieldType.array(FieldType.INT32) }), '{"f_int32":32,"f_intArray":[1,2,3,4,5]}', { f_int32: 32, f_intArray: [1, 2, 3, 4, 5] }],
    ["Array of arrays", Schema.of({ f_arrayOfIntArrays: FieldType.array(FieldType.array(FieldType.INT32)) }), '{"f_arrayOfIntArrays":[[1,2],[3,4],[5]]}', { f_arrayOfIntArrays: [[1, 2], [3, 4], [5]] }],
    ["Nested row", Schema.of({ f_int32: FieldType.INT32, f_row: FieldType.row(NESTED) }), '{"f_int32":32,"f_row":{"f_nestedInt32":54,"f_nestedString":"foo"}}', { f_int32: 32, f_row: { f_nestedInt32: 54, f_nestedString: "foo" } }],
    ["Doubly nested row", Schema.of({ f_row: FieldType.row(NESTED_ROW) }), '{"f_row":{"f_nestedRow":{"f_doubleNestedString":"foo"}}}', { f_row: { f_nestedRow: { f_doubleNestedString: "foo" } } }],
    ["Nulls", Schema.of({ f_byte: FieldType.BYTE, f_string: FieldType.nullable(FieldType.STRING) }), '{"f_byte":12,"f_string":null}', { f_byte: 12, f_string: null }],
  ];
  /** Java's inputs for the Flat row case, laid out as Java's test writes them. */
  const FLAT_INPUT =
    '{\n"f_byte" : 12,\n"f_int16" : 22,\n"f_int32" : 32,\n"f_int64" : 42,\n"f_float" : 1.02E5,\n"f_double" : 62.2,\n"f_boolean" : true,\n"f_string" : "hello",\n"f_decimal" : 123.12,\n"f_timestamp" : "2021-11-18T08:45:38.000Z"\n}';
  const dropNulls = (json: string): string => json.replace(/,?"[^"]+":null/g, "").replace("{,", "{");

  for (const [name, schema, json, row] of VALUE_TESTS) {
    it(`ValueTests[${name}]: deserialize, serialize, round trips under each null behavior`, () => {
      assert.equal(show(jsonToRow(name === "Flat row" ? FLAT_INPUT : json, schema, "ACCEPT_MISSING_OR_NULL")), show(row));
      assert.equal(writeRow(row, schema), json);
      for (const [nb, written] of [["ACCEPT_MISSING_OR_NULL", json], ["ACCEPT_MISSING_OR_NULL", dropNulls(json)], ["REQUIRE_MISSING", dropNulls(json)], ["REQUIRE_NULL", json]] as const) {
        assert.equal(show(jsonToRow(written, schema, nb)), show(row), `${nb}: ${written}`);
      }
    });
  }

  it("ValueTests through the pipeline: JsonToRow then ToJson, on two workers", async () => {
    for (const [name, schema, json, row] of VALUE_TESTS) {
      const r = await run(2, (p, out) => {
        const parsed = p.apply("Lines", (require("../../lib") as typeof import("../../lib")).Create.of(json)).apply("Parse", JsonToRow.withSchema(schema));
        out("rows", parsed);
        out("json", parsed.apply("ToJson", ToJson.of()));
      });
      assert.deepEqual(r, { rows: rows(row), json: [JSON.stringify(json)] }, name);
    }
  });

  const fails = (schema: Schema<object>, json: string, nb: NullBehavior = "ACCEPT_MISSING_OR_NULL"): string => {
    try {
      return `parsed ${show(jsonToRow(json, schema, nb))}`;
    } catch (e) {
      return describeFailure(e);
    }
  };

  it("testThrowsForMismatchedArrayField, testThrowsForMismatchedRowField, testThrowsForMissingNotNullableField", () => {
    assert.equal(fails(Schema.of({ f_arrayOfIntArrays: FieldType.array(FieldType.array(FieldType.INT32)) }), '{\n"f_arrayOfIntArrays" : { }\n}'), "Expected JSON array for field 'f_arrayOfIntArrays'. Instead got OBJECT");
    assert.match(fails(Schema.of({ f_int32: FieldType.INT32, f_row: FieldType.row(NESTED) }), '{\n"f_int32" : 32,\n"f_row" : []\n}'), /^Expected JSON object for field 'f_row'/);
    assert.equal(fails(Schema.of({ f_byte: FieldType.BYTE, f_string: FieldType.STRING }), '{\n"f_byte" : 12\n}'), "Non-nullable field 'f_string' is not present in the JSON object.");
  });

  it("testRequireNull*, testRequireMissing*", () => {
    const S = Schema.of({ f_byte: FieldType.BYTE, f_string: FieldType.nullable(FieldType.STRING) });
    assert.equal(fails(S, '{\n"f_byte" : 12\n}', "REQUIRE_NULL"), "Field 'f_string' is not present in the JSON object.");
    assert.equal(fails(S, '{"f_byte": 12, "f_string": null}', "REQUIRE_NULL"), 'parsed {"f_byte":12,"f_string":null}');
    assert.equal(fails(S, '{"f_byte": 12, "f_string": null}', "REQUIRE_MISSING"), "Field 'f_string' has a null value in the JSON object.");
    assert.equal(fails(S, '{"f_byte": 12}', "REQUIRE_MISSING"), 'parsed {"f_byte":12,"f_string":null}');
  });

  it("testDeserializerThrowsFor{UnsupportedArrayElementType,UnsupportedNestedFieldType,MultipleUnsupportedFieldTypes}", () => {
    const supported = "Supported types are: [BYTE, INT16, INT32, INT64, FLOAT, DOUBLE, BOOLEAN, STRING, DECIMAL, DATETIME]";
    assert.throws(() => JsonToRow.withSchema(Schema.of({ f_bytesArray: FieldType.array(FieldType.BYTES) })), (e: Error) => e.message.includes(`Field type [f_bytesArray[]=BYTES] not supported when converting between JSON and Rows. ${supported}`));
    assert.throws(() => JsonToRow.withSchema(Schema.of({ f_nestedRow: FieldType.row(Schema.of({ f_bytesArray: FieldType.array(FieldType.BYTES) })) })), /f_nestedRow\.f_bytesArray\[\]=BYTES\] not supported/);
    assert.throws(
      () => JsonToRow.withExceptionReporting(Schema.of({ f_int32: FieldType.INT32, f_bytes: FieldType.BYTES, f_bytesArray: FieldType.array(FieldType.BYTES), f_map: FieldType.map(FieldType.STRING, FieldType.INT32) })),
      (e: Error) => e.message.includes("Field types [f_bytes=BYTES, f_bytesArray[]=BYTES, f_map=MAP] not supported"),
    );
  });

  // DeserializerTests' constants.
  const BYTE = "126", SHORT = "32766", INT = "2147483646", LONG = "9223372036854775806", FLOAT = "1.02e5", DOUBLE = "1.02", TRUE = "true";
  const DATETIME = "2014-09-27T20:30:00.450Z";
  const q = (s: string): string => `"${s}"`;
  const one = (name: string, t: FieldType<unknown>): Schema<object> => Schema.fromFields([{ name, type: t }]);
  const SUPPORTED: [string, FieldType<unknown>, string, unknown][] = [
    ["BOOLEAN", FieldType.BOOLEAN, TRUE, true],
    ["STRING", FieldType.STRING, q(FLOAT), FLOAT],
    ["BYTE", FieldType.BYTE, BYTE, 126],
    ["INT16", FieldType.INT16, BYTE, 126],
    ["INT16", FieldType.INT16, SHORT, 32766],
    ["INT32", FieldType.INT32, BYTE, 126],
    ["INT32", FieldType.INT32, SHORT, 32766],
    ["INT32", FieldType.INT32, INT, 2147483646],
    ["INT64", FieldType.INT64, BYTE, 126n],
    ["INT64", FieldType.INT64, SHORT, 32766n],
    ["INT64", FieldType.INT64, INT, 2147483646n],
    ["INT64", FieldType.INT64, LONG, 9223372036854775806n],
    ["FLOAT", FieldType.FLOAT, FLOAT, Math.fround(1.02e5)],
    ["FLOAT", FieldType.FLOAT, SHORT, 32766],
    ["DOUBLE", FieldType.DOUBLE, DOUBLE, 1.02],
    ["DOUBLE", FieldType.DOUBLE, FLOAT, 1.02e5],
    ["DOUBLE", FieldType.DOUBLE, INT, 2147483646],
    ["DATETIME", FieldType.MILLIS_INSTANT, q(DATETIME), Date.UTC(2014, 8, 27, 20, 30, 0, 450)],
  ];
  for (const [type, t, json, value] of SUPPORTED) {
    it(`testSupported${type}Conversions: ${json}`, () => {
      const name = `f_${type.toLowerCase()}`;
      assert.equal(fails(one(name, t), `{\n"${name}" : ${json}\n}`), `parsed ${show({ [name]: value })}`);
    });
  }

  const UNSUPPORTED: [string, FieldType<unknown>, string[]][] = [
    ["BOOLEAN", FieldType.BOOLEAN, [q(TRUE), BYTE, SHORT, INT, LONG, FLOAT, DOUBLE]],
    ["STRING", FieldType.STRING, [TRUE, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE]],
    ["BYTE", FieldType.BYTE, [TRUE, q(BYTE), SHORT, INT, LONG, FLOAT, DOUBLE]],
    ["INT16", FieldType.INT16, [TRUE, q(SHORT), INT, LONG, FLOAT, DOUBLE]],
    ["INT32", FieldType.INT32, [q(INT), TRUE, LONG, FLOAT, DOUBLE]],
    ["INT64", FieldType.INT64, [q(LONG), TRUE, FLOAT, DOUBLE]],
    ["FLOAT", FieldType.FLOAT, [q(FLOAT), TRUE, DOUBLE, INT]],
    ["DOUBLE", FieldType.DOUBLE, [q(DOUBLE), TRUE, LONG]],
  ];
  const nodeType = (json: string): string => (json.startsWith('"') ? "STRING" : json === TRUE ? "BOOLEAN" : "NUMBER");
  for (const [type, t, values] of UNSUPPORTED) {
    it(`testUnsupported${type}Conversions: every value (Java's test stops at the first)`, () => {
      const name = `f_${type.toLowerCase()}`;
      for (const json of values) {
        const shown = json.startsWith('"') ? json.slice(1, -1) : json;
        assert.equal(
          fails(one(name, t), `{\n"${name}" : ${json}\n}`),
          `Unable to get value from field '${name}'. Schema type '${type}'. JSON node type ${nodeType(json)}: Value "${shown}" is out of range for the type of the field defined in the row schema.`,
          json,
        );
      }
    });
  }

  it("range edges of each integral type, and FLOAT/DOUBLE exactness", () => {
    const edge = (t: FieldType<unknown>, json: string): string => fails(one("f", t), `{"f":${json}}`);
    assert.equal(edge(FieldType.BYTE, "-128"), 'parsed {"f":-128}');
    assert.match(edge(FieldType.BYTE, "128"), /out of range/);
    assert.equal(edge(FieldType.INT16, "-32768"), 'parsed {"f":-32768}');
    assert.match(edge(FieldType.INT16, "32768"), /out of range/);
    assert.equal(edge(FieldType.INT32, "-2147483648"), 'parsed {"f":-2147483648}');
    assert.match(edge(FieldType.INT32, "2147483648"), /out of range/);
    assert.equal(edge(FieldType.INT64, "-9223372036854775808"), 'parsed {"f":"-9223372036854775808n"}');
    assert.match(edge(FieldType.INT64, "9223372036854775808"), /out of range/);
    assert.match(edge(FieldType.INT32, "1.0"), /out of range/); // a floating-point number is not converted to an integral one
    assert.equal(edge(FieldType.FLOAT, "0.5"), 'parsed {"f":0.5}');
    assert.match(edge(FieldType.FLOAT, "16777217"), /out of range/); // 2^24 + 1 has no float
    assert.equal(edge(FieldType.DOUBLE, "9007199254740992"), 'parsed {"f":9007199254740992}');
    assert.ok(Object.is((jsonToRow('{"f":-0}', one("f", FieldType.DOUBLE), "ACCEPT_MISSING_OR_NULL") as { f: number }).f, 0)); // the integer 0, not -0.0
    assert.match(edge(FieldType.DOUBLE, "9007199254740993"), /out of range/);
  });

  it("DECIMAL keeps the JSON number's digits; DATETIME takes ISO offsets; null inside arrays", () => {
    const dec = one("d", FieldType.DECIMAL);
    assert.equal(fails(dec, '{"d": 0.12345678901234567890123}'), 'parsed {"d":"0.12345678901234567890123"}');
    assert.equal(fails(dec, '{"d": 12345678901234567890123}'), 'parsed {"d":"12345678901234567890123"}');
    assert.equal(fails(dec, '{"d": "1"}'), `Unable to get value from field 'd'. Schema type 'DECIMAL'. JSON node type STRING: Value "1" is out of range for the type of the field defined in the row schema.`);
    assert.equal(fails(one("t", FieldType.MILLIS_INSTANT), '{"t": "2021-11-18T10:45:38+02:00"}'), `parsed {"t":${Date.UTC(2021, 10, 18, 8, 45, 38)}}`);
    assert.match(fails(one("t", FieldType.MILLIS_INSTANT), '{"t": "yesterday"}'), /Unable to get value from field 't'\. Schema type 'DATETIME'\. JSON node type STRING: Invalid format: "yesterday"/);
    assert.equal(fails(one("a", FieldType.array(FieldType.INT32)), '{"a": [1, null]}'), "Non-nullable field 'a[]' has value null in the JSON object.");
    assert.equal(fails(one("a", FieldType.array(FieldType.nullable(FieldType.INT32))), '{"a": [1, null]}'), 'parsed {"a":[1,null]}');
    assert.match(fails(one("v", FieldType.varChar(3)), '{"v": "abcd"}'), /longer than the 3 characters/);
    assert.match(fails(one("a", FieldType.INT32), '{"a": 1} trailing'), /^Unable to parse Row: unexpected text after the JSON value/);
    assert.match(fails(one("a", FieldType.INT32), "42"), /^Expected JSON object for field 'root'/);
  });

  it("Java's SqlTypes DATE, TIME and DATETIME logical types: ISO strings both ways, over their representations", () => {
    const DT = Schema.of({ Date: FieldType.INT64, Time: FieldType.INT64 });
    const S = Schema.of({
      d: FieldType.logical("beam:logical_type:date:v1", FieldType.INT64),
      t: FieldType.logical("beam:logical_type:time:v1", FieldType.INT64),
      dt: FieldType.logical("beam:logical_type:datetime:v1", FieldType.row(DT)),
    });
    const cases: [string, Record<string, unknown>, string][] = [
      ['{"d":"2021-11-18","t":"08:45:38.123","dt":"2021-11-18T08:45"}', { d: 18949n, t: 31538123000000n, dt: { Date: 18949n, Time: 31500000000000n } }, '{"d":"2021-11-18","t":"08:45:38.123","dt":"2021-11-18T08:45"}'],
      ['{"d":"0001-01-01","t":"00:00:00.000001","dt":"-0044-03-15T23:59:59.999999999"}', { d: -719162n, t: 1000n, dt: { Date: -735525n, Time: 86399999999999n } }, '{"d":"0001-01-01","t":"00:00:00.000001","dt":"-0044-03-15T23:59:59.999999999"}'],
      ['{"d":"+12345-01-01","t":"08:45:00.000","dt":"1970-01-01T00:00:01.5"}', { d: 3789391n, t: 31500000000000n, dt: { Date: 0n, Time: 1500000000n } }, '{"d":"+12345-01-01","t":"08:45","dt":"1970-01-01T00:00:01.500"}'],
    ];
    for (const [json, row, written] of cases) {
      assert.equal(show(jsonToRow(json, S, "ACCEPT_MISSING_OR_NULL")), show(row), json);
      assert.equal(writeRow(row, S), written);
    }
    assert.match(fails(S, '{"d":"2021-02-29","t":"08:45","dt":"2021-11-18T08:45"}'), /^Unable to get value from field 'd'\. Schema type 'LOGICAL_TYPE\(beam:logical_type:date:v1\)'\. JSON node type STRING: Text '2021-02-29' could not be parsed as a date/);
    assert.match(fails(S, '{"d":18949,"t":"08:45","dt":"2021-11-18T08:45"}'), /JSON node type NUMBER: Value "18949" is out of range/);
  });

  it("the serializer writes numbers as Java does: Float/Double.toString, BigDecimal.toString, long in full, NaN as a string", () => {
    const S = Schema.of({ f: FieldType.FLOAT, d: FieldType.DOUBLE, big: FieldType.DOUBLE, tiny: FieldType.DOUBLE, nan: FieldType.DOUBLE, dec: FieldType.DECIMAL, sci: FieldType.DECIMAL, l: FieldType.INT64, s: FieldType.STRING });
    assert.equal(
      writeRow({ f: 0.1, d: 1, big: 1e21, tiny: 1e-5, nan: Number.NaN, dec: "100.10", sci: "1E+3", l: -9223372036854775808n, s: 'q"\\\n\u0001' }, S),
      '{"f":0.1,"d":1.0,"big":1.0E21,"tiny":1.0E-5,"nan":"NaN","dec":100.10,"sci":1E+3,"l":-9223372036854775808,"s":"q\\"\\\\\\n\\u0001"}',
    );
  });
});
