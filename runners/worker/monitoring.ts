/**
 * Metrics as Beam MonitoringInfos (BEAM_PORTABILITY.md §3.9): user counters and distributions
 * per transform, element counts per PCollection, and the data channel read index. Responses
 * carry `monitoring_data` keyed by short ids (what Prism reads) and the full infos (deprecated
 * field, what older runners read); the runner resolves short ids with a monitoring_infos request.
 */
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { MetricsContainer, metricNameOf } from "../../lib/model/metrics";
import type { metricsapi } from "../portable/protos";

export const MI = {
  userSumInt64: "beam:metric:user:sum_int64:v1",
  userSumDouble: "beam:metric:user:sum_double:v1",
  userDistInt64: "beam:metric:user:distribution_int64:v1",
  userDistDouble: "beam:metric:user:distribution_double:v1",
  elementCount: "beam:metric:element_count:v1",
  readIndex: "beam:metric:data_channel:read_index:v1",
  typeSumInt64: "beam:metrics:sum_int64:v1",
  typeSumDouble: "beam:metrics:sum_double:v1",
  typeDistInt64: "beam:metrics:distribution_int64:v1",
  typeDistDouble: "beam:metrics:distribution_double:v1",
} as const;

/** A monitoring info without its payload type noise, for runners and tests. */
export interface MetricValue {
  readonly urn: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A number for sums; {count, sum, min, max} for distributions. */
  readonly value: number | { count: number; sum: number; min: number; max: number };
}

function int64(n: number): Uint8Array {
  const w = new ByteWriter(10);
  w.writeVarInt(Math.round(n));
  return w.finish();
}

function double(n: number): Uint8Array {
  const w = new ByteWriter(8);
  w.writeDoubleBE(n);
  return w.finish();
}

function info(urn: string, type: string, labels: Record<string, string>, payload: Uint8Array): metricsapi.MonitoringInfo {
  return { urn, type, labels, payload };
}

/** The MonitoringInfos of one bundle. */
export function monitoringInfos(
  containers: ReadonlyMap<string, MetricsContainer>,
  elementCounts: ReadonlyMap<string, number>,
  readIndex?: { readonly transformId: string; readonly index: number },
): metricsapi.MonitoringInfo[] {
  const out: metricsapi.MonitoringInfo[] = [];
  for (const [transformId, c] of containers) {
    for (const [key, v] of c.counters) {
      const { namespace, name } = metricNameOf(key);
      const labels = { PTRANSFORM: transformId, NAMESPACE: namespace, NAME: name };
      out.push(Number.isInteger(v) ? info(MI.userSumInt64, MI.typeSumInt64, labels, int64(v)) : info(MI.userSumDouble, MI.typeSumDouble, labels, double(v)));
    }
    for (const [key, d] of c.distributions) {
      const { namespace, name } = metricNameOf(key);
      const labels = { PTRANSFORM: transformId, NAMESPACE: namespace, NAME: name };
      if ([d.sum, d.min, d.max].every(Number.isInteger)) {
        const w = new ByteWriter(40);
        for (const n of [d.count, d.sum, d.min, d.max]) w.writeVarInt(n);
        out.push(info(MI.userDistInt64, MI.typeDistInt64, labels, w.finish()));
      } else {
        const w = new ByteWriter(40);
        w.writeVarInt(d.count);
        for (const n of [d.sum, d.min, d.max]) w.writeDoubleBE(n);
        out.push(info(MI.userDistDouble, MI.typeDistDouble, labels, w.finish()));
      }
    }
  }
  for (const [pcollId, n] of elementCounts) out.push(info(MI.elementCount, MI.typeSumInt64, { PCOLLECTION: pcollId }, int64(n)));
  if (readIndex !== undefined) out.push(info(MI.readIndex, MI.typeSumInt64, { PTRANSFORM: readIndex.transformId }, int64(readIndex.index)));
  return out;
}

/** Short ids for monitoring infos, stable for the life of the harness. */
export class ShortIds {
  private readonly ids = new Map<string, string>();
  private readonly byId = new Map<string, metricsapi.MonitoringInfo>();

  private keyOf(mi: metricsapi.MonitoringInfo): string {
    return `${mi.urn}|${Object.entries(mi.labels).sort().map(([k, v]) => `${k}=${v}`).join(",")}`;
  }

  /** `monitoring_data`: payloads keyed by short id. */
  encode(infos: readonly metricsapi.MonitoringInfo[]): Record<string, Uint8Array> {
    const data: Record<string, Uint8Array> = {};
    for (const mi of infos) {
      const key = this.keyOf(mi);
      let id = this.ids.get(key);
      if (id === undefined) {
        id = `m${this.ids.size}`;
        this.ids.set(key, id);
        this.byId.set(id, { ...mi, payload: new Uint8Array(0) });
      }
      data[id] = mi.payload;
    }
    return data;
  }

  /** The infos (without payloads) behind short ids, for MonitoringInfosMetadataRequest. */
  metadata(ids: readonly string[]): Record<string, metricsapi.MonitoringInfo> {
    const out: Record<string, metricsapi.MonitoringInfo> = {};
    for (const id of ids) {
      const mi = this.byId.get(id);
      if (mi !== undefined) out[id] = mi;
    }
    return out;
  }
}

/** Decodes a monitoring info's payload (runner side and tests). */
export function decodeMetric(mi: metricsapi.MonitoringInfo): MetricValue {
  const r = new ByteReader(mi.payload);
  switch (mi.type) {
    case MI.typeSumInt64:
      return { urn: mi.urn, labels: mi.labels, value: r.readVarInt() };
    case MI.typeSumDouble:
      return { urn: mi.urn, labels: mi.labels, value: r.readDoubleBE() };
    case MI.typeDistInt64: {
      const [count, sum, min, max] = [r.readVarInt(), r.readVarInt(), r.readVarInt(), r.readVarInt()];
      return { urn: mi.urn, labels: mi.labels, value: { count, sum, min, max } };
    }
    case MI.typeDistDouble: {
      const count = r.readVarInt();
      return { urn: mi.urn, labels: mi.labels, value: { count, sum: r.readDoubleBE(), min: r.readDoubleBE(), max: r.readDoubleBE() } };
    }
    default:
      throw new Error(`unsupported monitoring info type ${mi.type}`);
  }
}
