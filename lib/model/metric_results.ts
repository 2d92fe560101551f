/**
 * The metrics of a run as its result gives them (`result.metrics`): per step, queried by step,
 * namespace and name as Beam's MetricResults and MetricsFilter are. The cells themselves and the
 * metric kinds are in ./metrics.
 */
import type { BoundedTrieResult } from "./bounded_trie";
import { metricNameOf, type DistributionResult, type GaugeResult, type MetricsContainer, type StringSetResult } from "./metrics";

/** One metric's value at one step. */
export interface MetricResult<T> {
  /** Full name of the step whose code updated it. */
  readonly step: string;
  /** The metric's namespace. */
  readonly namespace: string;
  /** The metric's name. */
  readonly name: string;
  /** Its value at that step. */
  readonly value: T;
}

/** Metrics of a pipeline run, per step. */
export class MetricResults {
  constructor(private readonly containers: ReadonlyMap<string, MetricsContainer>) {}

  /** Counters, optionally filtered by step (see MetricFilter.step), namespace or name. */
  counters(filter: MetricFilter = {}): MetricResult<number>[] {
    return this.collect(filter, (c) => c.counters, (v) => v);
  }

  /** Distributions, filtered like `counters`. */
  distributions(filter: MetricFilter = {}): MetricResult<DistributionResult>[] {
    return this.collect(filter, (c) => c.distributions, (d) => ({ ...d }));
  }

  /** Gauges, filtered like `counters`. */
  gauges(filter: MetricFilter = {}): MetricResult<GaugeResult>[] {
    return this.collect(filter, (c) => c.gauges, (g) => g);
  }

  /** String sets, filtered like `counters`; each value is the set's strings, sorted. */
  stringSets(filter: MetricFilter = {}): MetricResult<StringSetResult>[] {
    return this.collect(filter, (c) => c.stringSets, (cell) => [...cell.values].sort());
  }

  /** Bounded tries, filtered like `counters`; each value is the trie's paths, sorted. */
  boundedTries(filter: MetricFilter = {}): MetricResult<BoundedTrieResult>[] {
    return this.collect(filter, (c) => c.boundedTries, (data) => data.result());
  }

  /** The sum of a counter over all steps (or the steps matching the filter). */
  counterTotal(namespace: string, name: string, step?: string): number {
    return this.counters({ namespace, name, step }).reduce((s, r) => s + r.value, 0);
  }

  private collect<C, T>(
    filter: MetricFilter,
    cells: (c: MetricsContainer) => ReadonlyMap<string, C>,
    convert: (c: C) => T,
  ): MetricResult<T>[] {
    const out: MetricResult<T>[] = [];
    for (const [step, container] of this.containers) {
      if (filter.step !== undefined && !stepMatches(step, filter.step)) continue;
      for (const [key, cell] of cells(container)) {
        const { namespace, name } = metricNameOf(key);
        if (filter.namespace !== undefined && namespace !== filter.namespace) continue;
        if (filter.name !== undefined && name !== filter.name) continue;
        out.push({ step, namespace, name, value: convert(cell) });
      }
    }
    return out.sort((a, b) => (a.step + a.name < b.step + b.name ? -1 : 1));
  }
}

/**
 * Whether a filter's `step` selects the step named `fullName` (Beam's MetricFiltering): the full
 * name itself, or a run of its '/'-separated parts, so "A/B" matches "A/B/C/D" and "X/A/B/C", and
 * "B/C" matches "A/B/C", but "A/C" and "A/B/C/Dx" do not.
 */
function stepMatches(fullName: string, step: string): boolean {
  if (fullName === step) return true;
  for (let at = fullName.indexOf(step); at !== -1; at = fullName.indexOf(step, at + 1)) {
    const end = at + step.length;
    if ((at === 0 || fullName[at - 1] === "/") && (end === fullName.length || fullName[end] === "/")) return true;
  }
  return false;
}

/** Selects metrics by step, namespace and name. */
export interface MetricFilter {
  /**
   * A step's name, matched as Beam matches it: the step of that full name and every step inside
   * it (`S` and `S/...`), and also any step whose full name has it as a run of '/'-separated parts
   * (`Outer/S`, `Outer/S/...`), so an inner step can be named without its enclosing composites.
   */
  readonly step?: string;
  /** Only metrics of this namespace. */
  readonly namespace?: string;
  /** Only metrics of this name. */
  readonly name?: string;
}
