/** The check that building a pipeline twice gives the same graph (as remote workers require). */
import { PipelineReconstructionError } from "../../lib/model/errors";
import type { Pipeline } from "../../lib/model/pipeline";

/** Compares two graphs line by line and names the first transform that differs. */
export function checkReconstruction(first: Pipeline, second: Pipeline): void {
  checkSameStructure(first.structure(), second.structure());
}

/** Compares two graphs' structure lines (`Pipeline.structure()`) and names the first transform that differs. */
export function checkSameStructure(a: readonly string[], b: readonly string[]): void {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) continue;
    const name = (a[i] ?? b[i] ?? "").split(" :: ")[0] ?? "?";
    throw new PipelineReconstructionError(name, `first build: ${a[i] ?? "(nothing)"}; second build: ${b[i] ?? "(nothing)"}`);
  }
}
