/**
 * `Flatten.iterables()` (Beam Java's `Flatten.iterables()`, Python's `beam.FlatMap()` with its
 * identity default): each element an iterable (array, Set, generator, ...), each of its items an
 * element of the output, at the iterable's timestamp and window.
 */
import type { Coder } from "../coders/coder";
import { DeterministicJsValueCoder, JsValueCoder } from "../coders/js_value";
import { IterableCoder } from "../coders/structural";
import { PipelineConstructionError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";

/** The items of each iterable element, as elements. Made by `Flatten.iterables()`. */
export class FlattenIterables<T> extends PTransform<PCollection<Iterable<T>>, PCollection<T>> {
  /** @internal Use Flatten.iterables(). */
  constructor() {
    super("FlattenIterables");
  }

  expand(input: PCollection<Iterable<T>>): PCollection<T> {
    const coder = input.coder as Coder<unknown> | undefined;
    // As Java's: the items' coder is the input's iterable coder's element coder, so items only
    // their own coder can encode (rows, bigints as varints) flow on encoded as before. A coder of
    // JS values encodes the items as it encoded the iterables; any other coder says nothing of the
    // items, and Java refuses it ("expecting the input Coder<Iterable> to be an IterableLikeCoder").
    if (coder !== undefined && !(coder instanceof IterableCoder) && !(coder instanceof JsValueCoder) && !(coder instanceof DeterministicJsValueCoder)) {
      throw new PipelineConstructionError(
        `Flatten.iterables needs the coder of its input ${input.describe()} to be an iterable coder, to encode the items with its element coder; ` +
          `it is ${coder.urn}. Set new IterableCoder(itemCoder) on the input, or no coder (the default encodes JS values)`,
        input.pipeline.currentNode().fullName,
      );
    }
    const out = input.flatMap("FlattenIterables", (items: Iterable<T>) => items);
    if (coder instanceof IterableCoder) out.setCoder(coder.elementCoder as Coder<T>);
    return out;
  }
}
