/**
 * The runner-executed primitives besides ParDo: Impulse, GroupByKey, Flatten, WindowInto. Like
 * every library transform they are made by static factories (`GroupByKey.create()`,
 * `Flatten.with(other)`, `Window.into(windowFn)`), never with `new`.
 */
import type { Coder } from "../coders/coder";
import { IterableCoder, KVCoder, KV_URN } from "../coders/structural";
import { BytesCoder } from "../coders/bytes";
import { PipelineConstructionError } from "./errors";
import { PBegin, PCollection } from "./pcollection";
import { PTransform } from "./transform";
import type { TransformNode } from "./pipeline";
import type { KV } from "./window";
import { WindowFn, WindowingStrategy, AccumulationMode, ClosingBehavior, OnTimeBehavior, TimestampCombiner, timestampCombinerProblem, windowFnsCompatible } from "./windowing";
import { describeTrigger, triggerMayFinish, triggersCompatible, type Trigger } from "./triggers";

const GLOBAL_WINDOWS_URN = "beam:window_fn:global_windows:v1";

/**
 * Emits one empty byte array in the global window: the root of every bounded read. Its output's
 * coder is `BytesCoder` (Beam's `beam:coder:bytes:v1`), set when it is applied.
 */
export class Impulse extends PTransform<PBegin, PCollection<Uint8Array>> {
  private constructor() {
    super();
  }

  /** `p.apply(Impulse.create())`. */
  static create(): Impulse {
    return new Impulse();
  }

  expand(input: PBegin): PCollection<Uint8Array> {
    const node = input.pipeline.currentNode();
    node.primitive = { kind: "impulse" };
    // As Beam's Impulse (Java's ByteArrayCoder, Python's BytesCoder): its output is bytes, coded by
    // Beam's standard bytes coder from the start, not only once a runner translates the graph.
    return input.pipeline.createOutput<Uint8Array>(node, "main").setCoder(BytesCoder.INSTANCE);
  }
}

/**
 * Groups the values of each key (per window): KV<K, V> → KV<K, V[]>.
 *
 * An unbounded input in the global window needs a trigger (as Beam refuses it too): the global
 * window never ends, so under the default trigger the grouping would never emit. Window it
 * (`Window.into(new FixedWindows(...))`) or trigger it (`Window.into(new GlobalWindows(),
 * { trigger: Repeatedly(AfterCount(1)) })`) first. A trigger that may finish (AfterCount(n)
 * not in Repeatedly, ...) is refused too, as it drops the data that comes after. Beam Python's
 * `--allow_unsafe_triggers` (`allowUnsafeTriggers: true`) accepts both.
 */
export class GroupByKey<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>> {
  private constructor() {
    super();
  }

  /** `pairs.apply(GroupByKey.create())`: the key and value types come from where it is applied. */
  static create<K, V>(): GroupByKey<K, V> {
    return new GroupByKey<K, V>();
  }

  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, V[]>> {
    const node = input.pipeline.currentNode();
    const w = input.windowing;
    // Beam Python's --allow_unsafe_triggers lifts both checks below (Beam Java has no such flag).
    const checked = !input.pipeline.options.allowUnsafeTriggers;
    if (checked && !input.isBounded && w.windowFn.urn === GLOBAL_WINDOWS_URN && (w.trigger === undefined || w.trigger.kind === "default")) {
      throw new PipelineConstructionError(
        `GroupByKey cannot be applied to an unbounded PCollection (${input.describe()}) in the global window with the default trigger: ` +
          `the global window never ends, so it would never emit. Apply Window.into before it with a window function ` +
          `(e.g. Window.into(new FixedWindows(60_000))) or a trigger (e.g. Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)) }))`,
        node.fullName,
      );
    }
    // As Beam Python (TriggerFn.may_lose_data, overridable by --allow_unsafe_triggers) and Beam
    // Java (GroupByKey's triggerIsSafe): a trigger that may finish drops the data that arrives
    // for its window afterwards.
    if (checked && w.trigger !== undefined && triggerMayFinish(w.trigger, w.allowedLatenessMillis)) {
      throw new PipelineConstructionError(
        `Unsafe trigger ${describeTrigger(w.trigger)} on ${input.describe()} may lose data: it may finish, and data arriving for a window after ` +
          `its trigger has finished is dropped. Wrap it in Repeatedly(...)${w.allowedLatenessMillis > 0 ? " (or give AfterWatermark late firings)" : ""}, ` +
          `or pass --allow_unsafe_triggers (allowUnsafeTriggers: true) to accept the loss, as in Beam Python`,
        node.fullName,
      );
    }
    // As Beam Java (at apply: "must be deterministic") and Beam Python (when translating,
    // as_deterministic_coder): runners group by the key's bytes, so a key coder that may encode
    // equal keys differently would split their groups.
    const keyCoder = input.coder !== undefined && input.coder.urn === KV_URN && input.coder.components.length === 2 ? input.coder.components[0]! : undefined;
    if (keyCoder !== undefined && !keyCoder.deterministic && !input.pipeline.options.allowNonDeterministicKeyCoders) {
      throw new PipelineConstructionError(
        `GroupByKey groups by the encoded key, but the key coder of ${input.describe()} (${keyCoder.urn}) does not encode deterministically: ` +
          `equal keys could encode differently and be grouped apart. Set a KV coder with a deterministic key coder on it ` +
          `(e.g. new KVCoder(new StringUtf8Coder(), valueCoder)), or none (the default key coder encodes plain JS values deterministically); ` +
          `--allow_non_deterministic_key_coders (allowNonDeterministicKeyCoders: true) accepts it, unsafely, as in Beam Python`,
        node.fullName,
      );
    }
    node.primitive = { kind: "gbk" };
    const out = input.pipeline.createOutput<KV<K, V[]>>(node, "main", input.windowing, input.isBounded);
    // As Beam: a KV coder's key and value coders carry over to the groups (KV<K, Iterable<V>>), so
    // values only a coder of their own can encode (a reified window) survive the grouping.
    if (input.coder instanceof KVCoder) out.setCoder(new KVCoder(input.coder.keyCoder as Coder<K>, new IterableCoder(input.coder.valueCoder as Coder<V>)) as Coder<unknown> as Coder<KV<K, V[]>>);
    return out;
  }
}

/**
 * Merges PCollections of the same type into one: `a.apply(Flatten.with(b, c))` merges `a`, `b`
 * and `c` (Beam Python's FlattenWith; one runner-executed Flatten over all of them), and
 * `p.apply(Flatten.pCollections(a, b, c))` does the same from a list, which may be empty (Beam
 * Java's `PCollectionList.apply(Flatten.pCollections())`, Beam Python's `(a, b, c) | Flatten()`).
 */
export class Flatten<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private constructor(private readonly others: readonly PCollection<T>[]) {
    super();
  }

  /** The collection it is applied to, merged with `others` (all of one element type). */
  static with<T>(...others: readonly PCollection<T>[]): Flatten<T> {
    return new Flatten<T>(others);
  }

  /**
   * The collections merged, applied to the pipeline: `p.apply(Flatten.pCollections(a, b, c))`.
   * With none (`p.apply(Flatten.pCollections<string>())`) the output is an empty bounded
   * collection in the global window, as Beam's Flatten of an empty list.
   */
  static pCollections<T>(...collections: readonly PCollection<T>[]): PTransform<PBegin, PCollection<T>> {
    return new FlattenPCollections<T>(collections);
  }

  /**
   * The items of each iterable element (array, Set, ...) as elements: `PCollection<Iterable<T>>`
   * → `PCollection<T>` (Beam Java's `Flatten.iterables()`, Python's `beam.FlatMap()`). With an
   * IterableCoder on the input, the output has its element coder.
   */
  static iterables<T>(): PTransform<PCollection<Iterable<T>>, PCollection<T>> {
    // Loaded on first use (lib/transforms/flatten_iterables): a word count never needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FlattenIterables } = require("../transforms/flatten_iterables") as typeof import("../transforms/flatten_iterables");
    return new FlattenIterables<T>();
  }

  /** @internal The other merged collections are inputs of the application too. */
  override additionalInputs(): readonly PCollection<unknown>[] {
    return this.others as readonly PCollection<unknown>[];
  }

  expand(first: PCollection<T>): PCollection<T> {
    return flattenInto(first.pipeline.currentNode(), [first, ...this.others]);
  }
}

/** Flatten.pCollections: a Flatten of a list of collections, applied to the pipeline. */
class FlattenPCollections<T> extends PTransform<PBegin, PCollection<T>> {
  constructor(private readonly collections: readonly PCollection<T>[]) {
    super("Flatten");
  }

  /** @internal The merged collections are the application's inputs (it is applied to the pipeline). */
  override additionalInputs(): readonly PCollection<unknown>[] {
    return this.collections as readonly PCollection<unknown>[];
  }

  expand(input: PBegin): PCollection<T> {
    if (this.collections.length > 0) return flattenInto(input.pipeline.currentNode(), this.collections);
    // A Flatten of nothing: runners execute a Flatten as the union of its inputs' data, which has
    // nowhere to start without any, so this is an empty source instead (as Beam Java's runners
    // replace it, EmptyFlattenAsCreateFactory; Beam Python's runner gives it an impulse).
    return input.apply("Impulse", Impulse.create()).flatMap("Empty", (): T[] => []);
  }
}

/** Makes `node` the runner-executed Flatten of `inputs` (at least one), after Beam's checks. */
function flattenInto<T>(node: TransformNode, inputs: readonly PCollection<T>[]): PCollection<T> {
  const first = inputs[0]!;
  const pipeline = first.pipeline;
  const windowing = first.windowing;
  for (const pc of inputs) {
    if (!windowFnsCompatible(windowing.windowFn, pc.windowing.windowFn)) {
      throw new PipelineConstructionError(
        `Flatten inputs must have the same windowing; ${pc.describe()} differs from ${first.describe()}. Apply the same Window.into to each input first.`,
        node.fullName,
      );
    }
    // As Beam Java's Flatten: the output fires by one trigger, so the inputs must agree on it.
    if (!triggersCompatible(windowing.trigger, pc.windowing.trigger)) {
      throw new PipelineConstructionError(
        `Flatten inputs have incompatible triggers: ${describeTrigger(pc.windowing.trigger ?? { kind: "default" })} on ${pc.describe()}, ` +
          `${describeTrigger(windowing.trigger ?? { kind: "default" })} on ${first.describe()}. Apply Window.into with the same trigger to each input first.`,
        node.fullName,
      );
    }
  }
  node.primitive = { kind: "flatten" };
  const out = pipeline.createOutput<T>(node, "main", windowing, inputs.every((pc) => pc.isBounded));
  // As Beam Java's Flatten: the output takes the first input's coder, so values only their own
  // coder can encode (reified windows, values of a setCoder) flow on.
  if (first.coder !== undefined) out.setCoder(first.coder);
  return out;
}

/** Options of Window.into beyond the window function. */
export interface WindowIntoOptions {
  /** How long after a window's end late data is still accepted (default 0); later data is dropped and counted. */
  readonly allowedLatenessMillis?: number;
  /** Whether a pane repeats earlier panes' elements ("ACCUMULATING") or holds only new ones ("DISCARDING", the default). */
  readonly accumulationMode?: AccumulationMode;
  /** The timestamp of a grouped result: "END_OF_WINDOW" (default), "EARLIEST" or "LATEST" of its inputs. */
  readonly timestampCombiner?: TimestampCombiner;
  /** When grouped results are emitted (default: at the watermark, then per late element). */
  readonly trigger?: Trigger;
  /** Whether an empty on-time pane is emitted (default "FIRE_ALWAYS", as in Beam). */
  readonly onTimeBehavior?: OnTimeBehavior;
  /**
   * Whether a window's last pane (at its expiry, or when its trigger finishes) is emitted when it
   * holds nothing new (default "FIRE_IF_NON_EMPTY", as in Beam Java's
   * `withAllowedLateness(d, ClosingBehavior)`).
   */
  readonly closingBehavior?: ClosingBehavior;
}

/** Assigns elements to windows by their timestamps (Beam's WindowInto): `Window.into(new FixedWindows(60_000))`. */
export class Window<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private constructor(
    /** Assigns each element its windows. */
    readonly windowFn: WindowFn,
    /** Trigger, lateness, accumulation and timestamp combiner. */
    readonly options: WindowIntoOptions,
  ) {
    super(`WindowInto(${windowFn.constructor.name})`);
  }

  /** Windows by `windowFn`, with a trigger, lateness and so on; the element type comes from where it is applied. */
  static into<T>(windowFn: WindowFn, options: WindowIntoOptions = {}): Window<T> {
    return new Window<T>(windowFn, options);
  }

  /**
   * Keeps the input's window function and windows, and sets what `options` gives (a trigger,
   * the allowed lateness, ...), keeping the input's other settings: Beam Java's
   * `Window.configure()`. Unlike `Window.into(sameFn, options)`, elements are not assigned to
   * windows again, so each stays in the window it is in (a copy per sliding window stays one
   * copy; a grouped result stays in its window whatever its timestamp). The allowed lateness
   * only grows, as in Beam Java: the larger of the input's and the one given.
   *
   * ```ts
   * windowed.apply(Window.configure({ trigger: AfterWatermark({ late: AfterCount(1) }), allowedLatenessMillis: 60_000, accumulationMode: "ACCUMULATING" }));
   * ```
   */
  static configure<T>(options: WindowIntoOptions): PTransform<PCollection<T>, PCollection<T>> {
    return new WindowConfigure<T>(options);
  }

  expand(input: PCollection<T>): PCollection<T> {
    const node = input.pipeline.currentNode();
    const combinerProblem = this.options.timestampCombiner !== undefined ? timestampCombinerProblem(this.options.timestampCombiner) : undefined;
    if (combinerProblem !== undefined) throw new PipelineConstructionError(`Window.into: ${combinerProblem}`, node.fullName);
    const windowing: WindowingStrategy = {
      windowFn: this.windowFn,
      timestampCombiner: this.options.timestampCombiner ?? "END_OF_WINDOW",
      accumulationMode: this.options.accumulationMode ?? "DISCARDING",
      allowedLatenessMillis: this.options.allowedLatenessMillis ?? 0,
      ...(this.options.trigger !== undefined ? { trigger: this.options.trigger } : {}),
      ...(this.options.onTimeBehavior !== undefined ? { onTimeBehavior: this.options.onTimeBehavior } : {}),
      ...(this.options.closingBehavior !== undefined ? { closingBehavior: this.options.closingBehavior } : {}),
    };
    node.primitive = { kind: "window_into", windowing };
    const out = input.pipeline.createOutput<T>(node, "main", windowing, input.isBounded);
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}

/**
 * Window.configure: a new windowing strategy over the same windows. As in Beam Java, where
 * `Window.configure()` without a window function expands to a Flatten of its one input with the
 * new strategy: no window assignment runs, the elements pass through unchanged.
 */
class WindowConfigure<T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor(private readonly options: WindowIntoOptions) {
    super("WindowConfigure");
  }

  expand(input: PCollection<T>): PCollection<T> {
    const node = input.pipeline.currentNode();
    const o = this.options;
    const combinerProblem = o.timestampCombiner !== undefined ? timestampCombinerProblem(o.timestampCombiner) : undefined;
    if (combinerProblem !== undefined) throw new PipelineConstructionError(`Window.configure: ${combinerProblem}`, node.fullName);
    const w = input.windowing;
    const windowing: WindowingStrategy = {
      ...w,
      ...(o.timestampCombiner !== undefined ? { timestampCombiner: o.timestampCombiner } : {}),
      ...(o.accumulationMode !== undefined ? { accumulationMode: o.accumulationMode } : {}),
      ...(o.allowedLatenessMillis !== undefined ? { allowedLatenessMillis: Math.max(o.allowedLatenessMillis, w.allowedLatenessMillis) } : {}),
      ...(o.trigger !== undefined ? { trigger: o.trigger } : {}),
      ...(o.onTimeBehavior !== undefined ? { onTimeBehavior: o.onTimeBehavior } : {}),
      ...(o.closingBehavior !== undefined ? { closingBehavior: o.closingBehavior } : {}),
    };
    node.primitive = { kind: "flatten" };
    const out = input.pipeline.createOutput<T>(node, "main", windowing, input.isBounded);
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}
