/**
 * A portable job's live progress from the Job API's GetJobMetrics: the MonitoringInfos the
 * runner aggregated from the SDK harnesses, mapped back from the proto's ids to our step names
 * and PCollection ids. Element counts come from `beam:metric:element_count:v1` (per PCollection),
 * time from `beam:metric:ptransform_execution_time:total_msecs:v1` (or the sum of the three
 * `pardo_execution_time` phases where a runner reports only those), user metrics as in the
 * job's final result.
 */
import type { RemoteProgress } from "../monitor/remote_job";
import { decodeMetric, MI } from "../worker/monitoring";
import { metricResultsFrom } from "./portable_runner";
import type { metricsapi } from "./protos";
import type { Translation } from "./translate";

const PHASES: ReadonlySet<string> = new Set([MI.startBundleMsecs, MI.processBundleMsecs, MI.finishBundleMsecs]);

/** Proto ids back to our names: transforms to full names, PCollections to our ids. */
export interface ProtoNames {
  readonly steps: ReadonlyMap<string, string>;
  readonly pcollections: ReadonlyMap<string, string>;
}

export function protoNames(translation: Pick<Translation, "transformIds" | "pcollectionIds">): ProtoNames {
  return {
    steps: new Map([...translation.transformIds].map(([name, id]) => [id, name])),
    pcollections: new Map([...translation.pcollectionIds].map(([ours, id]) => [id, ours])),
  };
}

/**
 * Progress from the job's attempted metrics. Infos with the same urn and labels are summed (a
 * runner may return one per bundle or one per worker); ids the translation did not make (a
 * runner's own transforms, lifted combiner steps) are left out.
 */
export function progressFromMonitoringInfos(infos: readonly metricsapi.MonitoringInfo[], names: ProtoNames): RemoteProgress {
  const elements = new Map<string, number>();
  const total = new Map<string, number>();
  const phases = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);
  for (const mi of infos) {
    if (mi.urn !== MI.elementCount && mi.urn !== MI.totalMsecs && !PHASES.has(mi.urn)) continue;
    let value: number;
    try {
      const v = decodeMetric(mi).value;
      if (typeof v !== "number") continue;
      value = v;
    } catch {
      continue; // A type this SDK does not decode is not progress it can show.
    }
    if (mi.urn === MI.elementCount) {
      const ours = names.pcollections.get(mi.labels["PCOLLECTION"] ?? "");
      if (ours !== undefined) add(elements, ours, value);
      continue;
    }
    const step = names.steps.get(mi.labels["PTRANSFORM"] ?? "");
    if (step !== undefined) add(mi.urn === MI.totalMsecs ? total : phases, step, value);
  }
  // total_msecs where reported; otherwise the phases.
  const msSpent = new Map(phases);
  for (const [step, ms] of total) msSpent.set(step, ms);
  return { elements, msSpent, metrics: metricResultsFrom(infos, names.steps) };
}
