import { MetricsContainer } from "../../lib/model/metrics";
import { strict as assert } from "node:assert";
import { ByteReader, ByteWriter } from "../../lib/coders/index";
import type { Coder } from "../../lib/coders/coder";
import { UserCodeError } from "../../lib/model/errors";
import { ProcessContinuation, type RestrictionTracker, type SplitResult, type SplittableFn, type SplittableFnContext } from "../../lib/model/splittable";
import { type ElementMeta, GLOBAL_WINDOWS, kv, NO_FIRING } from "../../lib/model/window";
import type { Receiver } from "../../runners/executor/receiver";
import { type SplittableHost, type SplittablePhase, splittableOperator, type SplittableResidual } from "../../runners/executor/splittable_operator";

/** [from, to) */
type Range = readonly [number, number];

class RangeCoder implements Coder<Range> {
  readonly urn = "test:range";
  readonly components = [];
  readonly deterministic = true;
  encode(v: Range, w: ByteWriter): void {
    w.writeVarInt(v[0]);
    w.writeVarInt(v[1]);
  }
  decode(r: ByteReader): Range {
    return [r.readVarInt(), r.readVarInt()];
  }
}

/** Beam's OffsetRangeTracker, what these tests need of it. */
class OffsetTracker implements RestrictionTracker<Range, number> {
  private claimed: number;
  constructor(private range: Range) {
    this.claimed = range[0] - 1;
  }
  currentRestriction(): Range {
    return this.range;
  }
  tryClaim(position: number): boolean {
    if (position >= this.range[1]) return false;
    this.claimed = position;
    return true;
  }
  trySplit(fraction: number): SplitResult<Range> | undefined {
    const at = this.claimed + 1 + Math.floor((this.range[1] - this.claimed - 1) * fraction);
    if (at >= this.range[1]) return undefined;
    const split = { primary: [this.range[0], at] as Range, residual: [at, this.range[1]] as Range };
    this.range = split.primary;
    return split;
  }
  isBounded(): boolean {
    return true;
  }
}

/** Outputs `element`'s name with each position of its range, `perCall` positions per call, then checkpoints. */
function countingSdf(perCall: number, opts: { failAt?: number } = {}): SplittableFn<string, Range, string> {
  return {
    restrictionCoder: new RangeCoder(),
    requestsFinalization: true,
    initialRestriction: (element) => [0, element.length],
    splitRestriction: (_, [from, to]) => (to - from > 1 ? [[from, from + Math.floor((to - from) / 2)], [from + Math.floor((to - from) / 2), to]] : [[from, to]]),
    restrictionSize: (_, [from, to]) => to - from,
    truncateRestriction: (_, [from]) => (from === 0 ? ([0, 1] as Range) : undefined),
    newTracker: (r) => new OffsetTracker(r),
    async process(element: string, tracker: RestrictionTracker<Range>, ctx: SplittableFnContext<string>): Promise<ProcessContinuation> {
      const [from] = tracker.currentRestriction();
      for (let i = from; i < from + perCall; i++) {
        if (!tracker.tryClaim(i)) return ProcessContinuation.stop();
        if (i === opts.failAt) throw new Error(`no position ${i}`);
        await ctx.output(`${element}${i}`, 1000 + i);
        ctx.updateWatermark(1000 + i);
      }
      ctx.afterBundleCommit(async () => undefined);
      return ProcessContinuation.resume().withResumeDelay(50);
    },
  } as SplittableFn<string, Range, string>;
}

const meta: ElementMeta = { timestamp: 7, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
const runtime = { options: {} as never, runId: "r", transformName: "Sdf", reportOutputs: () => undefined };

function phase(p: SplittablePhase, fn: SplittableFn<string, Range, string>) {
  const out: [unknown, ElementMeta][] = [];
  const residuals: SplittableResidual[] = [];
  let finalizers = 0;
  const next: Receiver = { receive: (v, m) => void out.push([v, m]) };
  const host: SplittableHost = { residual: (r) => void residuals.push(r), afterBundleCommit: () => void finalizers++ };
  const op = splittableOperator("Sdf", p, fn as never, next, runtime, new MetricsContainer("Sdf"), host);
  return { op, out, residuals, finalizers: () => finalizers };
}

describe("Splittable DoFn operators (the phases runners ask an SDK to run)", () => {
  it("pair with restriction, then split and size: each part with its size, in the element's windows", async () => {
    const pair = phase("pair", countingSdf(1));
    await pair.op.receive("abcd", meta);
    assert.deepEqual(pair.out, [[kv("abcd", [0, 4]), meta]]);
    const split = phase("split_and_size", countingSdf(1));
    await split.op.receive(pair.out[0]![0], meta);
    assert.deepEqual(split.out.map(([v]) => v), [kv(kv("abcd", [0, 2]), 2), kv(kv("abcd", [2, 4]), 2)]);
  });

  it("process: outputs at their timestamps, checkpoints the rest of the range as a residual with the watermark and delay; stops when done", async () => {
    const p = phase("process", countingSdf(2));
    await p.op.receive(kv(kv("ab", [0, 5]), 5), meta);
    assert.deepEqual(p.out.map(([v, m]) => [v, m.timestamp]), [["ab0", 1000], ["ab1", 1001]]);
    assert.equal(p.residuals.length, 1);
    const r = p.residuals[0]!;
    assert.deepEqual(r.element.value, kv(kv("ab", [2, 5]), 3), "the unclaimed rest, sized");
    assert.equal(r.element.timestamp, meta.timestamp);
    assert.equal(r.element.windows, meta.windows);
    assert.equal(r.outputWatermark, 1001);
    assert.equal(r.delayMs, 50);
    assert.equal(p.finalizers(), 1);

    // The last part: the tracker refuses position 5, processing stops, no residual.
    const last = phase("process", countingSdf(2));
    await last.op.receive(kv(kv("ab", [4, 5]), 1), meta);
    assert.deepEqual(last.out.map(([v]) => v), ["ab4"]);
    assert.equal(last.residuals.length, 0);
  });

  it("truncate (drain): the finite part, or nothing", async () => {
    const t = phase("truncate", countingSdf(1));
    await t.op.receive(kv(kv("ab", [0, 9]), 9), meta);
    await t.op.receive(kv(kv("ab", [3, 9]), 6), meta);
    assert.deepEqual(t.out.map(([v]) => v), [kv(kv("ab", [0, 1]), 1)]);
  });

  it("an error in process names the transform", async () => {
    const p = phase("process", countingSdf(3, { failAt: 1 }));
    await assert.rejects(Promise.resolve(p.op.receive(kv(kv("ab", [0, 5]), 5), meta)), (e: Error) => e instanceof UserCodeError && /Sdf/.test(e.message) && /no position 1/.test(e.message));
  });

  it("the process phase needs a host to take its residuals", () => {
    assert.throws(() => splittableOperator("Sdf", "process", countingSdf(1) as never, { receive: () => undefined }, runtime, new MetricsContainer("Sdf"), undefined), /Sdf.*residuals/);
  });
});
