/**
 * WriteToPubSub: publishes each element as a message and produces the message ids.
 *
 *     results.apply(WriteToPubSub.to("projects/my-project/topics/mnist_predict"))
 *
 * Elements are bytes (`Uint8Array`), text (published as UTF-8) or, with attributes,
 * `{data, attributes}`. A Publish request goes out as soon as SEND_AT messages are waiting (and
 * with what is left when the bundle ends), without waiting for the previous one, so the service
 * works while the bundle goes on; all of a bundle's requests are awaited before it completes (up
 * to `maxPending` messages in flight). Transient errors are retried with
 * exponential backoff; any other failure fails the run with a message naming the topic, so
 * nothing is dropped silently. A missing topic fails before the run.
 *
 * Steps: `ToProtobuf` checks each element and serializes it as a PubsubMessage proto, then
 * `Write` (Beam's pubsub_write composite) publishes; with `idAttribute` it first gives each message
 * its id and reshuffles them, so a retried bundle republishes under the same ids. Dataflow replaces `Write` with its native
 * sink, which then produces no message ids.
 */
import { randomUUID } from "node:crypto";
import type { PubSub } from "@google-cloud/pubsub";
import { BundleContext, DoFn, ProcessContext } from "../../model/dofn";
import type { BoundedWindow, Instant } from "../../model/window";
import { ValidationError } from "../../model/errors";
import { PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { PTransform, ValidationContext } from "../../model/transform";
import { Reshuffle } from "../../transforms/util";
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
  /** Messages waiting or in flight before the bundle waits for its publishes to complete (default 1000). */
  readonly maxPending?: number;
  /** Attempts per publish on transient errors (default 5). */
  readonly maxAttempts?: number;
}

interface Pending {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
}

/** Where a message's id goes: its element's timestamp and window. */
interface Placement {
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

/** A Publish request on its way, with the placement of each of its messages' ids. */
interface InFlight {
  readonly placements: readonly Placement[];
  readonly ids: Promise<string[]>;
  settled: boolean;
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

/** Byte limit of one Publish request (the service's is 10 MB; kept under with room for framing). */
const PUBLISH_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Messages waiting that start a Publish request (the service takes up to 1,000 per request): about
 * one model batch of results, so the service publishes a batch while the next one is computed,
 * and a request's fixed cost is shared by many messages.
 */
const SEND_AT = 200;

/** Puts a new unique id in `idAttribute` of each serialized message that has none. */
class AssignMessageIds extends DoFn<Uint8Array, Uint8Array> {
  constructor(private readonly idAttribute: string) {
    super();
  }

  process(element: Uint8Array, ctx: ProcessContext<Uint8Array>): void {
    const message = decodePubsubMessage(element);
    if (message.attributes[this.idAttribute] !== undefined) return ctx.output(element);
    ctx.output(encodePubsubMessage({ data: message.data, attributes: { ...message.attributes, [this.idAttribute]: randomUUID() } }));
  }
}

/** Publishes serialized messages (Beam's pubsub_write composite; Dataflow replaces it with its native sink). */
class PublishMessages extends DoFn<Uint8Array, string> {
  private pending: Pending[] = [];
  private placements: Placement[] = [];
  private pendingBytes = 0;
  private inFlight: InFlight[] = [];
  private inFlightMessages = 0;
  private client: PubSub | undefined;
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
    this.client = client;
  }

  startBundle(): void {
    this.pending = [];
    this.placements = [];
    this.pendingBytes = 0;
    this.inFlight = [];
  }

  process(element: Uint8Array, ctx: ProcessContext<string>): void | Promise<void> {
    const message = decodePubsubMessage(element);
    const attributes = { ...message.attributes };
    if (this.options.timestampAttribute !== undefined) attributes[this.options.timestampAttribute] = String(Math.trunc(ctx.timestamp));
    const data = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
    const size = data.length + 64 + Object.entries(attributes).reduce((n, [k, v]) => n + k.length + v.length, 0);
    // A request stays within the service's size limit (a message larger than it goes alone, and the service says no).
    if (this.pendingBytes + size > PUBLISH_MAX_BYTES) this.send();
    this.pending.push({ data, attributes });
    this.placements.push({ timestamp: ctx.timestamp, window: ctx.window });
    this.pendingBytes += size;
    if (this.pending.length >= SEND_AT) this.send();
    // Too much in flight: this element waits for the oldest request (the bundle's memory stays bounded).
    if (this.inFlightMessages >= (this.options.maxPending ?? 1000)) return this.settleOldest();
    return undefined;
  }

  async finishBundle(ctx: BundleContext<string>): Promise<void> {
    this.send();
    const requests = this.inFlight;
    this.inFlight = [];
    // Every request is awaited (none left running unobserved), then the first failure fails the bundle.
    const results = await Promise.allSettled(requests.map((r) => r.ids));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    requests.forEach((r, i) => {
      const ids = (results[i] as PromiseFulfilledResult<string[]>).value;
      ids.forEach((id, j) => ctx.output(id, r.placements[j]));
    });
  }

  /** Waits for the oldest request still running; its ids are emitted with the rest at the end of the bundle. */
  private async settleOldest(): Promise<void> {
    await this.inFlight.find((r) => !r.settled)?.ids;
  }

  /** Starts a Publish request with the waiting messages. */
  private send(): void {
    const messages = this.pending;
    if (messages.length === 0) return;
    const placements = this.placements;
    this.pending = [];
    this.placements = [];
    this.pendingBytes = 0;
    const client = this.client!;
    const ids = withRetries(
      async () => {
        const response = await rpc<{ messageIds?: string[] }>(client, "PublisherClient", "publish", { topic: this.path, messages });
        if (response.messageIds?.length !== messages.length) throw new Error(`the service returned ${response.messageIds?.length ?? 0} message ids for ${messages.length} messages`);
        return response.messageIds;
      },
      { attempts: this.options.maxAttempts ?? 5, initialDelayMs: 200 },
    ).catch((err: unknown) => {
      throw topicError(`publish ${messages.length} messages to`, this.path, err);
    });
    const request: InFlight = { placements, ids, settled: false };
    this.inFlight.push(request);
    this.inFlightMessages += messages.length;
    // Observed at once (the bundle reports a failure when it ends), so a failure is never unhandled.
    ids.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      request.settled = true;
      this.inFlightMessages -= messages.length;
    });
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
    let messages = input;
    const { idAttribute } = this.options;
    if (idAttribute !== undefined) {
      // Ids first, then a shuffle (Beam's PubsubUnboundedSink: ShardFn, then GroupByKey): a
      // retried bundle of Publish sends messages again under the ids they had, so readers
      // de-duplicating on the attribute see each element once.
      const withIds = input.apply("AssignIds", ParDo.of(new AssignMessageIds(idAttribute)));
      if (input.coder !== undefined) withIds.setCoder(input.coder);
      messages = withIds.apply("Reshuffle", Reshuffle.viaRandomKey<Uint8Array>());
    }
    return messages.apply("Publish", ParDo.of(new PublishMessages(this.topic, this.options)));
  }
}

function resolveName(topic: string): void {
  if (!/^(projects\/[^/]+\/topics\/[^/]+|[^/]+)$/.test(topic)) {
    throw new ValidationError(`'${topic}' is not a Pub/Sub topic name; write projects/PROJECT/topics/NAME or just NAME.`);
  }
}
