/** Small pipeline programs the worker tests rebuild in worker mode. */
import { AsIterable, AsMultimap, Combine, Combiners, Create, definePipeline, DoFn, FixedWindows, kv, KV, Metrics, ParDo, ProcessContext, Window } from "../../lib";

type AnnotateSides = { lengths: readonly number[]; tags: ReadonlyMap<string, readonly string[]> };

class Annotate extends DoFn<string, string, {}, AnnotateSides> {
  private readonly seen = Metrics.counter("annotate", "words");
  process(word: string, ctx: ProcessContext<string, {}, AnnotateSides>): void {
    this.seen.inc();
    const total = ctx.sideInputs.lengths.reduce((a, b) => a + b, 0);
    const tags = [...(ctx.sideInputs.tags.get(word) ?? [])].sort().join("+");
    ctx.output(`${word}:${total}:${tags}`);
  }
}

/** Words annotated with the sum of an iterable side input and their tags from a multimap side input. */
export const sideInputsProgram = definePipeline({
  name: "worker-test-side-inputs",
  description: "side inputs over the State API",
  flags: {},
  build(root) {
    const lengths = root.apply("Lengths", Create.from([3, 4, 5]));
    const tags = root.apply("Tags", Create.from<KV<string, string>>([kv("a", "x"), kv("a", "y"), kv("b", "z")]));
    root.apply("Words", Create.from(["a", "b", "c"])).apply("Annotate", ParDo.of(new Annotate(), { sideInputs: { lengths: AsIterable(lengths), tags: AsMultimap(tags) } }));
  },
});

/** Words into 10 ms fixed windows, counted per window. */
export const windowedProgram = definePipeline({
  name: "worker-test-windowed",
  description: "fixed windows and a lifted combine",
  flags: {},
  build(root) {
    root
      .apply("Words", Create.from(["x"]))
      .apply("Window", Window.into(new FixedWindows(10)))
      .map("PairWithOne", (w: string) => kv(w, 1))
      .apply("Count", Combine.perKey(Combiners.sum()));
  },
});
