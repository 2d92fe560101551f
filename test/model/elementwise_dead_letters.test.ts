/**
 * map, flatMap and filter with a dead-letter output: `MapElements.via(fn).withExceptionHandling()`
 * (Beam Python's `beam.Map(fn).with_exception_handling()`, Java's `MapElements...exceptionsVia`),
 * `FlatMapElements` and `Filter` likewise, on the DirectRunner (batch, streaming, worker threads)
 * and the Fn API harness.
 */
import { strict as assert } from "node:assert";
import "../../runners/direct";
import { Create, Filter, FlatMapElements, MapElements, TestStream, type PipelineOptions } from "../../lib";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { MiniJobServer } from "../portable/job_server";
import { runDirect } from "../helpers";
import { elementwiseDeadLetters, isOdd, parseInteger } from "./elementwise_dead_letter_programs";

describe("map, flatMap and filter with exception handling", function () {
  this.timeout(60_000);

  it("batch: each transform's failures are dead letters with their step and reason; a flatMap element that fails partway emits nothing", async () => {
    const result = await elementwiseDeadLetters.run({ partial: false });
    assert.equal(result.state, "DONE", result.error?.message);
  });

  it("partial: true keeps what a flatMap element emitted before it threw (Beam Python's partial=True)", async () => {
    const result = await elementwiseDeadLetters.run({ partial: true });
    assert.equal(result.state, "DONE", result.error?.message);
  });

  it("2 worker threads give the same outputs", async () => {
    const result = await elementwiseDeadLetters.run({ partial: false }, { directNumWorkers: 2, directWorkerThreads: "always" });
    assert.equal(result.state, "DONE", result.error?.message);
  });

  it("without exception handling the same functions fail the run, naming the step (the plain transforms are pc.map/flatMap/filter)", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of("1", "x")).apply("Parse", MapElements.via(parseInteger));
    });
    await assert.rejects(result.waitUntilFinish(), (e: Error & { transformPath?: string }) => {
      assert.equal(e.transformPath, "Parse");
      assert.match(e.message, /not an integer: "x"/);
      return true;
    });
  });

  it("unlabelled transforms are named after the function, as pc.map is; an unread dead-letter output fails the run at the first failure", async () => {
    const result = await runDirect((p) => {
      const out = p.apply(Create.of(1, 2, 101)).apply(Filter.by(isOdd).withExceptionHandling());
      assertThat(out.main, equalTo([1]));
    });
    await assert.rejects(result.waitUntilFinish(), /Filter\(isOdd\)/);
  });

  it("streaming (TestStream): failures leave as they come, the outputs fire at the end", async () => {
    const seen: string[] = [];
    const result = await runDirect((p) => {
      const stream = TestStream.create<string>()
        .addElements({ value: "4", timestamp: 10 }, { value: "four", timestamp: 20 })
        .advanceWatermarkTo(1000)
        .addElements({ value: "5", timestamp: 1500 })
        .advanceWatermarkToInfinity();
      const parsed = p.apply(stream).apply("Parse", MapElements.via(parseInteger).withExceptionHandling());
      parsed.failed.map("Seen", (f) => void seen.push(`${String(f.element)}@${f.step}`));
      const odd = parsed.main.apply("Odd", Filter.by((n: number) => n % 2 === 1).withExceptionHandling());
      assertThat(odd.main, equalTo([5]), "CheckOdd");
      const doubled = parsed.main.apply("Twice", FlatMapElements.via((n: number) => [n, n]).withExceptionHandling());
      assertThat(doubled.main, equalTo([4, 4, 5, 5]), "CheckTwice");
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(seen, ["four@Parse"]);
  });

  describe("on the Fn API harness (PortableRunner, LOOPBACK)", () => {
    let jobServer: MiniJobServer;
    before(async () => {
      jobServer = await MiniJobServer.start();
    });
    after(async () => {
      await jobServer.stop();
    });

    it("the same outputs and dead letters", async () => {
      const options: Partial<PipelineOptions> = { runner: "PortableRunner", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } };
      const runner = new PortableRunner({ log: () => undefined, cancelOnInterrupt: false });
      const result = await runner.run(elementwiseDeadLetters.create({ partial: true }, options));
      assert.equal(await result.waitUntilFinish(), "DONE");
    });
  });
});
