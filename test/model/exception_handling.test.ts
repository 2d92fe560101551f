/**
 * ParDo exception handling against Beam Python's `with_exception_handling` (DeadLettersTest in
 * apache_beam/transforms/ptransform_test.py): which errors become dead letters (`exc_class`), and
 * the run failing when too many elements fail (`threshold`, per window with
 * `threshold_windowing`), on the DirectRunner (batch, streaming, worker threads) and the Fn API
 * harness.
 */
import { strict as assert } from "node:assert";
import "../../runners/direct";
import { Create, DoFn, ElementTimeoutError, FailedElement, FixedWindows, kv, ParDo, Pipeline, type KV, type PipelineOptions, type ProcessContext } from "../../lib";
import { StatefulDoFn, type StatefulProcessContext, StateSpec } from "../../lib/model/state";
import { PipelineConstructionError } from "../../lib/model/errors";
import { TestStream } from "../../lib/testing/test_stream";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { MiniJobServer } from "../portable/job_server";
import { runDirect } from "../helpers";
import { DieIfNegative, THRESHOLD_INPUT, thresholdProgram } from "./exception_handling_programs";

/** An error class of the user's own. */
class BadRecord extends Error {
  override name = "BadRecord";
}

/** Throws a BadRecord for "bad", a TypeError for "type" and a RangeError for "range". */
class Picky extends DoFn<string, string> {
  process(s: string, ctx: ProcessContext<string>): void {
    if (s === "bad") throw new BadRecord(`bad record ${s}`);
    if (s === "type") throw new TypeError(`wrong type ${s}`);
    if (s === "range") throw new RangeError(`out of range ${s}`);
    ctx.output(s.toUpperCase());
  }
}

describe("exception handling: which errors, and how many", function () {
  this.timeout(60_000);

  describe("errorClass (Beam Python's exc_class)", () => {
    it("test_filters_exceptions: errors of the given classes are dead letters", async () => {
      const result = await runDirect((p) => {
        const out = p.apply(Create.of(-1, 10, -100, 2, 0)).apply("DieIfNegative", ParDo.of(new DieIfNegative()).withExceptionHandling({ errorClass: [RangeError, TypeError] }));
        assertThat(out.main, equalTo([0, 2, 10]), "CheckGood");
        assertThat(out.failed.map("Elements", (f) => f.element), equalTo([-1, -100]), "CheckBad");
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
    });

    it("test_filters_exceptions: an error of another class fails the run as without exception handling", async () => {
      const result = await runDirect((p) => {
        const out = p.apply(Create.of(-1, 10, -100, 2, 0)).apply("DieIfNegative", ParDo.of(new DieIfNegative()).withExceptionHandling({ errorClass: TypeError }));
        out.failed.map("Read", (f) => f.element);
      });
      await assert.rejects(result.waitUntilFinish(), (e: Error & { transformPath?: string }) => {
        assert.equal(e.name, "UserCodeError");
        assert.equal(e.transformPath, "DieIfNegative");
        assert.match(e.message, /transform 'DieIfNegative' while processing element -1(00)?: RangeError: -1(00)?/);
        return true;
      });
    });

    it("subclasses match (instanceof), and async process methods are filtered the same way", async () => {
      class AsyncPicky extends Picky {
        override async process(s: string, ctx: ProcessContext<string>): Promise<void> {
          await Promise.resolve();
          super.process(s, ctx);
        }
      }
      for (const fn of [new Picky(), new AsyncPicky()]) {
        const failed: string[] = [];
        const ok = await runDirect((p) => {
          const out = p.apply(Create.of("a", "bad", "b")).apply("Picky", ParDo.of(fn).withExceptionHandling({ errorClass: Error }));
          assertThat(out.main, equalTo(["A", "B"]));
          out.failed.apply("Keep", ParDo.of((f: FailedElement<string>) => void failed.push(f.reason)));
        });
        assert.equal(await ok.waitUntilFinish(), "DONE");
        assert.deepEqual(failed, ["BadRecord: bad record bad"]);

        const wrong = await runDirect((p) => {
          p.apply(Create.of("a", "type")).apply("Picky", ParDo.of(fn).withExceptionHandling({ errorClass: [BadRecord, RangeError], ignoreRejected: true }));
        });
        await assert.rejects(wrong.waitUntilFinish(), /transform 'Picky' while processing element "type": TypeError: wrong type type/);
      }
    });

    it("is checked when the pipeline is built", () => {
      const p = Pipeline.create();
      const nums = p.apply(Create.of(1));
      assert.throws(
        () => nums.apply("Bad", ParDo.of(new DieIfNegative()).withExceptionHandling({ errorClass: "RangeError" as unknown as typeof RangeError })),
        (e: Error) => e instanceof PipelineConstructionError && /errorClass must be an error class .*or a list of them.*got "RangeError"/.test(e.message) && /'Bad'/.test(e.message),
      );
    });
  });

  describe("threshold (Beam Python's threshold and threshold_windowing)", () => {
    it("test_threshold: the threshold is high enough (2 of 8 failed, threshold 0.5)", async () => {
      const result = await thresholdProgram.run({ threshold: 0.5, windowed: false, type_errors_only: false });
      assert.equal(result.state, "DONE", result.error?.message);
      assert.equal(result.metrics.counterTotal("beamline", "rejected", "DieIfNegative"), 2);
    });

    it("test_threshold: the threshold is too low (2 / 8 = 0.25 > 0.1) fails the run naming the transform", async () => {
      const result = await thresholdProgram.run({ threshold: 0.1, windowed: false, type_errors_only: false });
      assert.equal(result.state, "FAILED");
      assert.equal(result.error!.name, "TransformError");
      assert.equal((result.error as Error & { transformPath?: string }).transformPath, "DieIfNegative");
      assert.match(result.error!.message, /Transform 'DieIfNegative' failed on 2 of the 8 elements in window .*: 2 \/ 8 = 0\.25 > 0\.1, its threshold/);
    });

    it("test_threshold: too low per window (FixedWindows(10): 2 / 2 = 1 > 0.5 in the window before 0)", async () => {
      const result = await thresholdProgram.run({ threshold: 0.5, windowed: true, type_errors_only: false });
      assert.equal(result.state, "FAILED");
      assert.match(result.error!.message, /failed on 2 of the 2 elements in window \[1969-12-31T23:59:59\.990Z, 1970-01-01T00:00:00\.000Z\): 2 \/ 2 = 1 > 0\.5/);
    });

    it("2 worker threads: the counts are over the whole input, not per worker; errorClass holds there too", async () => {
      const workers = { directNumWorkers: 2, directWorkerThreads: "always" } as const;
      const passing = await thresholdProgram.run({ threshold: 0.25, windowed: false, type_errors_only: false }, workers);
      assert.equal(passing.state, "DONE", passing.error?.message);
      const failing = await thresholdProgram.run({ threshold: 0.2, windowed: false, type_errors_only: false }, workers);
      assert.equal(failing.state, "FAILED");
      assert.match(failing.error!.message, /2 \/ 8 = 0\.25 > 0\.2/);
      const unhandled = await thresholdProgram.run({ threshold: 1, windowed: false, type_errors_only: true }, workers);
      assert.equal(unhandled.state, "FAILED");
      assert.match(unhandled.error!.message, /transform 'DieIfNegative' while processing element -[12]: RangeError: -[12]/);
    });

    it("streaming: each window is checked when it closes", async () => {
      const run = (threshold: number) =>
        runDirect((p) => {
          const out = p
            .apply(
              TestStream.create<number>()
                .addElements(...[1, 2, -3, 4].map((x) => ({ value: x, timestamp: Math.abs(x) })))
                .advanceWatermarkTo(10)
                .addElements(...[11, -12, -13, 14].map((x) => ({ value: x, timestamp: Math.abs(x) })))
                .advanceWatermarkToInfinity(),
            )
            .apply("DieIfNegative", ParDo.of(new DieIfNegative()).withExceptionHandling({ threshold, thresholdWindowing: new FixedWindows(10) }));
          assertThat(out.failed.map("Elements", (f) => f.element), equalTo([-3, -12, -13]));
        });
      assert.equal(await (await run(0.5)).waitUntilFinish(), "DONE");
      const failing = await run(0.4);
      await assert.rejects(failing.waitUntilFinish(), /failed on 2 of the 4 elements in window \[1970-01-01T00:00:00\.010Z, 1970-01-01T00:00:00\.020Z\): 2 \/ 4 = 0\.5 > 0\.4/);
    });

    it("an unread `failed` output still fails the run on the first failure (counting does not read it); ignoreRejected drops them but the threshold holds", async () => {
      const unread = await runDirect((p) => {
        p.apply(Create.from(THRESHOLD_INPUT)).apply("DieIfNegative", ParDo.of(new DieIfNegative()).withExceptionHandling({ threshold: 0.5 }));
      });
      await assert.rejects(unread.waitUntilFinish(), (e: Error) => e.name === "RejectedElementError");
      const ignored = await runDirect((p) => {
        p.apply(Create.from(THRESHOLD_INPUT)).apply("DieIfNegative", ParDo.of(new DieIfNegative()).withExceptionHandling({ threshold: 0.1, ignoreRejected: true }));
      });
      await assert.rejects(ignored.waitUntilFinish(), /2 \/ 8 = 0\.25 > 0\.1/);
    });

    it("is checked when the pipeline is built", () => {
      for (const threshold of [-0.1, 1.5, Number.NaN]) {
        const p = Pipeline.create();
        assert.throws(
          () => p.apply(Create.of(1)).apply("T", ParDo.of(new DieIfNegative()).withExceptionHandling({ threshold })),
          (e: Error) => e instanceof PipelineConstructionError && /threshold must be a fraction from 0 to 1/.test(e.message),
        );
      }
    });
  });

  describe("onFailure (Beam Python's on_failure_callback) and partial", () => {
    /** Beam's core_test TestDoFn9: fails on words longer than 3 letters. */
    class TestDoFn9 extends DoFn<string, string> {
      process(s: string, ctx: ProcessContext<string>): void {
        if (s.length > 3) throw new RangeError(`${s} is too long`);
        ctx.output(s);
      }
    }

    it("test_handles_callbacks: the callback gets each failed element and its error; test_handles_no_callback_triggered: none when nothing fails", async () => {
      for (const [input, expectedBad] of [
        [["abc", "bcd", "foo", "bar", "foobar"], ["foobar"]],
        [["abc", "bcd", "foo", "bar"], []],
      ] as const) {
        const calls: string[] = [];
        const result = await runDirect((p) => {
          const out = p.apply(Create.from([...input])).apply(
            "Fn9",
            ParDo.of(new TestDoFn9()).withExceptionHandling({
              onFailure: (error, element) => {
                calls.push(`${element}: ${error instanceof RangeError ? "RangeError" : "wrong class"}`);
              },
            }),
          );
          assertThat(out.main, equalTo(input.filter((s) => s.length <= 3)), "good");
          assertThat(out.failed.map("Elements", (f) => f.element), equalTo([...expectedBad]), "bad");
        });
        assert.equal(await result.waitUntilFinish(), "DONE");
        assert.deepEqual(calls, expectedBad.map((s) => `${s}: RangeError`));
      }
    });

    it("a callback that throws does not fail the run or lose the dead letter (Beam logs a warning); an async callback is awaited", async () => {
      const seen: string[] = [];
      const run = (): ReturnType<typeof runDirect> =>
        runDirect((p) => {
          const out = p.apply(Create.of("ab", "long", "longer")).apply(
            "Fn9",
            ParDo.of(new TestDoFn9()).withExceptionHandling({
              onFailure: async (_error, element) => {
                await Promise.resolve();
                seen.push(element);
                if (element === "long") throw new Error("the callback broke");
              },
            }),
          );
          assertThat(out.failed.map("Elements", (f) => f.element), equalTo(["long", "longer"]), "bad");
        });
      // Beam logs a warning; here it goes to stderr, captured to check it names the step and the element.
      const warnings: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => (typeof chunk === "string" && chunk.includes("onFailure") ? warnings.push(chunk) > 0 : write(chunk))) as typeof process.stderr.write;
      let state: string;
      try {
        state = await (await run()).waitUntilFinish();
      } finally {
        process.stderr.write = write;
      }
      assert.equal(state, "DONE");
      assert.deepEqual(seen.sort(), ["long", "longer"]);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /the onFailure callback of transform 'Fn9' threw while handling element "long": Error: the callback broke/);
    });

    it("test_partial: with partial, a failing element's outputs before the error are kept; without, none are", async () => {
      /** Beam's die_if_negative_iter: outputs each number, failing at the first negative one. */
      class DieIfNegativeIter extends DoFn<readonly number[], number> {
        process(xs: readonly number[], ctx: ProcessContext<number>): void {
          for (const x of xs) {
            if (x < 0) throw new RangeError(String(x));
            ctx.output(x);
          }
        }
      }
      const result = await runDirect((p) => {
        const input = p.apply(Create.of<readonly number[]>([-1, 1, 11], [2, -2, 22], [3, 33, -3], [4, 44]));
        assertThat(input.apply("Partial", ParDo.of(new DieIfNegativeIter()).withExceptionHandling({ partial: true, ignoreRejected: true })).main, equalTo([2, 3, 33, 4, 44]), "CheckPartial");
        assertThat(input.apply("Complete", ParDo.of(new DieIfNegativeIter()).withExceptionHandling({ partial: false, ignoreRejected: true })).main, equalTo([4, 44]), "CheckComplete");
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
    });
  });

  describe("timeoutMillis (Beam Python's timeout)", () => {
    it("test_timeout: elements not done in time are dead letters (ElementTimeoutError), the rest go on, and an abandoned call's later outputs are dropped", async () => {
      // A slow element waits until the next element starts, which happens only once it was abandoned.
      const waiting: (() => void)[] = [];
      class SlowOnS extends DoFn<string, string> {
        async process(w: string, ctx: ProcessContext<string>): Promise<void> {
          for (const release of waiting.splice(0)) release();
          if (w.startsWith("s")) {
            await new Promise<void>((resolve) => waiting.push(resolve));
            ctx.output(`late ${w}`);
            return;
          }
          ctx.output(w);
        }
      }
      const result = await runDirect((p) => {
        const out = p.apply(Create.from("records starting with lowercase S are slow".split(" "))).apply("Slow", ParDo.of(new SlowOnS()).withExceptionHandling({ timeoutMillis: 50 }));
        assertThat(out.main, equalTo(["records", "with", "lowercase", "S", "are"]), "CheckGood");
        assertThat(out.failed.map("Bad", (f) => `${f.element} ${f.reason}`), equalTo(["starting ElementTimeoutError: process did not finish within its timeout of 50 ms (withExceptionHandling({ timeoutMillis }))", "slow ElementTimeoutError: process did not finish within its timeout of 50 ms (withExceptionHandling({ timeoutMillis }))"]), "CheckBad");
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
      for (const release of waiting.splice(0)) release(); // the last slow call ends after the run: its output goes nowhere
      await Promise.resolve();
    });

    it("a synchronous process cannot be interrupted: one that overruns goes to `failed` when it returns, its outputs dropped", async () => {
      class Spin extends DoFn<number, number> {
        process(ms: number, ctx: ProcessContext<number>): void {
          ctx.output(ms);
          const until = performance.now() + ms;
          while (performance.now() < until); // the overrun under test: CPU-bound work
        }
      }
      const result = await runDirect((p) => {
        const out = p.apply(Create.of(0, 40, 1)).apply("Spin", ParDo.of(new Spin()).withExceptionHandling({ timeoutMillis: 20 }));
        assertThat(out.main, equalTo([0, 1]), "CheckGood");
        assertThat(out.failed.map("Bad", (f) => `${f.element} ${f.reason.split(":")[0]}`), equalTo(["40 ElementTimeoutError"]), "CheckBad");
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
    });

    it("with errorClass, a timeout is a dead letter only if ElementTimeoutError is one of the classes", async () => {
      class Hang extends DoFn<number, number> {
        process(): Promise<void> {
          return new Promise<void>(() => undefined);
        }
      }
      const result = await runDirect((p) => {
        p.apply(Create.of(1)).apply("Hang", ParDo.of(new Hang()).withExceptionHandling({ timeoutMillis: 10, errorClass: RangeError, ignoreRejected: true }));
      });
      await assert.rejects(result.waitUntilFinish(), /transform 'Hang' while processing element 1: ElementTimeoutError: process did not finish within its timeout of 10 ms/);
      const handled = await runDirect((p) => {
        const out = p.apply(Create.of(1)).apply("Hang", ParDo.of(new Hang()).withExceptionHandling({ timeoutMillis: 10, errorClass: [RangeError, ElementTimeoutError] }));
        assertThat(out.failed.map("Bad", (f) => f.element), equalTo([1]));
      });
      assert.equal(await handled.waitUntilFinish(), "DONE");
    });

    it("is checked when the pipeline is built: a positive number, and not for stateful DoFns", () => {
      class Counting extends StatefulDoFn<string, number, number> {
        readonly count = StateSpec.value<number>("count");
        process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
          ctx.state(this.count).write(1);
        }
      }
      for (const timeoutMillis of [0, -5, Number.NaN, Infinity]) {
        const p = Pipeline.create();
        assert.throws(
          () => p.apply(Create.of(1)).apply("T", ParDo.of(new DieIfNegative()).withExceptionHandling({ timeoutMillis })),
          (e: Error) => e instanceof PipelineConstructionError && /the timeout must be a number of milliseconds above 0/.test(e.message),
        );
      }
      const p = Pipeline.create();
      assert.throws(
        () => p.apply(Create.of(kv("a", 1))).apply("S", ParDo.of(new Counting()).withExceptionHandling({ timeoutMillis: 100 })),
        (e: Error) => e instanceof PipelineConstructionError && /cannot time out a stateful DoFn.*AbortSignal\.timeout/.test(e.message),
      );
    });
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

    it("the threshold fails the job, per window; under it the job is DONE; an error not of errorClass fails it", async () => {
      const runner = (): PortableRunner => new PortableRunner({ log: () => undefined, cancelOnInterrupt: false });
      const failed = await runner().run(thresholdProgram.create({ threshold: 0.5, windowed: true, type_errors_only: false }, portable()));
      await assert.rejects(failed.waitUntilFinish(), /2 \/ 2 = 1 > 0\.5/);
      const done = await runner().run(thresholdProgram.create({ threshold: 0.5, windowed: false, type_errors_only: false }, portable()));
      assert.equal(await done.waitUntilFinish(), "DONE");
      const unhandled = await runner().run(thresholdProgram.create({ threshold: 1, windowed: false, type_errors_only: true }, portable()));
      await assert.rejects(unhandled.waitUntilFinish(), /transform 'DieIfNegative' while processing element -[12]: RangeError: -[12]/);
    });
  });
});
