/** Shared by the Beam conformance tests: run a pipeline, collect its outputs, feed it in batch or streaming. */
import { Create, TestStream, type PBegin, type PCollection, type PTransform } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineOptions } from "../../lib/model/options";
import { strict as assert } from "node:assert";
import { runDirect, runOk } from "../helpers";
import { collect, Observed } from "../streaming/collect";

export type Source<T> = PTransform<PBegin, PCollection<T>>;

/** Runs `build` over `source` and returns what it outputs. */
export async function outputsOf<I, O>(source: Source<I>, build: (input: PCollection<I>) => PCollection<O>): Promise<Observed<O>[]> {
  const out: Observed<O>[] = [];
  await runOk((p) => collect(build(p.apply("Input", source)), out));
  return out;
}

/** The outputs' values as sorted strings. */
export const valuesOf = <T>(out: readonly Observed<T>[]): string[] => out.map((o) => String(o.value)).sort();

/** How a test's input arrives: all at once (Create) or as a stream (TestStream). */
export type Mode = "batch" | "streaming";

/** `values` at their timestamps, from Create (batch) or a TestStream that then ends (streaming). */
export function timestamped<T>(p: Pipeline, label: string, mode: Mode, values: readonly { value: T; timestamp: number }[]): PCollection<T> {
  if (mode === "batch") return p.apply(label, Create.timestamped(values));
  return p.apply(label, TestStream.create<T>().addElements(...values).advanceWatermarkToInfinity());
}

/** The error a run fails with (the assertion fails if it succeeds). */
export async function runError(build: (p: Pipeline) => void): Promise<Error> {
  try {
    await (await runDirect(build)).waitUntilFinish();
  } catch (e) {
    return e as Error;
  }
  assert.fail("the run succeeded; it should have failed");
}

/**
 * Runs `build` (with `options`), which names what it collects (`out(label, pc)`); returns each
 * collection's values, formatted by `format` (JSON by default), sorted.
 */
export async function labelledOutputs(
  build: (p: Pipeline, out: (label: string, pc: PCollection<unknown>) => void) => void,
  format: (o: Observed<unknown>) => string = (o) => JSON.stringify(o.value),
  options: Partial<PipelineOptions> = {},
): Promise<Record<string, string[]>> {
  const sinks: Record<string, Observed<unknown>[]> = {};
  const result = await runDirect(
    (p) =>
      build(p, (label, pc) => {
        // The builder runs more than once (the reconstruction check, and each in-process worker
        // of a parallel run builds its own DoFns): every build's sink is the same array.
        sinks[label] ??= [];
        collect(pc, sinks[label]!, `Collect${label}`);
      }),
    options,
  );
  await result.waitUntilFinish();
  return Object.fromEntries(Object.entries(sinks).map(([label, obs]) => [label, obs.map(format).sort()]));
}
