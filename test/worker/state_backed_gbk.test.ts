/**
 * GroupByKey output sent as beam:coder:state_backed_iterable:v1 (beam_runner_api.proto): a runner
 * may send a key's values inline only in part, ending the iterable with a state token; the SDK
 * harness reads the rest over the State API as a StateKey.Runner whose key is the token (Beam
 * Java's StateBackedIterable, Python's IterableStateReader) before the element is processed.
 */
import { strict as assert } from "node:assert";
import * as os from "node:os";
import * as path from "node:path";
import { ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import { writeTimestamp } from "../../lib/coders/timestamp";
import { MIN_TIMESTAMP, WindowedValue } from "../../lib/model/window";
import { wordcount } from "../../pipelines/wordcount";
import { dockerEnvironment } from "../../runners/portable/environments";
import { fnApi, fnapi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { fnServerPerTest, stateKeyId } from "./fn_server";
import { coder, decodeAll, encodeAll, stageWith } from "./wire";

const SBI = "beam:coder:state_backed_iterable:v1";

/** A grouped element in the global window: the key, then its values as a state-backed iterable (unknown-length form). */
function grouped(out: ByteWriter, keyCoder: Coder<unknown>, valueCoder: Coder<unknown>, key: string, inline: number[], token?: string): void {
  writeTimestamp(out, MIN_TIMESTAMP);
  out.writeInt32BE(1); // one window: the global window, zero bytes
  out.writeByte(0x0f); // no firing
  keyCoder.encode(key, out, "nested");
  out.writeInt32BE(-1);
  if (inline.length > 0) {
    out.writeVarInt(inline.length);
    for (const v of inline) valueCoder.encode(v, out, "nested");
  }
  if (token === undefined) out.writeVarInt(0);
  else {
    out.writeVarInt(-1);
    out.writeUtf8Nested(token);
  }
}

const runnerKey = (token: string): fnapi.StateKey => ({ type: { oneofKind: "runner", runner: { key: new Uint8Array(Buffer.from(token)) } } });

describe("Fn API harness: GroupByKey output as a state-backed iterable", function () {
  const fn = fnServerPerTest();

  it("reads the values behind a state token over the State API before the element is processed", async () => {
    const p = wordcount.create({ input: path.join(os.tmpdir(), "unused-in.txt"), output: path.join(os.tmpdir(), "unused-out") });
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, fn.server.url, { breakAt: new Set(["wordcount/Split", "wordcount/Write/WriteBundles"]) });
    const merge = stageWith(planned, "wordcount/GroupAndSum/Merge");
    // The runner describes the grouped values as a state-backed iterable (a copy of the descriptor: the plan's coders stay as they are).
    const descriptor = fnApi.ProcessBundleDescriptor.fromBinary(fnApi.ProcessBundleDescriptor.toBinary(merge.descriptor!));
    const wire = descriptor.coders[planned.wireCoder(merge.input)]!;
    const kvCoder = descriptor.coders[wire.componentCoderIds[0]!]!;
    const iterable = descriptor.coders[kvCoder.componentCoderIds[1]!]!;
    assert.equal(iterable.spec!.urn, "beam:coder:iterable:v1");
    iterable.spec!.urn = SBI;
    fn.server.addDescriptor(descriptor);
    fn.harness = new FnHarness({ workerId: "w-sbi", controlUrl: fn.server.url, loadPipeline: () => wordcount.create({ input: "", output: "" }), runId: "r" }).start();

    // "the": 2 inline, then 1, 4 and 10 in state (paged by the server in 5-byte pages); "king": all
    // in state; "fool": a token whose state is empty; "end": inline only.
    const keyCoder = coder(planned.components, kvCoder.componentCoderIds[0]!);
    const valueCoder = coder(planned.components, iterable.componentCoderIds[0]!);
    fn.server.state.set(stateKeyId(runnerKey("tok-the")), encodeAll(valueCoder, [1, 4, 10]));
    fn.server.state.set(stateKeyId(runnerKey("tok-king")), encodeAll(valueCoder, [3, 200, 5, 1, 1]));
    fn.server.state.set(stateKeyId(runnerKey("tok-fool")), new Uint8Array(0));
    fn.server.statePageBytes = 2;
    const w = new ByteWriter();
    grouped(w, keyCoder, valueCoder, "the", [2], "tok-the");
    grouped(w, keyCoder, valueCoder, "king", [], "tok-king");
    grouped(w, keyCoder, valueCoder, "fool", [7], "tok-fool");
    grouped(w, keyCoder, valueCoder, "end", [1, 1]);
    const input = w.finish();

    const formatted = [...merge.outputs].find(([pc]) => planned.components.pcollections[pc]!.uniqueName === "wordcount/Format.main")!;
    // Elements split across data messages: a token may arrive in a later chunk than its prefix.
    const chunks = [input.subarray(0, 20), input.subarray(20, 41), input.subarray(41)];
    const r = await fn.server.processBundle(merge.id, new Map([[merge.sourceId, chunks]]), [...merge.outputs.values()]);
    const lines = decodeAll(coder(planned.components, planned.wireCoder(formatted[0])), r.outputs.get(formatted[1])!).map((wv) => (wv as WindowedValue<string>).value);
    assert.deepEqual(lines.sort(), ["end: 2", "fool: 7", "king: 210", "the: 17"]);
    const runnerReads = fn.server.stateLog.filter((l) => l.startsWith("get runner|") || l.startsWith("get+ runner|"));
    const tokenHex = (t: string): string => Buffer.from(t).toString("hex");
    assert.ok(runnerReads.some((l) => l.startsWith(`get runner|${tokenHex("tok-the")} `)), fn.server.stateLog.join("\n"));
    assert.ok(runnerReads.some((l) => l.startsWith(`get+ runner|${tokenHex("tok-king")} `)), "paged state responses are followed");
    assert.ok(runnerReads.every((l) => l.endsWith(` ${r.instructionId}`)), "state reads carry the bundle's instruction id");
  });
});
