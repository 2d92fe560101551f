/**
 * assertThat on a triggered collection in the global window sees every pane the collection holds,
 * as Beam's PAssert (which regroups the input with a Never trigger, gathering all panes): here the
 * two count-triggered panes and the empty on-time pane the window emits when the watermark passes
 * its end (onTimeBehavior FIRE_ALWAYS), which a Combine turns into 0.
 */
import { strict as assert } from "node:assert";
import { AfterCount, Combine, Combiners, GlobalWindows, Repeatedly, Window } from "../../lib";
import { TestStream } from "../../lib/testing/test_stream";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect } from "../helpers";

describe("assertThat on a triggered global window", () => {
  it("sees every pane, the last one (at the end of time) included", async () => {
    const r = await runDirect((p) => {
      const sums = p
        .apply(TestStream.create<number>().addElements({ value: 10, timestamp: 0 }, { value: 20, timestamp: 0 }).addElements({ value: 5, timestamp: 0 }).addElements({ value: 1, timestamp: 0 }).advanceWatermarkToInfinity())
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(2)) }))
        .apply(Combine.globally(Combiners.sum()));
      assertThat(sums, equalTo([30, 6, 0]));
    });
    await r.waitUntilFinish().catch(() => undefined);
    assert.equal(r.state, "DONE", r.error?.message);
  });
});
