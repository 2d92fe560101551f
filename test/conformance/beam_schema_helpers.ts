/** Shared by the schema transform conformance tests (beam_schema_*.test.ts): runs on one and two DirectRunner workers, with and without a RowCoder. */
import { strict as assert } from "node:assert";
import { Create, RowCoder, type PCollection, type Schema } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { labelledOutputs } from "./beam_helpers";

/** Worker counts every case runs with (`--direct_num_workers 2` makes rows cross between workers through their coders). */
export const WORKERS = [1, 2] as const;

/** JSON with Maps as `{ "$map": [[k, v], ...] }` and bigints as strings, so Map-valued fields show. */
export const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? { $map: [...x.entries()] } : typeof x === "bigint" ? `${x}n` : x));

/** Runs `build`, which names what it collects; each output's values shown with `show`, sorted. */
export async function run(workers: number, build: (p: Pipeline, out: (label: string, pc: PCollection<unknown>) => void) => void): Promise<Record<string, string[]>> {
  return labelledOutputs(build, (o) => show(o.value), workers > 1 ? { directNumWorkers: workers } : {});
}

/** The expected rows of one output, shown and sorted as `run` gives them. */
export const rows = (...xs: unknown[]): string[] => xs.map(show).sort();

/** Rows from Create, with the RowCoder of `schema` when given (rows then cross workers as Beam rows). */
export function input<T extends object>(p: Pipeline, label: string, values: readonly T[], schema?: Schema<T>): PCollection<T> {
  const pc = p.apply(label, Create.from(values));
  return schema === undefined ? pc : pc.setCoder(RowCoder.of(schema));
}

/** The field names and types of a collection's RowCoder schema (fails when its coder is not a RowCoder). */
export function schemaOf(pc: PCollection<unknown>): string {
  const coder = pc.coder;
  assert.ok(coder instanceof RowCoder, `expected a RowCoder on ${pc.describe()}, got ${coder?.urn}`);
  return describeSchema(coder.schema);
}

/** `name: TYPE` per field, nested rows in braces, `?` for nullable: a compact schema to compare. */
export function describeSchema(s: Schema<object>): string {
  return s.fields.map((f) => `${f.name}: ${describeType(f.type)}`).join(", ");
}

function describeType(t: { nullable: boolean; spec: { kind: string } & Record<string, unknown> }): string {
  const s = t.spec as Record<string, never> & { kind: string };
  let out: string;
  switch (s.kind) {
    case "atomic":
      out = s.atomic;
      break;
    case "array":
    case "iterable":
      out = `${s.kind}<${describeType(s.element)}>`;
      break;
    case "map":
      out = `map<${describeType(s.key)}, ${describeType(s.value)}>`;
      break;
    case "row":
      out = `{${describeSchema(s.schema)}}`;
      break;
    default:
      out = String(s.urn);
  }
  return t.nullable ? `${out}?` : out;
}
