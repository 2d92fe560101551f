/**
 * ReadFromPubSub. Without bounds it is an unbounded source (./unbounded): the pipeline runs in
 * streaming mode until drained or cancelled, and messages are acknowledged automatically once
 * the bundle that processed them has completed.
 *
 * Bounded mode (for batch runs): reads until
 * `maxMessages` messages or `maxReadTimeSeconds` have passed (or `idleTimeoutSeconds` without a
 * message), then the step ends. Acknowledgement is at-least-once: messages are acked only by the
 * commit step the pipeline applies after its downstream work:
 *
 *     const read = ReadFromPubSub.from({ subscription: "projects/p/subscriptions/in", maxMessages: 100 });
 *     const ids = p.apply("Read", read).map("Work", work).apply("Write", WriteToPubSub.to("projects/p/topics/out"));
 *     ids.apply("Commit", read.commitAfter());   // acks only after every result was published
 *
 * Without `commitAfter`, nothing is acked (messages are redelivered after the lease). The acks are
 * the read's output commit (lib/model/commits.ts): on the DirectRunner they run once the whole run
 * has succeeded, after the sinks' outputs became visible. If the run fails, the read's messages
 * are given back at once (nacked) and a subscription created for a topic is deleted.
 */
import { createHash } from "node:crypto";
import { COMMIT_ORDER_ACK, commitOutput, type JsonValue, registerCommitter } from "../../model/commits";
import { DoFn, ProcessContext } from "../../model/dofn";
import { ValidationError } from "../../model/errors";
import { PBegin, PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { Impulse, Window } from "../../model/primitives";
import { GlobalWindows } from "../../model/windowing";
import { AsIterable, AsSingleton } from "../../model/side_inputs";
import { FailureCleanupContext, PTransform, ValidationContext } from "../../model/transform";
import { Count } from "../../transforms/combine";
import { acknowledge, deleteSubscription, PubSubReader, type PubSubReaderOptions } from "./reader";
import { decodePubsubMessage } from "./message_proto";
import { PubSubReadNative } from "./unbounded";
import { resolve, rpc, subscriptionError, topicError, type PubsubMessage } from "./resources";

/** Options of ReadFromPubSub. Exactly one of topic / subscription; at least one bound. */
export interface ReadFromPubSubOptions<W extends boolean = boolean> {
  /** A topic (`projects/P/topics/T` or `T`) to read through a subscription of the run's own, deleted at its end. */
  readonly topic?: string;
  /** A subscription (`projects/P/subscriptions/S` or `S`) to read from. */
  readonly subscription?: string;
  /** Project of a bare topic or subscription name (default: --project, then the environment's). */
  readonly project?: string;
  /** Elements are `PubsubMessage`s (`{data, attributes, messageId, publishTime}`) instead of bytes. */
  readonly withAttributes?: W;
  /** Attribute holding the event time (epoch ms or RFC 3339); default: the publish time. */
  readonly timestampAttribute?: string;
  /** Attribute holding a unique id; copies with the same id are emitted once. */
  readonly idAttribute?: string;
  /** Bounded mode: stop after this many messages. (Neither bound: an unbounded, streaming read.) */
  readonly maxMessages?: number;
  /** Bounded mode: stop after this many seconds. */
  readonly maxReadTimeSeconds?: number;
  /** Bounded mode: stop when no message arrived for this long once at least one did (default: off). */
  readonly idleTimeoutSeconds?: number;
  /** Lease held on read messages until the commit, in seconds (default 600, the maximum). */
  readonly ackDeadlineSeconds?: number;
}

/** The acks a bounded read hands to its commit step. */
export interface PubSubAcks {
  readonly subscription: string;
  readonly ackIds: readonly string[];
  /** A subscription the read created (topic mode), deleted by the commit. */
  readonly ownedSubscription?: string;
}

/** Ack ids of bounded reads still waiting for their commit, per run and step (for failure cleanup in this process). */
const uncommitted = new Map<string, PubSubAcks[]>();

function stepKey(runId: string, stepName: string): string {
  return `${runId}\u0000${stepName}`;
}

class BoundedRead<T> extends DoFn<Uint8Array, T, { acks: PubSubAcks }> {
  constructor(
    private readonly options: ReadFromPubSubOptions,
    private readonly stepName: string,
  ) {
    super();
  }

  async process(_: Uint8Array, ctx: ProcessContext<T, { acks: PubSubAcks }>): Promise<void> {
    const o = this.options;
    const step = createHash("sha256").update(`${ctx.runtime.runId}/${this.stepName}`).digest("hex").slice(0, 20);
    const readerOptions: PubSubReaderOptions = {
      ...o,
      project: o.project ?? ctx.runtime.options.project,
      ackDeadlineSeconds: o.ackDeadlineSeconds ?? 600,
      subscriptionName: `beamline-${step}`,
      keepLeasesOnClose: true,
    };
    const reader = await PubSubReader.open<T>(readerOptions);
    const key = stepKey(ctx.runtime.runId, this.stepName);
    const acks: PubSubAcks = { subscription: reader.subscription, ackIds: [], ...(reader.ownsSubscription ? { ownedSubscription: reader.subscription } : {}) };
    const ackIds = acks.ackIds as string[];
    uncommitted.set(key, [...(uncommitted.get(key) ?? []), acks]);
    const max = o.maxMessages ?? Number.POSITIVE_INFINITY;
    const deadline = Date.now() + (o.maxReadTimeSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    const known = new Set<string>();
    let count = 0;
    let lastMessageAt = Date.now();
    try {
      while (count < max && Date.now() < deadline) {
        if (o.idleTimeoutSeconds !== undefined && count > 0 && Date.now() - lastMessageAt > o.idleTimeoutSeconds * 1000) break;
        const batch = await reader.pull(Math.min(1000, max - count), Math.max(1000, Math.min(10_000, deadline - Date.now())));
        for (const a of reader.outstandingAckIds()) {
          if (!known.has(a)) {
            known.add(a);
            ackIds.push(a);
          }
        }
        if (batch.length === 0) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        lastMessageAt = Date.now();
        for (const m of batch) ctx.outputWithTimestamp(m.value, m.timestamp);
        count += batch.length;
      }
    } finally {
      await reader.close({ deleteSubscription: false });
    }
    ctx.outputTo("acks", acks);
  }
}

/** The kind of output commit that acknowledges what a bounded read consumed. */
const PUBSUB_ACK_COMMIT = "beamline:commit:pubsub_ack:v1";

interface AckPayload {
  readonly runId: string;
  readonly stepName: string;
  readonly project?: string;
  readonly acks: readonly PubSubAcks[];
}

// Acknowledging is the read's commit, ordered after the outputs' (renames, loads): on the
// DirectRunner messages are acked only once what they produced is visible.
registerCommitter(PUBSUB_ACK_COMMIT, {
  order: COMMIT_ORDER_ACK,
  async commit(payload: JsonValue): Promise<void> {
    const p = payload as unknown as AckPayload;
    for (const a of p.acks) {
      const { client } = resolve(a.subscription, "subscriptions", p.project);
      await acknowledge(client, a.subscription, a.ackIds);
      if (a.ownedSubscription !== undefined) await deleteSubscription(client, a.ownedSubscription);
    }
    uncommitted.delete(stepKey(p.runId, p.stepName));
  },
});

/** What CommitReads reads: the acknowledgements, and the count of the final output (only to run after it). */
type CommitSides = { acks: readonly PubSubAcks[]; done: number };

class CommitReads extends DoFn<Uint8Array, number, {}, CommitSides> {
  constructor(
    private readonly project: string | undefined,
    private readonly stepName: string,
  ) {
    super();
  }

  async process(_: Uint8Array, ctx: ProcessContext<number, {}, CommitSides>): Promise<void> {
    void ctx.sideInputs.done; // only to run after the downstream work
    const acks = [...ctx.sideInputs.acks];
    const project = this.project ?? ctx.runtime.options.project;
    const payload: AckPayload = { runId: ctx.runtime.runId, stepName: this.stepName, ...(project !== undefined ? { project } : {}), acks };
    await commitOutput(ctx.runtime, { kind: PUBSUB_ACK_COMMIT, sink: this.stepName, payload: payload as unknown as JsonValue });
    ctx.output(acks.reduce((n, a) => n + a.ackIds.length, 0));
  }
}

type Element<W> = W extends true ? PubsubMessage : Uint8Array;

/**
 * Reads messages from a Pub/Sub topic or subscription: unbounded (streaming) by default, bounded
 * with `maxMessages` and/or `maxReadTimeSeconds`; see the module comment for acknowledgements.
 */
export class ReadFromPubSub<W extends boolean = false> extends PTransform<PBegin, PCollection<Element<W>>> {
  private acks: PCollection<PubSubAcks> | undefined;
  private stepName = "";

  /** `p.apply(ReadFromPubSub.from({ topic: "projects/p/topics/t" }))`: payloads, or whole messages `withAttributes: true`. */
  static from<W extends boolean = false>(options: ReadFromPubSubOptions<W>): ReadFromPubSub<W> {
    return new ReadFromPubSub<W>(options);
  }

  private constructor(
    /** What is read, and how. */
    readonly options: ReadFromPubSubOptions<W>,
  ) {
    super("ReadFromPubSub");
    if ((options.topic === undefined) === (options.subscription === undefined)) throw new ValidationError("ReadFromPubSub needs exactly one of {topic} or {subscription}");
  }

  /** True without maxMessages and maxReadTimeSeconds: the read never ends by itself. */
  get isUnbounded(): boolean {
    return this.options.maxMessages === undefined && this.options.maxReadTimeSeconds === undefined;
  }

  expand(input: PBegin): PCollection<Element<W>> {
    this.stepName = input.pipeline.currentNode().fullName;
    if (this.isUnbounded) {
      const raw = input.apply("Read", new PubSubReadNative({ ...this.options, project: this.options.project ?? input.pipeline.options.project }));
      if (!this.options.withAttributes) return raw as PCollection<Element<W>>;
      return raw.map("ParseMessage", (bytes: Uint8Array) => decodePubsubMessage(bytes)) as PCollection<Element<W>>;
    }
    const out = input.apply("Impulse", Impulse.create()).apply("Pull", ParDo.of(new BoundedRead<Element<W>>(this.options, this.stepName)).withOutputs("acks"));
    this.acks = out.acks;
    return out.main;
  }

  /** A step to apply to the pipeline's final output: acks the read messages once it is complete. */
  commitAfter(): PTransform<PCollection<unknown>, PCollection<number>> {
    const read = this;
    return new (class CommitPubSubReads extends PTransform<PCollection<unknown>, PCollection<number>> {
      expand(done: PCollection<unknown>): PCollection<number> {
        if (read.isUnbounded) {
          throw new ValidationError(
            `${read.stepName}: commitAfter() is for bounded reads; an unbounded ReadFromPubSub acknowledges each message once the bundle that processed it has completed. Remove the commitAfter step.`,
          );
        }
        if (read.acks === undefined) throw new ValidationError("commitAfter(): apply the ReadFromPubSub first");
        const acks = AsIterable(read.acks);
        // Acknowledging runs in the global window: count the output there, whatever its windowing.
        const all = done.windowing.windowFn instanceof GlobalWindows ? done : done.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
        const count = AsSingleton(all.apply("CountDone", Count.globally()));
        return done.pipeline
          .apply("CommitImpulse", Impulse.create())
          .apply("Acknowledge", ParDo.of(new CommitReads(read.options.project, read.stepName), { sideInputs: { acks, done: count } }));
      }
    })("CommitPubSubReads");
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    const o = this.options;
    try {
      if (o.subscription !== undefined) {
        const { client, path } = resolve(o.subscription, "subscriptions", o.project ?? ctx.options.project);
        await rpc(client, "SubscriberClient", "getSubscription", { subscription: path }).catch((err: unknown) => {
          throw subscriptionError("read from", path, err);
        });
      } else {
        const { client, path } = resolve(o.topic!, "topics", o.project ?? ctx.options.project);
        await rpc(client, "PublisherClient", "getTopic", { topic: path }).catch((err: unknown) => {
          throw topicError("read from", path, err);
        });
      }
    } catch (e) {
      throw new ValidationError(`${ctx.transformName}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Gives uncommitted messages back at once and deletes a subscription created for a topic. */
  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    const key = stepKey(ctx.runId, ctx.transformName);
    const pending = uncommitted.get(key) ?? [];
    uncommitted.delete(key);
    for (const a of pending) {
      const { client } = resolve(a.subscription, "subscriptions", this.options.project ?? ctx.options.project);
      if (a.ownedSubscription !== undefined) await deleteSubscription(client, a.ownedSubscription);
      else if (a.ackIds.length > 0) {
        for (let i = 0; i < a.ackIds.length; i += 1000) {
          await rpc(client, "SubscriberClient", "modifyAckDeadline", { subscription: a.subscription, ackIds: a.ackIds.slice(i, i + 1000), ackDeadlineSeconds: 0 });
        }
      }
    }
  }
}
