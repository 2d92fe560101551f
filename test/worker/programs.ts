/** Small pipeline programs the worker tests rebuild in worker mode. */
import { AsIterable, AsList, AsMap, AsMultimap, Combine, Combiners, Create, definePipeline, DoFn, FixedWindows, kv, KV, Metrics, ParDo, ProcessContext, Window } from "../../lib";

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

/**
 * Strings through one step, unchanged: the stage the data-plane flow-control tests stream
 * through. With `--async`, the step awaits the event loop for each element, as a DoFn calling a
 * service does: the process keeps receiving data while elements wait, which only flow control
 * bounds.
 */
export const passThroughProgram = definePipeline({
  name: "worker-test-pass",
  description: "strings through one Map",
  flags: { async: { type: "boolean", describe: "await the event loop per element", default: false } },
  build(root, flags) {
    const lines = root.apply("Lines", Create.from<string>([]));
    if (!flags.async) {
      lines.map("Pass", (s: string) => s);
      return;
    }
    lines.apply(
      "Pass",
      ParDo.of(
        new (class AwaitEach extends DoFn<string, string> {
          async process(s: string, ctx: ProcessContext<string>): Promise<void> {
            await new Promise((resolve) => setImmediate(resolve));
            ctx.output(s);
          }
        })(),
      ),
    );
  },
});

/** Each input line becomes `copies` output lines of `bytes` characters: output far larger than input. */
export const amplifyProgram = definePipeline({
  name: "worker-test-amplify",
  description: "one line in, many large lines out",
  flags: { copies: { type: "number", describe: "outputs per input", default: 64 }, bytes: { type: "number", describe: "characters per output", default: 16384 } },
  build(root, flags) {
    const copies = flags.copies;
    const bytes = flags.bytes;
    root.apply("Lines", Create.from<string>([])).flatMap("Amplify", (s: string) => Array.from({ length: copies }, (_, i) => `${s}:${i}:`.padEnd(bytes, "x")));
  },
});

/** A deferred the tests resolve from outside. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** What the gated DoFn waits on: `reached` opens when it holds element `at`, which waits for `release`. */
export const gated = { at: 2, reached: gate(), release: gate() };
export function resetGate(at: number): void {
  Object.assign(gated, { at, reached: gate(), release: gate() });
}

/** Strings through a DoFn that stops at the bundle's element number `gated.at` until the test releases it (so a test can split the bundle then, or fill its queue). */
export const gatedProgram = definePipeline({
  name: "worker-test-gated",
  description: "a DoFn that waits at one element",
  flags: {},
  build(root) {
    root.apply("Lines", Create.from<string>([])).apply(
      "Hold",
      ParDo.of(
        new (class Hold extends DoFn<string, string> {
          private seen = 0;
          startBundle(): void {
            this.seen = 0;
          }
          process(s: string, ctx: ProcessContext<string>): Promise<void> | void {
            if (this.seen++ !== gated.at) return ctx.output(s);
            gated.reached.open();
            return gated.release.promise.then(() => ctx.output(s));
          }
        })(),
      ),
    );
  },
});

/** Busy-waits (CPU, not a timer) for `ms`. */
function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Two steps, one of them CPU-heavy, one logging from synchronous and async code. */
export const loggingProgram = definePipeline({
  name: "worker-test-logging",
  description: "user console output and execution time per step",
  flags: { burn_ms: { type: "number", describe: "CPU milliseconds per element in Burn", default: 0 } },
  build(root, flags) {
    const burnMs = flags.burn_ms;
    root
      .apply("Words", Create.from<string>([]))
      .map("Burn", (w: string) => {
        burn(burnMs);
        return w;
      })
      .apply(
        "Chatty",
        ParDo.of(
          new (class Chatty extends DoFn<string, string> {
            async process(w: string, ctx: ProcessContext<string>): Promise<void> {
              console.log("processing %s", w);
              await new Promise((r) => setImmediate(r));
              console.warn(`after await: ${w}`);
              ctx.output(w);
            }
          })(),
        ),
      );
  },
});

/** Words looked up in a map side input (AsMap) of `size` entries. */
export const mapSideInputProgram = definePipeline({
  name: "worker-test-map-side-input",
  description: "a map side input read in one state fetch",
  flags: {},
  build(root) {
    const table = root.apply("Table", Create.from<KV<string, number>>([]));
    const view = AsMap(table);
    root.apply("Words", Create.from<string>([])).apply(
      "Lookup",
      ParDo.of(
        new (class Lookup extends DoFn<string, string, {}, { table: ReadonlyMap<string, number> }> {
          process(w: string, ctx: ProcessContext<string, {}, { table: ReadonlyMap<string, number> }>): void {
            ctx.output(`${w}=${ctx.sideInputs.table.get(w) ?? "none"}`);
          }
        })(),
        { sideInputs: { table: view } },
      ),
    );
  },
});

/**
 * A fused FlatMap hands several elements at once to a ParDo reading a list side input: each
 * element may reach the side-input fetch before the previous one's fetch has returned.
 */
export const splitThenListSideInputProgram = definePipeline({
  name: "worker-test-split-then-list-side-input",
  description: "several elements from one upstream call reach a side-input ParDo together",
  flags: {},
  build(root) {
    const digits = AsList(root.apply("Digits", Create.from<number>([])));
    root
      .apply("Lines", Create.from<string>([]))
      .flatMap("Split", (line: string) => line.split(","))
      .apply(
        "Tag",
        ParDo.of(
          new (class Tag extends DoFn<string, string, {}, { digits: readonly number[] }> {
            process(w: string, ctx: ProcessContext<string, {}, { digits: readonly number[] }>): void {
              ctx.output(`${w}:${ctx.sideInputs.digits.join("")}`);
            }
          })(),
          { sideInputs: { digits } },
        ),
      );
  },
});
