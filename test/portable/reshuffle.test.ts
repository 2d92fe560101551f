/**
 * Reshuffle's expansion as Beam sends it (Beam Python's ReshufflePerKey): timestamps, windows and
 * panes ride in the value through a grouping in the global window whose trigger fires per element.
 * A runner that runs the expansion (Beam Python's; here the test runner with expandReshuffle)
 * must give the DirectRunner's result.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { readShards } from "../helpers";
import { executePipeline } from "./mini_runner";
import { RESHUFFLE_METADATA_EXPECTED, reshuffleMetadataProgram } from "./programs";
import { RESHUFFLE_REIFIED_EXPECTED, reshuffleReifiedProgram } from "./reshuffle_programs";

describe("portable translation: Reshuffle", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-reshuffle-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("expands to AddRandomKey → ReifyMetadata → GroupByKey (global window, fires per element) → RestoreMetadata → DropKey", () => {
    const c = translatePipeline(reshuffleMetadataProgram.create({ output: tmp }), dockerEnvironment()).proto.components!;
    const reshuffle = Object.values(c.transforms).find((t) => t.uniqueName === "Reshuffle")!;
    assert.equal(reshuffle.spec!.urn, URNS.reshuffle);
    const steps = reshuffle.subtransforms.map((id) => c.transforms[id]!);
    assert.deepEqual(
      steps.map((t) => [t.uniqueName, t.spec!.urn]),
      [
        ["Reshuffle/AddRandomKey", URNS.pardo],
        ["Reshuffle/ReifyMetadata", URNS.reifyMetadata],
        ["Reshuffle/GroupByKey", URNS.gbk],
        ["Reshuffle/RestoreMetadata", URNS.restoreMetadata],
        ["Reshuffle/DropKey", URNS.pardo],
      ],
    );
    for (let i = 1; i < steps.length; i++) assert.equal(Object.values(steps[i]!.inputs)[0], Object.values(steps[i - 1]!.outputs)[0], steps[i]!.uniqueName);
    const reified = c.pcollections[Object.values(steps[1]!.outputs)[0]!]!;
    const ws = c.windowingStrategies[reified.windowingStrategyId]!;
    assert.equal(ws.windowFn!.urn, URNS.globalWindows);
    assert.deepEqual(ws.trigger, runnerApi.Trigger.create({ trigger: { oneofKind: "repeat", repeat: { subtrigger: { trigger: { oneofKind: "elementCount", elementCount: { elementCount: 1 } } } } } }));
    assert.equal(ws.accumulationMode, runnerApi.AccumulationMode_Enum.DISCARDING);
    assert.equal(ws.outputTime, runnerApi.OutputTime_Enum.EARLIEST_IN_PANE);
    // The value carries the element's original window: windowed_value(value, interval_window).
    const kvCoder = c.coders[reified.coderId]!;
    const wv = c.coders[kvCoder.componentCoderIds[1]!]!;
    assert.equal(wv.spec!.urn, "beam:coder:windowed_value:v1");
    assert.equal(c.coders[wv.componentCoderIds[1]!]!.spec!.urn, "beam:coder:interval_window:v1");
    // After RestoreMetadata the input's windowing again.
    const restored = c.pcollections[Object.values(steps[3]!.outputs)[0]!]!;
    assert.equal(c.windowingStrategies[restored.windowingStrategyId]!.windowFn!.urn, URNS.fixedWindows);
  });

  it("keeps every element's timestamp and window on a runner that runs the expansion", async () => {
    const direct = path.join(tmp, "direct");
    assert.equal(await (await reshuffleMetadataProgram.run({ output: direct }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    assert.deepEqual(readShards(path.join(direct, "meta")), RESHUFFLE_METADATA_EXPECTED);

    const flags = { output: path.join(tmp, "expanded") };
    const fn = await FnApiServer.start();
    const harness = new FnHarness({ workerId: "w-reshuffle", controlUrl: fn.url, loadPipeline: () => reshuffleMetadataProgram.create(flags), runId: "reshuffle" }).start();
    try {
      const proto = translatePipeline(reshuffleMetadataProgram.create(flags), dockerEnvironment()).proto;
      await executePipeline(proto, fn, () => undefined, () => false, { expandReshuffle: true });
      assert.deepEqual(readShards(path.join(flags.output, "meta")), RESHUFFLE_METADATA_EXPECTED);
    } finally {
      await harness.stop();
      await fn.stop();
    }
  });

  it("keys its input under a KV coder of a varint key and the input's coder", () => {
    const c = translatePipeline(reshuffleReifiedProgram.create({ output: tmp }), dockerEnvironment()).proto.components!;
    const add = Object.values(c.transforms).find((t) => t.uniqueName === "Reshuffle/AddRandomKey")!;
    const reshuffle = Object.values(c.transforms).find((t) => t.uniqueName === "Reshuffle")!;
    const keyed = c.coders[c.pcollections[Object.values(add.outputs)[0]!]!.coderId]!;
    assert.equal(keyed.spec!.urn, "beam:coder:kv:v1");
    assert.equal(c.coders[keyed.componentCoderIds[0]!]!.spec!.urn, "beam:coder:varint:v1");
    assert.equal(keyed.componentCoderIds[1], c.pcollections[Object.values(reshuffle.inputs)[0]!]!.coderId);
    // Our own coders reach runners length-prefixed.
    const value = c.coders[keyed.componentCoderIds[1]!]!;
    assert.equal(c.coders[value.componentCoderIds[0]!]!.spec!.urn, "beamline:coder:value_in_single_window:v1");
  });

  for (const expand of [false, true]) {
    it(`passes reified windows (ValueInSingleWindowCoder) through on a runner that ${expand ? "runs the expansion" : "replaces the composite"}`, async () => {
      const direct = path.join(tmp, `reified-direct-${expand}`);
      assert.equal(await (await reshuffleReifiedProgram.run({ output: direct }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(direct, "reified")), RESHUFFLE_REIFIED_EXPECTED);

      const flags = { output: path.join(tmp, `reified-portable-${expand}`) };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: "w-reshuffle-reified", controlUrl: fn.url, loadPipeline: () => reshuffleReifiedProgram.create(flags), runId: "reshuffle-reified" }).start();
      try {
        const proto = translatePipeline(reshuffleReifiedProgram.create(flags), dockerEnvironment()).proto;
        await executePipeline(proto, fn, () => undefined, () => false, { expandReshuffle: expand });
        assert.deepEqual(readShards(path.join(flags.output, "reified")), RESHUFFLE_REIFIED_EXPECTED);
      } finally {
        await harness.stop();
        await fn.stop();
      }
    });
  }
});
