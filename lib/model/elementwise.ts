/** Map, FlatMap and Filter: ParDos whose function the runner calls directly (no context object). */
import type { PCollection } from "./pcollection";
import { labelForFunction } from "./naming";
import { PTransform } from "./transform";

function declareElementwise<T, U>(
  input: PCollection<T>,
  elementwise: { type: "map" | "flatMap" | "filter"; fn: Function },
): PCollection<U> {
  const node = input.pipeline.currentNode();
  node.primitive = {
    kind: "pardo",
    elementwise: elementwise as never,
    sideInputs: [],
    outputTags: ["main"],
  };
  return input.pipeline.createOutput<U>(node, "main", input.windowing, input.isBounded);
}

/** One output per element. */
export class MapTransform<T, U> extends PTransform<PCollection<T>, PCollection<U>> {
  constructor(readonly fn: (element: T) => U, label?: string) {
    super(label ?? labelForFunction("Map", fn));
  }
  expand(input: PCollection<T>): PCollection<U> {
    return declareElementwise<T, U>(input, { type: "map", fn: this.fn });
  }
}

/** Zero or more outputs per element. */
export class FlatMapTransform<T, U> extends PTransform<PCollection<T>, PCollection<U>> {
  constructor(readonly fn: (element: T) => Iterable<U>, label?: string) {
    super(label ?? labelForFunction("FlatMap", fn));
  }
  expand(input: PCollection<T>): PCollection<U> {
    return declareElementwise<T, U>(input, { type: "flatMap", fn: this.fn });
  }
}

/** The elements for which a predicate holds. */
export class FilterTransform<T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor(readonly fn: (element: T) => boolean, label?: string) {
    super(label ?? labelForFunction("Filter", fn));
  }
  expand(input: PCollection<T>): PCollection<T> {
    const out = declareElementwise<T, T>(input, { type: "filter", fn: this.fn });
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}
