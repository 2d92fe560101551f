/**
 * A program for runners that split bundles (Prism asks a bundle that makes no progress between two
 * progress reports to give up half of the rest of its input, and runs the rest beside it): a slow
 * step that keeps per-bundle fields and outputs in finishBundle (as flipkart's image transfers),
 * then everything grouped under one key and counted. Every element must be counted once
 * (SPLIT_EXPECTED), however the bundles split and run.
 */
import { Create, definePipeline, DoFn, GroupByKey, kv, ParDo, Reshuffle, type BundleContext, type KV, type ProcessContext } from "../../lib";
import { GlobalWindow } from "../../lib/model/window";
import { WriteToText } from "../../lib/io/textio";

export const SPLIT_ELEMENTS = 48;
export const SPLIT_EXPECTED = [`count ${SPLIT_ELEMENTS} distinct ${SPLIT_ELEMENTS}`];

/** Waits `delayMs` per element, all of a bundle's waits at once, and outputs the bundle's elements in finishBundle. */
class SlowPerBundle extends DoFn<number, KV<string, number>> {
  private waiting: Promise<void>[] = [];
  private done: number[] = [];
  constructor(private readonly delayMs: number) {
    super();
  }
  startBundle(): void {
    this.waiting = [];
    this.done = [];
  }
  process(i: number, _ctx: ProcessContext<KV<string, number>>): void {
    this.waiting.push(new Promise<void>((resolve) => setTimeout(resolve, this.delayMs)).then(() => void this.done.push(i)));
  }
  async finishBundle(ctx: BundleContext<KV<string, number>>): Promise<void> {
    await Promise.all(this.waiting);
    for (const i of this.done) ctx.output(kv("all", i), { window: GlobalWindow.INSTANCE });
  }
}

export const splitProgram = definePipeline({
  name: "portable-test-split",
  description: "A slow asynchronous step (which runners split) before a global count",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    delay_ms: { type: "number", describe: "How long each element waits", default: 40 },
  },
  build(root, flags) {
    const delay = flags.delay_ms;
    root
      .apply("Ids", Create.from(Array.from({ length: SPLIT_ELEMENTS }, (_, i) => i)))
      .apply("Spread", Reshuffle.viaRandomKey())
      .apply("Slow", ParDo.of(new SlowPerBundle(delay)))
      .apply("Group", GroupByKey.create())
      .map("Count", (g: KV<string, number[]>) => `count ${g.value.length} distinct ${new Set(g.value).size}`)
      .apply("Write", WriteToText.to(`${flags.output}/count`, { numShards: 1 }));
  },
});
