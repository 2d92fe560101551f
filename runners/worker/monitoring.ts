/**
 * Metrics as Beam MonitoringInfos (BEAM_PORTABILITY.md §3.9): user counters, distributions,
 * gauges, string sets and bounded tries per transform, element counts and sampled encoded sizes per PCollection, execution time per
 * transform and phase, and the data channel read index of every source. Responses
 * carry `monitoring_data` keyed by short ids (what Prism reads) and the full infos (deprecated
 * field, what older runners read); the runner resolves short ids with a monitoring_infos request.
 */
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { BoundedTrieData } from "../../lib/model/bounded_trie";
import { MetricsContainer, metricNameOf } from "../../lib/model/metrics";
import type { ElementMeta } from "../../lib/model/window";
import type { MaybePromise, Receiver } from "../executor/receiver";
import type { metricsapi } from "../portable/protos";

export const MI = {
  userSumInt64: "beam:metric:user:sum_int64:v1",
  userSumDouble: "beam:metric:user:sum_double:v1",
  userDistInt64: "beam:metric:user:distribution_int64:v1",
  userDistDouble: "beam:metric:user:distribution_double:v1",
  userSetString: "beam:metric:user:set_string:v1",
  userBoundedTrie: "beam:metric:user:bounded_trie:v1",
  userLatestInt64: "beam:metric:user:latest_int64:v1",
  userLatestDouble: "beam:metric:user:latest_double:v1",
  elementCount: "beam:metric:element_count:v1",
  readIndex: "beam:metric:data_channel:read_index:v1",
  sampledByteSize: "beam:metric:sampled_byte_size:v1",
  startBundleMsecs: "beam:metric:pardo_execution_time:start_bundle_msecs:v1",
  processBundleMsecs: "beam:metric:pardo_execution_time:process_bundle_msecs:v1",
  finishBundleMsecs: "beam:metric:pardo_execution_time:finish_bundle_msecs:v1",
  totalMsecs: "beam:metric:ptransform_execution_time:total_msecs:v1",
  typeSumInt64: "beam:metrics:sum_int64:v1",
  typeSumDouble: "beam:metrics:sum_double:v1",
  typeDistInt64: "beam:metrics:distribution_int64:v1",
  typeDistDouble: "beam:metrics:distribution_double:v1",
  typeSetString: "beam:metrics:set_string:v1",
  typeBoundedTrie: "beam:metrics:bounded_trie:v1",
  typeLatestInt64: "beam:metrics:latest_int64:v1",
  typeLatestDouble: "beam:metrics:latest_double:v1",
} as const;

/** A monitoring info without its payload type noise, for runners and tests. */
export interface MetricValue {
  readonly urn: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A number for sums; {count, sum, min, max} for distributions; {latest, timestamp} for gauges; the strings of a string set; a bounded trie's data. */
  readonly value: number | { count: number; sum: number; min: number; max: number } | { latest: number; timestamp: number } | readonly string[] | BoundedTrieData;
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

/**
 * Element count and sampled encoded sizes of one PCollection in a bundle. Like Beam's SDKs, the
 * size of every element is not measured: the first 20 are, then fewer and fewer (element n when
 * n reaches the next sample point, which moves on by a tenth of n), about 10·ln(n) in all.
 */
export class PCollectionStats {
  count = 0;
  sizes = { count: 0, sum: 0, min: 0, max: 0 };
  private nextSample = 1;

  reset(): void {
    this.count = 0;
    this.sizes = { count: 0, sum: 0, min: 0, max: 0 };
    this.nextSample = 1;
  }

  /** Counts an element; true if its size should be sampled. */
  countOne(): boolean {
    if (++this.count < this.nextSample) return false;
    this.nextSample = this.count + Math.max(1, Math.floor(this.count / 10));
    return true;
  }

  addSize(bytes: number): void {
    const d = this.sizes;
    if (d.count === 0 || bytes < d.min) d.min = bytes;
    if (d.count === 0 || bytes > d.max) d.max = bytes;
    d.count++;
    d.sum += bytes;
  }
}

/** Counts (and samples the size of) the elements of one PCollection on their way to its consumers. */
export class CountingReceiver implements Receiver {
  constructor(
    private readonly next: Receiver,
    readonly stats: PCollectionStats,
    /** Encoded size of an element; undefined when the producer measures sizes itself (a data source). */
    private readonly sizeOf: ((value: unknown) => number) | undefined,
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    if (this.stats.countOne() && this.sizeOf !== undefined) {
      try {
        this.stats.addSize(this.sizeOf(value));
      } catch {
        // An element its coder cannot encode fails where it is sent; a metric never fails a bundle.
      }
    }
    return this.next.receive(value, meta);
  }
}

/** Execution time of one transform in a bundle, in milliseconds per phase. */
export interface ExecutionTime {
  readonly start: number;
  readonly process: number;
  readonly finish: number;
}

/** What a bundle reports besides user metrics. */
export interface BundleMeasurements {
  readonly pcollections: ReadonlyMap<string, PCollectionStats>;
  /** Read index of each data source (-1 before the first element). */
  readonly readIndex: ReadonlyMap<string, number>;
  readonly executionTime: ReadonlyMap<string, ExecutionTime>;
}

function distInt64(urn: string, labels: Record<string, string>, d: { count: number; sum: number; min: number; max: number }): metricsapi.MonitoringInfo {
  const w = new ByteWriter(40);
  for (const n of [d.count, d.sum, d.min, d.max]) w.writeVarInt(n);
  return info(urn, MI.typeDistInt64, labels, w.finish());
}

/**
 * A string set's payload as metrics.proto's SET_STRING_TYPE gives it (Beam Java's
 * MonitoringInfoEncodings.encodeStringSet): beam:coder:iterable:v1 of beam:coder:string_utf8:v1,
 * i.e. the count as a big-endian int32, then each string's UTF-8 length (varint) and bytes.
 */
export function encodeStringSet(values: Iterable<string>): Uint8Array {
  const list = [...values];
  const w = new ByteWriter(16 * list.length + 4);
  w.writeInt32BE(list.length);
  for (const v of list) w.writeUtf8Nested(v);
  return w.finish();
}

/** Reads a SET_STRING_TYPE payload; also an iterable of unknown length (count -1, then blocks of varint size, ending with 0). */
export function decodeStringSet(payload: Uint8Array): string[] {
  const r = new ByteReader(payload);
  const out: string[] = [];
  const n = r.readInt32BE();
  if (n >= 0) for (let i = 0; i < n; i++) out.push(r.readUtf8Nested());
  else for (let block = r.readVarInt(); block > 0; block = r.readVarInt()) for (let i = 0; i < block; i++) out.push(r.readUtf8Nested());
  return out;
}

/** The MonitoringInfos of one bundle. */
export function monitoringInfos(containers: ReadonlyMap<string, MetricsContainer>, measured: BundleMeasurements): metricsapi.MonitoringInfo[] {
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
        out.push(distInt64(MI.userDistInt64, labels, d));
      } else {
        const w = new ByteWriter(40);
        w.writeVarInt(d.count);
        for (const n of [d.sum, d.min, d.max]) w.writeDoubleBE(n);
        out.push(info(MI.userDistDouble, MI.typeDistDouble, labels, w.finish()));
      }
    }
    // Gauges as Beam's latest_int64 / latest_double: <timestamp varint millis><value>; the runner keeps the latest.
    for (const [key, g] of c.gauges) {
      const { namespace, name } = metricNameOf(key);
      const labels = { PTRANSFORM: transformId, NAMESPACE: namespace, NAME: name };
      const w = new ByteWriter(20);
      w.writeVarInt(Math.round(g.timestamp));
      if (Number.isSafeInteger(g.value)) {
        w.writeVarInt(g.value);
        out.push(info(MI.userLatestInt64, MI.typeLatestInt64, labels, w.finish()));
      } else {
        w.writeDoubleBE(g.value);
        out.push(info(MI.userLatestDouble, MI.typeLatestDouble, labels, w.finish()));
      }
    }
    for (const [key, cell] of c.stringSets) {
      const { namespace, name } = metricNameOf(key);
      out.push(info(MI.userSetString, MI.typeSetString, { PTRANSFORM: transformId, NAMESPACE: namespace, NAME: name }, encodeStringSet(cell.values)));
    }
    for (const [key, data] of c.boundedTries) {
      const { namespace, name } = metricNameOf(key);
      out.push(info(MI.userBoundedTrie, MI.typeBoundedTrie, { PTRANSFORM: transformId, NAMESPACE: namespace, NAME: name }, data.toProto()));
    }
  }
  for (const [pcollId, stats] of measured.pcollections) {
    if (stats.count === 0) continue;
    out.push(info(MI.elementCount, MI.typeSumInt64, { PCOLLECTION: pcollId }, int64(stats.count)));
    if (stats.sizes.count > 0) out.push(distInt64(MI.sampledByteSize, { PCOLLECTION: pcollId }, stats.sizes));
  }
  for (const [transformId, index] of measured.readIndex) out.push(info(MI.readIndex, MI.typeSumInt64, { PTRANSFORM: transformId }, int64(index)));
  for (const [transformId, t] of measured.executionTime) {
    const labels = { PTRANSFORM: transformId };
    out.push(info(MI.startBundleMsecs, MI.typeSumInt64, labels, int64(t.start)));
    out.push(info(MI.processBundleMsecs, MI.typeSumInt64, labels, int64(t.process)));
    out.push(info(MI.finishBundleMsecs, MI.typeSumInt64, labels, int64(t.finish)));
    out.push(info(MI.totalMsecs, MI.typeSumInt64, labels, int64(t.start + t.process + t.finish)));
  }
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
    case MI.typeLatestInt64: {
      const timestamp = r.readVarInt();
      return { urn: mi.urn, labels: mi.labels, value: { timestamp, latest: r.readVarInt() } };
    }
    case MI.typeLatestDouble: {
      const timestamp = r.readVarInt();
      return { urn: mi.urn, labels: mi.labels, value: { timestamp, latest: r.readDoubleBE() } };
    }
    case MI.typeSetString:
      return { urn: mi.urn, labels: mi.labels, value: decodeStringSet(mi.payload) };
    case MI.typeBoundedTrie:
      return { urn: mi.urn, labels: mi.labels, value: BoundedTrieData.fromProto(mi.payload) };
    default:
      throw new Error(`unsupported monitoring info type ${mi.type}`);
  }
}
