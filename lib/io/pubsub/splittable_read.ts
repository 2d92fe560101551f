/**
 * The unbounded Pub/Sub read as a splittable DoFn, for portable runners that do not read Pub/Sub
 * themselves (Prism, Flink): the translation sends Impulse → this SDF, and our Fn API worker runs it.
 *
 * - The restriction is the subscription (read from a topic: a subscription named after the run and
 *   step, created by the first worker that reads it, so all workers share it; kept when workers
 *   stop, since none knows when the job ends, it expires after a day unused). It never ends and is
 *   not split: each bundle pulls what is waiting, outputs it, and checkpoints (the same
 *   restriction goes back to the runner as the residual, to be processed again).
 * - A bundle ends once a pull found the backlog drained after at least one message, after
 *   MAX_MESSAGES messages, or after BUNDLE_MILLIS (an idle subscription is polled that long, with
 *   growing pauses, so the runner is not handed a new bundle in a tight loop).
 * - Timestamps are the DirectRunner source's (reader.ts): the timestamp attribute if valid, else
 *   the publish time. Duplicates (idAttribute, else message id) are dropped per worker.
 * - Watermark (sent with the residual): the oldest publish or event time of messages pulled and
 *   not yet output, else the start of the last pull that drained the backlog — the estimate the
 *   DirectRunner's source makes, in the spirit of Beam Java's PubsubUnboundedSource.
 * - Acknowledgement is at-least-once: a bundle's messages are acknowledged in its finalization,
 *   which the runner sends after it durably committed the bundle's outputs. Until then their
 *   leases are extended (reader.ts). Messages of a bundle never finalized (it failed) are given
 *   back (nacked) after FINALIZE_WAIT_MILLIS, and at the worker's teardown.
 */
import { createHash } from "node:crypto";
import { StringUtf8Coder } from "../../coders/primitive";
import type { RuntimeContext } from "../../model/dofn";
import type { TransformNode } from "../../model/pipeline";
import { ProcessContinuation, type RestrictionTracker, type SplittableFn, type SplittableFnContext, UnboundedRestrictionTracker } from "../../model/splittable";
import { encodePubsubMessage } from "./message_proto";
import { PubSubReader, type PubSubReaderOptions } from "./reader";
import type { PubSubReadSpec } from "./unbounded";

const PULL_BATCH = 500;
const MAX_MESSAGES = 5000;
const BUNDLE_MILLIS = 1000;
const FIRST_IDLE_PAUSE_MS = 5;
const LONGEST_IDLE_PAUSE_MS = 100;
/** How long a bundle's messages wait for its finalization before they are given back. */
const FINALIZE_WAIT_MILLIS = 10 * 60_000;
/** A subscription created for a topic expires after this long unused (Pub/Sub's minimum). */
const TOPIC_SUBSCRIPTION_TTL_SECONDS = 24 * 3600;
/** The residual's requested delay when the subscription was idle (runners may schedule it sooner). */
const IDLE_RESUME_DELAY_MS = 100;

type Message = Uint8Array | Parameters<typeof encodePubsubMessage>[0];

export class PubSubSplittableRead implements SplittableFn<Uint8Array, string, Uint8Array> {
  readonly restrictionCoder = new StringUtf8Coder();
  readonly requestsFinalization = true;
  private reader: Promise<PubSubReader<Message>> | undefined;
  private users = 0;

  constructor(
    private readonly spec: PubSubReadSpec,
    private readonly stepName: string,
  ) {}

  setup(): void {
    this.users++;
  }

  async teardown(): Promise<void> {
    if (--this.users > 0 || this.reader === undefined) return;
    const reader = this.reader;
    this.reader = undefined;
    // Nacks what was pulled and not finalized. A subscription made for a topic is kept: other
    // workers of the job (or this one's next processor) may still read it, and no worker knows
    // when the job has ended; it expires a day after its last use.
    await (await reader).close({ deleteSubscription: false });
  }

  /** The subscription read: the given one, or one named after the run and step for a topic. */
  initialRestriction(_: Uint8Array, runtime: RuntimeContext): string {
    if (this.spec.subscription !== "") return this.spec.subscription;
    const project = this.spec.topic.split("/")[1];
    const step = createHash("sha256").update(`${runtime.runId}/${this.stepName}`).digest("hex").slice(0, 20);
    return `projects/${project}/subscriptions/beamline-${step}`;
  }

  newTracker(restriction: string): RestrictionTracker<string> {
    return new UnboundedRestrictionTracker(restriction);
  }

  /** On drain nothing more is read. */
  truncateRestriction(): undefined {
    return undefined;
  }

  private open(subscription: string): Promise<PubSubReader<Message>> {
    const s = this.spec;
    const common: PubSubReaderOptions = {
      withAttributes: s.withAttributes,
      ...(s.timestampAttribute !== "" ? { timestampAttribute: s.timestampAttribute } : {}),
      ...(s.idAttribute !== "" ? { idAttribute: s.idAttribute } : {}),
    };
    const options: PubSubReaderOptions =
      s.subscription !== "" ? { ...common, subscription } : { ...common, topic: s.topic, subscriptionName: subscription.split("/").pop()!, expireAfterIdleSeconds: TOPIC_SUBSCRIPTION_TTL_SECONDS };
    this.reader ??= PubSubReader.open<Message>(options).catch((e: unknown) => {
      this.reader = undefined;
      throw e;
    });
    return this.reader;
  }

  async process(_: Uint8Array, tracker: RestrictionTracker<string>, ctx: SplittableFnContext<Uint8Array>): Promise<ProcessContinuation> {
    const reader = await this.open(tracker.currentRestriction());
    const started = Date.now();
    const ackIds: string[] = [];
    let idlePause = FIRST_IDLE_PAUSE_MS;
    while (tracker.tryClaim(undefined)) {
      const batch = await reader.pull(PULL_BATCH, Math.max(100, BUNDLE_MILLIS - (Date.now() - started)));
      for (const m of batch) {
        const bytes = this.spec.withAttributes ? encodePubsubMessage(m.value as Parameters<typeof encodePubsubMessage>[0]) : (m.value as Uint8Array);
        reader.markDelivered(m.id);
        ackIds.push(m.ackId);
        await ctx.output(bytes, m.timestamp);
      }
      const elapsed = Date.now() - started;
      if ((ackIds.length > 0 && batch.length < PULL_BATCH) || ackIds.length >= MAX_MESSAGES || elapsed >= BUNDLE_MILLIS) break;
      if (batch.length === 0) {
        await new Promise((r) => setTimeout(r, Math.min(idlePause, BUNDLE_MILLIS - elapsed)));
        idlePause = Math.min(LONGEST_IDLE_PAUSE_MS, idlePause * 2);
      }
    }
    const w = reader.watermark();
    if (Number.isFinite(w)) ctx.updateWatermark(w);
    if (ackIds.length > 0) {
      // Not finalized in time (the bundle failed, or the runner lost it): redelivered.
      const giveBack = setTimeout(() => void reader.nack(ackIds).catch(() => undefined), FINALIZE_WAIT_MILLIS);
      giveBack.unref();
      ctx.afterBundleCommit(async () => {
        clearTimeout(giveBack);
        await reader.commit(ackIds);
      });
    }
    return ProcessContinuation.resume().withResumeDelay(ackIds.length > 0 ? 0 : IDLE_RESUME_DELAY_MS);
  }
}

/** The SDF of a Pub/Sub read composite (its node's spec says what to read). */
export function pubsubSplittableRead(node: TransformNode): SplittableFn<unknown, unknown, unknown> {
  return new PubSubSplittableRead(node.composite as unknown as PubSubReadSpec, node.fullName) as unknown as SplittableFn<unknown, unknown, unknown>;
}
