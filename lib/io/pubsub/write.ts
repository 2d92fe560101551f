/**
 * WriteToPubSub: publishes each element as a message and produces the message ids.
 *
 *     results.apply(WriteToPubSub.to("projects/my-project/topics/mnist_predict"))
 *
 * Elements are bytes (`Uint8Array`), text (published as UTF-8) or, with attributes,
 * `{data, attributes}`. Publishes are batched (the client's batching, up to 100 messages or
 * 10 ms per request) and awaited at the end of each bundle; transient errors are retried with
 * exponential backoff; any other failure fails the run with a message naming the topic, so
 * nothing is dropped silently. A missing topic fails before the run.
 *
 * Steps: `ToProtobuf` checks each element and serializes it as a PubsubMessage proto, then
 * `Write` (Beam's pubsub_write composite) publishes. Dataflow replaces `Write` with its native
 * sink, which then produces no message ids.
 */
import { randomUUID } from "node:crypto";
import type { Topic } from "@google-cloud/pubsub";
import { BundleContext, DoFn, ProcessContext } from "../../model/dofn";
import { ValidationError } from "../../model/errors";
import { PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { PTransform, ValidationContext } from "../../model/transform";
import { withRetries } from "../gcp/errors";
import { decodePubsubMessage, encodePubsubMessage } from "./message_proto";
import { parsePubSubName, resolve, rpc, topicError, type PubsubMessage } from "./resources";

/** What can be published. */
export type PubSubPayload = Uint8Array | string | Pick<PubsubMessage, "data" | "attributes">;

/** Options of WriteToPubSub. */
export interface WriteToPubSubOptions {
  /** Elements are `{data, attributes}` messages (checked; other payloads are accepted too). */
  readonly withAttributes?: boolean;
  /** Put a unique id in this attribute of every message (for dedup by readers). */
  readonly idAttribute?: string;
  /** Put the element's timestamp (epoch milliseconds) in this attribute. */
  readonly timestampAttribute?: string;
  /** Project of a bare topic name (default: --project, then the environment's). */
  readonly project?: string;
  /** Messages buffered before a bundle waits for its publishes (default 1000). */
  readonly maxPending?: number;
  /** Attempts per publish on transient errors (default 5). */
  readonly maxAttempts?: number;
}

interface Pending {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
}

/** Checks each element and serializes it as a PubsubMessage proto (what a native Pub/Sub sink takes). */
class ToMessageProto extends DoFn<PubSubPayload, Uint8Array> {
  constructor(
    private readonly topicSpec: string,
    private readonly withAttributes: boolean,
  ) {
    super();
  }

  process(element: PubSubPayload, ctx: ProcessContext<Uint8Array>): void {
    let data: Uint8Array;
    let attributes: Readonly<Record<string, string>> = {};
    if (typeof element === "string") data = utf8.encode(element);
    else if (element instanceof Uint8Array) data = element;
    else if (typeof element === "object" && element !== null && element.data instanceof Uint8Array) {
      data = element.data;
      attributes = element.attributes ?? {};
      for (const [k, v] of Object.entries(attributes)) {
        if (typeof v !== "string") throw new TypeError(`WriteToPubSub(${this.topicSpec}): attribute '${k}' must be a string, got ${typeof v}`);
      }
    } else {
      throw new TypeError(`WriteToPubSub(${this.topicSpec}) got an element that is not bytes, a string or {data: Uint8Array, attributes}`);
    }
    if (this.withAttributes && (typeof element === "string" || element instanceof Uint8Array)) {
      throw new TypeError(`WriteToPubSub(${this.topicSpec}) with withAttributes expects {data, attributes} elements`);
    }
    ctx.output(encodePubsubMessage({ data, attributes }));
  }
}

const utf8 = new TextEncoder();

/** Publishes serialized messages (Beam's pubsub_write composite; Dataflow replaces it with its native sink). */
class PublishMessages extends DoFn<Uint8Array, string> {
  private pending: Pending[] = [];
  private topic: Topic | undefined;
  private path = "";

  constructor(
    private readonly topicSpec: string,
    private readonly options: WriteToPubSubOptions,
  ) {
    super();
  }

  setup(runtime: { readonly options: { readonly project?: string } }): void {
    const { client, path } = resolve(this.topicSpec, "topics", this.options.project ?? runtime.options.project);
    this.path = path;
    this.topic = client.topic(path, { batching: { maxMessages: 100, maxMilliseconds: 10 } });
  }

  startBundle(): void {
    this.pending = [];
  }

  process(element: Uint8Array, ctx: ProcessContext<string>): void | Promise<void> {
    const message = decodePubsubMessage(element);
    const attributes = { ...message.attributes };
    if (this.options.idAttribute !== undefined) attributes[this.options.idAttribute] ??= randomUUID();
    if (this.options.timestampAttribute !== undefined) attributes[this.options.timestampAttribute] = String(Math.trunc(ctx.timestamp));
    this.pending.push({ data: Buffer.from(message.data), attributes });
    if (this.pending.length >= (this.options.maxPending ?? 1000)) return this.flush((id) => ctx.output(id));
    return undefined;
  }

  async finishBundle(ctx: BundleContext<string>): Promise<void> {
    await this.flush((id) => ctx.output(id));
  }

  private async flush(emit: (id: string) => void): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const topic = this.topic!;
    let ids: string[];
    try {
      ids = await Promise.all(
        batch.map((m) =>
          withRetries(() => topic.publishMessage({ data: m.data, attributes: m.attributes }), { attempts: this.options.maxAttempts ?? 5, initialDelayMs: 200 }),
        ),
      );
    } catch (err) {
      throw topicError(`publish ${batch.length} messages to`, this.path, err);
    }
    for (const id of ids) emit(id);
  }

  async teardown(): Promise<void> {
    await this.topic?.flush().catch(() => undefined);
  }
}

/** Publishes elements to a topic (`projects/P/topics/T` or `T`); produces the message ids. */
export class WriteToPubSub extends PTransform<PCollection<PubSubPayload>, PCollection<string>> {
  /** `payloads.apply(WriteToPubSub.to("projects/p/topics/t"))`: the published message ids. */
  static to(topic: string, options: WriteToPubSubOptions = {}): WriteToPubSub {
    return new WriteToPubSub(topic, options);
  }

  private constructor(
    /** The topic published to. */
    readonly topic: string,
    /** Attributes, batching and retries. */
    readonly options: WriteToPubSubOptions,
  ) {
    super("WriteToPubSub");
    resolveName(topic);
  }

  expand(input: PCollection<PubSubPayload>): PCollection<string> {
    const protos = input.apply("ToProtobuf", ParDo.of(new ToMessageProto(this.topic, this.options.withAttributes === true)));
    return protos.apply("Write", new PubSubWriteNative(this.topic, this.options));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    const { client, path } = resolve(this.topic, "topics", this.options.project ?? ctx.options.project);
    try {
      await rpc(client, "PublisherClient", "getTopic", { topic: path });
    } catch (err) {
      throw new ValidationError(`${ctx.transformName}: ${topicError("publish to", path, err).message}`, { cause: err });
    }
  }
}

/** URN of Beam's Pub/Sub write composite (runner-native on Dataflow). */
export const PUBSUB_WRITE_URN = "beam:transform:pubsub_write:v1";

/** What a runner needs to write Pub/Sub natively (the fields of Beam's PubSubWritePayload). */
export interface PubSubWriteSpec {
  readonly urn: typeof PUBSUB_WRITE_URN;
  /** Full path `projects/P/topics/T`. */
  readonly topic: string;
  readonly timestampAttribute: string;
  readonly idAttribute: string;
}

declare module "../../model/pipeline" {
  interface CompositeSpecs {
    [PUBSUB_WRITE_URN]: PubSubWriteSpec;
  }
}

/**
 * The publishing step. On the DirectRunner and portable runners it is our DoFn; runners with a
 * native Pub/Sub sink replace it (and then produce no message ids).
 */
class PubSubWriteNative extends PTransform<PCollection<Uint8Array>, PCollection<string>> {
  constructor(
    private readonly topic: string,
    private readonly options: WriteToPubSubOptions,
  ) {
    super("PubSubWrite");
  }

  expand(input: PCollection<Uint8Array>): PCollection<string> {
    const parsed = parsePubSubName(this.topic, "topics");
    const spec: PubSubWriteSpec = {
      urn: PUBSUB_WRITE_URN,
      topic: `projects/${parsed.project ?? this.options.project ?? input.pipeline.options.project ?? "-"}/topics/${parsed.name}`,
      timestampAttribute: this.options.timestampAttribute ?? "",
      idAttribute: this.options.idAttribute ?? "",
    };
    input.pipeline.currentNode().composite = spec;
    return input.apply("Publish", ParDo.of(new PublishMessages(this.topic, this.options)));
  }
}

function resolveName(topic: string): void {
  if (!/^(projects\/[^/]+\/topics\/[^/]+|[^/]+)$/.test(topic)) {
    throw new ValidationError(`'${topic}' is not a Pub/Sub topic name; write projects/PROJECT/topics/NAME or just NAME.`);
  }
}
