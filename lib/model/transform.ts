/**
 * PTransform: a named, typed step from an input (the pipeline root, a PCollection, or a record
 * or array of PCollections) to an output.
 *
 * Write a composite by extending PTransform and applying other transforms in `expand`, or with
 * `ptransform("Label", (input) => ...)`. Every application gets a hierarchical unique name
 * (`wordcount/Split`): the explicit label, else the transform's own label, else its class name.
 */
import type { PBegin, PCollection } from "./pcollection";
import type { PipelineOptions } from "./options";

/** What a transform can be applied to. */
export type PInput = PBegin | PCollection<unknown> | readonly PCollection<unknown>[] | { readonly [tag: string]: PCollection<unknown> };

/** What a transform can produce: PCollections (alone, in a record or array) or nothing. */
export type POutput = PCollection<unknown> | readonly PCollection<unknown>[] | { readonly [tag: string]: PCollection<unknown> } | void;

/** Context of the pre-run validation hook. */
export interface ValidationContext {
  /** The options of the run. */
  readonly options: PipelineOptions;
  /** The full name of the application being validated. */
  readonly transformName: string;
}

/** Context of the hook a runner calls when a run fails, so transforms can remove partial output. */
export interface FailureCleanupContext {
  /** The options of the run. */
  readonly options: PipelineOptions;
  /** The failed run's id (the same on every worker): names its temporary output. */
  readonly runId: string;
  /** The full name of the application to clean up after. */
  readonly transformName: string;
}

/**
 * A step of a pipeline. `In` is what it applies to, `Out` what it produces.
 *
 * The variance is declared: `expand` is a method, which TypeScript would otherwise compare
 * bivariantly, letting a transform of `PCollection<{ a; b }>` be applied to a
 * `PCollection<{ a }>`. A transform accepts any input its `In` accepts (contravariant) and its
 * output may be used as any supertype of `Out` (covariant).
 */
export abstract class PTransform<in In extends PInput, out Out extends POutput> {
  /** @param label default name of this transform's applications */
  constructor(readonly label?: string) {}

  /** Builds the step's subgraph from its input. Called once per application. */
  abstract expand(input: In): Out;

  /**
   * Optional check run by the runner before anything executes (not on workers): a missing input
   * file or an unwritable output fails here, before any work is done.
   */
  validate?(ctx: ValidationContext): Promise<void>;

  /** Optional hook a runner calls after a failed run (remove temporary or partial output). */
  cleanupAfterFailure?(ctx: FailureCleanupContext): Promise<void>;

  /**
   * @internal Collections an application reads besides the input it is applied to (Beam Java's
   * additional inputs): a Flatten's other inputs. They become inputs of its node in the graph.
   */
  additionalInputs?(): readonly PCollection<unknown>[];
}

/** A composite transform written as a function. */
export function ptransform<In extends PInput, Out extends POutput>(label: string, expand: (input: In) => Out): PTransform<In, Out> {
  return new (class FunctionTransform extends PTransform<In, Out> {
    expand(input: In): Out {
      return expand(input);
    }
  })(label);
}
