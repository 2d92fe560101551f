/**
 * A DoFn's output timestamps (Beam Java's SimpleDoFnRunner.checkTimestamp): an output may not be
 * earlier than its input's timestamp minus the DoFn's allowed skew (default 0), since an earlier
 * output may be behind the watermark the input was held to and silently become late data.
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, ParDo, ProcessContext } from "../../lib";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect } from "../helpers";

class Shift extends DoFn<number, number> {
  constructor(
    private readonly byMillis: number,
    skewMillis?: number,
  ) {
    super();
    if (skewMillis !== undefined) this.allowedTimestampSkewMillis = skewMillis;
  }
  process(x: number, ctx: ProcessContext<number>): void {
    ctx.outputWithTimestamp(x, ctx.timestamp + this.byMillis);
  }
}

async function shiftRun(byMillis: number, skewMillis?: number) {
  const seen: number[] = [];
  const result = await runDirect((p) => {
    const shifted = p.apply(Create.timestamped([{ value: 1, timestamp: 5_000 }])).apply("Shift", ParDo.of(new Shift(byMillis, skewMillis)));
    shifted.apply("Stamps", ParDo.into<number>().of((_x: number, ctx: ProcessContext<number>) => void seen.push(ctx.timestamp)));
  });
  await result.waitUntilFinish().catch(() => undefined);
  return { result, seen };
}

describe("DirectRunner: DoFn output timestamps", () => {
  it("fails a DoFn that outputs earlier than its input, naming the transform and the allowed skew", async () => {
    const { result } = await shiftRun(-1);
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Shift/);
    assert.match(result.error!.message, /timestamp 4999 .*earlier than .*input's timestamp 5000.* allowed skew \(0 ms\)/);
    assert.match(result.error!.message, /allowedTimestampSkewMillis/);
  });

  it("allows outputs back to the DoFn's allowed skew, and refuses one millisecond more", async () => {
    const ok = await shiftRun(-1_000, 1_000);
    assert.equal(ok.result.state, "DONE", ok.result.error?.message);
    assert.deepEqual(ok.seen, [4_000]);
    const tooEarly = await shiftRun(-1_001, 1_000);
    assert.equal(tooEarly.result.state, "FAILED");
    assert.match(tooEarly.result.error!.message, /allowed skew \(1000 ms\)/);
  });

  it("allows outputs at or after the input's timestamp", async () => {
    const { result, seen } = await shiftRun(2_500);
    assert.equal(result.state, "DONE", result.error?.message);
    assert.deepEqual(seen, [7_500]);
  });

  it("Create.timestamped still places elements before and after each other (its impulse is at the minimum timestamp)", async () => {
    const result = await runDirect((p) => {
      assertThat(p.apply(Create.timestamped([{ value: "late", timestamp: 9_000 }, { value: "early", timestamp: -5_000 }])), equalTo(["late", "early"]));
    });
    await result.waitUntilFinish();
    assert.equal(result.state, "DONE");
  });
});
