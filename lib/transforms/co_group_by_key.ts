/**
 * CoGroupByKey: groups several keyed collections by key at once (Beam Python's
 * `{'emails': pc1, 'phones': pc2} | beam.CoGroupByKey()`, Beam Java's KeyedPCollectionTuple and
 * CoGbkResult).
 *
 * A composite of the primitives every runner executes: each input's values are tagged with the
 * input's position, the tagged collections are flattened, grouped by key, and each group is split
 * back into one array per input. So it runs wherever GroupByKey and Flatten run, batch and
 * streaming, and follows their windowing: inputs must be windowed and triggered compatibly (as
 * Beam's Flatten requires), and each window's groups are joined on their own.
 */
import { PipelineConstructionError } from "../model/errors";
import { PBegin, PCollection } from "../model/pcollection";
import { Flatten, GroupByKey } from "../model/primitives";
import { PTransform } from "../model/transform";
import type { Pipeline } from "../model/pipeline";
import { describeTrigger, triggersCompatible } from "../model/triggers";
import { KV, kv } from "../model/window";
import { windowFnsCompatible, type WindowFn } from "../model/windowing";

/** A window function for messages: its class and parameters, e.g. `FixedWindows({"size":60000,"offset":0})`. */
function describeWindowFn(fn: WindowFn): string {
  return `${fn.constructor.name}(${JSON.stringify(fn.config)})`;
}

/** The inputs of a CoGroupByKey: keyed collections by tag. */
export type CoGbkInputs = { readonly [tag: string]: PCollection<KV<unknown, unknown>> };

/** The key type of one keyed input. */
type KeyOf<P> = P extends PCollection<KV<infer K, unknown>> ? K : never;
/** The value type of one keyed input. */
type ValueOf<P> = P extends PCollection<KV<unknown, infer V>> ? V : never;

/** The key type of a CoGroupByKey over `R` (every input's key type). */
export type CoGbkKey<R extends CoGbkInputs> = { [T in keyof R]: KeyOf<R[T]> }[keyof R];

/** The inputs of a CoGroupByKey given as a list (Beam Python's `(pc1, pc2) | CoGroupByKey()`). */
export type CoGbkInputList = readonly PCollection<KV<unknown, unknown>>[];

/** One key's values from each input of a list: an array per input, in the inputs' order (Python's tuple of lists). */
export type CoGbkListResult<L extends CoGbkInputList> = { -readonly [I in keyof L]: ValueOf<L[I]>[] };

/** `L` when all its inputs have one key type; otherwise each input whose key type differs is replaced by a message type. */
export type SameKeyInputList<L extends CoGbkInputList> = {
  readonly [I in keyof L]: [KeyOf<L[number]>] extends [KeyOf<L[I]>] ? L[I] : `CoGroupByKey: input ${I & string} has another key type than the other inputs`;
};

/**
 * One key's values from each input (Beam Java's CoGbkResult): an array per tag, empty when that
 * input has no value for the key (in the window).
 */
export type CoGbkResult<R extends CoGbkInputs> = { [T in keyof R]: ValueOf<R[T]>[] };

/**
 * `R` when all its inputs have one key type; otherwise each input whose key type differs is
 * replaced by a message type, so the call fails to compile at that input.
 */
export type SameKeyInputs<R extends CoGbkInputs> = {
  readonly [T in keyof R]: [CoGbkKey<R>] extends [KeyOf<R[T]>] ? R[T] : `CoGroupByKey: input '${T & string}' has another key type than the other inputs`;
};

/** A tagged value: the position of its input among the tags, and the value. */
interface Tagged {
  /** Index of the input in the CoGroupByKey's tag list. */
  readonly i: number;
  /** The input's value. */
  readonly v: unknown;
}

/**
 * Groups keyed collections by key together: for each key (and window) present in any input, one
 * `KV<K, { tag: values[] }>` with an array per input, empty for inputs without that key.
 *
 * ```ts
 * const joined = p.apply("Join", CoGroupByKey.of({ emails, phones }));
 * // PCollection<KV<string, { emails: string[]; phones: string[] }>>
 * ```
 *
 * The order of each array's values is not defined. Inputs must have compatible window functions
 * and triggers (Beam's Flatten rule); keys are compared by their encoding, as in GroupByKey.
 */
export class CoGroupByKey<K, Result> extends PTransform<PBegin, PCollection<KV<K, Result>>> {
  private constructor(
    /** The tags, in the order values are tagged. */
    private readonly tags: readonly string[],
    /** The inputs, one per tag. */
    private readonly inputs: readonly PCollection<KV<K, unknown>>[],
    /** Given as a list: each key's result is an array of value arrays, in the inputs' order. */
    private readonly asList = false,
  ) {
    super("CoGroupByKey");
  }

  /**
   * A CoGroupByKey of `inputs`, a list of keyed collections (Beam Python's `(pc1, pc2) |
   * CoGroupByKey()`): `p.apply("Join", CoGroupByKey.of([emails, phones]))` gives
   * `KV<K, [string[], number[]]>`, one array per input in their order. The inputs must share one key type.
   */
  static of<const L extends CoGbkInputList>(inputs: L & SameKeyInputList<L>): CoGroupByKey<KeyOf<L[number]>, CoGbkListResult<L>>;
  /**
   * A CoGroupByKey of `inputs`, a record of keyed collections by tag, to apply to the pipeline:
   * `p.apply("Join", CoGroupByKey.of({ emails, phones }))`. The inputs must share one key type.
   */
  static of<R extends CoGbkInputs>(inputs: R & SameKeyInputs<R>): CoGroupByKey<CoGbkKey<R>, CoGbkResult<R>>;
  static of(inputs: CoGbkInputs | CoGbkInputList): CoGroupByKey<unknown, unknown> {
    const asList = Array.isArray(inputs);
    const tags = asList ? inputs.map((_, i) => String(i)) : Object.keys(inputs);
    if (tags.length === 0) {
      // Beam Python accepts no inputs only with an explicit pipeline; a record or list of none has
      // no pipeline to apply to, and an always-empty join is better written as nothing at all.
      throw new PipelineConstructionError("CoGroupByKey.of needs at least one keyed input, e.g. CoGroupByKey.of({ emails, phones }) or CoGroupByKey.of([emails, phones])");
    }
    const pcolls = tags.map((tag, i) => {
      const pc: unknown = asList ? (inputs as CoGbkInputList)[i] : (inputs as CoGbkInputs)[tag];
      if (!(pc instanceof PCollection)) throw new PipelineConstructionError(`CoGroupByKey.of: input ${asList ? tag : `'${tag}'`} is not a PCollection`);
      return pc as PCollection<KV<unknown, unknown>>;
    });
    return new CoGroupByKey<unknown, unknown>(tags, pcolls, asList);
  }

  /** @internal The inputs are inputs of the application (it is applied to the pipeline). */
  override additionalInputs(): readonly PCollection<unknown>[] {
    return this.inputs as readonly PCollection<unknown>[];
  }

  expand(input: PBegin): PCollection<KV<K, Result>> {
    const node = input.pipeline.currentNode();
    const tags = this.tags;
    checkJoinableInputs("CoGroupByKey", input.pipeline, tags.map((tag, i) => [this.asList ? `input ${tag}` : `input '${tag}'`, this.inputs[i]!]), node.fullName);
    const tagged = this.inputs.map((pc, i) => pc.map(`Tag[${tags[i]}]`, (e: KV<K, unknown>): KV<K, Tagged> => kv(e.key, { i, v: e.value })));
    const all = tagged.length === 1 ? tagged[0]! : tagged[0]!.apply("Flatten", Flatten.with(...tagged.slice(1)));
    return all.apply("GroupByKey", GroupByKey.create<K, Tagged>()).map("Untag", (group: KV<K, Tagged[]>) => {
      const perInput: unknown[][] = tags.map(() => []);
      for (const t of group.value) perInput[t.i]!.push(t.v);
      if (this.asList) return kv(group.key, perInput as Result);
      // fromEntries defines each tag as an own property ('__proto__' included).
      return kv(group.key, Object.fromEntries(tags.map((tag, i) => [tag, perInput[i]!])) as Result);
    });
  }
}

/**
 * @internal Beam's Flatten rule for the inputs of a transform that joins them (CoGroupByKey,
 * Sets): all of `pipeline`, with compatible window functions and triggers. Checked before the
 * inner Flatten (which checks its tagged copies) so the message names the inputs as the user does.
 */
export function checkJoinableInputs(transform: string, pipeline: Pipeline, inputs: readonly (readonly [string, PCollection<unknown>])[], fullName: string): void {
  const [firstName, first] = inputs[0]!;
  for (const [name, pc] of inputs) {
    if (pc.pipeline !== pipeline) throw new PipelineConstructionError(`${transform} ${name} (${pc.describe()}) belongs to another pipeline`, fullName);
    if (!windowFnsCompatible(first.windowing.windowFn, pc.windowing.windowFn)) {
      throw new PipelineConstructionError(
        `${transform} inputs must have compatible windowing, as Beam's Flatten requires: ${name} (${pc.describe()}) is windowed by ` +
          `${describeWindowFn(pc.windowing.windowFn)}, ${firstName} (${first.describe()}) by ${describeWindowFn(first.windowing.windowFn)}. ` +
          `Apply the same Window.into to each input first.`,
        fullName,
      );
    }
    if (!triggersCompatible(first.windowing.trigger, pc.windowing.trigger)) {
      throw new PipelineConstructionError(
        `${transform} inputs must have compatible triggers, as Beam's Flatten requires: ${name} (${pc.describe()}) fires by ` +
          `${describeTrigger(pc.windowing.trigger ?? { kind: "default" })}, ${firstName} (${first.describe()}) by ` +
          `${describeTrigger(first.windowing.trigger ?? { kind: "default" })}. Apply Window.into with the same trigger to each input first.`,
        fullName,
      );
    }
  }
}
