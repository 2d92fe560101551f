/**
 * The unbounded Pub/Sub source behind ReadFromPubSub's streaming mode: pulls with a PubSubReader
 * and emits each message with its ack id as the receipt. The runner hands receipts back only
 * after the bundle that processed the messages completed (sinks flushed), and only then are they
 * acknowledged: at-least-once, never ack-before-work. While pulled messages wait, their leases
 * are extended; the watermark is the oldest unacknowledged publish (or event) time.
 *
 * On drain every emitted message has been committed by the time the source closes; on cancel or
 * failure the uncommitted ones are nacked (redelivered at once). A subscription the source
 * created for a topic is deleted when it closes.
 *
 * In a run that takes checkpoints (the DirectRunner's --checkpoint_dir), messages are acknowledged
 * once a checkpoint holding their effects is durable. The source's mark in each checkpoint lists
 * the ids of the messages it covers (and of recently committed ones), so after a restart their
 * redeliveries are acknowledged without being emitted again: exactly-once for state and windows.
 * From a topic, the subscription is named after the checkpoint directory and step, so a restarted
 * job reads on from the same one, and it is kept until the job drains. While resuming, the
 * watermark waits until the leases a crashed run held can have expired and their messages come
 * back (the subscription's ack deadline, 10 s by default), so they are not late.
 *
 * The step is Beam's pubsub_read composite: runners that read Pub/Sub themselves (Dataflow)
 * replace it with their native read, configured by the spec on the node; other portable runners
 * (Prism, Flink) run it as a splittable DoFn in our worker (./splittable_read). Either way it produces
 * bytes: the message data, or with attributes the serialized PubsubMessage proto (parsed by the
 * next SDK step).
 */
import { ByteReader, ByteWriter } from "../../coders/byte_io";
import type { PBegin, PCollection } from "../../model/pcollection";
import { PTransform } from "../../model/transform";
import { type Instant, MIN_TIMESTAMP } from "../../model/window";
import { pauseUnlessAborted as pause, ReadUnbounded, type SourceOutcome, type UnboundedSource, type UnboundedSourceContext } from "../read_unbounded";
import { encodePubsubMessage } from "./message_proto";
import { INVALID_TIMESTAMPS, PubSubReader, type PubSubReaderOptions } from "./reader";
import { parsePubSubName } from "./resources";
import { registerSplittableComposite } from "../../model/splittable";
import { pubsubSplittableRead } from "./splittable_read";

/** URN of Beam's Pub/Sub read composite (runner-native on Dataflow). */
export const PUBSUB_READ_URN = "beam:transform:pubsub_read:v1";

/** What a runner needs to read Pub/Sub natively (the fields of Beam's PubSubReadPayload). */
export interface PubSubReadSpec {
  readonly urn: typeof PUBSUB_READ_URN;
  /** Full path `projects/P/topics/T`, or "". */
  readonly topic: string;
  /** Full path `projects/P/subscriptions/S`, or "". */
  readonly subscription: string;
  readonly timestampAttribute: string;
  readonly idAttribute: string;
  readonly withAttributes: boolean;
}

declare module "../../model/pipeline" {
  interface CompositeSpecs {
    [PUBSUB_READ_URN]: PubSubReadSpec;
  }
}

/** Messages requested per pull (also bounds what one pull adds to the runner's queue). */
const PULL_BATCH = 500;
/**
 * Pause after an empty pull (abortable), so an idle subscription is not polled in a tight loop:
 * the first is short (a steady stream that momentarily ran dry resumes at once), each further
 * empty pull doubles it up to the longest.
 */
const FIRST_IDLE_PAUSE_MS = 5;
const LONGEST_IDLE_PAUSE_MS = 100;
/** Acknowledge requests in flight at once; a commit beyond them waits for the oldest. */
const MAX_ACKS_IN_FLIGHT = 4;

/** Reads Pub/Sub as bytes (data, or serialized messages with attributes); see the module comment. */
export class PubSubReadNative extends PTransform<PBegin, PCollection<Uint8Array>> {
  constructor(private readonly options: PubSubReaderOptions) {
    super("PubSubRead");
  }

  expand(input: PBegin): PCollection<Uint8Array> {
    const o = this.options;
    const spec: PubSubReadSpec = {
      urn: PUBSUB_READ_URN,
      topic: o.topic !== undefined ? resolvePath(o.topic, "topics", o.project) : "",
      subscription: o.subscription !== undefined ? resolvePath(o.subscription, "subscriptions", o.project) : "",
      timestampAttribute: o.timestampAttribute ?? "",
      idAttribute: o.idAttribute ?? "",
      withAttributes: o.withAttributes === true,
    };
    input.pipeline.currentNode().composite = spec;
    return input.apply("ReadUnbounded", ReadUnbounded.from(pubSubSource(o)));
  }
}

/** The full resource path a runner-native read needs (a bare name takes --project; runners need one anyway). */
function resolvePath(spec: string, kind: "topics" | "subscriptions", project: string | undefined): string {
  const parsed = parsePubSubName(spec, kind);
  return `projects/${parsed.project ?? project ?? "-"}/${kind}/${parsed.name}`;
}

/** A checkpoint mark: the subscription, and the ids of messages whose effects the checkpoint holds. */
function encodeMark(subscription: string, ids: readonly string[]): Uint8Array {
  const w = new ByteWriter(16 + ids.length * 24);
  w.writeByte(1);
  w.writeUtf8Nested(subscription);
  w.writeVarInt(ids.length);
  for (const id of ids) w.writeUtf8Nested(id);
  return w.finish();
}

function decodeMark(bytes: Uint8Array): { subscription: string; ids: string[] } {
  const r = new ByteReader(bytes);
  if (r.readByte() !== 1) throw new Error("unknown Pub/Sub checkpoint mark version");
  const subscription = r.readUtf8Nested();
  const ids: string[] = [];
  for (let n = r.readVarInt(); n > 0; n--) ids.push(r.readUtf8Nested());
  return { subscription, ids };
}

/** A real-time source reading a subscription (or a fresh subscription to a topic), emitting bytes. */
export function pubSubSource(options: PubSubReaderOptions): UnboundedSource<Uint8Array> {
  const withAttributes = options.withAttributes === true;
  return {
    // No estimate before the first pull: a backlog of older messages must not arrive late.
    initialWatermark: MIN_TIMESTAMP,
    async read(ctx: UnboundedSourceContext<Uint8Array>): Promise<void> {
      const cp = ctx.checkpoints;
      const mark = cp?.restoredMark !== undefined ? decodeMark(cp.restoredMark) : undefined;
      const readerOptions: PubSubReaderOptions =
        cp === undefined
          ? options
          : {
              ...options,
              // From a topic: one subscription per checkpoint directory and step, read on after a restart.
              ...(options.topic !== undefined ? { subscriptionName: `beamline-${cp.stableId}` } : {}),
              resume: { committedIds: mark?.ids ?? [], holdWatermark: cp.resumed },
            };
      const counted: PubSubReaderOptions = { ...readerOptions, countInvalidTimestamp: () => ctx.withMetrics(() => INVALID_TIMESTAMPS.inc()) };
      const reader = await PubSubReader.open<Uint8Array | { data: Uint8Array; attributes: Record<string, string>; messageId?: string; publishTime?: Date }>(counted);
      const report = (): void => {
        const w: Instant = reader.watermark();
        if (Number.isFinite(w)) ctx.advanceWatermark(w);
      };
      // The bundle that processed these messages has completed (its outputs are published): they
      // are done, and the watermark moves past them now. The acknowledge request itself runs in the
      // background (as the Pub/Sub client library's acks do), so the runner does not wait a round
      // trip per bundle; a failed ack fails the run at the next commit, or at close.
      const acks = new Set<Promise<void>>();
      let ackError: unknown;
      ctx.onCommit(async (receipts) => {
        if (ackError !== undefined) throw ackError;
        const ack = reader.commit(receipts as string[]).catch((e: unknown) => {
          ackError ??= e;
        });
        acks.add(ack);
        void ack.finally(() => acks.delete(ack));
        report();
        if (acks.size >= MAX_ACKS_IN_FLIGHT) await Promise.race(acks);
      });
      cp?.onCheckpoint((covered) => encodeMark(reader.subscription, reader.checkpointIds(covered as string[])));
      ctx.onClose(async (outcome: SourceOutcome) => {
        // After a drain nothing is outstanding; after a cancel or failure close() nacks what is.
        // A job that checkpoints keeps the subscription it created unless it drained: it may resume.
        // A restart in the process (--direct_bundle_retries) reads on from the same subscription.
        const finished = outcome === "drained" || outcome === "done";
        const mayResume = outcome === "restarting" || (cp !== undefined && cp.durable !== false && !finished);
        await Promise.all(acks);
        await reader.close({ deleteSubscription: !mayResume });
        if (ackError !== undefined) throw ackError;
      });
      let idlePause = FIRST_IDLE_PAUSE_MS;
      // A drain of a run resumed after a crash reads on until what the dead run had leased has come
      // back: those messages were read and never processed, and after a drain nobody reads them
      // (a topic's subscription is deleted). Cancel and failure stop at once (they hand leases back).
      const readOn = (): boolean => ctx.signal.reason === "drain" && reader.resuming;
      const notStopped = new AbortController().signal;
      while (!ctx.signal.aborted || readOn()) {
        const batch = await reader.pull(PULL_BATCH, 10_000);
        for (const m of batch) {
          const bytes = withAttributes ? encodePubsubMessage(m.value as Parameters<typeof encodePubsubMessage>[0]) : (m.value as Uint8Array);
          reader.markDelivered(m.id);
          await ctx.emit(bytes, m.timestamp, m.ackId);
        }
        report();
        if (batch.length > 0) idlePause = FIRST_IDLE_PAUSE_MS;
        else {
          await pause(idlePause, ctx.signal.aborted ? notStopped : ctx.signal);
          idlePause = Math.min(LONGEST_IDLE_PAUSE_MS, idlePause * 2);
        }
      }
    },
  };
}

// On portable runners other than Dataflow the read runs as a splittable DoFn in our worker.
registerSplittableComposite(PUBSUB_READ_URN, pubsubSplittableRead);
