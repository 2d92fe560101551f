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

/** The heap's use and limit when it is over `fraction` of the limit, else undefined. */
export function heapOverFraction(fraction: number = HEAP_SPILL_FRACTION): { readonly usedBytes: number; readonly limitBytes: number } | undefined {
  const s = getHeapStatistics();
  return s.used_heap_size > fraction * s.heap_size_limit ? { usedBytes: s.used_heap_size, limitBytes: s.heap_size_limit } : undefined;
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
      `the JavaScript heap was ${Math.round((100 * heap.usedBytes) / heap.limitBytes)} % full (${mb(heap.usedBytes)} of its ${mb(heap.limitBytes)} limit), ` +
      `and running out would abort the process. Shuffles now spill whenever the heap is that full. ` +
      `Lower --direct_shuffle_memory_mb (it is per GroupByKey), or raise the heap's limit (NODE_OPTIONS=--max-old-space-size=MB).\n`,
  );
}
