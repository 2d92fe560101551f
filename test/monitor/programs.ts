/**
 * Pipelines the live dashboard tests watch while they run: wordcount whose lines pass a gate the
 * test opens step by step (so the job is RUNNING, and its counts change, exactly when the test
 * says), and a streaming word count over Pub/Sub.
 */
import { Combine, Combiners, Count, definePipeline, DoFn, FixedWindows, kv, ParDo, Window, type KV, type ProcessContext } from "../../lib";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";
import { extractWords, formatCount } from "../../pipelines/wordcount";

/** Lets lines through up to an allowance the test raises. */
export class LineGate {
  passed = 0;
  private allowance = 0;
  private wake: (() => void) | undefined;

  /** Closed again, nothing passed (for the next run). */
  reset(): void {
    this.passed = 0;
    this.allowance = 0;
  }

  /** Lets `n` more lines through (Infinity: all). */
  open(n: number): void {
    this.allowance += n;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async pass(): Promise<void> {
    while (this.passed >= this.allowance) await new Promise<void>((resolve) => (this.wake = resolve));
    this.passed++;
  }
}

export const gate = new LineGate();

class Gate extends DoFn<string, string> {
  async process(line: string, ctx: ProcessContext<string>): Promise<void> {
    await gate.pass();
    ctx.output(line);
  }
}

/** Wordcount's steps, with the lines passing `gate` first (in-process only: the gate lives in this thread). */
export const gatedWordcount = definePipeline({
  name: "gated-wordcount",
  description: "wordcount whose input waits for the test",
  flags: { input: { type: "string", required: true, describe: "input" }, output: { type: "string", required: true, describe: "output prefix" } },
  build(root, flags) {
    root
      .apply("Read", ReadFromText.from(flags.input))
      .apply("Gate", ParDo.of(new Gate()))
      .flatMap("Split", extractWords)
      .map("PairWithOne", (w: string) => kv(w, 1))
      .apply("GroupAndSum", Combine.perKey(Combiners.sum()))
      .map("Format", formatCount)
      .apply("Write", WriteToText.to(flags.output));
  },
});

/** Words of Pub/Sub messages counted per minute, published as `word=count`. */
export const streamingWordcount = definePipeline({
  name: "streaming-wordcount",
  description: "Pub/Sub → words → count per minute → Pub/Sub",
  flags: { subscription: { type: "string", required: true, describe: "input subscription" }, topic: { type: "string", required: true, describe: "output topic" } },
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: flags.subscription }))
      .flatMap("Split", (b: Uint8Array) => extractWords(Buffer.from(b).toString("utf8")))
      .apply("Minutes", Window.into(new FixedWindows(60_000)))
      .apply("Count", Count.perElement())
      .map("Format", (e: KV<string, number>) => `${e.key}=${e.value}`)
      .apply("Write", WriteToPubSub.to(flags.topic));
  },
});
