/**
 * Window and pane assertions on 2 worker threads, on the Fn API harness (PortableRunner over
 * LOOPBACK to the test job server) and, when its launcher is set, on Prism: they pass where the
 * data holds, and a wrong expectation fails the job naming the assertion and the window.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 */
import { strict as assert } from "node:assert";
import "../../runners/direct";
import type { PipelineOptions } from "../../lib";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { MiniJobServer } from "../portable/job_server";
import { REAL_RUNNERS, realRunnerSession } from "../portable/real_runner_launch";
import { paneAssertions, windowedAssertions } from "./passert_programs";

const WINDOW_FAILURE = /PAssert on the output of 'Sliding' in window \[1970-01-01T00:00:00\.250Z, 1970-01-01T00:00:00\.450Z\): Expected: iterable with items \[4, 5\] in any order/;
const PANE_FAILURE = /in window \[1970-01-01T00:00:00\.000Z, 1970-01-01T00:00:01\.000Z\) \(the on-time pane\): Expected: iterable with items \["a", "late"\] in any order/;

describe("PAssert on windows and panes: worker threads and the Fn API harness", function () {
  this.timeout(120_000);

  it("2 worker threads: batch windows and panes hold; a wrong window fails naming it", async () => {
    const workers = { directNumWorkers: 2, directWorkerThreads: "always" } as const;
    const ok = await windowedAssertions.run({ fail: false }, workers);
    assert.equal(ok.state, "DONE", ok.error?.message);
    const bad = await windowedAssertions.run({ fail: true }, workers);
    assert.equal(bad.state, "FAILED");
    assert.match(bad.error!.message, WINDOW_FAILURE);
  });

  it("streaming (TestStream; with --direct_num_workers 2 the driver runs it in one thread): on-time, late and combined non-late panes; a wrong pane fails naming it", async () => {
    for (const options of [{}, { directNumWorkers: 2, directWorkerThreads: "always" } as const]) {
      const ok = await paneAssertions.run({ fail: false }, options);
      assert.equal(ok.state, "DONE", ok.error?.message);
      const bad = await paneAssertions.run({ fail: true }, options);
      assert.equal(bad.state, "FAILED");
      assert.match(bad.error!.message, PANE_FAILURE);
    }
  });

  describe("on the Fn API harness (PortableRunner, LOOPBACK)", () => {
    let jobServer: MiniJobServer;
    before(async () => {
      jobServer = await MiniJobServer.start();
    });
    after(async () => {
      await jobServer.stop();
    });
    const portable = (): Partial<PipelineOptions> => ({ runner: "PortableRunner", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });
    const runner = (): PortableRunner => new PortableRunner({ log: () => undefined, cancelOnInterrupt: false });

    it("batch windows and panes hold; a wrong window fails the job naming it", async () => {
      const done = await runner().run(windowedAssertions.create({ fail: false }, portable()));
      assert.equal(await done.waitUntilFinish(), "DONE");
      const failed = await runner().run(windowedAssertions.create({ fail: true }, portable()));
      await assert.rejects(failed.waitUntilFinish(), WINDOW_FAILURE);
    });
  });
});

for (const runner of REAL_RUNNERS.filter((r) => r.name === "Prism")) {
  describe(`PAssert on windows and panes on a real Beam runner: ${runner.name} (LOOPBACK)`, function () {
    this.timeout(180_000);
    const { options, runRemote } = realRunnerSession(runner, "beamline-real-passert-");

    it("batch: sliding windows, the only and on-time panes of a grouping, equalToPerWindow", async () => {
      await runRemote(windowedAssertions.create({ fail: false }, options("passert-windows")));
    });

    it("batch: a wrong window fails the job naming it", async () => {
      await assert.rejects(runRemote(windowedAssertions.create({ fail: true }, options("passert-windows-fail"))), WINDOW_FAILURE);
    });

    it("TestStream: on-time, late and combined non-late panes of a window", async () => {
      await runRemote(paneAssertions.create({ fail: false }, options("passert-panes")));
      await assert.rejects(runRemote(paneAssertions.create({ fail: true }, options("passert-panes-fail"))), PANE_FAILURE);
    });
  });
}
