/**
 * The in-memory timers of the streaming driver keep a timer family's tags apart across a
 * checkpoint: snapshot and restore carry each (key, window, family, tag), and timers of plain
 * TimerSpecs are written as before timer families existed (by name), so older checkpoints read
 * the same.
 */
import { strict as assert } from "node:assert";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { IntervalWindowCoder } from "../../lib/coders/windowed";
import { TimerSpec } from "../../lib/model/state";
import { IntervalWindow, type BoundedWindow } from "../../lib/model/window";
import type { Coder } from "../../lib/coders/coder";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { InMemoryStateAndTimers, type DueTimer } from "../../runners/executor/in_memory_state";

describe("streaming: timer families in checkpoints (in-memory timers)", () => {
  const windowCoder = IntervalWindowCoder.INSTANCE as unknown as Coder<BoundedWindow>;
  const window = new IntervalWindow(0, 100);
  const family = TimerSpec.eventTimeFamily("perId");
  const plain = TimerSpec.eventTime("flush");
  const set = (s: InMemoryStateAndTimers, key: string, spec: typeof family | typeof plain, tag: string, fireAt: number) =>
    s.setTimer(s.keyId(key), key, window, spec, tag, { domain: "EVENT_TIME", fireAt, outputTimestamp: fireAt });
  const fireAll = async (s: InMemoryStateAndTimers): Promise<string[]> => {
    const fired: string[] = [];
    await s.advance({ inputWatermark: 1_000, processingTime: 0 }, (t: DueTimer) => void fired.push(`${String(t.key)} ${t.name}/${t.tag}@${t.fireAt}`));
    return fired;
  };

  it("restores every tag of a family as its own timer, beside a plain timer and the empty tag", async () => {
    const before = new InMemoryStateAndTimers(deterministicKeyCoder(), 0, windowCoder);
    set(before, "a", family, "x", 10);
    set(before, "a", family, "y", 20);
    set(before, "a", family, "", 25);
    set(before, "a", family, "with \u0000 and \"quotes\"", 30);
    set(before, "b", family, "x", 40);
    set(before, "a", plain, "", 50);
    before.deleteTimer(before.keyId("a"), "a", window, family, "y");
    const w = new ByteWriter();
    before.snapshot(w);
    const after = new InMemoryStateAndTimers(deterministicKeyCoder(), 0, windowCoder);
    after.restore(new ByteReader(w.finish()));
    const expected = ["a perId/@25", "a perId/with \u0000 and \"quotes\"@30", "a perId/x@10", "a flush/@50", "b perId/x@40"];
    assert.deepEqual((await fireAll(after)).sort(), [...expected].sort());
    assert.deepEqual((await fireAll(before)).sort(), [...expected].sort(), "the same timers fire without the checkpoint");
  });

  it("writes a plain timer by its name alone, as checkpoints before timer families did", () => {
    const s = new InMemoryStateAndTimers(deterministicKeyCoder(), 0, windowCoder);
    set(s, "a", plain, "", 50);
    const w = new ByteWriter();
    s.snapshot(w);
    const bytes = Buffer.from(w.finish());
    assert.ok(bytes.includes(Buffer.from("\u0005flush\u0000")), "the name, length-prefixed, then the domain byte (0: event time)");
  });
});
