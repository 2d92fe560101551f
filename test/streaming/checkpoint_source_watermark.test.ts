/**
 * A checkpoint must not carry a source's watermark past the elements it does not hold.
 *
 * Elements a real-time source has queued but the runner has not yet taken are not in a
 * checkpoint: after a restart the source emits them again (Pub/Sub redelivers what was not
 * acknowledged). While they were queued the queue held the watermark for them, and the source
 * may already have reported a watermark past them (the Pub/Sub source reports once messages are
 * handed over). If the checkpoint saves that report as the source's watermark, the resumed run
 * starts there and the elements, when they come back, are late and dropped.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Count, DoFn, FixedWindows, ParDo, Window } from "../../lib";
import { ReadUnbounded, type UnboundedSource } from "../../lib/io/read_unbounded";
import type { ProcessContext } from "../../lib/model/dofn";
import type { Pipeline } from "../../lib/model/pipeline";
import { MIN_TIMESTAMP } from "../../lib/model/window";
import { runDirect } from "../helpers";
import { collect, type Observed } from "./collect";

/** Coordination between the source and the step after it (same process, module state). */
const run = {
  /** Resolved by the step when it processes "a" (first run). */
  aSeen: undefined as (() => void) | undefined,
  /** Resolved by the source once "b" is queued and the watermark reported past it (first run). */
  bQueued: undefined as Promise<void> | undefined,
};

/**
 * First run: emits "a" (t=1000); while "a" is being processed, queues "b" (t=2000) and reports the
 * watermark at 10000 (as a source does once it has handed its elements over). The run then fails
 * on "b" after a checkpoint was taken with "b" still queued. Resumed run: emits "p" (t=20000),
 * and once "p" is committed (a checkpoint after a full bundle and watermark pass is durable)
 * emits "b" again, as Pub/Sub would redeliver it after the dead run's lease lapsed.
 */
function source(): UnboundedSource<string> {
  return {
    initialWatermark: MIN_TIMESTAMP,
    async read(ctx) {
      const cp = ctx.checkpoints!;
      cp.onCheckpoint((covered) => new TextEncoder().encode(covered.join(",")));
      let committed: (receipts: readonly unknown[]) => void = () => undefined;
      ctx.onCommit(async (receipts) => committed(receipts));
      ctx.onClose(async () => undefined);
      if (cp.restoredMark === undefined) {
        const seen = new Promise<void>((resolve) => (run.aSeen = resolve));
        let queued!: () => void;
        run.bQueued = new Promise<void>((resolve) => (queued = resolve));
        await ctx.emit("a", 1_000, "a");
        await seen;
        await ctx.emit("b", 2_000, "b");
        ctx.advanceWatermark(10_000);
        queued();
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        return;
      }
      const pCommitted = new Promise<void>((resolve) => (committed = (r) => r.includes("p") && resolve()));
      await ctx.emit("p", 20_000, "p");
      await pCommitted;
      await ctx.emit("b", 2_000, "b");
    },
  };
}

/** Waits, on "a", until "b" is queued behind it; fails the run on "b" in the first run. */
class Step extends DoFn<string, string> {
  constructor(private readonly failOnB: boolean) {
    super();
  }
  async process(e: string, ctx: ProcessContext<string>): Promise<void> {
    if (e === "a") {
      run.aSeen?.();
      await run.bQueued;
    }
    if (e === "b" && this.failOnB) throw new Error("crash at b");
    ctx.output(e);
  }
}

describe("Streaming checkpoints: a source's watermark in a checkpoint", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-ckpt-wm-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("does not pass elements the source had queued but the checkpoint does not hold: they are on time after a restart", async () => {
    const out: Observed<string>[] = [];
    const build = (failOnB: boolean) => (p: Pipeline) => {
      const counted = p
        .apply("Events", ReadUnbounded.from(source()))
        .apply("Step", ParDo.of(new Step(failOnB)))
        .apply("Window", Window.into(new FixedWindows(5_000)))
        .apply("Count", Count.perElement<string>())
        .map("Show", (e) => `${e.key}=${e.value}`);
      collect(counted, out);
    };
    const first = await runDirect(build(true), { checkpointDir: dir, checkpointIntervalMs: 0 });
    await assert.rejects(first.waitUntilFinish(), /crash at b/);
    assert.equal(out.length, 0, "nothing fired before the failure");

    const second = await runDirect(build(false), { checkpointDir: dir, checkpointIntervalMs: 0 });
    assert.equal(await second.waitUntilFinish(), "DONE");
    const late = second.metrics.counterTotal("beamline", "droppedDueToLateness", "Count");
    assert.equal(late, 0, "no element dropped as late");
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value}`).sort(),
      ["0:5000 a=1", "0:5000 b=1", "20000:25000 p=1"],
      "a (restored from the checkpoint) and b (emitted again) are counted in their window",
    );
  });
});
