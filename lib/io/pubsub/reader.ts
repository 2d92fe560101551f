/**
 * PubSubReader: the core of ReadFromPubSub, usable by a streaming driver and by the bounded
 * read. At-least-once: messages are acknowledged only when the caller commits them.
 *
 *     const reader = await PubSubReader.open({ topic: "projects/p/topics/in", idAttribute: "id" });
 *     const batch = await reader.pull(100);          // elements with timestamps, duplicates removed
 *     ... process and durably emit batch ...
 *     await reader.commit(batch.map((m) => m.ackId)); // only now are they acknowledged
 *     reader.watermark();                             // oldest unacked publish time
 *     await reader.close();                           // nacks what is left; deletes a subscription it created
 *
 * - From a topic, a subscription is created (and deleted on close); it sees only messages
 *   published after it was created. From a subscription, it is used as is.
 * - Element timestamp: the `timestampAttribute` (epoch milliseconds or RFC 3339) if given and
 *   valid, else the publish time.
 * - Dedup on `idAttribute` (else the message id): a redelivered or republished copy is not
 *   emitted again; its ack id is acknowledged with the original (or at once if already committed).
 * - Leases are short (10 s by default, the service's minimum) and extended every third of that
 *   while the messages are uncommitted: a live reader keeps its messages as long as it needs,
 *   while those of a reader that died (kill -9, a lost machine) are redelivered within seconds.
 */
import { randomUUID } from "node:crypto";
import type { PubSub } from "@google-cloud/pubsub";
import { classify } from "../gcp/errors";
import { resolve, rpc, subscriptionError, topicError, type PubsubMessage } from "./resources";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../model/window";
import { Metrics, SYSTEM_NAMESPACE } from "../../model/metrics";

/** Options of PubSubReader. Exactly one of topic / subscription. */
export interface PubSubReaderOptions {
  readonly topic?: string;
  readonly subscription?: string;
  readonly project?: string;
  readonly withAttributes?: boolean;
  readonly timestampAttribute?: string;
  readonly idAttribute?: string;
  /** Lease requested for pulled messages, in seconds (default 10, at most 600); extended while they are held. */
  readonly ackDeadlineSeconds?: number;
  /** Topic mode: the name of the subscription to create (default `beamline-<random>`). */
  readonly subscriptionName?: string;
  /** Topic mode: the subscription created expires after this many seconds unused (Pub/Sub's expiration policy; at least a day). */
  readonly expireAfterIdleSeconds?: number;
  /** Keep pulled messages leased after close() instead of nacking them (the bounded read hands them to a later commit). */
  readonly keepLeasesOnClose?: boolean;
  /**
   * A job resuming from a checkpoint (or one that may be restarting after a crash): ids whose
   * effects the checkpoint already holds, so their redeliveries are acknowledged and not emitted
   * again; and whether to hold the watermark until messages leased by an earlier reader that died
   * can have come back (its leases expired, a pull that drained the backlog started after that).
   */
  readonly resume?: { readonly committedIds: readonly string[]; readonly holdWatermark: boolean };
  /**
   * Counts a message whose timestamp attribute is invalid (it takes its publish time). Default:
   * `beamline/pubsubInvalidTimestamps` on the step whose code is running, if any; a source read
   * outside a step (the streaming DirectRunner's) passes one that counts on its read step.
   */
  readonly countInvalidTimestamp?: () => void;
}

/** Messages whose timestamp attribute was invalid and that took their publish time instead. */
export const INVALID_TIMESTAMPS_COUNTER = "pubsubInvalidTimestamps";
export const INVALID_TIMESTAMPS = Metrics.counter(SYSTEM_NAMESPACE, INVALID_TIMESTAMPS_COUNTER);

/** One message as an element. */
export interface ReceivedElement<T> {
  readonly ackId: string;
  readonly value: T;
  /** Event time, epoch milliseconds. */
  readonly timestamp: number;
  /** The dedup id (idAttribute's value, else the message id). */
  readonly id: string;
  /** Publish time, epoch milliseconds. */
  readonly publishTime: number;
}

interface WireMessage {
  readonly data?: Uint8Array | string;
  readonly attributes?: Record<string, string>;
  readonly messageId?: string;
  readonly publishTime?: { readonly seconds?: string | number | { toString(): string }; readonly nanos?: number };
}

interface Outstanding {
  readonly ackIds: string[];
  /** The earlier of publish time and event time. */
  readonly holdsWatermarkAt: number;
  /** Handed to the runner (then the runner's queue and state hold the watermark for it, not the reader). */
  delivered: boolean;
}

const MAX_REMEMBERED_IDS = 100_000;
/** Ids of earlier committed messages a checkpoint mark keeps besides those it covers (to drop duplicates published later). */
const MARK_RECENT_IDS = 10_000;
/** The lease on pulled messages: the shortest the service allows, so a dead reader's messages come back soon. */
const DEFAULT_LEASE_SECONDS = 10;
/** How long after a dead reader's leases lapse a resumed reader still holds its watermark. */
const RESUME_MARGIN_SECONDS = 5;

function millisOf(ts: WireMessage["publishTime"]): number {
  if (ts === undefined) return Date.now();
  return Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/**
 * Parses a timestamp attribute: epoch milliseconds or RFC 3339; undefined if invalid, as is a
 * number outside Beam's timestamps (e.g. nanoseconds, ~1.7e18), which a step would refuse to
 * output: the message then takes its publish time rather than failing the read.
 */
export function parseTimestampAttribute(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = /^-?\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isNaN(ms) || ms < MIN_TIMESTAMP || ms > MAX_TIMESTAMP ? undefined : ms;
}

export class PubSubReader<T = Uint8Array> {
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly idOfAckId = new Map<string, string>();
  private readonly committedIds = new Map<string, true>();
  private leaseTimer: NodeJS.Timeout | undefined;
  private lastPullStart = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Messages read whose timestamp attribute was set but invalid (they took their publish time). */
  invalidTimestamps = 0;
  /** The lease request of the last pull, while it runs. */
  private leasing: Promise<void> | undefined;
  /** Its failure, if not transient (reported by the next pull). */
  private leaseError: unknown;
  /** While resuming: the watermark waits for a draining pull started after this (wall ms). */
  private holdUntil: number | undefined;

  private constructor(
    private readonly client: PubSub,
    /** Full path of the subscription read. */
    readonly subscription: string,
    /** True if this reader created the subscription (and deletes it on close). */
    readonly ownsSubscription: boolean,
    private readonly options: PubSubReaderOptions,
    /** The subscription's own ack deadline (what a message pulled but not yet leased by us gets). */
    subscriptionDeadlineSeconds: number,
  ) {
    for (const id of options.resume?.committedIds ?? []) this.remember(id);
    if (options.resume?.holdWatermark === true) {
      // A reader that died leased its messages for at most the deadline; they come back after it,
      // once the service has noticed (redelivery after a deadline is best effort, and a busy
      // service or a lease extension still in flight at the crash makes it later). With a margin
      // of 1 s a loaded 2-core machine lost messages as late data in the kill -9 test; 5 s did not.
      this.holdUntil = Date.now() + (Math.max(this.ackDeadlineSeconds, subscriptionDeadlineSeconds) + RESUME_MARGIN_SECONDS) * 1000;
    }
    // Extended three times per lease, so one late or failed extension does not lose it.
    this.leaseTimer = setInterval(() => void this.extendLeases().catch(() => undefined), (this.ackDeadlineSeconds * 1000) / 3);
    this.leaseTimer.unref();
  }

  private get ackDeadlineSeconds(): number {
    return Math.min(Math.max(this.options.ackDeadlineSeconds ?? DEFAULT_LEASE_SECONDS, 1), 600);
  }

  /** Opens a reader: checks the subscription, or creates one on the topic. */
  static async open<T = Uint8Array>(options: PubSubReaderOptions): Promise<PubSubReader<T>> {
    if ((options.topic === undefined) === (options.subscription === undefined)) {
      throw new Error("PubSubReader needs exactly one of {topic} or {subscription}");
    }
    if (options.subscription !== undefined) {
      const { client, path } = resolve(options.subscription, "subscriptions", options.project);
      let deadline = DEFAULT_LEASE_SECONDS;
      try {
        const sub: { ackDeadlineSeconds?: number } = await rpc(client, "SubscriberClient", "getSubscription", { subscription: path });
        deadline = Number(sub.ackDeadlineSeconds ?? DEFAULT_LEASE_SECONDS) || DEFAULT_LEASE_SECONDS;
      } catch (err) {
        throw subscriptionError("read from", path, err);
      }
      return new PubSubReader<T>(client, path, false, options, deadline);
    }
    const { client, path: topic } = resolve(options.topic!, "topics", options.project);
    const projectId = topic.split("/")[1];
    const name = `projects/${projectId}/subscriptions/${options.subscriptionName ?? `beamline-${randomUUID()}`}`;
    const deadline = Math.min(Math.max(options.ackDeadlineSeconds ?? DEFAULT_LEASE_SECONDS, 10), 600);
    try {
      const expiry = options.expireAfterIdleSeconds !== undefined ? { expirationPolicy: { ttl: { seconds: options.expireAfterIdleSeconds } } } : {};
      await rpc(client, "SubscriberClient", "createSubscription", { name, topic, ackDeadlineSeconds: deadline, ...expiry });
    } catch (err) {
      if (classify(err) === "alreadyExists") return new PubSubReader<T>(client, name, true, options, deadline);
      if (classify(err) === "notFound") throw topicError("read from", topic, err);
      throw subscriptionError(`create (to read topic ${topic})`, name, err);
    }
    // A subscription just created has no messages an earlier reader could hold.
    const fresh = options.resume?.holdWatermark === true ? { ...options, resume: { ...options.resume, holdWatermark: false } } : options;
    return new PubSubReader<T>(client, name, true, fresh, deadline);
  }

  /** Pulls up to `maxMessages` (fewer or none if none are waiting), leases them, removes duplicates. */
  async pull(maxMessages: number, timeoutMs = 10_000): Promise<ReceivedElement<T>[]> {
    const started = Date.now();
    let response: { receivedMessages?: { ackId?: string; message?: WireMessage }[] };
    try {
      response = await rpc(this.client, "SubscriberClient", "pull", { subscription: this.subscription, maxMessages }, timeoutMs);
    } catch (err) {
      if (classify(err) === "transient") return [];
      throw subscriptionError("pull from", this.subscription, err);
    }
    const received = response.receivedMessages ?? [];
    try {
      await this.leaseSettled();
    } catch (err) {
      // The pull fails with the last lease request's error; the messages it received are in no
      // list yet, so neither close() nor the caller could give them back: they would stay leased
      // for the subscription's ack deadline (up to 10 minutes). Given back now, best effort.
      if (received.length > 0) await this.modifyDeadline(received.map((r) => r.ackId!), 0).catch(() => undefined);
      throw err;
    }
    if (received.length > 0) {
      // The messages are ours for the subscription's deadline (10 s at least) already: setting our
      // own lease need not hold them back a round trip. A failure is reported by the next pull,
      // commit or close; a transient one loses nothing (the lease timer extends them shortly).
      const leasing = this.modifyDeadline(received.map((r) => r.ackId!), this.ackDeadlineSeconds).catch((err: unknown) => {
        if (classify((err as { cause?: unknown }).cause ?? err) !== "transient") this.leaseError ??= err;
      });
      this.leasing = leasing;
      void leasing.finally(() => {
        if (this.leasing === leasing) this.leasing = undefined;
      });
    }
    const out: ReceivedElement<T>[] = [];
    const ackNow: string[] = [];
    for (const r of received) {
      const ackId = r.ackId!;
      const msg = r.message ?? {};
      const attributes = msg.attributes ?? {};
      const id = (this.options.idAttribute !== undefined ? attributes[this.options.idAttribute] : undefined) ?? msg.messageId ?? ackId;
      const publishTime = millisOf(msg.publishTime);
      if (this.committedIds.has(id)) {
        ackNow.push(ackId);
        continue;
      }
      const existing = this.outstanding.get(id);
      this.idOfAckId.set(ackId, id);
      if (existing !== undefined) {
        existing.ackIds.push(ackId);
        continue;
      }
      // The client's bytes as they are (a view into the response), not a copy: elements are immutable.
      const data = typeof msg.data === "string" ? Buffer.from(msg.data, "base64") : msg.data === undefined ? Buffer.alloc(0) : Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
      const timestamp = this.eventTime(attributes, publishTime, id);
      this.outstanding.set(id, { ackIds: [ackId], holdsWatermarkAt: Math.min(publishTime, timestamp), delivered: false });
      const value = this.options.withAttributes
        ? ({ data, attributes: { ...attributes }, ...(msg.messageId ? { messageId: msg.messageId } : {}), publishTime: new Date(publishTime) } satisfies PubsubMessage)
        : data;
      out.push({ ackId, value: value as T, timestamp, id, publishTime });
    }
    // A full response may leave older messages behind on the server: only a partial one shows the
    // backlog was drained when the pull started. Moved only now that this response's messages hold
    // the watermark (`outstanding`), with no wait in between: a watermark read meanwhile (a commit's
    // report, while this pull waited for the last lease) must not pass messages not yet listed.
    if (received.length < maxMessages) this.lastPullStart = Math.max(this.lastPullStart, started);
    if (ackNow.length > 0) await this.acknowledge(ackNow);
    return out;
  }

  /**
   * A message's event time: its timestamp attribute if valid, else its publish time. Beam's readers
   * fail the read on an invalid attribute; a long streaming job here keeps going, and says so: a
   * warning for the first such message of the reader, and a counter for every one.
   */
  private eventTime(attributes: Record<string, string>, publishTime: number, id: string): number {
    const name = this.options.timestampAttribute;
    if (name === undefined) return publishTime;
    const raw = attributes[name];
    const parsed = parseTimestampAttribute(raw);
    if (parsed !== undefined) return parsed;
    if (raw === undefined || raw === "") return publishTime;
    this.invalidTimestamps++;
    if (this.options.countInvalidTimestamp !== undefined) this.options.countInvalidTimestamp();
    else {
      try {
        INVALID_TIMESTAMPS.inc();
      } catch {
        // Read outside a step (a direct use of the reader): the reader's own count has it.
      }
    }
    if (this.invalidTimestamps === 1) {
      process.stderr.write(
        `Warning: reading Pub/Sub ${this.subscription}: message ${id} has timestamp attribute ${name}=${JSON.stringify(raw.slice(0, 64))}, ` +
          `which is neither epoch milliseconds nor RFC 3339 within Beam's timestamps; it (and any later such message) takes its publish time ` +
          `(counted as beamline/${INVALID_TIMESTAMPS_COUNTER}). Fix the publisher, or drop timestampAttribute to use publish times throughout.\n`,
      );
    }
    return publishTime;
  }

  /** Waits for the lease request of the last pull; throws its failure (once). */
  private async leaseSettled(): Promise<void> {
    await this.leasing;
    const err = this.leaseError;
    this.leaseError = undefined;
    if (err !== undefined) throw err;
  }

  /**
   * Acknowledges committed messages (and any duplicate deliveries of them). They stop holding the
   * watermark at once, before the request completes.
   */
  async commit(ackIds: readonly string[]): Promise<void> {
    const all: string[] = [];
    for (const ackId of ackIds) {
      const id = this.idOfAckId.get(ackId);
      const entry = id !== undefined ? this.outstanding.get(id) : undefined;
      if (id === undefined || entry === undefined) {
        all.push(ackId);
        continue;
      }
      all.push(...entry.ackIds);
      for (const a of entry.ackIds) this.idOfAckId.delete(a);
      this.outstanding.delete(id);
      this.remember(id);
    }
    await this.acknowledge(all);
  }

  /** Gives messages back for redelivery (deadline 0). */
  async nack(ackIds: readonly string[]): Promise<void> {
    const all: string[] = [];
    for (const ackId of ackIds) {
      const id = this.idOfAckId.get(ackId);
      const entry = id !== undefined ? this.outstanding.get(id) : undefined;
      if (id === undefined || entry === undefined) continue;
      all.push(...entry.ackIds);
      for (const a of entry.ackIds) this.idOfAckId.delete(a);
      this.outstanding.delete(id);
    }
    await this.modifyDeadline(all, 0);
  }

  /** The message was handed to the runner: from now on the runner's queue and state hold the watermark for it. */
  markDelivered(id: string): void {
    const o = this.outstanding.get(id);
    if (o !== undefined) o.delivered = true;
  }

  /**
   * Whether messages an earlier reader of the subscription leased (a run that died) may still come
   * back: resuming, and no pull that drained the backlog has started since they can have.
   */
  get resuming(): boolean {
    return this.holdUntil !== undefined && this.lastPullStart < this.holdUntil;
  }

  /**
   * Oldest publish (or event) time of the pulled messages not yet handed to the runner; with
   * none, when the last pull that drained the backlog started. −Infinity (no estimate) while
   * resuming, until messages an earlier reader leased can have come back and been pulled.
   */
  watermark(): number {
    if (this.holdUntil !== undefined) {
      if (this.lastPullStart < this.holdUntil) return Number.NEGATIVE_INFINITY;
      this.holdUntil = undefined;
    }
    let min = Number.POSITIVE_INFINITY;
    for (const o of this.outstanding.values()) if (!o.delivered) min = Math.min(min, o.holdsWatermarkAt);
    return Number.isFinite(min) ? min : this.lastPullStart;
  }

  /**
   * The ids a checkpoint covering these (uncommitted) ack ids must remember: theirs, and the most
   * recent committed ones. Changes nothing: the ack ids are committed once the checkpoint is durable.
   */
  checkpointIds(coveredAckIds: readonly string[]): string[] {
    const covered = new Set<string>();
    for (const a of coveredAckIds) {
      const id = this.idOfAckId.get(a);
      if (id !== undefined) covered.add(id);
    }
    const recent = [...this.committedIds.keys()].slice(-MARK_RECENT_IDS).filter((id) => !covered.has(id));
    return [...recent, ...covered];
  }

  /** Ack ids of pulled, uncommitted messages (duplicates included). */
  outstandingAckIds(): string[] {
    return [...this.outstanding.values()].flatMap((o) => o.ackIds);
  }

  /** Stops lease extension; nacks uncommitted messages (unless keepLeasesOnClose); deletes a created subscription. */
  async close(options: { readonly deleteSubscription?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.leaseTimer);
    this.leaseTimer = undefined;
    await this.leasing;
    if (!this.options.keepLeasesOnClose) await this.modifyDeadline(this.outstandingAckIds(), 0).catch(() => undefined);
    if (this.ownsSubscription && options.deleteSubscription !== false) await deleteSubscription(this.client, this.subscription);
  }

  private remember(id: string): void {
    this.committedIds.set(id, true);
    if (this.committedIds.size > MAX_REMEMBERED_IDS) this.committedIds.delete(this.committedIds.keys().next().value!);
  }

  private async extendLeases(): Promise<void> {
    await this.modifyDeadline(this.outstandingAckIds(), this.ackDeadlineSeconds);
  }

  private async acknowledge(ackIds: readonly string[]): Promise<void> {
    await acknowledge(this.client, this.subscription, ackIds);
  }

  private async modifyDeadline(ackIds: readonly string[], seconds: number): Promise<void> {
    for (let i = 0; i < ackIds.length; i += 1000) {
      try {
        await rpc(this.client, "SubscriberClient", "modifyAckDeadline", { subscription: this.subscription, ackIds: ackIds.slice(i, i + 1000), ackDeadlineSeconds: seconds });
      } catch (err) {
        throw subscriptionError("extend or release the leases of messages of", this.subscription, err);
      }
    }
  }
}

/** Acknowledges ack ids of a subscription, 1000 per request. */
export async function acknowledge(client: PubSub, subscription: string, ackIds: readonly string[]): Promise<void> {
  for (let i = 0; i < ackIds.length; i += 1000) {
    try {
      await rpc(client, "SubscriberClient", "acknowledge", { subscription, ackIds: ackIds.slice(i, i + 1000) });
    } catch (err) {
      throw subscriptionError("acknowledge messages of", subscription, err);
    }
  }
}

/** Deletes a subscription; a missing one is fine. */
export async function deleteSubscription(client: PubSub, subscription: string): Promise<void> {
  try {
    await rpc(client, "SubscriberClient", "deleteSubscription", { subscription });
  } catch (err) {
    if (classify(err) !== "notFound") throw subscriptionError("delete", subscription, err);
  }
}
