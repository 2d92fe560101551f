/**
 * Data-plane flow control against the runner-side driver: inbound data is queued per bundle
 * only up to a bound (reading pauses beyond it), and outbound writes wait while the runner is
 * behind. The process-level proof (a harness process's peak RSS barely grows with 8× more input)
 * is in worker_process.test.ts; `npm run bench -- --only worker` streams 2 GB.
 */
import { strict as assert } from "node:assert";
import { FnHarness } from "../../runners/worker/harness";
import { DEFAULT_MAX_BUFFERED_BYTES } from "../../runners/worker/data_channel";
import { decodeMetric } from "../../runners/worker/monitoring";
import { fnServerPerTest } from "./fn_server";
import { amplifyProgram, gated, gatedProgram, resetGate } from "./programs";
import { OutputTally, sendLines, serveStage } from "./stream_input";
import { encodeAll } from "./wire";
import { inGlobalWindow } from "../../lib/model/window";

describe("Fn API data plane flow control", function () {
  this.timeout(120_000);
  const fn = fnServerPerTest();

  it("queues at most the bound of a bundle's input, pausing the data stream, and still delivers every element", async () => {
    resetGate(0);
    const p = gatedProgram.create({});
    fn.harness = new FnHarness({ workerId: "w-in", controlUrl: fn.server.url, loadPipeline: () => gatedProgram.create({}), runId: "r" }).start();
    const { stage, inCoder, outCoder, sink } = serveStage(fn.server, p, "Hold");
    const tally = new OutputTally(outCoder);
    const bundle = await fn.server.startBundle(stage.id, [sink], (_, data) => tally.add(data));
    // 8× the bound, sent as fast as the runner side's own stream lets it, while the DoFn holds its first element.
    const sending = sendLines(bundle, stage.sourceId, inCoder, 8 * DEFAULT_MAX_BUFFERED_BYTES);
    await gated.reached.promise;
    const channel = fn.harness!.dataChannel(fn.server.url);
    if (channel.pauses === 0) await channel.nextPause();
    // The runner keeps trying to send while the bundle holds: control round trips give its data time to arrive.
    for (let i = 0; i < 20; i++) await bundle.progress();
    assert.ok(channel.peakBufferedBytes <= DEFAULT_MAX_BUFFERED_BYTES + (1 << 20), `at most the bound (+ one message) was queued: ${channel.peakBufferedBytes} bytes`);
    gated.release.open();
    const sent = await sending;
    await bundle.result;
    assert.equal(tally.elements, sent.lines);
    assert.equal(tally.digest(), sent.digest, "every line arrives, unchanged and in order");
    assert.ok(channel.peakBufferedBytes <= DEFAULT_MAX_BUFFERED_BYTES + (1 << 20), `never more than the bound (+ one message) queued: ${channel.peakBufferedBytes} bytes`);
  });

  it("stops taking input while the runner does not read its output, and finishes once it does", async () => {
    const flags = { copies: 64, bytes: 16384 };
    const p = amplifyProgram.create(flags);
    fn.harness = new FnHarness({ workerId: "w-out", controlUrl: fn.server.url, loadPipeline: () => amplifyProgram.create(flags), runId: "r" }).start();
    const { stage, inCoder, outCoder, sink } = serveStage(fn.server, p, "Amplify");
    const tally = new OutputTally(outCoder);
    fn.server.pauseOutputs();
    const bundle = await fn.server.startBundle(stage.id, [sink], (_, data) => tally.add(data));
    // 256 lines in, 1 MiB out each: 256 MiB the runner is not reading yet.
    const lines = Array.from({ length: 256 }, (_, i) => inGlobalWindow(`line${i}`));
    await bundle.send(stage.sourceId, encodeAll(inCoder, lines), true);
    const channel = fn.harness!.dataChannel(fn.server.url);
    await channel.nextWriteWait();
    const readIndex = (await bundle.progress()).map(decodeMetric).find((m) => m.urn === "beam:metric:data_channel:read_index:v1")?.value as number;
    assert.ok(readIndex < 64, `the bundle waits for the runner instead of buffering its output: it is at input ${readIndex} of 256`);
    fn.server.resumeOutputs();
    await bundle.result;
    assert.equal(tally.elements, 256 * 64);
    assert.ok(channel.writeWaits > 0);
  });
});
