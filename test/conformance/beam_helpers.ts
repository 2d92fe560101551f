/** Shared by the Beam conformance tests of state and timers: run a pipeline, collect its outputs. */
import type { PBegin, PCollection, PTransform } from "../../lib";
import { runOk } from "../helpers";
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
