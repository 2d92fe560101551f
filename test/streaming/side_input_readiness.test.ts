/**
 * When a side-input window is ready for the main input (Beam Java's DirectRunner): once it has a
 * fired pane, or once its watermark has passed where the side input's trigger is sure to have
 * fired (Trigger.getWatermarkThatGuaranteesFiring): a window's end for the default trigger, never
 * before the end of the input for a trigger of counts. Until then an empty side-input window may
 * still fill (late data within the allowed lateness), so main-input elements wait for it.
 */
import { strict as assert } from "node:assert";
import { AfterCount, AfterEach, AfterFirst, AfterProcessingTime, AfterWatermark, AsIterable, DefaultTrigger, FixedWindows, Never, OrFinally, ParDo, Repeatedly, TestStream, Window, type Trigger } from "../../lib";
import type { ProcessContext } from "../../lib/model/dofn";
import { watermarkThatGuaranteesFiring } from "../../lib/model/triggers";
import { runDirect } from "../helpers";

type Event = { readonly side: boolean; readonly value: number };

/** Main x@3 at watermark 0; the watermark passes the window [0, 10); then a late side value 7@5 (lateness 60 s). */
async function mainSees(sideTrigger: Trigger): Promise<string[]> {
  const seen: string[] = [];
  const stream = TestStream.create<Event>()
    .advanceWatermarkTo(0)
    .addElements({ value: { side: false, value: 3 }, timestamp: 3 })
    .advanceWatermarkTo(20)
    .addElements({ value: { side: true, value: 7 }, timestamp: 5 })
    .advanceWatermarkToInfinity();
  const result = await runDirect(
    (p) => {
      const events = p.apply(stream);
      const side = events
        .flatMap("Side", (e: Event) => (e.side ? [e.value] : []))
        .apply("WindowSide", Window.into<number>(new FixedWindows(10), { trigger: sideTrigger, allowedLatenessMillis: 60_000 }));
      events
        .flatMap("Main", (e: Event) => (e.side ? [] : [e.value]))
        .apply("WindowMain", Window.into<number>(new FixedWindows(10), { allowedLatenessMillis: 60_000 }))
        .apply(
          "Read",
          ParDo.into<string>().of(
            (v: number, ctx: ProcessContext<string, {}, { side: readonly number[] }>) => {
              seen.push(`${v} saw [${ctx.sideInputs.side.join(",")}]`);
            },
            { sideInputs: { side: AsIterable(side) } },
          ),
        );
    },
    { allowUnsafeTriggers: true },
  );
  assert.equal(await result.waitUntilFinish(), "DONE");
  return seen;
}

describe("Streaming DirectRunner: when a triggered side input is ready", () => {
  it("a count-triggered side input: the main element waits for its first pane, past the window's end (sees the late 7)", async () => {
    assert.deepEqual(await mainSees(Repeatedly(AfterCount(1))), ["3 saw [7]"]);
  });

  it("the default trigger: ready once the watermark passes the window's end (the late 7 comes after the read)", async () => {
    assert.deepEqual(await mainSees(DefaultTrigger()), ["3 saw []"]);
  });

  it("the watermark that guarantees a firing, per trigger (Beam Java's getWatermarkThatGuaranteesFiring)", () => {
    const end = 9;
    assert.equal(watermarkThatGuaranteesFiring(undefined, end), end);
    assert.equal(watermarkThatGuaranteesFiring(DefaultTrigger(), end), end);
    assert.equal(watermarkThatGuaranteesFiring(AfterWatermark({ early: AfterCount(1) }), end), end);
    assert.equal(watermarkThatGuaranteesFiring(AfterCount(2), end), undefined);
    assert.equal(watermarkThatGuaranteesFiring(AfterProcessingTime(1000), end), undefined);
    assert.equal(watermarkThatGuaranteesFiring(Never(), end), undefined);
    assert.equal(watermarkThatGuaranteesFiring(Repeatedly(AfterWatermark()), end), end);
    assert.equal(watermarkThatGuaranteesFiring(AfterFirst(AfterCount(5), AfterWatermark()), end), end);
    assert.equal(watermarkThatGuaranteesFiring(AfterEach(AfterCount(5), AfterWatermark()), end), undefined, "AfterEach: its first trigger's");
    assert.equal(watermarkThatGuaranteesFiring(OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()), end), end);
  });
});
