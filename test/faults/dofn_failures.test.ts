/**
 * Fault suite: a DoFn that throws on 1 element in 10,000.
 *
 * - Deterministic failure: the bundle is retried (--direct_bundle_retries), then the run fails
 *   naming the transform and the element, and leaves no output.
 * - A failure that goes away (a flaky dependency): the retried bundle succeeds, and the output
 *   holds every element exactly once (the failed attempts' writes are rolled back).
 * - With a dead-letter policy (ParDo.withExceptionHandling), the failing element goes to the
 *   `failed` output with its error and the other 9,999 complete, in batch and in streaming.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { Create, DoFn, FailedElement, ParDo, ProcessContext, WriteToText } from "../../lib";
import { TestStream } from "../../lib/testing/test_stream";
import { makeTempDir } from "../setup/emulators/helpers";
import { readShards, runDirect } from "../helpers";
import { FLAKY_BAD, FLAKY_N, flakyProgram } from "./flaky_program";

const N = 10_000;
const BAD = 7_777;
const numbers = Array.from({ length: N }, (_, i) => i);

/** Fails on BAD: always, or only its first `failures` times. Counts how often it saw BAD. */
class Picky extends DoFn<number, string> {
  constructor(private readonly state: { failures: number; sawBad: number }) {
    super();
  }
  process(n: number, ctx: ProcessContext<string>): void {
    ctx.output(`before-${n}`); // an output the element makes before it fails: must not survive a failure
    if (n === BAD) {
      this.state.sawBad++;
      if (this.state.sawBad <= this.state.failures) throw new Error(`bad element ${n}`);
    }
    ctx.output(`n${n}`);
  }
}

describe("faults: a DoFn that throws on 1 element in 10,000", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = makeTempDir("beamline-dofn-faults-")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("fails the run at once by default (Beam's DirectRunner does not retry), naming the transform and the element", async () => {
    const state = { failures: Infinity, sawBad: 0 };
    const result = await runDirect((p) => {
      p.apply(Create.from(numbers)).apply("Picky", ParDo.of(new Picky(state))).apply(WriteToText.to(path.join(dir, "out")));
    });
    await assert.rejects(result.waitUntilFinish(), (e: Error & { transformPath?: string }) => {
      assert.equal(e.name, "UserCodeError");
      assert.equal(e.transformPath, "Picky");
      assert.match(e.message, /transform 'Picky' while processing element 7777: Error: bad element 7777/);
      return true;
    });
    assert.equal(state.sawBad, 1);
    assert.deepEqual(fs.readdirSync(dir), [], "a failed run leaves no output");
  });

  it("retries the bundle --direct_bundle_retries times, then fails naming the transform and the element", async () => {
    const state = { failures: Infinity, sawBad: 0 };
    const result = await runDirect(
      (p) => {
        p.apply(Create.from(numbers)).apply("Picky", ParDo.of(new Picky(state))).apply(WriteToText.to(path.join(dir, "out")));
      },
      { directBundleRetries: 3 },
    );
    await assert.rejects(result.waitUntilFinish(), /transform 'Picky' while processing element 7777: Error: bad element 7777 \(the bundle failed on each of its 4 attempts; --direct_bundle_retries 3\)/);
    assert.equal(state.sawBad, 4, "one attempt and three retries");
    assert.equal(result.metrics.counterTotal("beamline", "bundleRetries", "Picky"), 3);
    assert.deepEqual(fs.readdirSync(dir), [], "a failed run leaves no output");
  });

  it("a failure that goes away on retry: the run completes with every element exactly once", async () => {
    const state = { failures: 2, sawBad: 0 };
    const result = await runDirect(
      (p) => {
        p.apply(Create.from(numbers)).apply("Picky", ParDo.of(new Picky(state))).apply(WriteToText.to(path.join(dir, "out")));
      },
      { directBundleRetries: 3 },
    );
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(state.sawBad, 3);
    const lines = readShards(path.join(dir, "out"));
    assert.equal(lines.length, 2 * N, "each element's two outputs once: the failed attempts' outputs were rolled back");
    assert.equal(new Set(lines).size, 2 * N);
    assert.equal(result.metrics.counterTotal("beamline", "bundleRetries", "Picky"), 2);
  });

  it("retries a failed bundle on worker threads (--direct_num_workers 2): a passing retry completes exactly once, a deterministic failure names the element", async () => {
    const markers = path.join(dir, "markers");
    fs.mkdirSync(markers);
    const result = await flakyProgram.run({ markers, failures: 1, output: path.join(dir, "out", "n") }, { directNumWorkers: 2, directBundleRetries: 2 });
    assert.equal(result.state, "DONE", result.error?.message);
    assert.equal(fs.readdirSync(markers).length, 2, "one failed attempt, one retry");
    const lines = readShards(path.join(dir, "out", "n"));
    assert.equal(lines.length, FLAKY_N);
    assert.equal(new Set(lines).size, FLAKY_N, "the failed attempt's outputs were rolled back");
    assert.equal(result.metrics.counterTotal("beamline", "bundleRetries", "Flaky"), 1);

    const always = path.join(dir, "always");
    fs.mkdirSync(always);
    const failed = await flakyProgram.run({ markers: always, failures: 99, output: path.join(dir, "out2", "n") }, { directNumWorkers: 2, directBundleRetries: 2 });
    assert.equal(failed.state, "FAILED");
    assert.match(failed.error!.message, new RegExp(`transform 'Flaky' while processing element ${FLAKY_BAD}: Error: flaky dependency failed on ${FLAKY_BAD} \\(the bundle failed on each of its 3 attempts`));
    assert.equal(fs.readdirSync(always).length, 3);
    assert.ok(!fs.existsSync(path.join(dir, "out2")) || fs.readdirSync(path.join(dir, "out2")).length === 0, "a failed run leaves no output");
  });

  it("with a dead-letter policy (withExceptionHandling) the other 9,999 complete and the failure is on `failed` with its error", async () => {
    const state = { failures: Infinity, sawBad: 0 };
    const failed: FailedElement<number>[] = [];
    const result = await runDirect((p) => {
      const out = p.apply(Create.from(numbers)).apply("Picky", ParDo.of(new Picky(state)).withExceptionHandling());
      out.main.apply(WriteToText.to(path.join(dir, "out")));
      out.failed.apply(
        "KeepFailed",
        ParDo.of((f: FailedElement<number>) => {
          failed.push(f);
        }),
      );
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    const lines = readShards(path.join(dir, "out"));
    assert.equal(lines.length, 2 * (N - 1), "the failing element's outputs, even those made before it threw, are dropped");
    assert.ok(!lines.includes(`before-${BAD}`) && !lines.includes(`n${BAD}`));
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.element, BAD);
    assert.equal(failed[0]!.reason, "Error: bad element 7777");
    assert.equal(failed[0]!.step, "Picky");
    assert.match(failed[0]!.stack ?? "", /bad element 7777\n\s+at /);
    assert.equal(result.metrics.counterTotal("beamline", "rejected", "Picky"), 1);
  });

  it("an unread `failed` output fails the run with the element's error; ignoreRejected drops it (counted)", async () => {
    const unread = await runDirect((p) => {
      p.apply(Create.from(numbers)).apply("Picky", ParDo.of(new Picky({ failures: Infinity, sawBad: 0 })).withExceptionHandling());
    });
    await assert.rejects(unread.waitUntilFinish(), (e: Error) => {
      assert.equal(e.name, "RejectedElementError");
      assert.match(e.message, /Transform 'Picky' rejected an element .*7777.*: Error: bad element 7777/);
      return true;
    });
    const ignored = await runDirect((p) => {
      p.apply(Create.from(numbers)).apply("Picky", ParDo.of(new Picky({ failures: Infinity, sawBad: 0 })).withExceptionHandling({ ignoreRejected: true }));
    });
    assert.equal(await ignored.waitUntilFinish(), "DONE");
    assert.equal(ignored.metrics.counterTotal("beamline", "rejected", "Picky"), 1);
  });

  it("works the same in a streaming run, with async process methods and tagged outputs", async () => {
    const main: string[] = [];
    const tagged: number[] = [];
    const failed: FailedElement<number>[] = [];
    class AsyncPicky extends DoFn<number, string, { odd: number }> {
      async process(n: number, ctx: ProcessContext<string, { odd: number }>): Promise<void> {
        if (n % 2 === 1) ctx.outputTo("odd", n);
        await new Promise((resolve) => setImmediate(resolve));
        if (n % 1000 === 999) throw new TypeError(`cannot handle ${n}`);
        ctx.output(`n${n}`);
      }
    }
    const result = await runDirect((p) => {
      const out = p
        .apply(
          TestStream.create<number>()
            .addElements(...numbers.slice(0, 2000).map((n) => ({ value: n, timestamp: n })))
            .advanceWatermarkToInfinity(),
        )
        .apply("AsyncPicky", ParDo.of(new AsyncPicky()).withOutputs("odd").withExceptionHandling());
      out.main.apply("KeepMain", ParDo.of((s: string) => void main.push(s)));
      out.odd.apply("KeepOdd", ParDo.of((n: number) => void tagged.push(n)));
      out.failed.apply("KeepFailed", ParDo.of((f: FailedElement<number>) => void failed.push(f)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(failed.map((f) => `${f.element} ${f.reason}`), ["999 TypeError: cannot handle 999", "1999 TypeError: cannot handle 1999"]);
    assert.equal(main.length, 1998);
    assert.equal(tagged.length, 998, "odd numbers, except the two that failed");
  });
});
