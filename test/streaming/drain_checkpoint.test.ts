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
 * restart from it must not fire the drained windows again. Likewise when the acknowledgements
 * fail (a source reports that when it closes): the checkpoint must stay, so that the next run drops
 * the elements coming back instead of counting them again.
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
  /** Makes the drain's acknowledgements fail (the source reports it when it closes, as Pub/Sub's does). */
  failDrainAcks: false,
  /** Called once the source has delivered everything it has (the test drains the run then). */
  onDelivered: undefined as (() => void) | undefined,
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
      const cp = ctx.checkpoints!;
      cp.onCheckpoint((covered) => new TextEncoder().encode(covered.join(",")));
      // What the checkpoint resumed from covers: acknowledged when delivered again, not emitted (as Pub/Sub's source does by id).
      const covered = new Set(cp.restoredMark !== undefined ? new TextDecoder().decode(cp.restoredMark).split(",") : []);
      let firstAcked: () => void = () => undefined;
      const firstDone = new Promise<void>((resolve) => (firstAcked = resolve));
      let ackFailed = false;
      ctx.onCommit(async (receipts) => {
        if (broker.failDrainAcks && ctx.signal.aborted) {
          ackFailed = true;
          return;
        }
        for (const r of receipts) broker.acked.add(r as string);
        if (FIRST.every((m) => broker.acked.has(m))) firstAcked();
        if (broker.dieOnDrainAcks && ctx.signal.aborted) throw new Error("the process died after acknowledging the drain's messages");
      });
      ctx.onClose(async () => {
        if (ackFailed) throw new Error("acknowledging the drain's messages failed");
      });
      const deliver = async (ids: readonly string[]): Promise<void> => {
        for (const id of ids) {
          if (broker.acked.has(id)) continue;
          if (covered.has(id)) broker.acked.add(id);
          else await ctx.emit(id, 1_000 + Number(id.slice(1)), id);
        }
      };
      await deliver(FIRST);
      if (FIRST.every((m) => broker.acked.has(m))) await deliver(SECOND);
      else {
        await Promise.race([firstDone, new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()))]);
        if (!ctx.signal.aborted) await deliver(SECOND);
      }
      broker.onDelivered?.();
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

describe("Streaming checkpoints: a drain that ends between its acknowledgements and removing its checkpoints", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-drain-ckpt-"));
    broker.acked.clear();
  });
  afterEach(() => {
    broker.dieOnDrainAcks = false;
    broker.failDrainAcks = false;
    broker.onLast = undefined;
    broker.onDelivered = undefined;
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

  it("a drain whose acknowledgements fail keeps its drained checkpoint: the next run drops what the drain processed", async () => {
    const out: Observed<number>[] = [];
    const options = { checkpointDir: dir, checkpointIntervalMs: 2_000 };
    broker.failDrainAcks = true;
    const first = await runDirect(build(out), options);
    assert.ok(isStreamingResult(first));
    broker.onLast = () => void first.drain().catch(() => undefined);
    await assert.rejects(first.waitUntilFinish(), /acknowledging the drain's messages failed/);
    assert.deepEqual([...broker.acked].sort(), FIRST, "the last five were not acknowledged");
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value}`),
      ["0:10000 10"],
    );
    assert.ok(fs.readdirSync(dir).some((f) => f.endsWith(".ckpt")), "the failed drain keeps a checkpoint");

    broker.failDrainAcks = false;
    broker.onLast = undefined;
    // The broker delivers the unacknowledged five again; the run is drained once they are delivered.
    const delivered = new Promise<void>((resolve) => (broker.onDelivered = resolve));
    const second = await runDirect(build(out), options);
    assert.ok(isStreamingResult(second));
    await delivered;
    assert.equal(await second.drain(), "DRAINED");
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value}`),
      ["0:10000 10"],
      "the redelivered five are not counted again (before the fix: a second pane with them)",
    );
    assert.deepEqual([...broker.acked].sort(), [...FIRST, ...SECOND], "the redelivered five acknowledged");
  });
});
