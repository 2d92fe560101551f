/**
 * ParDo: applies a DoFn to every element, with optional side inputs and tagged outputs.
 *
 *     words.apply(ParDo.of(new ExtractWords()));                          // types from the DoFn class
 *     words.apply(ParDo.into<number>().of((w, ctx) => ctx.output(w.length)));   // a function: declare what it outputs
 *     words.apply(ParDo.into<string>().of((w, ctx) => ctx.output(`${w}:${ctx.sideInputs.factor}`), { sideInputs: { factor } }));
 */
import { declareDeadLetters, declareExceptionHandling, errorClassesOf, FAILED_TAG, type DeadLetterSpec, type ExceptionHandlingOptions, type FailedElement } from "./dead_letter";
import { DoFn, FunctionDoFn, OutputTags, ProcessFn, SideInputTypes } from "./dofn";
import { PipelineConstructionError } from "./errors";
import type { PCollection } from "./pcollection";
import type { SideInput, SideInputViews } from "./side_inputs";
import { declaredStateAndTimers, isStatefulDoFn, type StatefulDoFn } from "./state";

type AnyStatefulDoFn = StatefulDoFn<unknown, unknown, unknown, OutputTags>;
const GLOBAL_WINDOWS_URN = "beam:window_fn:global_windows:v1";
import { PTransform, type POutput } from "./transform";
import type { SplittableDoFn } from "./splittable_dofn";
import type { SplittableParDo, SplittableParDoOptions } from "./splittable_pardo";

/** Options of a ParDo. */
export interface ParDoOptions<Tags extends OutputTags = OutputTags, Sides extends SideInputTypes = {}> {
  /**
   * The side inputs the DoFn reads, by name: `{ factor: AsSingleton(factors) }`. The DoFn reads
   * them as `ctx.sideInputs.factor`, typed from the view.
   */
  readonly sideInputs?: SideInputViews<Sides>;
  /**
   * Tagged outputs that receive rejected elements (see dead_letter.ts): each one is counted as
   * `beamline/rejected` on the step, and fails the run if nothing reads the output.
   */
  readonly deadLetters?: { readonly [K in keyof Tags]?: DeadLetterSpec<Tags[K]> };
}

/**
 * The options of a ParDo of a DoFn class that reads side inputs `Sides`: required then, with a
 * view for each side input; optional when it reads none, and then without side inputs.
 */
type OptionsFor<Tags extends OutputTags, Sides extends SideInputTypes> = [keyof Sides] extends [never]
  ? [options?: ParDoOptions<Tags, Sides> & { readonly sideInputs?: { readonly [name: string]: never } }]
  : {} extends Sides
    ? [options?: ParDoOptions<Tags, Sides>]
    : [options: ParDoOptions<Tags, Sides> & { readonly sideInputs: SideInputViews<Sides> }];

/** The options of ParDo.splittable for a fn reading side inputs `Sides`: required then, as for OptionsFor. */
type SplittableOptionsFor<Sides extends SideInputTypes> = [keyof Sides] extends [never]
  ? [options?: SplittableParDoOptions<Sides> & { readonly sideInputs?: { readonly [name: string]: never } }]
  : {} extends Sides
    ? [options?: SplittableParDoOptions<Sides>]
    : [options: SplittableParDoOptions<Sides> & { readonly sideInputs: SideInputViews<Sides> }];

/** The outputs of a multi-output ParDo: `main` plus one PCollection per requested tag. */
export type TaggedOutputs<Out, Tags extends OutputTags> = {
  /** The main output (what `ctx.output` emits). */
  readonly main: PCollection<Out>;
} & {
  readonly [K in keyof Tags]: PCollection<Tags[K]>;
};

type AnyDoFn = DoFn<unknown, unknown, OutputTags>;

/** The declared side inputs as the runners read them: a list of views, each under its name. */
function namedSideInputs(views: SideInputViews<object> | undefined, where: () => string | undefined): SideInput<unknown>[] {
  if (views === undefined) return [];
  if (typeof views !== "object" || views === null || Array.isArray(views)) {
    throw new PipelineConstructionError("ParDo sideInputs must be a record of views by name, e.g. { sideInputs: { factor: AsSingleton(pc) } }", where());
  }
  return Object.entries(views as Record<string, unknown>).map(([name, view]) => {
    if (view === undefined || view === null || typeof (view as SideInput<unknown>).named !== "function") {
      throw new PipelineConstructionError(`Side input '${name}' is not a view; make one with AsSingleton, AsIterable, AsMap or AsMultimap`, where());
    }
    return (view as SideInput<unknown>).named(name);
  });
}

/** The main output of a ParDo, as a tagged output. */
export type MainOutput<Out> = {
  /** What `ctx.output` emitted. */
  readonly main: PCollection<Out>;
};

/** The outputs of a ParDo with exception handling: its own, plus `failed`. */
export type WithFailures<Outputs, In> = Outputs & {
  /** The elements whose `process` threw, each with the error. */
  readonly failed: PCollection<FailedElement<In>>;
};

function declareParDo(
  input: PCollection<unknown>,
  doFn: AnyDoFn,
  options: ParDoOptions<OutputTags, object>,
  tags: readonly string[],
  exceptions?: ExceptionHandlingOptions,
): Map<string, PCollection<unknown>> {
  const node = input.pipeline.currentNode();
  if (exceptions !== undefined) {
    if (tags.includes(FAILED_TAG)) {
      throw new PipelineConstructionError(`withExceptionHandling() adds the output '${FAILED_TAG}', which the ParDo already requests; rename that tag`, node.fullName);
    }
    tags = [...tags, FAILED_TAG];
    const failed: DeadLetterSpec<FailedElement<unknown>> = { reason: (f) => f.reason, ...(exceptions.ignoreRejected !== undefined ? { ignoreUnread: exceptions.ignoreRejected } : {}) };
    options = { ...options, deadLetters: { ...(options.deadLetters ?? {}), [FAILED_TAG]: failed } };
    if (exceptions.onFailure !== undefined && typeof exceptions.onFailure !== "function") {
      throw new PipelineConstructionError(`withExceptionHandling({ onFailure }): onFailure must be a function (error, element) => void`, node.fullName);
    }
    declareExceptionHandling(doFn, node.fullName, {
      tag: FAILED_TAG,
      errorClasses: errorClassesOf(exceptions.errorClass, node.fullName),
      ...(exceptions.onFailure !== undefined ? { onFailure: exceptions.onFailure } : {}),
      partial: exceptions.partial === true,
      ...(exceptions.timeoutMillis !== undefined ? { timeoutMillis: timeoutOf(exceptions.timeoutMillis, doFn, node.fullName) } : {}),
    });
  }
  const sideInputs = namedSideInputs(options.sideInputs, () => node.fullName);
  for (const s of sideInputs) {
    if (s.pcoll.pipeline !== input.pipeline) {
      throw new PipelineConstructionError(`Side input '${s.name}' comes from another pipeline`, node.fullName);
    }
    // As in Beam (Java's Sessions.getDefaultWindowMappingFn, Python's default_window_mapping_fn):
    // a main-input window cannot be mapped to a session, which exists only once sessions merge.
    if (s.pcoll.windowing.windowFn.isMerging) {
      throw new PipelineConstructionError(
        `ParDo '${node.fullName}' reads side input '${s.name}' (${s.pcoll.describe()}), which is windowed into sessions (merging windows); ` +
          `Beam does not allow those as side inputs. Re-window it first, e.g. .apply(Window.into(new FixedWindows(...))) or Window.into(new GlobalWindows()).`,
        node.fullName,
      );
    }
  }
  // As Beam Java's StatefulDoFnRunner: state and timers are per key and window, and before a
  // GroupByKey merges them, sessions are one proto-session per element.
  if (isStatefulDoFn(doFn) && input.windowing.windowFn.isMerging) {
    throw new PipelineConstructionError(
      `ParDo '${node.fullName}' runs a stateful DoFn (state and timers) over ${input.describe()}, which is windowed into sessions (merging windows); ` +
        `Beam does not support merging windows with state and timers. Window the input with a non-merging WindowFn first, e.g. ` +
        `.apply(Window.into(new FixedWindows(...))) or Window.into(new GlobalWindows()), and track sessions in state with timers.`,
      node.fullName,
    );
  }
  if (isStatefulDoFn(doFn)) checkStatefulDoFn(doFn, node.fullName);
  const deadLetters = Object.entries(options.deadLetters ?? {}).filter((e): e is [string, DeadLetterSpec<unknown>] => e[1] !== undefined);
  for (const [tag] of deadLetters) {
    if (!tags.includes(tag)) {
      throw new PipelineConstructionError(
        `Dead-letter output '${tag}' is not one of the ParDo's tagged outputs (requested: ${tags.length > 0 ? tags.map((t) => `'${t}'`).join(", ") : "none"}); ` +
          `request it with ParDo.of(fn, ...).withOutputs("${tag}")`,
        node.fullName,
      );
    }
  }
  node.primitive = { kind: "pardo", doFn, sideInputs, outputTags: ["main", ...tags], inGlobalWindows: input.windowing.windowFn.urn === GLOBAL_WINDOWS_URN };
  const outputs = new Map<string, PCollection<unknown>>();
  for (const tag of ["main", ...tags]) outputs.set(tag, input.pipeline.createOutput(node, tag, input.windowing, input.isBounded));
  declareDeadLetters(doFn, node.fullName, deadLetters.map(([tag, spec]) => ({ tag, spec, pcoll: outputs.get(tag)! })));
  return outputs;
}

/**
 * As Beam's DoFnSignatures when ParDo.of analyses a DoFn ("Duplicate StateId", "No callback
 * registered via OnTimer for timer ..."): state and timer names are unique, and a DoFn that
 * declares a timer has onTimer. Found here, the mistake fails construction instead of the run, at
 * the first timer, after data was read.
 */
function checkStatefulDoFn(doFn: AnyStatefulDoFn, transformName: string): void {
  const { timers } = declaredStateAndTimers(doFn, transformName);
  if (timers.length > 0 && typeof doFn.onTimer !== "function") {
    throw new PipelineConstructionError(
      `ParDo '${transformName}' runs a stateful DoFn that declares timer ${timers.map((t) => `'${t.name}'`).join(", ")} but has no onTimer method, ` +
        `which Beam requires of a DoFn with timers; add onTimer(timer, ctx) to the DoFn, or remove the TimerSpec fields it does not use`,
      transformName,
    );
  }
}

function toDoFn(fn: unknown): AnyDoFn {
  const doFn = typeof fn === "function" ? new FunctionDoFn(fn as ProcessFn<unknown, unknown>) : fn;
  if (!(doFn instanceof DoFn) && typeof (doFn as { process?: unknown } | null)?.process !== "function") {
    throw new PipelineConstructionError("ParDo.of needs a DoFn (a class extending DoFn) or a process function");
  }
  return doFn as AnyDoFn;
}

/**
 * @internal The ParDo of `map`, `flatMap` or `filter` with exception handling (a process function
 * around theirs), declared on the node the caller is expanding, so it keeps the caller's name.
 */
export function expandWithExceptionHandling<In, Out>(input: PCollection<In>, process: ProcessFn<In, Out, {}, {}>, options: ExceptionHandlingOptions<In>): WithFailures<{ main: PCollection<Out> }, In> {
  return new MultiOutputParDo<In, WithFailures<{ main: PCollection<Out> }, In>>(new FunctionDoFn(process as ProcessFn<unknown, unknown>) as AnyDoFn, {}, [], undefined, options as ExceptionHandlingOptions).expand(input);
}

/**
 * `ParDo.into<Out>()`: a ParDo of a process function whose output type is declared up front, so
 * neither the element nor `ctx` needs annotating (the element type comes from where it is applied).
 */
export interface ParDoInto<Out, Tags extends OutputTags> {
  /** A ParDo of `fn`, which emits `Out` with `ctx.output` (and `Tags` with `ctx.outputTo`). */
  of<In, Sides extends SideInputTypes = {}>(fn: ProcessFn<In, Out, Tags, Sides>, options?: ParDoOptions<Tags, Sides>): ParDo<In, Out, Tags>;
}

/**
 * Applies a DoFn to each element (Beam's ParDo): the general element-wise transform, with side
 * inputs and tagged outputs.
 *
 * ```ts
 * words.apply(ParDo.of(new ExtractWords()));                                   // a DoFn class
 * words.apply(ParDo.into<number>().of((w, ctx) => ctx.output(w.length)));      // a function
 * nums.apply(ParDo.into<number>().of((n, ctx) => ctx.output(n * ctx.sideInputs.factor), { sideInputs: { factor } }));
 * texts.apply(ParDo.of(new Parse()).withOutputs("invalid"));                   // { main, invalid }
 * ```
 */
export class ParDo<In, Out, Tags extends OutputTags = {}> extends PTransform<PCollection<In>, PCollection<Out>> {
  private constructor(
    /** The DoFn applied to each element. */
    readonly doFn: DoFn<In, Out, Tags>,
    /** Side inputs and dead-letter outputs. */
    readonly options: ParDoOptions<Tags, object>,
  ) {
    super(doFn instanceof FunctionDoFn ? undefined : doFn.constructor.name === "" ? undefined : `ParDo(${doFn.constructor.name})`);
  }

  /**
   * A ParDo of a DoFn instance (its class gives the types; the DoFn's side inputs need a view
   * each in `options.sideInputs`), or of a process function `(element, ctx) => void` (whose
   * output type is `never` unless declared: use `ParDo.into<Out>().of(fn)`, or annotate `ctx`).
   */
  static of<In, Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}>(fn: DoFn<In, Out, Tags, Sides>, ...options: OptionsFor<Tags, NoInfer<Sides>>): ParDo<In, Out, Tags>;
  static of<In, Out = never, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}>(fn: ProcessFn<In, Out, Tags, Sides>, options?: ParDoOptions<Tags, Sides>): ParDo<In, Out, Tags>;
  static of<In, Out, Tags extends OutputTags>(fn: DoFn<In, Out, Tags, object> | ProcessFn<In, Out, Tags, object>, options: ParDoOptions<Tags, object> = {}): ParDo<In, Out, Tags> {
    return new ParDo(toDoFn(fn) as unknown as DoFn<In, Out, Tags>, options);
  }

  /**
   * Declares what a function ParDo outputs (and on which tags): `ParDo.into<number>().of((w, ctx) => ctx.output(w.length))`.
   * TypeScript cannot infer it from the `ctx.output` calls in the function's body.
   */
  static into<Out, Tags extends OutputTags = {}>(): ParDoInto<Out, Tags> {
    return {
      of: <In, Sides extends SideInputTypes>(fn: ProcessFn<In, Out, Tags, Sides>, options: ParDoOptions<Tags, Sides> = {}) =>
        new ParDo<In, Out, Tags>(toDoFn(fn) as unknown as DoFn<In, Out, Tags>, options as ParDoOptions<Tags, object>),
    };
  }

  /**
   * A ParDo of a splittable DoFn (Beam programming guide §12): `fn` extends SplittableDoFn, and
   * each element's work is a restriction the runner may split, checkpoint and resume. A method of
   * its own rather than `ParDo.of`, since its `process` takes a restriction tracker and returns a
   * ProcessContinuation. Side inputs are given as for `ParDo.of` (`{ sideInputs: { name: view } }`,
   * required when the fn declares some), and tagged outputs requested with `.withOutputs(tag, ...)`.
   */
  static splittable<In, Out, R, P, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}>(
    fn: SplittableDoFn<In, Out, R, P, Tags, Sides>,
    ...options: SplittableOptionsFor<NoInfer<Sides>>
  ): SplittableParDo<In, Out, Tags> {
    // Loaded on first use: pipelines without SDFs start without the coders it registers.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SplittableParDo: Sdf } = require("./splittable_pardo") as typeof import("./splittable_pardo");
    return new Sdf<In, Out, Tags>(fn as unknown as SplittableDoFn<In, Out, unknown, unknown, Tags, object>, (options[0] ?? {}) as SplittableParDoOptions<object>);
  }

  expand(input: PCollection<In>): PCollection<Out> {
    const outs = declareParDo(input as PCollection<unknown>, this.doFn as unknown as AnyDoFn, this.options as ParDoOptions<OutputTags, object>, []);
    return outs.get("main") as PCollection<Out>;
  }

  /**
   * The same ParDo with tagged outputs: the result is `{ main, ...tags }`, each typed from the
   * DoFn's `Tags`. Elements emitted with `ctx.outputTo(tag, x)` go to the tag's PCollection.
   */
  withOutputs<K extends keyof Tags & string>(...tags: K[]): MultiOutputParDo<In, TaggedOutputs<Out, Pick<Tags, K>>> {
    if (tags.includes("main" as K)) throw new PipelineConstructionError("'main' is the main output's tag; choose another tag name");
    return new MultiOutputParDo(this.doFn as unknown as AnyDoFn, this.options as ParDoOptions<OutputTags, object>, tags, this.label);
  }

  /**
   * The same ParDo with a dead-letter output for elements whose `process` throws (Beam Python's
   * `with_exception_handling()`, Beam Java's `exceptionsVia`): the result is `{ main, failed }`,
   * `failed` holding each such element with the error as a `FailedElement` (`element`, `reason`,
   * `step`, `stack`). An element that fails emits nothing on the other outputs (what it output
   * before throwing is dropped, unless `partial`). Errors of startBundle, finishBundle, onTimer and of the steps
   * downstream still fail the run. `failed` is a dead-letter output: counted as
   * `beamline/rejected`, and if nothing reads it the first failure fails the run, unless
   * `ignoreRejected: true`. `errorClass` limits the dead letters to errors of some classes (others
   * fail the run), and `threshold` fails the run when more than that fraction of a window's input
   * failed; `onFailure` is called for each failed element, and `partial` keeps what a failing
   * element output before it threw, and `timeoutMillis` makes an element that takes too long a
   * dead letter (see ExceptionHandlingOptions).
   */
  withExceptionHandling(options: ExceptionHandlingOptions<In> = {}): PTransform<PCollection<In>, WithFailures<MainOutput<Out>, In>> {
    return new MultiOutputParDo<In, MainOutput<Out>>(this.doFn as unknown as AnyDoFn, this.options as ParDoOptions<OutputTags, object>, [], this.label).withExceptionHandling(options);
  }
}

/** A ParDo with tagged outputs: `{ main, ...tags }`. */
export class MultiOutputParDo<In, Outputs extends POutput> extends PTransform<PCollection<In>, Outputs> {
  /** @internal */
  constructor(
    private readonly doFn: AnyDoFn,
    private readonly options: ParDoOptions<OutputTags, object>,
    private readonly tags: readonly string[],
    label: string | undefined,
    private readonly exceptions?: ExceptionHandlingOptions,
  ) {
    super(label);
  }

  expand(input: PCollection<In>): Outputs {
    const exceptions = this.exceptions;
    const threshold = exceptions !== undefined ? failureThreshold(exceptions, input.pipeline.currentNode().fullName) : 1;
    if (exceptions !== undefined && threshold < 1) {
      // As Beam Python's _ExceptionHandlingWrapper: the ParDo, and beside it the counts of its
      // input and of its failures per window, and a step that fails the run when they exceed the threshold.
      const name = input.pipeline.currentNode().fullName;
      const { threshold: _, thresholdWindowing, ...rest } = exceptions;
      const outs = input.apply("ParDo", new MultiOutputParDo<In, WithFailures<{ main: PCollection<unknown> }, In>>(this.doFn, this.options, this.tags, undefined, rest));
      // Loaded on first use: the check is made of transforms (Combine, side inputs) that build on ParDo.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { checkFailureThreshold } = require("../transforms/exception_threshold") as typeof import("../transforms/exception_threshold");
      checkFailureThreshold(input, outs.failed, threshold, thresholdWindowing, name);
      return outs as unknown as Outputs;
    }
    const outs = declareParDo(input as PCollection<unknown>, this.doFn, this.options, this.tags, exceptions);
    return Object.fromEntries(outs) as unknown as Outputs;
  }

  /** Adds a dead-letter output `failed` for elements whose `process` throws (see `ParDo.withExceptionHandling`). */
  withExceptionHandling(options: ExceptionHandlingOptions<In> = {}): PTransform<PCollection<In>, WithFailures<Outputs, In>> {
    // The element type is the ParDo's input; the operator passes each failed element to onFailure.
    return new MultiOutputParDo<In, WithFailures<Outputs, In>>(this.doFn, this.options, this.tags, this.label, options as ExceptionHandlingOptions);
  }
}

/** The threshold of `withExceptionHandling` (1: no check), checked when the pipeline is built. */
function failureThreshold(options: ExceptionHandlingOptions, transformName: string): number {
  const threshold = options.threshold ?? 1;
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) {
    throw new PipelineConstructionError(
      `withExceptionHandling({ threshold }): threshold must be a fraction from 0 to 1 (the largest share of elements per window that may fail; ` +
        `1, the default, for no limit), but got ${String(threshold)}`,
      transformName,
    );
  }
  if (options.thresholdWindowing !== undefined && threshold >= 1) {
    throw new PipelineConstructionError(
      `withExceptionHandling({ thresholdWindowing }) without a threshold below 1 checks nothing; give a threshold (e.g. { threshold: 0.1, thresholdWindowing }) or drop thresholdWindowing`,
      transformName,
    );
  }
  return threshold;
}

/** The timeout of `withExceptionHandling({ timeoutMillis })`, checked when the pipeline is built. */
function timeoutOf(timeoutMillis: number, doFn: AnyDoFn, transformName: string): number {
  if (typeof timeoutMillis !== "number" || !(timeoutMillis > 0) || !Number.isFinite(timeoutMillis)) {
    throw new PipelineConstructionError(`withExceptionHandling({ timeoutMillis }): the timeout must be a number of milliseconds above 0, but got ${String(timeoutMillis)}`, transformName);
  }
  if (isStatefulDoFn(doFn)) {
    throw new PipelineConstructionError(
      `withExceptionHandling({ timeoutMillis }) cannot time out a stateful DoFn: a call abandoned at its deadline would go on writing state and ` +
        `setting timers while the next element runs. Time-limit the slow operation inside process instead (e.g. fetch with AbortSignal.timeout(ms)), and throw when it times out`,
      transformName,
    );
  }
  return timeoutMillis;
}
