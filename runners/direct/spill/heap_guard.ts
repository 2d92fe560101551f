/**
 * The shuffle's guard against the JavaScript heap's limit. `--direct_shuffle_memory_mb` is a
 * budget per grouping, counted on an estimate of the groups it holds; a budget near the heap's
 * limit (or several groupings filling at once, or a small container's heap) would let the heap
 * run out, and V8 then aborts the whole process ("JavaScript heap out of memory"), a long run lost
 * with no error to act on. So a shuffle also looks at the heap every HEAP_CHECK_EVERY additions
 * and spills early once the heap is HEAP_SPILL_FRACTION full, warning once per process.
 */
import { getHeapStatistics } from "node:v8";

/** Additions to a shuffle between two looks at the heap (a look costs about a microsecond). */
export const HEAP_CHECK_EVERY = 4096;
/**
 * Share of the heap's limit in use from which a shuffle spills early. The heap's use counts
 * garbage not yet collected, so this is well below 1: V8 collects it as the limit nears, but only
 * the shuffle can drop its live groups.
 */
export const HEAP_SPILL_FRACTION = 0.5;
/**
 * Least a shuffle must hold (estimated) to spill early: with the heap full of someone else's data
 * (or of garbage), spilling a few groups at a time would only make many tiny runs.
 */
export const MIN_EARLY_SPILL_BYTES = 8 << 20;

/**
 * The heap's use and its old generation's limit when the use is over `fraction` of that limit,
 * else undefined. V8 aborts when the old generation reaches its limit (`--max-old-space-size`),
 * and `heap_size_limit` also counts the young generation's reserve: 48 MB up to Node 22, 192 MB
 * from Node 24, more than a small container's old generation (`--max-old-space-size=96`). The use
 * is the whole heap's: live groups also sit in the young generation (up to 64 MB of it from
 * Node 24) until a scavenge moves them to the old one all at once.
 */
export function heapOverFraction(fraction: number = HEAP_SPILL_FRACTION): { readonly usedBytes: number; readonly limitBytes: number } | undefined {
  const limit = oldGenerationLimitBytes();
  const used = getHeapStatistics().used_heap_size;
  return used > fraction * limit ? { usedBytes: used, limitBytes: limit } : undefined;
}

const MB = 1 << 20;
let oldLimit: number | undefined;

/**
 * The old generation's limit in bytes: `--max-old-space-size` where the process was given it
 * (command line or NODE_OPTIONS; worker threads share the process's flags), else the heap's limit
 * less the young generation's reserve (three semi-spaces: `--max-semi-space-size`, or V8's
 * default, 16 MB before V8 13 and 64 MB from it).
 */
export function oldGenerationLimitBytes(): number {
  if (oldLimit !== undefined) return oldLimit;
  const heapLimit = getHeapStatistics().heap_size_limit;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/).filter((f) => f !== "")];
  const explicitOld = flagMegabytes(flags, "max-old-space-size");
  if (explicitOld !== undefined && explicitOld * MB < heapLimit) return (oldLimit = explicitOld * MB);
  const v8Major = Number(process.versions.v8.split(".")[0]);
  const semiSpace = (flagMegabytes(flags, "max-semi-space-size") ?? (v8Major >= 13 ? 64 : 16)) * MB;
  // Never below half the heap's limit: a young reserve guessed too large must not make every run spill.
  return (oldLimit = Math.max(heapLimit - 3 * semiSpace, heapLimit / 2));
}

/** A V8 size flag's value in MB (`--name=N`, `--name N`, or with underscores), the last one given. */
export function flagMegabytes(flags: readonly string[], name: string): number | undefined {
  let found: number | undefined;
  const names = [`--${name}`, `--${name.replace(/-/g, "_")}`];
  for (let i = 0; i < flags.length; i++) {
    const [flag, inline] = flags[i]!.split("=", 2) as [string, string | undefined];
    if (!names.includes(flag)) continue;
    const value = Number(inline ?? flags[i + 1]);
    if (Number.isFinite(value) && value > 0) found = value;
  }
  return found;
}

let warned = false;

/** Says once per process that a shuffle spilled before its budget, and what to change. */
export function warnEarlySpill(stepName: string | undefined, heap: { readonly usedBytes: number; readonly limitBytes: number }, heldBytes: number, budgetBytes: number): void {
  if (warned) return;
  warned = true;
  const mb = (n: number): string => `${Math.round(n / (1 << 20))} MB`;
  const where = stepName !== undefined ? ` of ${stepName}` : "";
  process.stderr.write(
    `Warning: the shuffle${where} spilled to disk before its budget (--direct_shuffle_memory_mb ${mb(budgetBytes)}; it held about ${mb(heldBytes)}): ` +
      `the JavaScript heap was ${Math.round((100 * heap.usedBytes) / heap.limitBytes)} % full (${mb(heap.usedBytes)} of its old generation's ${mb(heap.limitBytes)} limit), ` +
      `and running out would abort the process. Shuffles now spill whenever the heap is that full. ` +
      `Lower --direct_shuffle_memory_mb (it is per GroupByKey), or raise the heap's limit (NODE_OPTIONS=--max-old-space-size=MB).\n`,
  );
}
