/**
 * Pipeline: the graph of transforms and PCollections, built by applying transforms.
 *
 * Construction must be deterministic (a pure function of the options): remote workers rebuild
 * the graph by re-running the program and find each DoFn by its transform's unique name; the
 * DirectRunner does the same and compares fingerprints (ARCHITECTURE.md §4).
 */
import type { CombineFnLike } from "./combine_fn";
import type { DoFn, OutputTags } from "./dofn";
import { InternalError, PipelineConstructionError } from "./errors";
import { PipelineOptions, defaultOptions } from "./options";
import { PBegin, PCollection } from "./pcollection";
import type { PipelineResult } from "./result";
import { loadRunner } from "./runner_registry";
import type { SideInput } from "./side_inputs";
import type { PInput, POutput, PTransform } from "./transform";
import { describeWindowing, GLOBAL_WINDOWING, WindowingStrategy } from "./windowing";

/** An element-wise function of Map, FlatMap or Filter (a ParDo the runner can call directly). */
export type ElementwiseFn =
  | { readonly type: "map"; readonly fn: (x: unknown) => unknown }
  | { readonly type: "flatMap"; readonly fn: (x: unknown) => Iterable<unknown> }
  | { readonly type: "filter"; readonly fn: (x: unknown) => boolean };

/** The runner-executed primitive a leaf transform stands for. */
export type PrimitiveSpec =
  | { readonly kind: "impulse" }
  | {
      readonly kind: "pardo";
      readonly doFn?: DoFn<unknown, unknown, OutputTags>;
      readonly elementwise?: ElementwiseFn;
      readonly sideInputs: readonly SideInput<unknown>[];
      /** Output tags, the main output ("main") first. */
      readonly outputTags: readonly string[];
      /**
       * Whether the input (so every output) is in the global window: only then may a bundle
       * output (startBundle, finishBundle) leave out its window.
       */
      readonly inGlobalWindows?: boolean;
    }
  | { readonly kind: "gbk" }
  | { readonly kind: "flatten" }
  | { readonly kind: "window_into"; readonly windowing: WindowingStrategy };

/**
 * The composites runners may execute specially, by URN: combiner lifting and reshuffle here, and
 * the runner-executed sources and sinks other modules define (TestStream, ReadUnbounded, the
 * Pub/Sub read and write), which add their spec by declaration merging:
 *
 *     declare module "../model/pipeline" {
 *       interface CompositeSpecs { [MY_URN]: MySpec }   // MySpec has `urn: typeof MY_URN`
 *     }
 *
 * `CompositeSpec` is the closed union of them all, so checking `spec.urn` narrows it to its spec.
 */
export interface CompositeSpecs {
  "beam:transform:combine_per_key:v1": { readonly urn: "beam:transform:combine_per_key:v1"; readonly combineFn: CombineFnLike };
  "beam:transform:combine_globally:v1": { readonly urn: "beam:transform:combine_globally:v1"; readonly combineFn: CombineFnLike };
  "beam:transform:reshuffle:v1": { readonly urn: "beam:transform:reshuffle:v1" };
  "beam:transform:redistribute_by_key:v1": { readonly urn: "beam:transform:redistribute_by_key:v1"; readonly allowDuplicates: boolean };
  "beam:transform:redistribute_arbitrarily:v1": { readonly urn: "beam:transform:redistribute_arbitrarily:v1"; readonly allowDuplicates: boolean };
}

/** A composite runners may execute specially; an entry whose `urn` is not its key drops out (and its assignments fail to compile). */
export type CompositeSpec = { [U in keyof CompositeSpecs]: CompositeSpecs[U] extends { readonly urn: U } ? CompositeSpecs[U] : never }[keyof CompositeSpecs];

/** One application of a transform in the graph. */
export class TransformNode {
  readonly children: TransformNode[] = [];
  readonly outputs = new Map<string, PCollection<unknown>>();
  primitive?: PrimitiveSpec;
  composite?: CompositeSpec;

  constructor(
    readonly fullName: string,
    readonly label: string,
    readonly parent: TransformNode | undefined,
    readonly transform: PTransform<PInput, POutput> | undefined,
    readonly inputs: readonly PCollection<unknown>[],
  ) {}

  /** The main output (tag "main"), for single-output transforms. */
  mainOutput(): PCollection<unknown> {
    const out = this.outputs.get("main");
    if (out === undefined) throw new InternalError("a single-output transform has no main output", this.fullName);
    return out;
  }

  isRoot(): boolean {
    return this.parent === undefined;
  }
}

/** A user's pipeline program: how to build the graph, so runners can rebuild it. */
export type PipelineBuilder = (root: Pipeline) => void;

/**
 * How another process (a worker thread, a remote SDK harness) can build the same graph: load
 * `modulePath`, find the program `name` among `definedPrograms()`, and create it with `flags`
 * and the pipeline's options.
 */
export interface ProgramReference {
  readonly name: string;
  readonly modulePath: string;
  /** The program's flag values (plain JSON data). */
  readonly flags: Readonly<Record<string, unknown>>;
}

/**
 * The graph of transforms and PCollections, built by applying transforms, and run by
 * `run()` on the runner its options name:
 *
 * ```ts
 * const p = Pipeline.create();
 * p.apply("Read", ReadFromText.from("in.txt")).apply("Write", WriteToText.to("out/lines"));
 * await (await p.run()).waitUntilFinish();
 * ```
 *
 * Construction must be deterministic (a pure function of the options): workers rebuild the graph
 * by running the same code and find each DoFn by its transform's unique name.
 */
export class Pipeline {
  /** The graph's root node, whose children are the top-level applications (for runners). */
  readonly root = new TransformNode("", "", undefined, undefined, []);
  private readonly stack: TransformNode[] = [this.root];
  private readonly byName = new Map<string, TransformNode>();
  private readonly nodesInOrder: TransformNode[] = [];
  private runCalled = false;
  /** @internal Whether `run()` has been called: an assertion added after it would never be checked. */
  get hasRun(): boolean {
    return this.runCalled;
  }
  /** Set when the pipeline was built by a builder the runner may call again. */
  private builder?: PipelineBuilder;
  /** Set when the pipeline comes from a `definePipeline` program another process can load. */
  program?: ProgramReference;

  constructor(
    /** The options the pipeline runs with (the same on every worker). */
    readonly options: PipelineOptions = defaultOptions(),
  ) {}

  /** A pipeline with the given options (defaults for the rest). */
  static create(options: Partial<PipelineOptions> = {}): Pipeline {
    return new Pipeline({ ...defaultOptions(), ...options });
  }

  /**
   * Builds a pipeline with `build` and remembers `build`, so runners can rebuild it the way
   * remote workers do (the DirectRunner uses this to check construction is deterministic).
   */
  static build(options: Partial<PipelineOptions>, build: PipelineBuilder): Pipeline {
    const p = Pipeline.create(options);
    build(p);
    p.builder = build;
    return p;
  }

  /** A fresh graph from the same builder and options, or undefined if built by hand. */
  rebuild(): Pipeline | undefined {
    if (this.builder === undefined) return undefined;
    const p = new Pipeline(this.options);
    this.builder(p);
    p.builder = this.builder;
    p.program = this.program;
    return p;
  }

  /** The input of the first transforms. */
  begin(): PBegin {
    return new PBegin(this);
  }

  /** Applies a source (a transform of the pipeline's start, such as `Create.of(...)` or `ReadFromText.from(...)`). */
  apply<Out extends POutput>(transform: PTransform<PBegin, Out>): Out;
  /** Applies a source under an explicit name: `p.apply("Read", ReadFromText.from(path))`. */
  apply<Out extends POutput>(label: string, transform: PTransform<PBegin, Out>): Out;
  apply<Out extends POutput>(a: string | PTransform<PBegin, Out>, b?: PTransform<PBegin, Out>): Out {
    return this.begin().apply(a as string, b as PTransform<PBegin, Out>);
  }

  /** Runs the pipeline on the runner named by `options.runner`. */
  async run(): Promise<PipelineResult> {
    this.runCalled = true;
    const runner = loadRunner(this.options.runner);
    return runner.run(this);
  }

  /** @internal Applies `transform` to `input` under a unique name. */
  applyTransform<In extends PInput, Out extends POutput>(label: string | undefined, transform: PTransform<In, Out>, input: In): Out {
    const parent = this.stack[this.stack.length - 1]!;
    const name = label ?? transform.label ?? transformClassName(transform);
    if (name === "") throw new PipelineConstructionError("A transform's label is empty; pass a non-empty label", parent.fullName || undefined);
    // A label may contain '/' ("Read from Pub/Sub", as Beam allows): full names join labels with
    // '/', and everything that looks an application up does so by its whole full name.
    const fullName = parent.isRoot() ? name : `${parent.fullName}/${name}`;
    const existing = this.byName.get(fullName);
    if (existing !== undefined) {
      // Labels with '/' can give one full name to two different nestings ("A/B" at the top, "B" inside "A").
      const nesting = existing.label !== name ? ` It is also the name of '${existing.label}' inside '${existing.parent?.fullName ?? ""}'.` : "";
      throw new PipelineConstructionError(
        `Duplicate transform name '${fullName}'.${nesting} Every application needs a unique name so it can be found on workers ` +
          `and shown in metrics; give this one its own label, e.g. pcoll.apply("${name}2", ...) or pcoll.map("${name}2", fn).`,
      );
    }
    const inputs = [...inputsOf(input, fullName), ...(transform.additionalInputs?.() ?? [])];
    for (const pc of inputs) {
      if (pc.pipeline !== this) throw new PipelineConstructionError(`Input ${pc.describe()} comes from another pipeline`, fullName);
    }
    const node = new TransformNode(fullName, name, parent, transform as unknown as PTransform<PInput, POutput>, inputs);
    this.byName.set(fullName, node);
    this.nodesInOrder.push(node);
    parent.children.push(node);
    this.stack.push(node);
    let output: Out;
    try {
      output = transform.expand(input);
    } finally {
      this.stack.pop();
    }
    for (const [tag, pc] of outputsOf(output)) node.outputs.set(tag, pc);
    return output;
  }

  /**
   * @internal `label`, or `label_2`, `label_3`, ... when an application of that name exists where
   * the next one would go: assertions may share a label, as Beam Python's assert_that (tests
   * need no update-stable names). Deterministic, so a rebuilt pipeline names them the same.
   */
  unusedLabel(label: string): string {
    const parent = this.stack[this.stack.length - 1]!;
    const taken = (l: string): boolean => this.byName.has(parent.isRoot() ? l : `${parent.fullName}/${l}`);
    if (!taken(label)) return label;
    let i = 2;
    while (taken(`${label}_${i}`)) i++;
    return `${label}_${i}`;
  }

  /** @internal The node whose `expand` is running (primitives describe themselves on it). */
  currentNode(): TransformNode {
    const node = this.stack[this.stack.length - 1]!;
    if (node.isRoot()) throw new PipelineConstructionError("primitive transforms must be applied through apply()");
    return node;
  }

  /** @internal Declares an output of the node being expanded. */
  createOutput<T>(node: TransformNode, tag: string, windowing: WindowingStrategy = GLOBAL_WINDOWING, isBounded = true): PCollection<T> {
    return new PCollection<T>(this, `${node.fullName}.${tag}`, node, tag, windowing, isBounded);
  }

  /** The transform applied under `fullName`, if any. */
  findTransform(fullName: string): TransformNode | undefined {
    return this.byName.get(fullName);
  }

  /** All applications, parents before children, in the order they were applied. */
  transforms(): readonly TransformNode[] {
    return this.nodesInOrder;
  }

  /** All primitive (leaf) applications in application order. */
  primitives(): TransformNode[] {
    return this.nodesInOrder.filter((n) => n.primitive !== undefined);
  }

  /** One line per application describing its structure (names, kinds, inputs, outputs, coders, windowing). */
  structure(): string[] {
    return this.nodesInOrder.map((n) => {
      const kind = n.primitive?.kind ?? n.composite?.urn ?? "composite";
      const side = n.primitive?.kind === "pardo" ? n.primitive.sideInputs.map((s) => `${s.kind}:${s.pcoll.id}`).join(",") : "";
      const outs = [...n.outputs.values()]
        .map((pc) => `${pc.id}<${pc.coder?.urn ?? "default"}|${describeWindowing(pc.windowing)}|${pc.isBounded ? "bounded" : "unbounded"}>`)
        .join(",");
      return `${n.fullName} :: ${kind} :: in[${n.inputs.map((i) => i.id).join(",")}] side[${side}] out[${outs}]`;
    });
  }

  /** A digest of `structure()`: equal for graphs built the same way. */
  fingerprint(): string {
    // Loaded here: only runs with worker threads or checkpoints compare fingerprints.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require("node:crypto") as typeof import("node:crypto");
    return createHash("sha256").update(this.structure().join("\n")).digest("hex").slice(0, 32);
  }
}

function transformClassName(transform: object): string {
  const name = transform.constructor.name;
  if (name === "" || name === "FunctionTransform" || name === "Object") {
    throw new PipelineConstructionError(`Cannot derive a name for this transform; apply it with a label: pcoll.apply("MyStep", transform)`);
  }
  return name;
}

function inputsOf(input: PInput, fullName: string): PCollection<unknown>[] {
  if (input instanceof PBegin) return [];
  if (input instanceof PCollection) return [input];
  const values = Array.isArray(input) ? input : Object.values(input as Record<string, unknown>);
  return values.map((v, i) => {
    if (!(v instanceof PCollection)) {
      throw new PipelineConstructionError(`Input ${i} is not a PCollection`, fullName);
    }
    return v as PCollection<unknown>;
  });
}

function outputsOf(output: POutput): [string, PCollection<unknown>][] {
  if (output === undefined || output === null) return [];
  if (output instanceof PCollection) return [[output.tag === "main" ? "main" : output.tag, output]];
  if (Array.isArray(output)) return output.map((pc, i) => [String(i), pc as PCollection<unknown>]);
  return Object.entries(output as Record<string, PCollection<unknown>>).filter(([, v]) => v instanceof PCollection);
}
