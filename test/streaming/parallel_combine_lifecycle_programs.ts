/** A Combine.perKey whose CombineFn has setup/teardown, for the parallel streaming lifecycle test (worker threads rebuild it from this module). */
import { BroadcastChannel, threadId } from "node:worker_threads";
import { Combine, type CombineFn, definePipeline, FixedWindows, kv, type KV, ParDo, type ProcessContext, Window } from "../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";

/** Where each instance of the fn says "setup <thread> <n>" / "teardown <thread> <n>". */
export const LIFECYCLE_CHANNEL = "beamline-test-parallel-combine-lifecycle";

let channel: BroadcastChannel | undefined;
let instances = 0;

function say(what: string): void {
  if (channel === undefined) {
    channel = new BroadcastChannel(LIFECYCLE_CHANNEL);
    (channel as unknown as { unref(): void }).unref();
  }
  channel.postMessage(what);
}

/** A sum that reports its setup and teardown, and refuses calls outside them (Beam Python's CallSequenceEnforcingCombineFn). */
class ReportingSum implements CombineFn<number, number, number> {
  private id = 0;
  private live = false;
  setup(): void {
    this.id = ++instances;
    this.live = true;
    say(`setup ${threadId} ${this.id}`);
  }
  private inUse(): void {
    if (!this.live) throw new Error("ReportingSum called outside setup..teardown");
  }
  createAccumulator(): number {
    this.inUse();
    return 0;
  }
  addInput(a: number, x: number): number {
    this.inUse();
    return a + x;
  }
  mergeAccumulators(accs: Iterable<number>): number {
    this.inUse();
    let s = 0;
    for (const a of accs) s += a;
    return s;
  }
  extractOutput(a: number): number {
    this.inUse();
    return a;
  }
  teardown(): void {
    this.live = false;
    say(`teardown ${threadId} ${this.id}`);
  }
}

/** Pub/Sub ("key" payloads, event times in 'ts') → (key, 1) → 10 s windows → Combine.perKey(ReportingSum) → "key count" → Pub/Sub. */
export const keyedLifecycleSum = definePipeline({
  name: "test-parallel-streaming-combine-lifecycle",
  description: "a CombineFn with setup and teardown on parallel streaming instances",
  flags: {
    input: { type: "string", describe: "subscription to read", required: true },
    output: { type: "string", describe: "topic to write the sums to", required: true },
  },
  build(root, f) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: f.input, timestampAttribute: "ts" }))
      .map("Key", (data: Uint8Array): KV<string, number> => kv(Buffer.from(data).toString("utf8"), 1))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("Sum", Combine.perKey(new ReportingSum()))
      .apply(
        "Format",
        ParDo.of((c: KV<string, number>, ctx: ProcessContext<Uint8Array>) => {
          ctx.output(Buffer.from(`${c.key} ${c.value}`));
        }),
      )
      .apply("Write", WriteToPubSub.to(f.output));
  },
});
