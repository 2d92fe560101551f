/** Readable default names for transforms built from functions. */
import { PipelineConstructionError } from "./errors";

/**
 * `Map(name)` for a named function, `Map(x => x + 1)` for a short one-line lambda; a long or
 * multi-line anonymous function has no stable readable name and must be labelled.
 */
export function labelForFunction(kind: string, fn: Function): string {
  if (fn.name && fn.name !== "anonymous" && !fn.name.startsWith("bound ")) return `${kind}(${fn.name})`;
  const source = fn.toString().trim();
  if (!source.includes("\n") && source.length <= 60) return `${kind}(${source})`;
  throw new PipelineConstructionError(
    `${kind} of an anonymous multi-line function needs a label, e.g. pcoll.${kind.charAt(0).toLowerCase()}${kind.slice(1)}("Describe", fn)`,
  );
}
