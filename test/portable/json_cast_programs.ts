/**
 * A program of JsonToRow, ToJson and Cast for the DirectRunner and real runners: JSON lines parsed
 * into RowCoder rows (bad lines to the failed-lines output with Java's reasons), the rows and the
 * failed lines grouped by the runner by their row encoding (Sets.unionDistinct) so they cross it as
 * Beam rows, cast wider and narrower, and written back as JSON, one "name=json" line each.
 */
import { Cast, Create, definePipeline, FieldType, Flatten, JsonToRow, RowCoder, Schema, Sets, ToJson, type PCollection } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

const Person = Schema.of({ name: FieldType.STRING, height: FieldType.INT32, id: FieldType.INT64, price: FieldType.DECIMAL, js: FieldType.nullable(FieldType.BOOLEAN) });

const LINES = [
  '{"name": "ann", "height": 80, "id": 9223372036854775807, "price": 10.50, "js": true}',
  '{"name": "bob", "height": 70, "id": -1, "price": 1e3}',
  '{"name": "cid", "height": 3000000000, "id": 1, "price": 0}',
  "not json",
];

/** What Beam Java's JsonToRow, ToJson and Cast give these lines (Beamline's DECIMAL keeps "10.50"). */
export const JSON_CAST_EXPECTED: readonly string[] = [
  'json={"name":"ann","height":80,"id":9223372036854775807,"price":10.50,"js":true}',
  'json={"name":"bob","height":70,"id":-1,"price":1E+3,"js":null}',
  'wide={"height":80,"name":"ann"}',
  'wide={"height":70,"name":"bob"}',
  'narrow={"height":80}',
  'narrow={"height":70}',
  `failed={"line":${JSON.stringify(LINES[2])},"err":"Unable to get value from field 'height'. Schema type 'INT32'. JSON node type NUMBER: Value \\"3000000000\\" is out of range for the type of the field defined in the row schema."}`,
  `failed={"line":"not json","err":"Unable to parse Row: unexpected token at offset 0 ('not json')"}`,
].sort();

export const jsonCastProgram = definePipeline({
  name: "portable-test-json-cast",
  description: "JsonToRow, ToJson and Cast over RowCoder rows",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    const out: PCollection<string>[] = [];
    /** Groups rows by their row encoding on the runner (a RowCoder collection), then ToJson. */
    const emit = (name: string, pc: PCollection<object>) => {
      if (!(pc.coder instanceof RowCoder)) throw new Error(`${name}: expected a RowCoder output, got ${pc.coder?.urn}`);
      out.push(pc.apply(`Group ${name}`, Sets.unionDistinct(pc)).apply(`ToJson ${name}`, ToJson.of()).map(`Show ${name}`, (j: string) => `${name}=${j}`));
    };
    const { results, failedToParseLines } = root.apply("Lines", Create.from(LINES)).apply("Parse", JsonToRow.withExceptionReporting(Person).withExtendedErrorInfo());
    emit("json", results);
    emit("failed", failedToParseLines);
    emit("wide", results.apply("Widen", Cast.widening(Schema.of({ height: FieldType.INT64, name: FieldType.STRING }))));
    emit("narrow", results.apply("Narrow", Cast.narrowing(Schema.of({ height: FieldType.BYTE }))));
    root.apply("All", Flatten.pCollections(...out)).apply("Write", WriteToText.to(`${flags.output}/out`));
  },
});
