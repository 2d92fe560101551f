/**
 * Progress, splits and the metrics runners show, against the runner-side driver: channel splits
 * of a running bundle at element boundaries (Beam Python's arithmetic), the read index of every
 * source, execution time per step and phase, sampled byte sizes, and user logs with their step.
 */
import { strict as assert } from "node:assert";
import { inGlobalWindow } from "../../lib/model/window";
import { fnApi } from "../../runners/portable/protos";
import { channelSplitPoint } from "../../runners/worker/data_source";
import { FnHarness } from "../../runners/worker/harness";
import { decodeMetric, MetricValue } from "../../runners/worker/monitoring";
import { fnServerPerTest } from "./fn_server";
import { gated, gatedProgram, loggingProgram, resetGate } from "./programs";
import { OutputTally, serveStage } from "./stream_input";
import { encodeAll } from "./wire";

/** Beam Python's split cases (bundle_processor_test.py SplitTest), element boundaries only: [index, progress, fraction, buffer, allowed, first residual]. */
const PYTHON_CASES: [number, number, number, number, number[], number | undefined][] = [
  [0, 0, 0, 16, [], 1],
  [0, 0, 0.24, 16, [], 4],
  [0, 0, 0.25, 16, [], 4],
  [0, 0, 0.26, 16, [], 4],
  [0, 0, 0.5, 16, [], 8],
  [2, 0, 0.5, 16, [], 9],
  [6, 0, 0.5, 16, [], 11],
  [0, 0.5, 0.25, 4, [], 1],
  [0, 0.9, 0.25, 4, [], 2],
  [1, 0.0, 0.25, 4, [], 2],
  [1, 0.1, 0.25, 4, [], 2],
  [0, 0, 0.25, 16, [2, 3, 4, 5], 4],
  [0, 0, 0.25, 16, [2, 3, 5], 5],
  [0, 0, 0.25, 16, [2, 3, 6], 3],
  [0, 0, 0.25, 16, [5, 6, 7], 5],
  [0, 0, 0.25, 16, [1, 2, 3], 3],
  [5, 0, 0.25, 16, [1, 2, 3], undefined],
];

function metric(ms: readonly MetricValue[], urn: string, label: string, value: string): MetricValue | undefined {
  return ms.find((m) => m.urn === urn && m.labels[label] === value);
}

describe("Fn API harness: progress, splits, execution time, sampled sizes and logs", function () {
  this.timeout(60_000);
  const fn = fnServerPerTest();

  it("computes split points as Beam Python does", () => {
    for (const [index, progress, fraction, buffer, allowed, expected] of PYTHON_CASES) {
      const got = channelSplitPoint(index, progress, Number.POSITIVE_INFINITY, { fractionOfRemainder: fraction, estimatedInputElements: buffer, allowedSplitPoints: allowed });
      assert.equal(got, expected, `split(${index}, ${progress}, ${fraction}, ${buffer}, [${allowed.join(",")}])`);
    }
  });

  it("splits a running bundle at an element boundary of its remaining input; the residual is not processed", async () => {
    resetGate(2);
    fn.harness = new FnHarness({ workerId: "w-split", controlUrl: fn.server.url, loadPipeline: () => gatedProgram.create({}), runId: "r" }).start();
    const { stage, inCoder, outCoder, sink } = serveStage(fn.server, gatedProgram.create({}), "Hold");
    // A second source feeding the same PCollection (as a runner fuses a Flatten): progress covers both.
    const descriptor = stage.descriptor!;
    const second = `${stage.sourceId}_2`;
    descriptor.transforms[second] = { ...descriptor.transforms[stage.sourceId]!, uniqueName: second };
    const tally = new OutputTally(outCoder);
    const lines = Array.from({ length: 10 }, (_, i) => `line${i}`);
    const bundle = await fn.server.startBundle(stage.id, [sink], (_, data) => tally.add(data));
    await bundle.send(second, encodeAll(inCoder, ["other0", "other1"].map((l) => inGlobalWindow(l))), true);
    await bundle.send(stage.sourceId, encodeAll(inCoder, lines.map((l) => inGlobalWindow(l))), true);
    await gated.reached.promise;

    const progress = (await bundle.progress()).map(decodeMetric);
    assert.equal(metric(progress, "beam:metric:data_channel:read_index:v1", "PTRANSFORM", second)?.value, 2, "the first source's stream has ended: its count");
    assert.equal(metric(progress, "beam:metric:data_channel:read_index:v1", "PTRANSFORM", stage.sourceId)?.value, 0, "the held element is the second source's first");

    // Keep half of what remains: index 0 counts as half done, so 0 + round(0.5 + 9.5 / 2) = 5.
    const desired = (fraction: number) => ({ [stage.sourceId]: fnApi.ProcessBundleSplitRequest_DesiredSplit.create({ fractionOfRemainder: fraction, estimatedInputElements: 10n, allowedSplitPoints: [] }) });
    const split = await bundle.split(desired(0.5));
    assert.deepEqual(
      split.channelSplits.map((c) => [c.transformId, Number(c.lastPrimaryElement), Number(c.firstResidualElement)]),
      [[stage.sourceId, 4, 5]],
    );
    assert.deepEqual([split.primaryRoots, split.residualRoots], [[], []]);
    // The residual cannot grow back: a second split keeps at least the next element.
    const again = await bundle.split(desired(0));
    assert.deepEqual(again.channelSplits.map((c) => Number(c.firstResidualElement)), [1]);
    gated.release.open();
    const result = await bundle.result;
    assert.equal(tally.elements, 2 + 1, "the other source's two elements and the primary element 0");
    const final = result.monitoringInfos.map(decodeMetric);
    assert.equal(metric(final, "beam:metric:data_channel:read_index:v1", "PTRANSFORM", stage.sourceId)?.value, 1, "the read index stops at the first residual element");

    // A bundle that is not running has nothing to split.
    const idle = await fn.server.instruct({ oneofKind: "processBundleSplit", processBundleSplit: { instructionId: bundle.instructionId, desiredSplits: desired(0.5) } });
    assert.deepEqual(idle.response.oneofKind === "processBundleSplit" ? idle.response.processBundleSplit.channelSplits : undefined, []);
  });

  it("reports execution time per step and phase and sampled byte sizes, and forwards user logs with their step and bundle", async () => {
    const flags = { burn_ms: 60 };
    fn.harness = new FnHarness({ workerId: "w-logs", controlUrl: fn.server.url, loggingUrl: fn.server.url, loadPipeline: () => loggingProgram.create(flags), runId: "r" }).start();
    const { stage, inCoder, outCoder, sink } = serveStage(fn.server, loggingProgram.create(flags), "Burn");
    const ids = new Map(stage.transforms.map((t) => [stage.descriptor!.transforms[t]!.uniqueName, t]));
    const tally = new OutputTally(outCoder);
    const words = Array.from({ length: 4 }, (_, i) => `word${i}`);
    const bundle = await fn.server.startBundle(stage.id, [sink], (_, data) => tally.add(data));
    await bundle.send(stage.sourceId, encodeAll(inCoder, words.map((w) => inGlobalWindow(w))), true);
    const result = await bundle.result;
    assert.equal(tally.elements, words.length);
    const ms = result.monitoringInfos.map(decodeMetric);

    const burn = ids.get("Burn")!;
    const processMs = metric(ms, "beam:metric:pardo_execution_time:process_bundle_msecs:v1", "PTRANSFORM", burn)?.value as number;
    assert.ok(processMs >= 120, `Burn spent ${words.length * flags.burn_ms} ms of CPU; sampled ${processMs} ms`);
    for (const urn of ["start_bundle_msecs", "finish_bundle_msecs"]) assert.ok(metric(ms, `beam:metric:pardo_execution_time:${urn}:v1`, "PTRANSFORM", burn) !== undefined, urn);
    const total = metric(ms, "beam:metric:ptransform_execution_time:total_msecs:v1", "PTRANSFORM", burn)?.value as number;
    assert.ok(total >= processMs);

    const sizes = metric(ms, "beam:metric:sampled_byte_size:v1", "PCOLLECTION", stage.input)?.value as { count: number; sum: number; min: number; max: number };
    assert.equal(sizes.count, 4, "the first elements are all sampled");
    assert.ok(sizes.min > 6 && sizes.max < 40 && sizes.sum >= sizes.min * 4, `windowed encoded sizes of 'wordN': ${JSON.stringify(sizes)}`);

    const chatty = ids.get("Chatty")!;
    await fn.harness!.stop();
    fn.harness = undefined;
    const userLogs = fn.server.logs.filter((l) => l.logLocation === "console");
    assert.equal(userLogs.length, 2 * words.length);
    const sync = userLogs.find((l) => l.message === "processing word3");
    assert.ok(sync, userLogs.map((l) => l.message).join("\n"));
    assert.deepEqual([sync.transformId, sync.instructionId, sync.severity], [chatty, bundle.instructionId, fnApi.LogEntry_Severity_Enum.INFO]);
    const later = userLogs.find((l) => l.message === "after await: word3")!;
    assert.deepEqual([later.transformId, later.instructionId, later.severity], [chatty, bundle.instructionId, fnApi.LogEntry_Severity_Enum.WARN], "a line logged after an await keeps its step");
  });
});
