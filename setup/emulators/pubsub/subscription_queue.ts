/**
 * Delivery state of one subscription: the backlog, the leases (one per delivery, keyed by a fresh
 * ackId each time), and the StreamingPull streams attached to it.
 *
 * Rules (from pubsub.proto and the Node client's behaviour):
 * - each message goes to ONE stream (round-robin over streams with flow-control room);
 * - ack removes the lease; a modack with 0 (nack) or an expired deadline puts the message back and
 *   it is redelivered under a new ackId; acks/modacks for unknown or stale ackIds are ignored, so a
 *   late receipt modack can never resurrect an acked message;
 * - with message ordering, a key has deliveries on one stream at a time, in publish order, and
 *   redelivering one message of a key redelivers its later outstanding ones too;
 * - unacked messages are retained indefinitely.
 */
import type { PubsubMessage, ReceivedMessage, Subscription } from "./types";

export interface QueuedMessage {
  /** Publish order across the emulator; the backlog is kept sorted by it. */
  seq: number;
  message: PubsubMessage;
  /** Deliveries so far (reported as deliveryAttempt only with a dead-letter policy). */
  attempts: number;
}

/** Something messages can be delivered to: a StreamingPull stream, or a unary Pull in progress. */
export interface DeliveryTarget {
  /** 0 = no limit. */
  maxMessages: number;
  maxBytes: number;
  ackDeadlineSeconds: number;
  outstandingMessages: number;
  outstandingBytes: number;
  send(messages: ReceivedMessage[]): void;
}

interface Lease {
  ackId: string;
  queued: QueuedMessage;
  deadline: number;
  target: DeliveryTarget;
}

export interface QueueHooks {
  /** Forward a message that exhausted its delivery attempts to the dead-letter topic. */
  deadLetter(topic: string, message: PubsubMessage): void;
  /** The backlog changed (for persistence). */
  changed(): void;
}

const byteSize = (q: QueuedMessage): number => q.message.data.length + Object.entries(q.message.attributes).reduce((n, [k, v]) => n + k.length + v.length, 0);

export class SubscriptionQueue {
  /**
   * The backlog in publish order from `head` on; pending[0..head) were delivered. A pass that
   * delivers a prefix of a long backlog moves `head` instead of copying the rest (with 150,000
   * messages waiting, copying the backlog on every dispatch — each ack — made draining quadratic).
   */
  private pending: QueuedMessage[] = [];
  private head = 0;
  private readonly leases = new Map<string, Lease>();
  private readonly streams: DeliveryTarget[] = [];
  private readonly keysOutstanding = new Map<string, number>();
  private nextStream = 0;
  private ackCounter = 0;

  constructor(
    public config: Subscription,
    private readonly hooks: QueueHooks,
  ) {}

  /** Adds a message to the backlog; pass `dispatch: false` when adding a batch, then call dispatch(). */
  enqueue(queued: QueuedMessage, dispatch = true): void {
    this.insertPending(queued);
    this.hooks.changed();
    if (dispatch) this.dispatch();
  }

  addStream(stream: DeliveryTarget): void {
    this.streams.push(stream);
    this.dispatch();
  }

  /** Leases of a closed stream stay valid: the client acks with unary RPCs, possibly after closing. */
  removeStream(stream: DeliveryTarget): void {
    const i = this.streams.indexOf(stream);
    if (i >= 0) this.streams.splice(i, 1);
  }

  acknowledge(ackIds: string[]): void {
    let changed = false;
    for (const ackId of ackIds) {
      const lease = this.leases.get(ackId);
      if (!lease) continue;
      this.release(lease);
      changed = true;
    }
    if (changed) {
      this.hooks.changed();
      this.dispatch();
    }
  }

  /** `seconds` already validated (0..600); 0 is a nack. */
  modifyAckDeadline(ackIds: string[], seconds: number): void {
    let requeued = false;
    for (const ackId of ackIds) {
      const lease = this.leases.get(ackId);
      if (!lease) continue;
      if (seconds === 0) {
        this.requeue(lease);
        requeued = true;
      } else lease.deadline = Date.now() + seconds * 1000;
    }
    if (requeued) this.dispatch();
  }

  /** Requeues every lease whose deadline passed. */
  expire(now: number): void {
    let requeued = false;
    for (const lease of [...this.leases.values()]) {
      if (lease.deadline <= now && this.leases.has(lease.ackId)) {
        this.requeue(lease);
        requeued = true;
      }
    }
    if (requeued) this.dispatch();
  }

  /** Unary Pull: up to `max` messages now, leased for the subscription's ack deadline. */
  pull(max: number): ReceivedMessage[] {
    const received: ReceivedMessage[] = [];
    const target: DeliveryTarget = {
      maxMessages: max > 0 ? max : 1000,
      // One response: keep it well under what clients accept (~20 MB).
      maxBytes: 10 * 1024 * 1024,
      ackDeadlineSeconds: this.config.ackDeadlineSeconds,
      outstandingMessages: 0,
      outstandingBytes: 0,
      send: (messages) => received.push(...messages),
    };
    this.dispatchTo([target]);
    return received;
  }

  /** Drops the backlog and all leases (subscription deleted, detached or seeked). */
  clear(): void {
    this.pending = [];
    this.head = 0;
    this.leases.clear();
    this.keysOutstanding.clear();
    this.hooks.changed();
  }

  /** Every retained (unacked) message, in publish order, for persistence. */
  retained(): QueuedMessage[] {
    return [...this.pending.slice(this.head), ...[...this.leases.values()].map((l) => l.queued)].sort((a, b) => a.seq - b.seq);
  }

  dispatch(): void {
    this.dispatchTo(this.streams);
  }

  private dispatchTo(targets: DeliveryTarget[]): void {
    if (targets.length === 0 || this.pending.length === this.head) return;
    const ordering = this.config.enableMessageOrdering;
    const batches = new Map<DeliveryTarget, ReceivedMessage[]>();
    const keyTarget = new Map<string, DeliveryTarget>();
    const blockedKeys = new Set<string>();
    const remaining: QueuedMessage[] = [];
    for (let i = this.head; i < this.pending.length; i++) {
      const queued = this.pending[i]!;
      const key = ordering ? queued.message.orderingKey : "";
      if (key && (blockedKeys.has(key) || ((this.keysOutstanding.get(key) ?? 0) > 0 && !keyTarget.has(key)))) {
        blockedKeys.add(key);
        remaining.push(queued);
        continue;
      }
      // An ordering key sticks to the stream that got its first message in this pass.
      let target = key ? keyTarget.get(key) : undefined;
      if (target && !hasRoom(target, queued)) target = undefined;
      else if (!target && !(key && keyTarget.has(key))) target = this.pickTarget(targets, queued);
      if (!target) {
        if (key) {
          blockedKeys.add(key);
          remaining.push(queued);
          if (!targets.every((t) => t.maxMessages > 0 && t.outstandingMessages >= t.maxMessages)) continue;
        }
        // No stream has room for this message (nor, without an ordering key to skip past, for the
        // ones after it, as flow control goes): the rest waits for acks. The messages kept back
        // before it go back right in front of it, so the backlog keeps its order.
        const from = key ? i + 1 : i;
        const start = from - remaining.length;
        for (let k = 0; k < remaining.length; k++) this.pending[start + k] = remaining[k]!;
        this.head = start;
        this.compact();
        for (const [t, messages] of batches) t.send(messages);
        return;
      }
      const lease = this.lease(queued, target);
      if (key) keyTarget.set(key, target);
      let batch = batches.get(target);
      if (!batch) batches.set(target, (batch = []));
      batch.push({ ackId: lease.ackId, message: queued.message, deliveryAttempt: this.config.deadLetterPolicy ? queued.attempts : 0 });
    }
    this.pending = remaining;
    this.head = 0;
    for (const [target, messages] of batches) target.send(messages);
  }

  private pickTarget(targets: DeliveryTarget[], queued: QueuedMessage): DeliveryTarget | undefined {
    for (let n = 0; n < targets.length; n++) {
      const i = (this.nextStream + n) % targets.length;
      if (hasRoom(targets[i], queued)) {
        this.nextStream = i + 1;
        return targets[i];
      }
    }
    return undefined;
  }

  private lease(queued: QueuedMessage, target: DeliveryTarget): Lease {
    queued.attempts++;
    const lease: Lease = { ackId: `${queued.seq}-${++this.ackCounter}`, queued, deadline: Date.now() + target.ackDeadlineSeconds * 1000, target };
    this.leases.set(lease.ackId, lease);
    target.outstandingMessages++;
    target.outstandingBytes += byteSize(queued);
    const key = queued.message.orderingKey;
    if (key) this.keysOutstanding.set(key, (this.keysOutstanding.get(key) ?? 0) + 1);
    return lease;
  }

  private release(lease: Lease): void {
    this.leases.delete(lease.ackId);
    lease.target.outstandingMessages--;
    lease.target.outstandingBytes -= byteSize(lease.queued);
    const key = lease.queued.message.orderingKey;
    if (key) {
      const left = (this.keysOutstanding.get(key) ?? 1) - 1;
      if (left > 0) this.keysOutstanding.set(key, left);
      else this.keysOutstanding.delete(key);
    }
  }

  private requeue(lease: Lease): void {
    const key = this.config.enableMessageOrdering ? lease.queued.message.orderingKey : "";
    // On an ordered subscription the key's later outstanding messages go back too, so the key is
    // redelivered in order.
    const affected = key ? [...this.leases.values()].filter((l) => l.queued.message.orderingKey === key) : [lease];
    for (const l of affected) {
      this.release(l);
      const policy = this.config.deadLetterPolicy;
      const maxAttempts = policy ? policy.maxDeliveryAttempts || 5 : 0;
      if (policy?.deadLetterTopic && l.queued.attempts >= maxAttempts) {
        this.hooks.deadLetter(policy.deadLetterTopic, l.queued.message);
      } else this.insertPending(l.queued);
    }
    this.hooks.changed();
  }

  /** Drops the delivered front of the backlog once it is most of the array. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private insertPending(queued: QueuedMessage): void {
    // Binary search: redelivered messages go back in publish order.
    let lo = this.head;
    let hi = this.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.pending[mid].seq < queued.seq) lo = mid + 1;
      else hi = mid;
    }
    this.pending.splice(lo, 0, queued);
  }
}

function hasRoom(target: DeliveryTarget, queued: QueuedMessage): boolean {
  if (target.maxMessages > 0 && target.outstandingMessages >= target.maxMessages) return false;
  // A message bigger than the byte limit still goes out when nothing else is outstanding.
  if (target.maxBytes > 0 && target.outstandingBytes > 0 && target.outstandingBytes + byteSize(queued) > target.maxBytes) return false;
  return true;
}
