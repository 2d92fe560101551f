/** ParDo: applies a DoFn to every element, with optional side inputs and tagged outputs. */
import { declareDeadLetters, type DeadLetterSpec } from "./dead_letter";
import { DoFn, FunctionDoFn, OutputTags, ProcessFn } from "./dofn";
import { PipelineConstructionError } from "./errors";
import type { PCollection } from "./pcollection";
import type { SideInput } from "./side_inputs";
import { PTransform } from "./transform";

/** Options of a ParDo. */
export interface ParDoOptions<Tags extends OutputTags = OutputTags> {
  /** Side inputs the DoFn reads with `ctx.sideInput(view)`. */
  readonly sideInputs?: readonly SideInput<unknown>[];
  /**
   * Tagged outputs that receive rejected elements (see dead_letter.ts): each one is counted as
   * `beamline/rejected` on the step, and fails the run if nothing reads the output.
   */
  readonly deadLetters?: { readonly [K in keyof Tags]?: DeadLetterSpec<Tags[K]> };
}

/** The outputs of a multi-output ParDo: `main` plus one PCollection per requested tag. */
export type TaggedOutputs<Out, Tags extends OutputTags> = { readonly main: PCollection<Out> } & {
  readonly [K in keyof Tags]: PCollection<Tags[K]>;
};

function declareParDo(
  input: PCollection<unknown>,
  doFn: DoFn<unknown, unknown, OutputTags>,
  options: ParDoOptions<OutputTags>,
  tags: readonly string[],
): Map<string, PCollection<unknown>> {
  const node = input.pipeline.currentNode();
  const sideInputs = options.sideInputs ?? [];
  for (const s of sideInputs) {
    if (s.pcoll.pipeline !== input.pipeline) {
      throw new PipelineConstructionError("A side input comes from another pipeline", node.fullName);
    }
  }
  const deadLetters = Object.entries(options.deadLetters ?? {}).filter((e): e is [string, DeadLetterSpec<unknown>] => e[1] !== undefined);
  for (const [tag] of deadLetters) {
    if (!tags.includes(tag)) {
      throw new PipelineConstructionError(`Dead-letter output '${tag}' is not one of the ParDo's tagged outputs; request it with ParDo.of(fn, ...).withOutputs("${tag}")`, node.fullName);
    }
  }
  node.primitive = { kind: "pardo", doFn, sideInputs, outputTags: ["main", ...tags] };
  const outputs = new Map<string, PCollection<unknown>>();
  for (const tag of ["main", ...tags]) outputs.set(tag, input.pipeline.createOutput(node, tag, input.windowing, input.isBounded));
  declareDeadLetters(doFn, node.fullName, deadLetters.map(([tag, spec]) => ({ tag, spec, pcoll: outputs.get(tag)! })));
  return outputs;
}

/** Applies a DoFn to each element. */
export class ParDo<In, Out, Tags extends OutputTags = {}> extends PTransform<PCollection<In>, PCollection<Out>> {
  private constructor(
    readonly doFn: DoFn<In, Out, Tags>,
    readonly options: ParDoOptions<Tags>,
  ) {
    super(doFn instanceof FunctionDoFn ? undefined : doFn.constructor.name === "" ? undefined : `ParDo(${doFn.constructor.name})`);
  }

  /** A ParDo of a DoFn instance, or of a process function `(element, ctx) => void`. */
  static of<In, Out, Tags extends OutputTags = {}>(fn: DoFn<In, Out, Tags> | ProcessFn<In, Out, Tags>, options: ParDoOptions<Tags> = {}): ParDo<In, Out, Tags> {
    const doFn = typeof fn === "function" ? new FunctionDoFn<In, Out, Tags>(fn) : fn;
    if (!(doFn instanceof DoFn) && typeof (doFn as { process?: unknown }).process !== "function") {
      throw new PipelineConstructionError("ParDo.of needs a DoFn (a class extending DoFn) or a process function");
    }
    return new ParDo(doFn, options);
  }

  expand(input: PCollection<In>): PCollection<Out> {
    const outs = declareParDo(input as PCollection<unknown>, this.doFn as unknown as DoFn<unknown, unknown, OutputTags>, this.options as ParDoOptions<OutputTags>, []);
    return outs.get("main") as PCollection<Out>;
  }

  /**
   * The same ParDo with tagged outputs: the result is `{ main, ...tags }`, each typed from the
   * DoFn's `Tags`. Elements emitted with `ctx.outputTo(tag, x)` go to the tag's PCollection.
   */
  withOutputs<K extends keyof Tags & string>(...tags: K[]): PTransform<PCollection<In>, TaggedOutputs<Out, Pick<Tags, K>>> {
    const { doFn, options, label } = this;
    if (tags.includes("main" as K)) throw new PipelineConstructionError("'main' is the main output's tag; choose another tag name");
    return new (class MultiOutputParDo extends PTransform<PCollection<In>, TaggedOutputs<Out, Pick<Tags, K>>> {
      expand(input: PCollection<In>): TaggedOutputs<Out, Pick<Tags, K>> {
        const outs = declareParDo(input as PCollection<unknown>, doFn as unknown as DoFn<unknown, unknown, OutputTags>, options as ParDoOptions<OutputTags>, tags);
        return Object.fromEntries(outs) as unknown as TaggedOutputs<Out, Pick<Tags, K>>;
      }
    })(label);
  }
}
