/**
 * `google.pubsub.v1.Subscriber`: subscription admin, StreamingPull, Pull, Acknowledge and
 * ModifyAckDeadline. Snapshots and Seek are not emulated (UNIMPLEMENTED).
 */
import * as grpc from "@grpc/grpc-js";
import { checkRequestSize, GrpcError, grpcErrors, paginate, unary } from "./grpc_util";
import { applyUpdateMask } from "./publisher_service";
import { parseFilter } from "./filter";
import { checkName, checkProject, type PubSubStore } from "./store";
import type { DeliveryTarget } from "./subscription_queue";
import type { Empty, FieldMask, ReceivedMessage, StreamingPullRequest, StreamingPullResponse, Subscription } from "./types";

/** Acknowledge and ModifyAckDeadline requests may be up to 512 KiB (the client batches under that). */
const MAX_ACK_REQUEST_BYTES = 512 * 1024;
const DEFAULT_ACK_DEADLINE = 10;
const MAX_ACK_DEADLINE = 600;
const DEFAULT_RETENTION = { seconds: String(7 * 24 * 3600), nanos: 0 };

/**
 * Subscription ack deadlines: the real service accepts 10..600 s. The emulator also accepts 1..9 s
 * so tests can watch a deadline expire quickly; 0 (unset, as gax sends it) means the default 10.
 */
function normaliseAckDeadline(seconds: number): number {
  if (!seconds) return DEFAULT_ACK_DEADLINE;
  if (seconds < 1 || seconds > MAX_ACK_DEADLINE) throw grpcErrors.invalid(`Invalid ack_deadline_seconds ${seconds}: must be between 1 and ${MAX_ACK_DEADLINE} (the emulator allows below 10 for tests)`);
  return seconds;
}

function checkModackSeconds(seconds: number): void {
  if (seconds < 0 || seconds > MAX_ACK_DEADLINE) throw grpcErrors.invalid(`Invalid ack deadline ${seconds}: must be between 0 and ${MAX_ACK_DEADLINE} seconds`);
}

/** A StreamingPull response carries at most this much message data (clients accept ~20 MB per response). */
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** Splits a delivery into responses of at most MAX_RESPONSE_BYTES (one message always fits alone). */
export function responseChunks(messages: ReceivedMessage[]): ReceivedMessage[][] {
  const chunks: ReceivedMessage[][] = [];
  let current: ReceivedMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = m.message.data.length + m.ackId.length + 64 + Object.entries(m.message.attributes).reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (current.length > 0 && bytes + size > MAX_RESPONSE_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The live StreamingPull calls, so the server can end them on shutdown. */
export class StreamRegistry {
  /** Each open call with the subscription it pulls from ("" until its first request). */
  readonly calls = new Map<grpc.ServerDuplexStream<StreamingPullRequest, StreamingPullResponse>, string>();

  /** Ends the streams of one subscription (`undefined`: all) with the given status. */
  end(code: grpc.status, details: string, subscription?: string): void {
    for (const [call, name] of [...this.calls]) {
      if (subscription !== undefined && name !== subscription) continue;
      this.calls.delete(call);
      call.emit("error", { code, details, metadata: new grpc.Metadata() });
    }
  }
}

export function subscriberService(store: PubSubStore, registry: StreamRegistry): grpc.UntypedServiceImplementation {
  const normaliseSubscription = (sub: Subscription): Subscription => {
    if (sub.filter) parseFilter(sub.filter);
    const retention = sub.messageRetentionDuration;
    return {
      ...sub,
      ackDeadlineSeconds: normaliseAckDeadline(sub.ackDeadlineSeconds),
      messageRetentionDuration: retention && Number(retention.seconds) > 0 ? retention : DEFAULT_RETENTION,
      labels: sub.labels ?? {},
      state: "ACTIVE",
    };
  };

  const streamingPull = (call: grpc.ServerDuplexStream<StreamingPullRequest, StreamingPullResponse>): void => {
    let target: (DeliveryTarget & { properties: StreamingPullResponse["subscriptionProperties"] }) | undefined;
    let subscriptionName = "";
    const detach = (): void => {
      registry.calls.delete(call);
      if (target) store.subscriptions.get(subscriptionName)?.removeStream(target);
      target = undefined;
    };
    const fail = (e: unknown): void => {
      detach();
      const err = e instanceof GrpcError ? e : new GrpcError(grpc.status.INTERNAL, e instanceof Error ? e.message : String(e));
      call.emit("error", err.toServiceError());
    };
    registry.calls.set(call, "");

    // Other clients may ack and modack on the stream (the Node client never does).
    const handleAcks = (req: StreamingPullRequest): void => {
      if (req.ackIds.length === 0 && req.modifyDeadlineAckIds.length === 0) return;
      const queue = store.getSubscription(subscriptionName);
      if (req.modifyDeadlineSeconds.length !== req.modifyDeadlineAckIds.length) {
        throw grpcErrors.invalid("modify_deadline_seconds and modify_deadline_ack_ids must be the same length");
      }
      req.modifyDeadlineSeconds.forEach(checkModackSeconds);
      queue.acknowledge(req.ackIds);
      req.modifyDeadlineAckIds.forEach((ackId, i) => queue.modifyAckDeadline([ackId], req.modifyDeadlineSeconds[i]));
    };

    call.on("data", (req: StreamingPullRequest) => {
      try {
        if (!target) {
          // The first request names the subscription and sets this stream's flow control.
          subscriptionName = req.subscription;
          registry.calls.set(call, subscriptionName);
          const queue = store.getSubscription(req.subscription);
          // The real service wants 10..600; a client configured with a shorter ackDeadline (as the
          // tests are, to see expiry quickly) sends that here, so anything in 0..600 is accepted.
          checkModackSeconds(req.streamAckDeadlineSeconds);
          const properties = { exactlyOnceDeliveryEnabled: queue.config.enableExactlyOnceDelivery === true, messageOrderingEnabled: queue.config.enableMessageOrdering === true };
          target = {
            maxMessages: Number(req.maxOutstandingMessages) || 0,
            maxBytes: Number(req.maxOutstandingBytes) || 0,
            ackDeadlineSeconds: req.streamAckDeadlineSeconds || queue.config.ackDeadlineSeconds,
            outstandingMessages: 0,
            outstandingBytes: 0,
            properties,
            send: (receivedMessages) => {
              // A stream that is going away keeps its leases; they expire and are redelivered.
              if (call.cancelled || call.writableEnded) return;
              for (const chunk of responseChunks(receivedMessages)) call.write({ receivedMessages: chunk, subscriptionProperties: properties });
            },
          };
          handleAcks(req);
          queue.addStream(target);
          return;
        }
        const isKeepalive = req.ackIds.length === 0 && req.modifyDeadlineAckIds.length === 0 && !req.streamAckDeadlineSeconds;
        if (isKeepalive) {
          // The v6 client pings with `{}` every 30 s and reopens the stream if nothing answers.
          if (!call.writableEnded) call.write({ receivedMessages: [] });
          return;
        }
        if (req.streamAckDeadlineSeconds) target.ackDeadlineSeconds = req.streamAckDeadlineSeconds;
        handleAcks(req);
      } catch (e) {
        fail(e);
      }
    });

    call.on("end", () => {
      detach();
      call.end();
    });
    call.on("cancelled", detach);
    call.on("close", detach);
    call.on("error", detach);
  };

  return {
    CreateSubscription: unary((sub: Subscription): Subscription => store.createSubscription(normaliseSubscription(sub)).config),

    GetSubscription: unary((req: { subscription: string }): Subscription => store.getSubscription(req.subscription).config),

    UpdateSubscription: unary((req: { subscription: Subscription; updateMask: FieldMask | null }): Subscription => {
      const queue = store.getSubscription(req.subscription?.name ?? "");
      const updated = { ...queue.config };
      applyUpdateMask(updated, req.subscription, req.updateMask, ["name", "topic", "enableMessageOrdering", "filter"]);
      queue.config = normaliseSubscription(updated);
      store.changed();
      queue.dispatch();
      return queue.config;
    }),

    DeleteSubscription: unary((req: { subscription: string }): Empty => {
      store.deleteSubscription(req.subscription);
      // Streams on it end with NOT_FOUND, which the client reports instead of retrying.
      registry.end(grpc.status.NOT_FOUND, `Subscription ${req.subscription} not found`, req.subscription);
      return {};
    }),

    ListSubscriptions: unary((req: { project: string; pageSize: number; pageToken: string }) => {
      const project = checkProject(req.project);
      const subs = [...store.subscriptions.values()]
        .map((q) => q.config)
        .filter((s) => s.name.startsWith(`projects/${project}/`))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const { page, nextPageToken } = paginate(subs, req.pageSize, req.pageToken);
      return { subscriptions: page, nextPageToken };
    }),

    ModifyAckDeadline: unary((req: { subscription: string; ackIds: string[]; ackDeadlineSeconds: number }): Empty => {
      checkRequestSize(req, MAX_ACK_REQUEST_BYTES);
      checkModackSeconds(req.ackDeadlineSeconds);
      store.getSubscription(req.subscription).modifyAckDeadline(req.ackIds, req.ackDeadlineSeconds);
      return {};
    }),

    Acknowledge: unary((req: { subscription: string; ackIds: string[] }): Empty => {
      checkRequestSize(req, MAX_ACK_REQUEST_BYTES);
      store.getSubscription(req.subscription).acknowledge(req.ackIds);
      return {};
    }),

    Pull: unary((req: { subscription: string; maxMessages: number }) => {
      checkName(req.subscription, "subscriptions");
      if (req.maxMessages <= 0) throw grpcErrors.invalid("max_messages must be positive");
      return { receivedMessages: store.getSubscription(req.subscription).pull(req.maxMessages) };
    }),

    StreamingPull: streamingPull,

    ModifyPushConfig: unary((req: { subscription: string; pushConfig: unknown }): Empty => {
      const queue = store.getSubscription(req.subscription);
      queue.config.pushConfig = req.pushConfig;
      store.changed();
      return {};
    }),

    GetSnapshot: unary(() => {
      throw grpcErrors.unimplemented("GetSnapshot");
    }),
    ListSnapshots: unary((req: { project: string }) => {
      checkProject(req.project);
      return { snapshots: [], nextPageToken: "" };
    }),
    CreateSnapshot: unary(() => {
      throw grpcErrors.unimplemented("CreateSnapshot");
    }),
    UpdateSnapshot: unary(() => {
      throw grpcErrors.unimplemented("UpdateSnapshot");
    }),
    DeleteSnapshot: unary(() => {
      throw grpcErrors.unimplemented("DeleteSnapshot");
    }),
    Seek: unary(() => {
      throw grpcErrors.unimplemented("Seek");
    }),
  };
}
