/** `google.pubsub.v1.Publisher`: topic admin and Publish. */
import type * as grpc from "@grpc/grpc-js";
import { checkRequestSize, grpcErrors, paginate, unary } from "./grpc_util";
import { checkName, checkProject, type PubSubStore } from "./store";
import type { Empty, FieldMask, PubsubMessage, Topic } from "./types";

/** Attribute and size limits of the real service, so mistakes surface locally too. */
const MAX_ATTRIBUTES = 100;
/** A Publish request (all its messages, serialized) may be up to 10 MiB. */
export const MAX_PUBLISH_REQUEST_BYTES = 10 * 1024 * 1024;

interface ListRequest {
  pageSize: number;
  pageToken: string;
}

/** Copies the fields named by an update mask (snake_case paths) from `patch` onto `target`. */
export function applyUpdateMask(target: Record<string, unknown>, patch: Record<string, unknown>, mask: FieldMask | null, immutable: string[]): void {
  const paths = mask?.paths ?? [];
  if (paths.length === 0) throw grpcErrors.invalid("The update_mask in the request must be set and contain at least one path");
  for (const path of paths) {
    const field = path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (immutable.includes(field)) throw grpcErrors.invalid(`Field ${path} cannot be updated`);
    if (!(field in patch)) throw grpcErrors.invalid(`Invalid update_mask provided: unknown field ${path}`);
    target[field] = patch[field];
  }
}

export function publisherService(store: PubSubStore): grpc.UntypedServiceImplementation {
  return {
    CreateTopic: unary((topic: Topic): Topic => store.createTopic({ ...topic, labels: topic.labels ?? {}, state: "ACTIVE" })),

    GetTopic: unary((req: { topic: string }): Topic => store.getTopic(req.topic)),

    UpdateTopic: unary((req: { topic: Topic; updateMask: FieldMask | null }): Topic => {
      const topic = store.getTopic(req.topic?.name ?? "");
      applyUpdateMask(topic, req.topic, req.updateMask, ["name"]);
      store.changed();
      return topic;
    }),

    DeleteTopic: unary((req: { topic: string }): Empty => {
      store.deleteTopic(req.topic);
      return {};
    }),

    ListTopics: unary((req: ListRequest & { project: string }) => {
      const project = checkProject(req.project);
      const topics = [...store.topics.values()].filter((t) => t.name.startsWith(`projects/${project}/`)).sort((a, b) => (a.name < b.name ? -1 : 1));
      const { page, nextPageToken } = paginate(topics, req.pageSize, req.pageToken);
      return { topics: page, nextPageToken };
    }),

    ListTopicSubscriptions: unary((req: ListRequest & { topic: string }) => {
      store.getTopic(req.topic);
      const names = [...store.subscriptions.values()]
        .filter((q) => q.config.topic === req.topic)
        .map((q) => q.config.name)
        .sort();
      const { page, nextPageToken } = paginate(names, req.pageSize, req.pageToken);
      return { subscriptions: page, nextPageToken };
    }),

    ListTopicSnapshots: unary((req: ListRequest & { topic: string }) => {
      store.getTopic(req.topic);
      return { snapshots: [], nextPageToken: "" };
    }),

    DetachSubscription: unary((req: { subscription: string }) => {
      const queue = store.getSubscription(req.subscription);
      queue.config.detached = true;
      queue.clear();
      return {};
    }),

    Publish: unary((req: { topic: string; messages: PubsubMessage[] }) => {
      checkRequestSize(req, MAX_PUBLISH_REQUEST_BYTES);
      checkName(req.topic, "topics");
      if (!req.messages || req.messages.length === 0) throw grpcErrors.invalid("The request contains no messages");
      req.messages.forEach((m, i) => {
        const attributes = Object.keys(m.attributes ?? {});
        if ((m.data?.length ?? 0) === 0 && attributes.length === 0) {
          throw grpcErrors.invalid(`Message ${i} has neither data nor attributes; at least one is required`);
        }
        if (attributes.length > MAX_ATTRIBUTES) throw grpcErrors.invalid(`Message ${i} has ${attributes.length} attributes; at most ${MAX_ATTRIBUTES} are allowed`);
      });
      return { messageIds: store.publish(req.topic, req.messages) };
    }),
  };
}
