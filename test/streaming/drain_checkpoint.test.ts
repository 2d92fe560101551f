/**
 * A drain of a run that takes checkpoints (--checkpoint_dir), dying after its last
 * acknowledgements and before its checkpoints are removed.
 *
 * A drain fires every window (watermarks to infinity) and acknowledges what the sources emitted
 * since the last checkpoint. If the process dies right after those acknowledgements, the
 * checkpoint left behind is older than them: a restart would resume from its state (windows
 * holding only part of their elements) while the source never delivers the acknowledged elements
 * again, so those windows would fire again without them (a windowed file rewritten under the same
 * name with less in it). The drain must leave a checkpoint covering what it acknowledges, and a
 * restart from it must not fire the drained windows again.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Count, FixedWindows, Window } from "../../lib";
import { ReadUnbounded, type UnboundedSource } from "../../lib/io/read_unbounded";
import type { Pipeline } from "../../lib/model/pipeline";
import { isStreamingResult } from "../../lib/model/result";
import { MIN_TIMESTAMP } from "../../lib/model/window";
import { runDirect } from "../helpers";
import { collect, type Observed } from "./collect";

/** A message broker outside the job: what was acknowledged is never delivered again. */
const broker = {
  acked: new Set<string>(),
  /** Makes the run die on the acknowledgements of its drain, once they are made. */
  dieOnDrainAcks: false,
  /** Called when the last message has been processed (the test drains the run then). */
  onLast: undefined as (() => void) | undefined,
};

const FIRST = ["a0", "a1", "a2", "a3", "a4"];
const SECOND = ["a5", "a6", "a7", "a8", "a9"];

/**
 * Emits the first five messages, and the next five once a checkpoint holding the first is durable
 * (they are acknowledged): the drain that follows at once has five messages since the last
 * checkpoint to acknowledge. Only unacknowledged messages are delivered.
 */
function source(): UnboundedSource<string> {
  return {
    initialWatermark: MIN_TIMESTAMP,
    async read(ctx) {
      ctx.checkpoints!.onCheckpoint((covered) => new TextEncoder().encode(covered.join(",")));
      let firstAcked: () => void = () => undefined;
      const firstDone = new Promise<void>((resolve) => (firstAcked = resolve));
      ctx.onCommit(async (receipts) => {
        for (const r of receipts) broker.acked.add(r as string);
        if (FIRST.every((m) => broker.acked.has(m))) firstAcked();
        if (broker.dieOnDrainAcks && ctx.signal.aborted) throw new Error("the process died after acknowledging the drain's messages");
      });
      ctx.onClose(async () => undefined);
      const deliver = async (ids: readonly string[]): Promise<void> => {
        for (const id of ids) if (!broker.acked.has(id)) await ctx.emit(id, 1_000 + Number(id.slice(1)), id);
      };
      await deliver(FIRST);
      if (FIRST.every((m) => broker.acked.has(m))) await deliver(SECOND);
      else {
        await Promise.race([firstDone, new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()))]);
        if (!ctx.signal.aborted) await deliver(SECOND);
      }
      await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener("abort", () => resolve())));
    },
  };
}

function build(out: Observed<number>[]): (p: Pipeline) => void {
  return (p) => {
    const counted = p
      .apply("Read", ReadUnbounded.from(source()))
      .map("Observe", (m: string) => {
        if (m === "a9") broker.onLast?.();
        return "all";
      })
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("Count", Count.perElement<string>())
      .map("Value", (c) => c.value);
    collect(counted, out);
  };
}

describe("Streaming checkpoints: a drain that dies between its acknowledgements and removing its checkpoints", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-drain-ckpt-"));
    broker.acked.clear();
  });
  afterEach(() => {
    broker.dieOnDrainAcks = false;
    broker.onLast = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a restart neither loses what the drain acknowledged nor fires the drained windows again", async () => {
    const out: Observed<number>[] = [];
    // Checkpoints 2 s apart: the one holding the first five messages, then none before the drain.
    const options = { checkpointDir: dir, checkpointIntervalMs: 2_000 };
    broker.dieOnDrainAcks = true;
    const first = await runDirect(build(out), options);
    assert.ok(isStreamingResult(first));
    broker.onLast = () => void first.drain().catch(() => undefined);
    await assert.rejects(first.waitUntilFinish(), /died after acknowledging/);
    assert.deepEqual([...broker.acked].sort(), [...FIRST, ...SECOND], "every message acknowledged");
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value}`),
      ["0:10000 10"],
      "the drain fired the window with its ten messages",
    );

    broker.dieOnDrainAcks = false;
    broker.onLast = undefined;
    const second = await runDirect(build(out), options);
    assert.ok(isStreamingResult(second));
    assert.equal(await second.drain(), "DRAINED");
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value}`),
      ["0:10000 10"],
      "the restart fires no pane of the drained window again (one with five of its messages, before the fix)",
    );
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith(".ckpt")).length, 0, "the drained restart leaves no checkpoint behind");
  });
});
