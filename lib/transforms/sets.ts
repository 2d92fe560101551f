/**
 * Sets: set operations over collections of one element type, as Beam Java's
 * `org.apache.beam.sdk.transforms.Sets` (`intersectDistinct`, `intersectAll`, `exceptDistinct`,
 * `exceptAll`, `unionDistinct`, `unionAll`).
 *
 * Applied to the first collection with the others as arguments: `left.apply(Sets.exceptAll(right))`
 * is Java's `left.apply(Sets.exceptAll(right))`, and `first.apply(Sets.intersectDistinct(second,
 * third))` is Java's `PCollectionList.of(first).and(second).and(third).apply(Sets.intersectDistinct())`:
 * the operation folded over the inputs in order, `(first ∩ second) ∩ third`.
 *
 * A composite of primitives every runner executes, as Java's: each input's elements are keyed by
 * themselves and tagged with the input's position, flattened, grouped by key (so elements are
 * compared by their encoding, and the first input's coder must be deterministic, as Java requires
 * at construction), and each element is output as many times as the counts of it in each input
 * give. It follows the inputs' windowing: each window (each pane, under a trigger that fires more
 * than once) is computed on its own. `unionAll` is a Flatten, as Java's.
 */
import { KVCoder } from "../coders/structural";
import { VarIntCoder } from "../coders/primitive";
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { Flatten, GroupByKey } from "../model/primitives";
import { PTransform } from "../model/transform";
import { kv, type KV } from "../model/window";
import { checkJoinableInputs } from "./co_group_by_key";

/** How many times an element is output, from how many times it is in the result so far (`left`) and in the next input (`right`). */
type CountFn = (left: number, right: number) => number;

/** The six operations: each a fold of the per-input counts of an element, as Java's SerializableBiFunctions. */
const OPERATIONS = {
  intersectDistinct: (left, right) => (left > 0 && right > 0 ? 1 : 0),
  intersectAll: (left, right) => Math.min(left, right),
  exceptDistinct: (left, right) => (left > 0 && right === 0 ? 1 : 0),
  exceptAll: (left, right) => Math.max(left - right, 0),
  unionDistinct: () => 1,
} satisfies Record<string, CountFn>;

/** The name of a set operation that groups (all but `unionAll`, a Flatten). */
type GroupingOperation = keyof typeof OPERATIONS;

/** A set operation over the collection it is applied to and the others. Made by `Sets.intersectDistinct(other)` and the like. */
export class SetOperation<T> extends PTransform<PCollection<T>, PCollection<T>> {
  /** @internal Use the `Sets` factories. */
  constructor(
    /** The operation, as Java names it (`intersectDistinct`, ...). */
    readonly operation: GroupingOperation,
    /** The collections after the one it is applied to, in order. */
    private readonly others: readonly PCollection<T>[],
  ) {
    super(operation.charAt(0).toUpperCase() + operation.slice(1));
  }

  /** @internal The other collections are inputs of the application too. */
  override additionalInputs(): readonly PCollection<unknown>[] {
    return this.others as readonly PCollection<unknown>[];
  }

  expand(first: PCollection<T>): PCollection<T> {
    const node = first.pipeline.currentNode();
    const what = `Sets.${this.operation}`;
    const inputs = [first, ...this.others];
    checkJoinableInputs(what, first.pipeline, inputs.map((pc, i) => [i === 0 ? "the input" : `argument ${i}`, pc as PCollection<unknown>] as const), node.fullName);
    // As Java: the elements are grouped by their encoding, in the first input's coder (the key
    // coder of Java's CoGroupByKey), so equal elements must encode equally. Java refuses a coder
    // that is not deterministic when the pipeline is built; so does this, naming the operation
    // (the inner GroupByKey's message would not), unless the user accepts it as for GroupByKey.
    const coder = first.coder;
    if (coder !== undefined && !coder.deterministic && !first.pipeline.options.allowNonDeterministicKeyCoders) {
      throw new PipelineConstructionError(
        `${what} compares elements by their encoding, but the coder of ${first.describe()} (${coder.urn}) does not encode deterministically: ` +
          `equal elements could encode differently and not be matched. Set a deterministic coder on it (e.g. StringUtf8Coder, VarIntCoder, ` +
          `RowCoder), or none (the default coder encodes plain JS values deterministically); --allow_non_deterministic_key_coders ` +
          `(allowNonDeterministicKeyCoders: true) accepts it, unsafely, as for GroupByKey`,
        node.fullName,
      );
    }
    const keyed = inputs.map((pc, i) => {
      const out = pc.map(`Key[${i}]`, (x: T): KV<T, number> => kv(x, i));
      // Every input's elements are keys in the first's coder, so equal elements group together
      // whatever input they come from; a runner encodes them so (not in the default coder).
      if (coder !== undefined) out.setCoder(new KVCoder(coder, VarIntCoder.INSTANCE));
      return out;
    });
    const fn: CountFn = OPERATIONS[this.operation];
    const n = inputs.length;
    const out = keyed[0]!
      .apply("Flatten", Flatten.with(...keyed.slice(1)))
      .apply("GroupByKey", GroupByKey.create<T, number>())
      .flatMap("Output", (group: KV<T, number[]>): T[] => {
        const counts = new Array<number>(n).fill(0);
        for (const i of group.value) counts[i]!++;
        let times = counts[0]!;
        for (let i = 1; i < n; i++) times = fn(times, counts[i]!);
        return new Array<T>(times).fill(group.key);
      });
    // As Java: the output has the first input's coder.
    if (coder !== undefined) out.setCoder(coder);
    return out;
  }
}

/** The other collections of a set operation: at least one, each a PCollection. */
function othersOf<T>(operation: string, others: readonly PCollection<T>[]): readonly PCollection<T>[] {
  if (others.length === 0) {
    // Java: "must have at least two input to a PCollectionList".
    throw new PipelineConstructionError(`Sets.${operation} needs at least one other collection, e.g. left.apply(Sets.${operation}(right)): a set operation has at least two inputs`);
  }
  others.forEach((pc, i) => {
    if (!(pc instanceof PCollection)) throw new PipelineConstructionError(`Sets.${operation}: argument ${i + 1} is not a PCollection (got ${String(pc)})`);
  });
  return others;
}

/**
 * Set operations (Beam Java's `Sets`), applied to the first collection with the others as
 * arguments, folded in order:
 *
 * ```ts
 * const left = p.apply("Left", Create.of("a", "a", "b", "c"));
 * const right = p.apply("Right", Create.of("a", "c", "c", "d"));
 * left.apply(Sets.intersectDistinct(right));   // "a", "c"
 * left.apply(Sets.intersectAll(right));        // "a", "c"
 * left.apply(Sets.exceptDistinct(right));      // "b"
 * left.apply(Sets.exceptAll(right));           // "a", "b"
 * left.apply(Sets.unionDistinct(right));       // "a", "b", "c", "d"
 * left.apply(Sets.unionAll(right));            // all eight
 * first.apply(Sets.intersectDistinct(second, third));  // (first ∩ second) ∩ third
 * ```
 *
 * Elements are compared by their encoding in the first collection's coder, which must be
 * deterministic (the default coder is). Inputs must have compatible windowing and triggers; each
 * window is computed on its own.
 */
export const Sets = {
  /** The distinct elements in every collection (SQL `INTERSECT DISTINCT`). */
  intersectDistinct<T>(...others: readonly PCollection<T>[]): SetOperation<T> {
    return new SetOperation<T>("intersectDistinct", othersOf("intersectDistinct", others));
  },
  /** Each element as many times as the fewest times it is in a collection (SQL `INTERSECT ALL`). */
  intersectAll<T>(...others: readonly PCollection<T>[]): SetOperation<T> {
    return new SetOperation<T>("intersectAll", othersOf("intersectAll", others));
  },
  /** The distinct elements of the first collection in none of the others (SQL `EXCEPT DISTINCT`). */
  exceptDistinct<T>(...others: readonly PCollection<T>[]): SetOperation<T> {
    return new SetOperation<T>("exceptDistinct", othersOf("exceptDistinct", others));
  },
  /** Each element of the first collection as many times as it is there beyond its counts in the others, in turn (SQL `EXCEPT ALL`). */
  exceptAll<T>(...others: readonly PCollection<T>[]): SetOperation<T> {
    return new SetOperation<T>("exceptAll", othersOf("exceptAll", others));
  },
  /** The distinct elements of all the collections (SQL `UNION DISTINCT`). */
  unionDistinct<T>(...others: readonly PCollection<T>[]): SetOperation<T> {
    return new SetOperation<T>("unionDistinct", othersOf("unionDistinct", others));
  },
  /** Every element of every collection (SQL `UNION ALL`): a Flatten, as Java's, so any coder will do. */
  unionAll<T>(...others: readonly PCollection<T>[]): Flatten<T> {
    return Flatten.with(...othersOf("unionAll", others));
  },
};
