/**
 * The steps of a portable runner's Reshuffle and lifted Combine (what the Fn API worker runs)
 * hand several outputs on in one synchronous loop: an element in several windows, a grouped
 * element's values, a bundle's accumulators. When a later output fails synchronously downstream,
 * the step must fail only after the async work its earlier outputs started has ended: the worker
 * tears its bundle processor down as soon as the bundle fails, and Beam makes teardown an
 * instance's last call (test/direct/failure_after_outputs.test.ts shows the same on the
 * DirectRunner's drivers; PendingWork.failAfter is the mechanism).
 */
import { strict as assert } from "node:assert";
import { IntervalWindow, kv } from "../../lib";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { MetricsContainer } from "../../lib/model/metrics";
import { type ElementMeta, GLOBAL_WINDOWS, NO_FIRING, type WindowedValue } from "../../lib/model/window";
import { PrecombineStep } from "../../runners/executor/combine_phases";
import type { MaybePromise, Receiver } from "../../runners/executor/receiver";
import { ReifyMetadataOperator, RestoreMetadataOperator } from "../../runners/executor/reshuffle_ops";

const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** A consumer whose first call is async work (done after two turns) and whose second call throws. */
function asyncThenThrow(): { receiver: Receiver; log: string[] } {
  const log: string[] = [];
  let calls = 0;
  const receiver: Receiver = {
    receive: (): MaybePromise => {
      if (++calls === 2) throw new Error("second output failed");
      log.push("started");
      return tick()
        .then(tick)
        .then(() => void log.push("done"));
    },
  };
  return { receiver, log };
}

/**
 * `call` fails (synchronously or not) with the second output's error, and only after the first
 * output's work is done.
 */
async function expectFailureAfterFirst(call: () => MaybePromise, log: string[]): Promise<void> {
  let result: MaybePromise;
  try {
    result = call();
  } catch (e) {
    assert.fail(`failed at once, while the first output's work still ran (${log.join(", ")}): ${(e as Error).message}`);
  }
  assert.ok(result instanceof Promise, "a promise of the failure");
  await assert.rejects(result, /second output failed/);
  assert.deepEqual(log, ["started", "done"]);
}

describe("A worker step failing after its earlier outputs started async work downstream", () => {
  const meta: ElementMeta = { timestamp: 5, windows: [new IntervalWindow(0, 10), new IntervalWindow(5, 15)], pane: NO_FIRING };

  it("Reshuffle's reify step, an element in two windows", async () => {
    const { receiver, log } = asyncThenThrow();
    const op = new ReifyMetadataOperator("Reshuffle/Reify", receiver);
    await expectFailureAfterFirst(() => op.receive(kv("k", 1), meta), log);
  });

  it("Reshuffle's restore step, a grouped element of two values", async () => {
    const { receiver, log } = asyncThenThrow();
    const op = new RestoreMetadataOperator("Reshuffle/Restore", receiver);
    const values: WindowedValue<number>[] = [1, 2].map((v) => ({ value: v, timestamp: 5, windows: GLOBAL_WINDOWS, pane: NO_FIRING }));
    await expectFailureAfterFirst(() => op.receive(kv("k", values)), log);
  });

  it("a lifted Combine's precombine, the accumulators of two keys at the end of the bundle", async () => {
    const { receiver, log } = asyncThenThrow();
    const sum: CombineFnLike = {
      createAccumulator: () => 0,
      addInput: (a, x) => (a as number) + (x as number),
      mergeAccumulators: (accs) => [...accs].reduce((a: number, b) => a + (b as number), 0),
      extractOutput: (a) => a,
    };
    const op = new PrecombineStep("Sum/Precombine", sum, new StringUtf8Coder() as never, receiver, new MetricsContainer("Sum/Precombine"));
    op.startBundle();
    const global: ElementMeta = { timestamp: 0, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
    assert.equal(op.receive(kv("a", 1), global), undefined);
    assert.equal(op.receive(kv("b", 2), global), undefined);
    await expectFailureAfterFirst(() => op.finishBundle(), log);
  });
});
