/**
 * The window primitives a runner asks the SDK to run (map_windows for side-input windows,
 * merge_windows for sessions), driven from the runner side over real gRPC with hand-built
 * descriptors shaped like the ones Beam runners send: a data source, the primitive, a data sink.
 */
import { strict as assert } from "node:assert";
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter, coderFromSpec, CoderSpec } from "../../lib/coders/index";
import { GlobalWindow, IntervalWindow, kv, NO_FIRING, type BoundedWindow, type KV, type WindowedValue } from "../../lib/model/window";
import { FixedWindows } from "../../lib/model/windowing";
import { Sessions } from "../../lib/model/sliding_sessions";
import { fnApi, fnapi, rapi, runnerApi } from "../../runners/portable/protos";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { windowFnSpec } from "../../runners/portable/windowing_proto";
import { FnHarness } from "../../runners/worker/harness";
import { statefulProgram } from "../portable/streaming_programs";
import { FnApiServer } from "./fn_server";
import { sideInputsProgram } from "./programs";

const CODERS: Record<string, [string, string[]]> = {
  bytes: ["beam:coder:bytes:v1", []],
  iw: ["beam:coder:interval_window:v1", []],
  gw: ["beam:coder:global_window:v1", []],
  iws: ["beam:coder:iterable:v1", ["iw"]],
  nonceWindows: ["beam:coder:kv:v1", ["bytes", "iws"]],
  mergeOf: ["beam:coder:kv:v1", ["iw", "iws"]],
  merges: ["beam:coder:iterable:v1", ["mergeOf"]],
  mergeResult: ["beam:coder:kv:v1", ["iws", "merges"]],
  nonceResult: ["beam:coder:kv:v1", ["bytes", "mergeResult"]],
  nonceWindow: ["beam:coder:kv:v1", ["bytes", "iw"]],
  nonceGlobal: ["beam:coder:kv:v1", ["bytes", "gw"]],
};

function coderOf(id: string): Coder<unknown> {
  const spec = (cid: string): CoderSpec => ({ urn: CODERS[cid]![0], components: CODERS[cid]![1].map(spec), payload: new Uint8Array(0) });
  return coderFromSpec({ urn: "beam:coder:windowed_value:v1", components: [spec(id), spec("gw")], payload: new Uint8Array(0) });
}

/** source (elements of `inCoder`) → `urn` with `payload` → sink (elements of `outCoder`). */
function descriptor(id: string, url: string, urn: string, payload: Uint8Array, inCoder: string, outCoder: string): fnapi.ProcessBundleDescriptor {
  const coders: Record<string, rapi.Coder> = {};
  for (const [cid, [curn, components]] of Object.entries(CODERS)) coders[cid] = { spec: { urn: curn, payload: new Uint8Array(0) }, componentCoderIds: components };
  for (const cid of [inCoder, outCoder]) coders[`wv_${cid}`] = { spec: { urn: "beam:coder:windowed_value:v1", payload: new Uint8Array(0) }, componentCoderIds: [cid, "gw"] };
  const port = (cid: string): Uint8Array => fnApi.RemoteGrpcPort.toBinary({ apiServiceDescriptor: { url, authentication: undefined }, coderId: `wv_${cid}` });
  const pc = (cid: string): rapi.PCollection => runnerApi.PCollection.create({ uniqueName: cid, coderId: cid, windowingStrategyId: "global", isBounded: 2 });
  return fnApi.ProcessBundleDescriptor.create({
    id,
    transforms: {
      source: runnerApi.PTransform.create({ uniqueName: "source", spec: { urn: URNS.dataSource, payload: port(inCoder) }, outputs: { o: "in" } }),
      op: runnerApi.PTransform.create({ uniqueName: "runner/op", spec: { urn, payload }, inputs: { i: "in" }, outputs: { o: "out" } }),
      sink: runnerApi.PTransform.create({ uniqueName: "sink", spec: { urn: URNS.dataSink, payload: port(outCoder) }, inputs: { i: "out" } }),
    },
    pcollections: { in: pc(inCoder), out: pc(outCoder) },
    windowingStrategies: {
      global: runnerApi.WindowingStrategy.create({ windowFn: { urn: URNS.globalWindows, payload: new Uint8Array(0) }, windowCoderId: "gw", environmentId: "beamline" }),
    },
    coders,
  });
}

function encodeAll(cdr: Coder<unknown>, values: readonly unknown[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) cdr.encode({ value: v, timestamp: 0, windows: [GlobalWindow.INSTANCE], pane: NO_FIRING } satisfies WindowedValue<unknown>, w, "nested");
  return w.finish();
}

function decodeAll(cdr: Coder<unknown>, bytes: Uint8Array | undefined): unknown[] {
  const r = new ByteReader(bytes ?? new Uint8Array(0));
  const out: unknown[] = [];
  while (!r.atEnd()) out.push((cdr.decode(r, "nested") as WindowedValue<unknown>).value);
  return out;
}

const nonce = (s: string): Uint8Array => new TextEncoder().encode(s);
const iw = (start: number, end: number): IntervalWindow => new IntervalWindow(start, end);
const show = (w: BoundedWindow): string => (w instanceof IntervalWindow ? `[${w.start},${w.end})` : "global");

describe("Fn API harness: map_windows and merge_windows over gRPC", function () {
  let server: FnApiServer;
  let harness: FnHarness | undefined;

  beforeEach(async () => {
    server = await FnApiServer.start();
    harness = new FnHarness({ workerId: "w-windows", controlUrl: server.url, loadPipeline: () => statefulProgram.create({}), runId: "r" }).start();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await server.stop();
  });

  const run = async (d: fnapi.ProcessBundleDescriptor, inCoder: string, outCoder: string, values: readonly unknown[]): Promise<unknown[]> => {
    server.addDescriptor(d);
    const r = await server.processBundle(d.id, new Map([["source", [encodeAll(coderOf(inCoder), values)]]]), ["sink"]);
    return decodeAll(coderOf(outCoder), r.outputs.get("sink"));
  };

  it("merges session windows per nonce: unmerged windows, and each merged window with the originals it replaces", async () => {
    const sessions = runnerApi.FunctionSpec.toBinary(windowFnSpec(new Sessions(10_000)));
    const d = descriptor("merge", server.url, URNS.mergeWindows, sessions, "nonceWindows", "nonceResult");
    const out = (await run(d, "nonceWindows", "nonceResult", [
      // Two overlapping pairs, one loner, and a window listed twice.
      kv(nonce("n1"), [iw(0, 10_000), iw(5_000, 15_000), iw(40_000, 50_000), iw(100_000, 110_000), iw(105_000, 115_000), iw(40_000, 50_000)]),
      kv(nonce("n2"), [iw(0, 10_000)]),
      kv(nonce("n3"), []),
    ])) as KV<Uint8Array, KV<BoundedWindow[], KV<BoundedWindow, BoundedWindow[]>[]>>[];
    const readable = out.map(({ key, value }) => ({
      nonce: new TextDecoder().decode(key),
      unmerged: value.key.map(show),
      merged: value.value.map((m) => `${show(m.key)} <- ${m.value.map(show).join(" ")}`),
    }));
    assert.deepEqual(readable, [
      { nonce: "n1", unmerged: ["[40000,50000)"], merged: ["[0,15000) <- [0,10000) [5000,15000)", "[100000,115000) <- [100000,110000) [105000,115000)"] },
      { nonce: "n2", unmerged: ["[0,10000)"], merged: [] },
      { nonce: "n3", unmerged: [], merged: [] },
    ]);
  });

  it("maps main-input windows to the side input's windows with the window fn the translation put in the mapping fn", async () => {
    // A side input in 10 s fixed windows.
    const fixed = runnerApi.FunctionSpec.toBinary({ urn: URNS.windowMappingFn, payload: runnerApi.FunctionSpec.toBinary(windowFnSpec(new FixedWindows(10_000))) });
    const d1 = descriptor("map-fixed", server.url, URNS.mapWindows, fixed, "nonceWindow", "nonceWindow");
    const out1 = (await run(d1, "nonceWindow", "nonceWindow", [kv(nonce("a"), iw(12_000, 13_000)), kv(nonce("b"), iw(0, 1_000)), kv(nonce("c"), iw(19_000, 25_000))])) as KV<Uint8Array, BoundedWindow>[];
    assert.deepEqual(
      out1.map(({ key, value }) => `${new TextDecoder().decode(key)} ${show(value)}`),
      ["a [10000,20000)", "b [0,10000)", "c [20000,30000)"],
    );
    // The mapping fn exactly as translated for a real pipeline's side input (global windows).
    const proto = translatePipeline(sideInputsProgram.create({}), dockerEnvironment()).proto;
    const annotate = Object.values(proto.components!.transforms).find((t) => t.uniqueName === "Annotate")!;
    const sides = Object.values(runnerApi.ParDoPayload.fromBinary(annotate.spec!.payload).sideInputs);
    assert.equal(sides.length, 2);
    const d2 = descriptor("map-global", server.url, URNS.mapWindows, runnerApi.FunctionSpec.toBinary(sides[0]!.windowMappingFn!), "nonceWindow", "nonceGlobal");
    const out2 = (await run(d2, "nonceWindow", "nonceGlobal", [kv(nonce("z"), iw(12_000, 13_000))])) as KV<Uint8Array, BoundedWindow>[];
    assert.deepEqual(out2.map(({ value }) => show(value)), ["global"]);
  });

  it("fails the bundle with a clear error when asked to merge windows of a window fn that does not merge", async () => {
    const fixed = runnerApi.FunctionSpec.toBinary(windowFnSpec(new FixedWindows(10_000)));
    const d = descriptor("bad-merge", server.url, URNS.mergeWindows, fixed, "nonceWindows", "nonceResult");
    server.addDescriptor(d);
    await assert.rejects(
      server.processBundle(d.id, new Map([["source", [encodeAll(coderOf("nonceWindows"), [kv(nonce("n"), [iw(0, 1)])])]]]), ["sink"]),
      /runner\/op: merge_windows asks to merge windows of 'beam:window_fn:fixed_windows:v1', which does not merge windows/,
    );
  });
});
