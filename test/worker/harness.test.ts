/**
 * A runner-side test driver speaking the Fn API over real gRPC (127.0.0.1) to the Beamline
 * harness: descriptors for wordcount's fused stages, encoded elements in and out (split across
 * data messages), side inputs through the State API with continuation tokens, and metrics.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Coder } from "../../lib/coders/coder";
import { inGlobalWindow, kv, WindowedValue } from "../../lib/model/window";
import { wordcount } from "../../pipelines/wordcount";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { decodeMetric } from "../../runners/worker/monitoring";
import { plan } from "../portable/fuser";
import { coder, decodeAll, encodeAll, stageWith } from "./wire";
import { startProgramHarness } from "./program_harness";
import { FnApiServer, stateKeyId } from "./fn_server";
import { sideInputsProgram, windowedProgram } from "./programs";
import { IntervalWindow } from "../../lib/model/window";

/** Splits bytes into chunks of `n`, so elements span data messages. */
function chunks(bytes: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += n) out.push(bytes.subarray(i, i + n));
  return out;
}

describe("Fn API harness (runner-side driver over gRPC)", function () {
  let server: FnApiServer;
  let harness: FnHarness | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-harness-"));

  beforeEach(async () => {
    server = await FnApiServer.start();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await server.stop();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("runs wordcount's Split→PairWithOne→Precombine stage and the merge/extract/format stage", async () => {
    const p = wordcount.create({ input: path.join(tmp, "in.txt"), output: path.join(tmp, "out") });
    const { proto } = translatePipeline(p, dockerEnvironment());
    const planned = plan(proto, server.url, { breakAt: new Set(["wordcount/Split", "wordcount/Write/WriteBundles"]) });
    // The worker rebuilds the program from the options the runner hands it, as in a container.
    harness = startProgramHarness(p, server.url, "run-1", "worker-7", server.url);

    const split = stageWith(planned, "wordcount/Split");
    const names = split.transforms.map((t) => planned.components.transforms[t]!.uniqueName);
    assert.deepEqual(names, ["wordcount/Split", "wordcount/PairWithOne", "wordcount/GroupAndSum/Precombine"]);
    const reg = await server.instruct({ oneofKind: "register", register: { processBundleDescriptor: [split.descriptor!] } });
    assert.equal(reg.error, "");

    const inCoder = coder(planned.components, planned.wireCoder(split.input));
    const lines = ["the king the", "a fool", "", "the end"];
    const input = encodeAll(inCoder, lines.map((l) => inGlobalWindow(l)));
    const [outPc, sink] = [...split.outputs][0]!;
    const result = await server.processBundle(split.id, new Map([[split.sourceId, chunks(input, 3)]]), [sink]);
    const out = decodeAll(coder(planned.components, planned.wireCoder(outPc)), result.outputs.get(sink)!) as WindowedValue<{ key: string; value: number }>[];
    const counts = Object.fromEntries(out.map((wv) => [wv.value.key, wv.value.value]));
    assert.deepEqual(counts, { the: 3, king: 1, a: 1, fool: 1, end: 1 });

    const metrics = result.metrics.map(decodeMetric);
    const count = (pc: string): unknown => metrics.find((m) => m.urn === "beam:metric:element_count:v1" && m.labels["PCOLLECTION"] === pc)?.value;
    assert.equal(count(split.input), 4);
    const splitOut = planned.components.transforms[split.transforms[0]!]!.outputs["main"]!;
    assert.equal(count(splitOut), 7);
    // Once the stream has ended, the read index is the number of elements read (Beam Python: index + 1 at finish).
    assert.ok(metrics.some((m) => m.urn === "beam:metric:data_channel:read_index:v1" && m.value === 4));

    // Merge → Extract → Format, served through GetProcessBundleDescriptor instead of register.
    const merge = stageWith(planned, "wordcount/GroupAndSum/Merge");
    server.addDescriptor(merge.descriptor!);
    const grouped = encodeAll(coder(planned.components, planned.wireCoder(merge.input)), [inGlobalWindow(kv("the", [2, 1])), inGlobalWindow(kv("king", [1]))]);
    const formatted = [...merge.outputs].find(([pc]) => planned.components.pcollections[pc]!.uniqueName === "wordcount/Format.main");
    assert.ok(formatted, `Format output leaves the stage: ${[...merge.outputs.keys()].join(",")}`);
    const r2 = await server.processBundle(merge.id, new Map([[merge.sourceId, [grouped]]]), [...merge.outputs.values()]);
    const lines2 = decodeAll(coder(planned.components, planned.wireCoder(formatted[0])), r2.outputs.get(formatted[1])!).map((wv) => (wv as WindowedValue<string>).value);
    assert.deepEqual(lines2.sort(), ["king: 1", "the: 3"]);
    assert.deepEqual([...server.workerIds], ["worker-7"], "every call carries worker_id metadata");
    assert.ok(server.logs.some((l) => l.message.includes("connected")), "harness logs reach the runner's logging service");
  });

  it("reads iterable and multimap views through the State API (with continuation tokens) and reports user counters", async () => {
    const p = sideInputsProgram.create({});
    const { proto } = translatePipeline(p, dockerEnvironment());
    const planned = plan(proto, server.url);
    harness = new FnHarness({ workerId: "w-side", controlUrl: server.url, loadPipeline: () => sideInputsProgram.create({}), runId: "r" }).start();
    const stage = stageWith(planned, "Annotate");
    const annotate = stage.transforms.find((t) => planned.components.transforms[t]!.uniqueName === "Annotate")!;
    const t = planned.components.transforms[annotate]!;
    const sideCoder = (local: string): Coder<unknown> => coder(planned.components, planned.components.pcollections[t.inputs[local]!]!.coderId);
    const global = new Uint8Array(0);
    server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: annotate, sideInputId: "side0", window: global } } }), encodeAll(sideCoder("side0"), [3, 4, 5]));
    // A multimap view is read as the iterable of its KVs, in one (paged) fetch.
    server.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: { transformId: annotate, sideInputId: "side1", window: global } } }), encodeAll(sideCoder("side1"), [kv("a", "x"), kv("a", "y"), kv("b", "z")]));
    server.addDescriptor(stage.descriptor!);
    const input = encodeAll(coder(planned.components, planned.wireCoder(stage.input)), ["a", "b", "c"].map((w) => inGlobalWindow(w)));
    const [outPc, sink] = [...stage.outputs][0]!;
    const r = await server.processBundle(stage.id, new Map([[stage.sourceId, [input]]]), [sink]);
    assert.ok(server.stateRequests > 4, "paged state responses were followed");
    const out = decodeAll(coder(planned.components, planned.wireCoder(outPc)), r.outputs.get(sink)!).map((wv) => (wv as WindowedValue<string>).value);
    assert.deepEqual(out, ["a:12:x+y", "b:12:z", "c:12:"]);
    const counter = r.metrics.map(decodeMetric).find((m) => m.urn === "beam:metric:user:sum_int64:v1");
    assert.ok(counter, "user counter reported");
    assert.deepEqual(counter.labels, { PTRANSFORM: annotate, NAMESPACE: "annotate", NAME: "words" });
    assert.equal(counter.value, 3);
  });

  it("assigns fixed windows (interval window coder on the wire) and precombines per key and window", async () => {
    const p = windowedProgram.create({});
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, server.url, { breakAt: new Set(["Window"]) });
    harness = new FnHarness({ workerId: "w-win", controlUrl: server.url, loadPipeline: () => windowedProgram.create({}), runId: "r" }).start();
    const stage = stageWith(planned, "Window");
    server.addDescriptor(stage.descriptor!);
    const input = encodeAll(coder(planned.components, planned.wireCoder(stage.input)), [3, 7, 12, 25, 29].map((ts) => inGlobalWindow("x", ts)));
    const [outPc, sink] = [...stage.outputs][0]!;
    const r = await server.processBundle(stage.id, new Map([[stage.sourceId, [input]]]), [sink]);
    const out = decodeAll(coder(planned.components, planned.wireCoder(outPc)), r.outputs.get(sink)!) as WindowedValue<{ key: string; value: number }>[];
    const byWindow = out.map((wv) => [(wv.windows[0] as IntervalWindow).start, (wv.windows[0] as IntervalWindow).end, wv.value.value]).sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(byWindow, [[0, 10, 2], [10, 20, 1], [20, 30, 2]]);
  });

  it("fails the bundle with a clear error when the worker rebuilds a different graph", async () => {
    const p = wordcount.create({ input: path.join(tmp, "in.txt"), output: path.join(tmp, "out") });
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, server.url, { breakAt: new Set(["wordcount/Split"]) });
    harness = new FnHarness({ workerId: "w-bad", controlUrl: server.url, loadPipeline: () => sideInputsProgram.create({}), runId: "r" }).start();
    const split = stageWith(planned, "wordcount/Split");
    server.addDescriptor(split.descriptor!);
    await assert.rejects(server.processBundle(split.id, new Map([[split.sourceId, []]]), [...split.outputs.values()]), /fingerprint/);
  });
});
