/**
 * Type-level tests of the command-line and source APIs added for users' own projects: this file
 * fails to COMPILE when a type breaks, and each `@ts-expect-error` when a wrong use stops being one.
 */
import { strict as assert } from "node:assert";
import { definePipeline, MIN_TIMESTAMP, parseArgs, ReadUnbounded, registerRunnerFlags, type ParseSettings, type RunnerFlags, type UnboundedSource } from "../../lib";
import { expectType } from "./expect_type";

describe("type-level: flags, runner flag tables, unbounded sources", () => {
  it("parseArgs takes ParseSettings (passThroughFlags) and returns warnings", () => {
    const settings: ParseSettings = { scriptName: "t", description: "d", passThroughFlags: true };
    const parsed = parseArgs(["--out", "o", "--anything", "1"], { out: { type: "string", describe: "o", required: true } } as const, settings);
    expectType(parsed.warnings)<readonly string[]>(true);
    expectType(parsed.flags.out)<string>(true);
    // @ts-expect-error passThroughFlags is a boolean
    const wrong: ParseSettings = { scriptName: "t", description: "d", passThroughFlags: "yes" };
    assert.ok(wrong);
  });

  it("definePipeline accepts passThroughFlags; runner flag tables are string or boolean flags", () => {
    const program = definePipeline({ name: "pass-through-types", description: "d", flags: {}, passThroughFlags: true, build() {} });
    assert.equal(program.spec.passThroughFlags, true);
    const table: RunnerFlags = { my_endpoint: { type: "string", describe: "e" }, my_tag: { type: "string", describe: "t", repeatable: true } };
    expectType(registerRunnerFlags)<(runner: string, flags: RunnerFlags) => void>(true);
    assert.equal(table["my_tag"]?.repeatable, true);
    // @ts-expect-error runner flags reach the runner as given: strings or booleans, never parsed numbers
    const numeric: RunnerFlags = { n: { type: "number", describe: "n" } };
    assert.ok(numeric);
  });

  it("an unbounded source may set its initial watermark, an Instant", () => {
    const source: UnboundedSource<string> = { initialWatermark: MIN_TIMESTAMP, async read() {} };
    expectType(ReadUnbounded.from(source))<ReadUnbounded<string>>(true);
    // @ts-expect-error the initial watermark is an Instant (epoch milliseconds), not a date string
    const wrong: UnboundedSource<string> = { initialWatermark: "2024-01-01", async read() {} };
    assert.ok(wrong);
  });

  it("a source emits a batch of its element type, with one timestamp or one per element", () => {
    const source: UnboundedSource<string> = {
      async read(ctx) {
        expectType(ctx.emitAll)<(values: readonly string[], timestamps?: number | readonly number[], receipts?: readonly unknown[]) => Promise<void>>(true);
        await ctx.emitAll(["a", "b"], [1, 2], ["ack-a", "ack-b"]);
        // @ts-expect-error the values are the source's element type
        await ctx.emitAll([1, 2]);
      },
    };
    assert.ok(source);
  });
});
