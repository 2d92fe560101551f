import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { AfterProcessingTime, AfterWatermark, DoFn, GlobalWindows, GroupByKey, kv, KV, ParDo, ProcessContext, Repeatedly, Window } from "../../lib";
import { ReadUnbounded } from "../../lib/io/read_unbounded";
import { isStreamingResult, StreamingPipelineResult } from "../../runners/streaming";
import { BUNDLE_SIZE } from "../../runners/streaming/driver";
import { SOURCE_QUEUE_LIMIT } from "../../runners/streaming/sources";
import { runDirect } from "../helpers";

/** Resolves when a condition holds (checked now and whenever `notify` is called): no sleeps. */
function waiter(): { notify: () => void; until: (cond: () => boolean) => Promise<void> } {
  let check: (() => void) | undefined;
  return {
    notify: () => check?.(),
    until: (cond) =>
      new Promise<void>((resolve) => {
        check = () => {
          if (cond()) {
            check = undefined;
            resolve();
          }
        };
        check();
      }),
  };
}

async function start(build: Parameters<typeof runDirect>[0]): Promise<StreamingPipelineResult> {
  const result = await runDirect(build, {}, { checkEveryElement: false });
  assert.ok(isStreamingResult(result));
  return result;
}

describe("Streaming DirectRunner: running until stopped", () => {
  it("drain() stops reading, fires what is pending and loses nothing", async () => {
    let emitted = 0;
    const grouped: number[][] = [];
    const progress = waiter();
    const result = await start((p) => {
      p.apply(
        ReadUnbounded.from<number>({
          async read(ctx) {
            while (!ctx.signal.aborted) {
              await ctx.emit(++emitted, 1_000);
              progress.notify();
              await new Promise((r) => setImmediate(r));
            }
          },
        }),
      )
        .map("Key", (x: number) => kv("k", x))
        // Fires the global window's on-time pane when the drain ends it (an unbounded input needs a trigger to be grouped).
        .apply(Window.into(new GlobalWindows(), { trigger: AfterWatermark() }))
        .apply(GroupByKey.create())
        .apply("Record", ParDo.of((g: KV<string, number[]>) => void grouped.push([...g.value])));
    });
    assert.equal(result.state, "RUNNING");
    await progress.until(() => emitted >= 200);
    assert.ok((result.elementCounts().get("ReadUnbounded/Read.main") ?? 0) > 0, "elements flow while running");
    assert.equal(await result.drain(), "DRAINED");
    assert.equal(grouped.length, 1, "one on-time pane for the global window at drain");
    assert.equal(grouped[0]!.length, emitted);
    assert.deepEqual([...grouped[0]!].sort((a, b) => a - b), Array.from({ length: emitted }, (_, i) => i + 1));
    assert.equal(result.watermarks().get("GroupByKey.main"), 9223372036854775);
  });

  it("fires processing-time triggers on the wall clock while the source is idle", async () => {
    const panes: string[] = [];
    const fired = waiter();
    const result = await start((p) => {
      p.apply(
        ReadUnbounded.from<number>({
          async read(ctx) {
            for (const x of [1, 2, 3]) await ctx.emit(x, 0);
            // Then idle until drained.
            await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          },
        }),
      )
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterProcessingTime(20)) }))
        .map("Key", (x: number) => kv("k", x))
        .apply(GroupByKey.create())
        .apply(
          "Record",
          ParDo.of((g: KV<string, number[]>, ctx: ProcessContext<never>) => {
            panes.push(`${[...g.value].sort().join(",")} ${ctx.pane.timing}`);
            fired.notify();
          }),
        );
    });
    await fired.until(() => panes.length >= 1);
    assert.equal(await result.drain(), "DRAINED");
    // The drain ends the global window: an empty on-time pane closes it (on-time behaviour FIRE_ALWAYS).
    assert.deepEqual(panes, ["1,2,3 EARLY", " ON_TIME"]);
  });

  it("cancel() stops without firing pending windows", async () => {
    let emitted = 0;
    let fired = 0;
    const progress = waiter();
    const result = await start((p) => {
      p.apply(
        ReadUnbounded.from<number>({
          async read(ctx) {
            while (!ctx.signal.aborted) {
              await ctx.emit(++emitted, 0);
              progress.notify();
              await new Promise((r) => setImmediate(r));
            }
          },
        }),
      )
        .map("Key", (x: number) => kv("k", x))
        .apply(Window.into(new GlobalWindows(), { trigger: AfterWatermark() }))
        .apply(GroupByKey.create())
        .apply("Record", ParDo.of(() => void fired++));
    });
    await progress.until(() => emitted >= 20);
    await result.cancel();
    assert.equal(result.state, "CANCELLED");
    assert.equal(fired, 0);
  });

  /**
   * Runs a source of `total` elements, handed over `batch` at a time (1: emit() per element),
   * into a slow async sink until it ends; returns the largest backlog (emitted, not processed).
   */
  async function backlogBeforeSlowSink(total: number, batch: number): Promise<number> {
    let emitted = 0;
    let processed = 0;
    let maxBacklog = 0;
    class SlowSink extends DoFn<number, never> {
      async process(): Promise<void> {
        processed++;
        await new Promise((r) => setImmediate(r));
      }
    }
    const result = await start((p) => {
      p.apply(
        ReadUnbounded.from<number>({
          async read(ctx) {
            for (let i = 0; i < total && !ctx.signal.aborted; i += batch) {
              const values = Array.from({ length: Math.min(batch, total - i) }, (_, j) => i + j);
              emitted += values.length;
              maxBacklog = Math.max(maxBacklog, emitted - processed);
              if (batch === 1) await ctx.emit(i, 0);
              else await ctx.emitAll(values, 0);
            }
          },
        }),
      ).apply("Slow", ParDo.of(new SlowSink()));
    });
    assert.equal(await result.waitUntilFinish(), "DONE", "a source that ends finishes the run");
    assert.equal(processed, total);
    return maxBacklog;
  }

  it("applies backpressure: a fast source waits for a slow async sink", async () => {
    const maxBacklog = await backlogBeforeSlowSink(3 * SOURCE_QUEUE_LIMIT, 1);
    // At most a full queue plus the bundle being processed.
    assert.ok(maxBacklog <= SOURCE_QUEUE_LIMIT + BUNDLE_SIZE, `backlog ${maxBacklog} stays within the queue limit and one bundle`);
  });

  it("applies backpressure per batch: a source handing over large batches (emitAll) waits for a slow sink", async () => {
    const batch = 1_500;
    const maxBacklog = await backlogBeforeSlowSink(8 * batch, batch);
    // At most a full queue, the batch that filled it, and the bundle being processed.
    assert.ok(maxBacklog <= SOURCE_QUEUE_LIMIT + batch + BUNDLE_SIZE, `backlog ${maxBacklog} stays within the queue limit, a batch and one bundle`);
  });

  it("a real process drains on SIGINT and exits 0 with every element accounted for", async function () {
    this.timeout(30_000);
    const script = path.join(__dirname, "fixtures", "drain_program.js");
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let signalled = false;
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!signalled && /EMITTED 100\n/.test(stdout)) {
        signalled = true;
        child.kill("SIGINT");
      }
    });
    const code = await exit;
    assert.equal(code, 0, stdout);
    const m = /RESULT (\w+) emitted=(\d+) summed=(\d+) count=(\d+) n=(\d+)/.exec(stdout);
    assert.ok(m, stdout);
    assert.equal(m[1], "DRAINED");
    assert.equal(m[3], m[2], "the sum reaching the sink equals the sum emitted");
    assert.equal(m[4], m[5], "every emitted element was counted");
  });
});
