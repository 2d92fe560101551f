/**
 * JsonToRow and ToJson: Beam Java's transforms between JSON strings and schema rows, over
 * plain-object rows (the conversions of each field type are in row_json.ts).
 *
 * ```ts
 * const people = lines.apply(JsonToRow.withSchema(Person));                 // a bad line fails the run, naming the step
 * const { results, failedToParseLines } = lines.apply(JsonToRow.withExceptionReporting(Person).withExtendedErrorInfo());
 * const json = people.apply(ToJson.of());                                   // '{"name":"ann","height":80}'
 * ```
 *
 * The schema is checked when the transform is made, as Java's: a field JSON cannot hold (BYTES,
 * MAP, …) is an error listing every such field. Outputs get the RowCoder of their schema (the
 * failed lines: Java's `line` and, with extended error info, `err`).
 */
import { PipelineConstructionError, TransformError } from "../model/errors";
import type { DeadLetterOptions } from "../model/dead_letter";
import type { ProcessContext } from "../model/dofn";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { FieldType, Schema } from "../coders/schema";
import { describeFailure, jsonToRow, unsupportedSchemaMessage, writeRow, type NullBehavior } from "./row_json";
import { rowSchemaOf, setRowCoder } from "./schema_paths";

export { UnsupportedRowJsonError, type NullBehavior } from "./row_json";

const NULL_BEHAVIORS: readonly NullBehavior[] = ["ACCEPT_MISSING_OR_NULL", "REQUIRE_NULL", "REQUIRE_MISSING"];

function checkSchema(schema: Schema<object>, where: string, fullName?: string): void {
  if (!(schema instanceof Schema)) throw new PipelineConstructionError(`${where}: expected a Schema (Schema.of({ ... })), got ${typeof schema}`, fullName);
  const message = unsupportedSchemaMessage(schema);
  if (message !== undefined) throw new PipelineConstructionError(`${where}: ${message}. Convert those fields to supported types first, or leave them out of the schema`, fullName);
}

function checkNullBehavior(b: NullBehavior, where: string): NullBehavior {
  if (!NULL_BEHAVIORS.includes(b)) throw new PipelineConstructionError(`${where}: unknown null behavior '${String(b)}'; use one of ${NULL_BEHAVIORS.join(", ")}`);
  return b;
}

/**
 * Parses JSON strings into rows of a schema (Beam Java's `JsonToRow.withSchema`). A line that does
 * not parse fails the run with Java's reason and the step's name; use
 * `JsonToRow.withExceptionReporting` to route such lines to an output instead.
 */
export class JsonToRow<R extends object> extends PTransform<PCollection<string>, PCollection<R>> {
  private constructor(
    private readonly schema: Schema<R>,
    private readonly nullBehavior: NullBehavior,
  ) {
    super("JsonToRow");
  }

  /** Rows of `schema` from JSON objects; a nullable field may be missing or null (Java's default, ACCEPT_MISSING_OR_NULL). */
  static withSchema<R extends object>(schema: Schema<R>): JsonToRow<R> {
    checkSchema(schema as Schema<object>, "JsonToRow.withSchema");
    return new JsonToRow(schema, "ACCEPT_MISSING_OR_NULL");
  }

  /** As `withSchema`, with how JSON must write null fields (Java's `withSchemaAndNullBehavior`). */
  static withSchemaAndNullBehavior<R extends object>(schema: Schema<R>, nullBehavior: NullBehavior): JsonToRow<R> {
    checkSchema(schema as Schema<object>, "JsonToRow.withSchemaAndNullBehavior");
    return new JsonToRow(schema, checkNullBehavior(nullBehavior, "JsonToRow.withSchemaAndNullBehavior"));
  }

  /**
   * Rows of `schema`, and the lines that do not parse as rows `{ line }` on a second output
   * (Java's `withExceptionReporting`; add the reason as `err` with `withExtendedErrorInfo()`).
   * The failed lines are a dead-letter output: counted as `beamline/rejected`, and when nothing
   * reads them the first one fails the run, unless `{ ignoreRejected: true }`.
   */
  static withExceptionReporting<R extends object>(schema: Schema<R>, options: DeadLetterOptions = {}): JsonToRowWithErrors<R, "line", never> {
    checkSchema(schema as Schema<object>, "JsonToRow.withExceptionReporting");
    return new JsonToRowWithErrors<R, "line", never>(schema, "ACCEPT_MISSING_OR_NULL", "line", undefined, options.ignoreRejected === true);
  }

  /** The same transform with another null behavior. */
  withNullBehavior(nullBehavior: NullBehavior): JsonToRow<R> {
    return new JsonToRow(this.schema, checkNullBehavior(nullBehavior, "JsonToRow.withNullBehavior"));
  }

  expand(input: PCollection<string>): PCollection<R> {
    const { schema, nullBehavior } = this;
    const out = input.apply(
      "ParseJson",
      ParDo.into<R>().of((line: string, ctx: ProcessContext<R>) => {
        let row: R;
        try {
          row = jsonToRow(line, schema as Schema<object>, nullBehavior) as R;
        } catch (e) {
          throw new TransformError(
            ctx.runtime.transformName,
            `${ctx.runtime.transformName}: cannot parse ${preview(line)} as a row: ${describeFailure(e)}. Fix the input, or use JsonToRow.withExceptionReporting(schema) to send such lines to an output`,
            { cause: e },
          );
        }
        ctx.output(row);
      }),
    );
    setRowCoder(out as PCollection<unknown>, schema as Schema<object>);
    return out;
  }
}

const preview = (line: string): string => JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line);

/** What `JsonToRow.withExceptionReporting` gives: the parsed rows and the lines that failed (Java's ParseResult). */
export type JsonToRowResult<R, E> = {
  /** The rows parsed (Java's `getResults()`). */
  readonly results: PCollection<R>;
  /** The lines that did not parse, as rows `{ line }`, with `err` after `withExtendedErrorInfo()` (Java's `getFailedToParseLines()`). */
  readonly failedToParseLines: PCollection<E>;
};

/** The row of a failed line: the line field, and the error field when there is one. */
export type FailedLine<L extends string, X extends string> = { [K in L | X]: string };

/**
 * JsonToRow with the lines that fail on an output of their own (Java's JsonToRowWithErrFn).
 * L is the name of the line field, X that of the error field (never without extended error info).
 */
export class JsonToRowWithErrors<R extends object, L extends string, X extends string> extends PTransform<PCollection<string>, JsonToRowResult<R, FailedLine<L, X>>> {
  /** @internal Use JsonToRow.withExceptionReporting. */
  constructor(
    private readonly schema: Schema<R>,
    private readonly nullBehavior: NullBehavior,
    private readonly lineField: string,
    private readonly errorField: string | undefined,
    private readonly ignoreRejected: boolean,
  ) {
    super("JsonToRow");
  }

  /** Adds the reason each line failed, as the field `err` (Java's `withExtendedErrorInfo`). */
  withExtendedErrorInfo(): JsonToRowWithErrors<R, L, "err"> {
    return new JsonToRowWithErrors<R, L, "err">(this.schema, this.nullBehavior, this.lineField, this.errorField ?? "err", this.ignoreRejected);
  }

  /** Names the field of the failed line `name` instead of `line` (Java's `setLineField`). */
  setLineField<N extends string>(name: N): JsonToRowWithErrors<R, N, X> {
    checkFieldName(name, "setLineField", this.errorField);
    return new JsonToRowWithErrors<R, N, X>(this.schema, this.nullBehavior, name, this.errorField, this.ignoreRejected);
  }

  /** Names the field of the reason `name` instead of `err`; only after `withExtendedErrorInfo()`, as in Java. */
  setErrorField<N extends string>(name: N): JsonToRowWithErrors<R, L, N> {
    if (this.errorField === undefined) throw new PipelineConstructionError("JsonToRow.setErrorField: this option is only available with extended error info; call withExtendedErrorInfo() first");
    checkFieldName(name, "setErrorField", this.lineField);
    return new JsonToRowWithErrors<R, L, N>(this.schema, this.nullBehavior, this.lineField, name, this.ignoreRejected);
  }

  /** The same transform with another null behavior (Java's `withNullBehavior`). */
  withNullBehavior(nullBehavior: NullBehavior): JsonToRowWithErrors<R, L, X> {
    return new JsonToRowWithErrors<R, L, X>(this.schema, checkNullBehavior(nullBehavior, "JsonToRow.withNullBehavior"), this.lineField, this.errorField, this.ignoreRejected);
  }

  expand(input: PCollection<string>): JsonToRowResult<R, FailedLine<L, X>> {
    const { schema, nullBehavior, lineField, errorField } = this;
    type Failed = FailedLine<L, X>;
    const reasonOf = (f: Failed): string => {
      const r = f as Record<string, string>;
      if (errorField !== undefined) return r[errorField]!;
      try {
        jsonToRow(r[lineField]!, schema as Schema<object>, nullBehavior);
        return "the line did not parse";
      } catch (e) {
        return describeFailure(e);
      }
    };
    const parsed = input.apply(
      "ParseJson",
      ParDo.into<R, { failed: Failed }>()
        .of(
          (line: string, ctx: ProcessContext<R, { failed: Failed }>) => {
            let row: R;
            try {
              row = jsonToRow(line, schema as Schema<object>, nullBehavior) as R;
            } catch (e) {
              const failed: Record<string, string> = { [lineField]: line };
              if (errorField !== undefined) failed[errorField] = describeFailure(e);
              ctx.outputTo("failed", failed as Failed);
              return;
            }
            ctx.output(row);
          },
          { deadLetters: { failed: { reason: reasonOf, ignoreUnread: this.ignoreRejected } } },
        )
        .withOutputs("failed"),
    );
    setRowCoder(parsed.main as PCollection<unknown>, schema as Schema<object>);
    const errorFields = [{ name: lineField, type: FieldType.STRING }, ...(errorField === undefined ? [] : [{ name: errorField, type: FieldType.STRING }])];
    setRowCoder(parsed.failed as PCollection<unknown>, Schema.fromFields(errorFields));
    return { results: parsed.main, failedToParseLines: parsed.failed };
  }
}

function checkFieldName(name: string, method: string, other: string | undefined): void {
  if (typeof name !== "string" || name === "") throw new PipelineConstructionError(`JsonToRow.${method}: the field name must be a non-empty string`);
  if (name === other) throw new PipelineConstructionError(`JsonToRow.${method}: '${name}' is already the name of the other field of the failed-line rows; choose another`);
}

/**
 * Writes each row as a JSON object string (Beam Java's `ToJson.of()`), with the schema of the
 * input's RowCoder: fields in schema order, nulls as null, numbers as Java writes them (INT64 in
 * full, unquoted; DECIMAL as BigDecimal.toString; DATETIME as "2021-11-18T08:45:38.000Z").
 */
export class ToJson<T extends object> extends PTransform<PCollection<T>, PCollection<string>> {
  private constructor() {
    super("ToJson");
  }

  /** Rows → JSON strings. The input needs a RowCoder (its schema says how to write each field), as Java's needs a schema. */
  static of<T extends object = Record<string, unknown>>(): ToJson<T> {
    return new ToJson<T>();
  }

  expand(input: PCollection<T>): PCollection<string> {
    const fullName = input.pipeline.currentNode().fullName;
    const schema = rowSchemaOf(input as PCollection<unknown>);
    if (schema === undefined) {
      throw new PipelineConstructionError(
        `ToJson needs the schema of its input's rows, but ${input.describe()} has no RowCoder; set one with .setCoder(RowCoder.of(schema)) (Java's setRowSchema)`,
        fullName,
      );
    }
    checkSchema(schema, "ToJson", fullName);
    return input.apply(
      "ToJson",
      ParDo.into<string>().of((row: T, ctx: ProcessContext<string>) => {
        let json: string;
        try {
          json = writeRow(row as Record<string, unknown>, schema);
        } catch (e) {
          throw new TransformError(ctx.runtime.transformName, `${ctx.runtime.transformName}: cannot write a row as JSON: ${(e as Error).message}. The rows must match the input's RowCoder schema`, { cause: e });
        }
        ctx.output(json);
      }),
    );
  }
}
