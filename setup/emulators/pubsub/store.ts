/**
 * The Pub/Sub emulator's state: topics, subscriptions (each with its SubscriptionQueue), message
 * ids, and persistence of all of it (including unacked messages) with `--data_dir`: the catalog
 * (topics, subscription settings, counters) is `<dir>/pubsub/catalog.json`, and each
 * subscription's retained messages are `messages/<hash of its name>.ndjson`, rewritten only when
 * that subscription changed.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { legacySnapshot, PersistScheduler, readJsonFile, readLines, removeFilesExcept, retireLegacySnapshot, serviceDir, writeFileAtomic, writeJsonAtomic } from "../common/persist";
import { matchesFilter } from "./filter";
import { grpcErrors } from "./grpc_util";
import { SubscriptionQueue, type QueuedMessage } from "./subscription_queue";
import type { PubsubMessage, Subscription, Topic } from "./types";

/** Subscriptions whose topic was deleted point here, as on the real service. */
export const DELETED_TOPIC = "_deleted-topic_";

const RESOURCE_ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

/** Checks `projects/{project}/{kind}/{id}` and returns the project. */
export function checkName(name: string, kind: "topics" | "subscriptions" | "snapshots"): string {
  const m = /^projects\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(name);
  if (!m || m[2] !== kind || !RESOURCE_ID.test(m[3]) || m[3].startsWith("goog")) {
    throw grpcErrors.invalid(`Invalid resource name given (name=${name}). Refer to https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names for more information.`);
  }
  return m[1];
}

export function checkProject(project: string): string {
  const m = /^projects\/([^/]+)$/.exec(project);
  if (!m) throw grpcErrors.invalid(`Invalid project name: ${project}`);
  return m[1];
}

interface SavedMessage {
  seq: number;
  attempts: number;
  data: string;
  attributes: Record<string, string>;
  messageId: string;
  publishTime: { seconds: string | number; nanos: number } | null;
  orderingKey: string;
}

interface SavedCatalog {
  nextMessageId: number;
  seq: number;
  topics: Topic[];
  subscriptions: Subscription[];
}

/** The single-file snapshot of emulator versions before the catalog (read once, then migrated). */
interface LegacySnapshot {
  nextMessageId: number;
  topics: Topic[];
  subscriptions: { config: Subscription; messages: SavedMessage[] }[];
}

const messagesFileName = (subscription: string): string => `${createHash("sha256").update(subscription).digest("hex").slice(0, 32)}.ndjson`;

export class PubSubStore {
  readonly topics = new Map<string, Topic>();
  readonly subscriptions = new Map<string, SubscriptionQueue>();
  private nextMessageId = 1;
  private seq = 0;
  private readonly dir: string | undefined;
  private readonly persistence: PersistScheduler;
  /** Subscriptions whose retained messages changed since the last save. */
  private readonly dirty = new Set<string>();

  constructor(dataDir?: string) {
    this.dir = serviceDir(dataDir, "pubsub", "messages");
    this.persistence = new PersistScheduler(this.dir !== undefined ? () => this.persist() : undefined, "Pub/Sub");
    if (dataDir !== undefined) this.load(dataDir);
  }

  close(): void {
    this.persistence.close();
  }

  /** Topics or subscription settings changed. */
  changed(): void {
    this.persistence.changed();
  }
  getTopic(name: string): Topic {
    checkName(name, "topics");
    const topic = this.topics.get(name);
    if (!topic) throw grpcErrors.notFound(`Topic ${name}`);
    return topic;
  }

  createTopic(topic: Topic): Topic {
    checkName(topic.name, "topics");
    if (this.topics.has(topic.name)) throw grpcErrors.alreadyExists(`Topic ${topic.name}`);
    this.topics.set(topic.name, topic);
    this.changed();
    return topic;
  }

  deleteTopic(name: string): void {
    this.getTopic(name);
    this.topics.delete(name);
    for (const queue of this.subscriptions.values()) if (queue.config.topic === name) queue.config.topic = DELETED_TOPIC;
    this.changed();
  }

  getSubscription(name: string): SubscriptionQueue {
    checkName(name, "subscriptions");
    const queue = this.subscriptions.get(name);
    if (!queue) throw grpcErrors.notFound(`Subscription ${name}`);
    return queue;
  }

  createSubscription(config: Subscription): SubscriptionQueue {
    checkName(config.name, "subscriptions");
    if (this.subscriptions.has(config.name)) throw grpcErrors.alreadyExists(`Subscription ${config.name}`);
    this.getTopic(config.topic);
    const queue = this.newQueue(config);
    this.subscriptions.set(config.name, queue);
    this.changed();
    return queue;
  }

  deleteSubscription(name: string): void {
    this.getSubscription(name).clear();
    this.subscriptions.delete(name);
    this.dirty.delete(name);
    this.changed();
  }

  /** Assigns ids and publish time, and fans the messages out to the topic's subscriptions. */
  publish(topicName: string, messages: PubsubMessage[]): string[] {
    this.getTopic(topicName);
    const now = Date.now();
    const publishTime = { seconds: String(Math.floor(now / 1000)), nanos: (now % 1000) * 1_000_000 };
    const queues = [...this.subscriptions.values()].filter((q) => q.config.topic === topicName && !q.config.detached);
    const ids = messages.map((m) => {
      const message: PubsubMessage = { data: m.data, attributes: m.attributes ?? {}, orderingKey: m.orderingKey ?? "", messageId: String(this.nextMessageId++), publishTime };
      const seq = ++this.seq;
      for (const queue of queues) {
        if (matchesFilter(queue.config.filter, message)) queue.enqueue({ seq, message, attempts: 0 }, false);
      }
      return message.messageId;
    });
    // One dispatch per subscription, so a published batch reaches the streams as batches too.
    for (const queue of queues) queue.dispatch();
    this.changed();
    return ids;
  }

  private newQueue(config: Subscription): SubscriptionQueue {
    return new SubscriptionQueue(config, {
      changed: () => {
        this.dirty.add(config.name);
        this.changed();
      },
      deadLetter: (topic, message) => {
        // A missing dead-letter topic drops the message, like a misconfigured real one would.
        if (this.topics.has(topic)) this.publish(topic, [message]);
      },
    });
  }

  /** Saves the catalog and the messages of the subscriptions that changed; drops files of deleted ones. */
  private persist(): void {
    const dir = this.dir as string;
    const messagesDir = path.join(dir, "messages");
    for (const name of [...this.dirty]) {
      const queue = this.subscriptions.get(name);
      if (queue !== undefined) {
        writeFileAtomic(path.join(messagesDir, messagesFileName(name)), (out) => {
          for (const r of queue.retained()) out.line({ seq: r.seq, attempts: r.attempts, ...r.message, data: r.message.data.toString("base64") } satisfies SavedMessage);
        });
      }
      this.dirty.delete(name);
    }
    writeJsonAtomic(path.join(dir, "catalog.json"), { nextMessageId: this.nextMessageId, seq: this.seq, topics: [...this.topics.values()], subscriptions: [...this.subscriptions.values()].map((q) => q.config) } satisfies SavedCatalog);
    removeFilesExcept(messagesDir, new Set([...this.subscriptions.keys()].map(messagesFileName)));
  }

  private load(dataDir: string): void {
    const dir = this.dir as string;
    const catalogFile = path.join(dir, "catalog.json");
    const legacy = legacySnapshot<LegacySnapshot>(dataDir, "pubsub");
    if (legacy !== undefined && !fs.existsSync(catalogFile)) {
      this.nextMessageId = legacy.nextMessageId;
      for (const topic of legacy.topics) this.topics.set(topic.name, topic);
      for (const { config, messages } of legacy.subscriptions) this.restoreSubscription(config, messages);
      for (const name of this.subscriptions.keys()) this.dirty.add(name);
      this.persist();
      retireLegacySnapshot(dataDir, "pubsub");
      return;
    }
    const catalog = readJsonFile<SavedCatalog>(catalogFile);
    if (catalog === undefined) return;
    this.nextMessageId = catalog.nextMessageId;
    this.seq = catalog.seq;
    for (const topic of catalog.topics) this.topics.set(topic.name, topic);
    for (const config of catalog.subscriptions) {
      const file = path.join(dir, "messages", messagesFileName(config.name));
      this.restoreSubscription(config, fs.existsSync(file) ? readLines<SavedMessage>(file) : []);
    }
    this.dirty.clear();
  }

  private restoreSubscription(config: Subscription, messages: Iterable<SavedMessage>): void {
    const queue = this.newQueue(config);
    this.subscriptions.set(config.name, queue);
    for (const m of messages) {
      const queued: QueuedMessage = { seq: m.seq, attempts: m.attempts, message: { data: Buffer.from(m.data, "base64"), attributes: m.attributes, messageId: m.messageId, publishTime: m.publishTime, orderingKey: m.orderingKey } };
      queue.enqueue(queued, false);
      this.seq = Math.max(this.seq, m.seq);
    }
  }
}
