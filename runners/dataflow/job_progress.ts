/**
 * A Dataflow job's live progress from jobs/{id}/metrics, as far as the API reports it:
 * `ElementCount` per output (system origin `dataflow/v1b3`, named by `output_user_name`),
 * `ExecutionTime_*` per step, and user counters, distributions, string sets and bounded tries
 * (origin `user`, with `step` and `namespace` in the context; a string set is a MetricUpdate's
 * `set`, a list of strings, and a bounded trie its `trie`, as Beam Java's DataflowMetrics reads them). As in Beam Python's DataflowMetrics, the tentative
 * (attempted) value of a metric is used when there is one, the committed value otherwise, and the
 * `_MIN`/`_MAX`/`_MEAN`/`_COUNT` scalars Dataflow splits distributions into for its UI are skipped.
 */
import { boundedTrieFromJson } from "../../lib/model/bounded_trie";
import { metricKey, MetricsContainer } from "../../lib/model/metrics";
import { MetricResults } from "../../lib/model/metric_results";
import type { Pipeline } from "../../lib/model/pipeline";
import type { RemoteProgress } from "../monitor/remote_job";
import type { Translation } from "../portable/translate";
import type { DataflowJobMetrics, DataflowMetricUpdate } from "./client";

/** How names in Dataflow's metrics map back to the pipeline. */
export interface DataflowNames {
  /** Step names as metrics give them (proto transform ids, or full names) → full names. */
  readonly steps: ReadonlyMap<string, string>;
  /** PCollection names as metrics give them (proto ids, our ids, `<step>-out<N>`) → our ids. */
  readonly pcollections: ReadonlyMap<string, string>;
}

export function dataflowNames(pipeline: Pipeline, translation: Pick<Translation, "transformIds" | "pcollectionIds">): DataflowNames {
  const steps = new Map<string, string>();
  for (const [name, id] of translation.transformIds) {
    steps.set(id, name);
    steps.set(name, name);
  }
  const pcollections = new Map<string, string>();
  for (const [ours, id] of translation.pcollectionIds) {
    pcollections.set(id, ours);
    pcollections.set(ours, ours);
  }
  for (const node of pipeline.transforms()) {
    if (node.primitive === undefined) continue;
    [...node.outputs.values()].forEach((pc, i) => {
      for (const step of [node.fullName, translation.transformIds.get(node.fullName)]) if (step !== undefined) pcollections.set(`${step}-out${i}`, pc.id);
    });
  }
  return { steps, pcollections };
}

const DISTRIBUTION_PARTS = /_(MIN|MAX|MEAN|COUNT)$/;

function numberOf(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === "object" && v !== null && "integer_value" in v) return numberOf((v as { integer_value: unknown }).integer_value);
  return undefined;
}

function distributionOf(v: unknown): { count: number; sum: number; min: number; max: number } | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const [count, sum, min, max] = [numberOf(o["count"]), numberOf(o["sum"]), numberOf(o["min"]), numberOf(o["max"])];
  return count === undefined || sum === undefined || min === undefined || max === undefined ? undefined : { count, sum, min, max };
}

/** The strings of a MetricUpdate's `set`, if it is a list of strings. */
function stringSetOf(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((s) => typeof s === "string") ? (v as string[]) : undefined;
}

/** The tentative update of each metric where there is one, the committed one otherwise. */
function latest(updates: readonly DataflowMetricUpdate[]): DataflowMetricUpdate[] {
  const chosen = new Map<string, { u: DataflowMetricUpdate; tentative: boolean }>();
  for (const u of updates) {
    const { tentative, ...context } = u.name.context ?? {};
    const key = JSON.stringify([u.name.origin ?? "", u.name.name, Object.entries(context).sort()]);
    const isTentative = tentative === "true";
    const had = chosen.get(key);
    if (had === undefined || (isTentative && !had.tentative)) chosen.set(key, { u, tentative: isTentative });
  }
  return [...chosen.values()].map((c) => c.u);
}

export function progressFromDataflowMetrics(response: DataflowJobMetrics, names: DataflowNames): RemoteProgress {
  const elements = new Map<string, number>();
  const msSpent = new Map<string, number>();
  const containers = new Map<string, MetricsContainer>();
  const add = (m: Map<string, number>, k: string, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);
  for (const u of latest(response.metrics ?? [])) {
    const context = u.name.context ?? {};
    const name = u.name.name;
    if (u.name.origin === "user") {
      if (DISTRIBUTION_PARTS.test(name)) continue;
      const stepName = context["step"] ?? "";
      const step = names.steps.get(stepName) ?? stepName;
      let c = containers.get(step);
      if (c === undefined) containers.set(step, (c = new MetricsContainer(step)));
      const key = metricKey(context["namespace"] ?? "", name);
      const scalar = numberOf(u.scalar);
      const dist = distributionOf(u.distribution);
      const strings = stringSetOf(u.set);
      const trie = boundedTrieFromJson(u.trie);
      if (scalar !== undefined) c.incCounter(key, scalar);
      else if (dist !== undefined) c.distributions.set(key, dist);
      else if (strings !== undefined) c.addToStringSet(key, strings);
      else if (trie !== undefined) c.mergeBoundedTrie(key, trie);
      continue;
    }
    if (name === "ElementCount") {
      const output = context["output_user_name"] ?? context["original_name"]?.replace(/-ElementCount$/, "") ?? "";
      const ours = names.pcollections.get(output);
      const n = numberOf(u.scalar);
      if (ours !== undefined && n !== undefined) add(elements, ours, n);
    } else if (name.startsWith("ExecutionTime_")) {
      const step = names.steps.get(context["step"] ?? "");
      const ms = numberOf(u.scalar);
      if (step !== undefined && ms !== undefined) add(msSpent, step, ms);
    }
  }
  return { elements, msSpent, metrics: new MetricResults(containers) };
}
