/** Pipeline programs of the parallel streaming tests (worker threads rebuild them from this module). */
import { isMainThread, threadId } from "node:worker_threads";
import { Count, definePipeline, DoFn, FixedWindows, Metrics, ParDo, ProcessContext, Window } from "../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";

/** Parses `{"ID": n}`, answers `{"ID": n, "double": 2n, "thread": T}` (the thread that ran it), counts, and fails on ID `failOn`. */
class Double extends DoFn<Uint8Array, Uint8Array> {
  private readonly seen = Metrics.counter("parallel", "seen");
  constructor(private readonly failOn: number) {
    super();
  }
  process(data: Uint8Array, ctx: ProcessContext<Uint8Array>): void {
    const { ID } = JSON.parse(Buffer.from(data).toString("utf8")) as { ID: number };
    if (ID === this.failOn) throw new Error(`cannot double ${ID}`);
    this.seen.inc();
    ctx.output(Buffer.from(JSON.stringify({ ID, double: ID * 2, thread: threadId })));
  }
}

/** Pub/Sub → element-wise map → Pub/Sub. */
export const parallelMap = definePipeline({
  name: "test-parallel-streaming-map",
  description: "Pub/Sub → map → Pub/Sub on parallel streaming instances",
  flags: {
    input: { type: "string", describe: "subscription or topic to read", required: true },
    output: { type: "string", describe: "topic to write", required: true },
    fail_on: { type: "number", describe: "an ID the map fails on", default: -1 },
    id_attribute: { type: "string", describe: "deduplicate on this attribute (none if empty)", default: "" },
  },
  build(root, flags) {
    const dedup = flags.id_attribute !== "" ? { idAttribute: flags.id_attribute } : {};
    const read = flags.input.includes("/topics/") ? ReadFromPubSub.from({ topic: flags.input, ...dedup }) : ReadFromPubSub.from({ subscription: flags.input, ...dedup });
    root.apply("Read", read).apply("Double", ParDo.of(new Double(flags.fail_on))).apply("Write", WriteToPubSub.to(flags.output));
  },
});

/** Pub/Sub → Pub/Sub, with a step only worker threads build: its instances cannot rebuild the main thread's graph. */
export const divergentMap = definePipeline({
  name: "test-parallel-streaming-divergent",
  description: "a program whose graph differs in worker threads",
  flags: {
    input: { type: "string", describe: "subscription to read", required: true },
    output: { type: "string", describe: "topic to write", required: true },
  },
  build(root, flags) {
    let messages = root.apply("Read", ReadFromPubSub.from({ subscription: flags.input }));
    if (!isMainThread) messages = messages.map("OnlyInWorkers", (m: Uint8Array) => m);
    messages.apply("Write", WriteToPubSub.to(flags.output));
  },
});

/** Pub/Sub → per-minute windows → Count.perElement: keyed (its count runs behind the keyed exchange). */
export const keyedCount = definePipeline({
  name: "test-parallel-streaming-keyed",
  description: "a keyed streaming pipeline",
  flags: { input: { type: "string", describe: "subscription to read", required: true } },
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: flags.input }))
      .apply("PerMinute", Window.into(new FixedWindows(60_000)))
      .apply("Count", Count.perElement());
  },
});
