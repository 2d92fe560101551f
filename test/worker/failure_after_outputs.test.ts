/**
 * The Fn API worker tears its bundle processor down as soon as a bundle fails (harness.ts), and
 * Beam makes teardown a DoFn instance's last call: a step that handed several outputs on before
 * one failed (here Window.into, an element in three sliding windows re-windowed: three copies)
 * must let the async work of the earlier ones end first (PendingWork.failAfter). The same on the
 * DirectRunner's drivers: test/direct/failure_after_outputs.test.ts. And an async process that
 * outputs after its await when an earlier output failed downstream (as on the DirectRunner in
 * test/direct/async_outputs_after_failure.test.ts).
 */
import { strict as assert } from "node:assert";
import { Create, definePipeline, DoFn, FixedWindows, ParDo, SlidingWindows, Window } from "../../lib";
import { inGlobalWindow } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { FnApiServer } from "./fn_server";
import { coder, encodeAll, stageWith } from "./wire";
import { assertLifecycle, FailOnZero, log, OutputAcrossAwait, Sink } from "../direct/across_await_fns";

const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Records its calls: `process`, `done` (after an await) and `teardown`. */
class RecordingAsync extends DoFn<number, never> {
  static log: string[] = [];
  async process(): Promise<void> {
    RecordingAsync.log.push("process");
    await tick();
    await tick();
    RecordingAsync.log.push("done");
  }
  teardown(): void {
    RecordingAsync.log.push("teardown");
  }
}

/** An element in three sliding windows, into one fixed window (three copies), a Map failing on its second call, an async step. */
const slidingProgram = definePipeline({
  name: "worker-test-failure-after-outputs",
  description: "a failure after earlier outputs started async work",
  flags: {},
  build(root) {
    let calls = 0;
    root
      .apply("Numbers", Create.from([1]))
      .apply("Sliding", Window.into(new SlidingWindows(6, 2)))
      .apply("Fixed", Window.into(new FixedWindows(10)))
      .map("FailSecond", (n: number) => {
        if (++calls === 2) throw new Error("second copy failed");
        return n;
      })
      .apply("Async", ParDo.of(new RecordingAsync()));
  },
});

/** An async process outputting 0, then after its await 1 and 2 (to another step if `laterToTag`), 0 failing downstream. */
function acrossAwaitProgram(laterToTag: boolean) {
  return definePipeline({
    name: "worker-test-outputs-across-await",
    description: "an async process outputting after its await, an earlier output failing downstream",
    flags: {},
    build(root) {
      const out = root.apply("Numbers", Create.from([7])).apply("Src", ParDo.of(new OutputAcrossAwait(laterToTag)).withOutputs("later"));
      if (laterToTag) {
        out.main.apply("Fail", ParDo.of(new FailOnZero("Fail")));
        out.later.apply("Sink", ParDo.of(new Sink("Sink")));
      } else {
        out.main.apply("Fail", ParDo.of(new FailOnZero("Fail"))).apply("Sink", ParDo.of(new Sink("Sink")));
      }
    },
  });
}

describe("Fn API worker: a bundle failing after earlier outputs started async work", () => {
  let server: FnApiServer;
  let harness: FnHarness | undefined;
  beforeEach(async () => {
    server = await FnApiServer.start();
    RecordingAsync.log = [];
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await server.stop();
  });

  it("Window.into's copies of an element in three windows: the async step's call ends before its teardown", async () => {
    const p = slidingProgram.create({});
    const planned = plan(translatePipeline(p, dockerEnvironment()).proto, server.url, { breakAt: new Set(["Sliding"]) });
    harness = new FnHarness({ workerId: "w-fail", controlUrl: server.url, loadPipeline: () => slidingProgram.create({}), runId: "r" }).start();
    const stage = stageWith(planned, "Sliding");
    server.addDescriptor(stage.descriptor!);
    const input = encodeAll(coder(planned.components, planned.wireCoder(stage.input)), [inGlobalWindow(1, 5)]);
    await assert.rejects(server.processBundle(stage.id, new Map([[stage.sourceId, [input]]]), [...stage.outputs.values()]), /FailSecond.*second copy failed/s);
    // Had the bundle failed with the call still running, it would end after the teardown: wait (bounded) for it.
    for (let i = 0; i < 10_000 && !RecordingAsync.log.includes("done"); i++) await tick();
    for (let i = 0; i < 10_000 && !RecordingAsync.log.includes("teardown"); i++) await tick();
    assert.deepEqual(RecordingAsync.log, ["process", "done", "teardown"]);
  });

  for (const laterToTag of [false, true]) {
    it(`an async process outputting after its await, an earlier output failing downstream${laterToTag ? " (the later ones to another step)" : ""}: no call on the failed instance nor after a teardown`, async () => {
      log.length = 0;
      const program = acrossAwaitProgram(laterToTag);
      const planned = plan(translatePipeline(program.create({}), dockerEnvironment()).proto, server.url, { breakAt: new Set(["Src"]) });
      harness = new FnHarness({ workerId: "w-across-await", controlUrl: server.url, loadPipeline: () => program.create({}), runId: "r" }).start();
      const stage = stageWith(planned, "Src");
      server.addDescriptor(stage.descriptor!);
      const input = encodeAll(coder(planned.components, planned.wireCoder(stage.input)), [inGlobalWindow(7)]);
      await assert.rejects(server.processBundle(stage.id, new Map([[stage.sourceId, [input]]]), [...stage.outputs.values()]), /Fail.*Fail failed on 0/s);
      // Calls still running when the bundle failed would land after it: wait (bounded) for the teardowns.
      for (let i = 0; i < 10_000 && log.filter((l) => l.endsWith(" teardown")).length < 2; i++) await tick();
      for (let i = 0; i < 100; i++) await tick();
      assert.deepEqual(log.filter((l) => l.startsWith("Fail process")), ["Fail process 0"], log.join(", "));
      assert.equal(log.filter((l) => l.startsWith("Sink done")).length, log.filter((l) => l.startsWith("Sink process")).length, log.join(", "));
      assertLifecycle("Fail");
      assertLifecycle("Sink");
    });
  }
});
