/**
 * A streaming grouping's calls into its CombineFn outside the per-element path: each with the
 * step's metrics container active (a CombineFn may update metrics), and errors named after the
 * step. Direct calls where they are frequent (a new accumulator per key and window, an output
 * per pane): no closure per call.
 */
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { activeMetrics, MetricsContainer, setActiveContainer } from "../../lib/model/metrics";
import { wrapUserError } from "../executor/operator";

export class CombineCalls {
  constructor(
    private readonly transformName: string,
    private readonly metrics: MetricsContainer,
  ) {}

  createAccumulator(fn: CombineFnLike): unknown {
    const previous = activeMetrics.container;
    activeMetrics.container = this.metrics;
    try {
      return fn.createAccumulator();
    } catch (e) {
      throw wrapUserError(this.transformName, "combine", e);
    } finally {
      activeMetrics.container = previous;
    }
  }

  extractOutput(fn: CombineFnLike, accumulator: unknown): unknown {
    const previous = activeMetrics.container;
    activeMetrics.container = this.metrics;
    try {
      return fn.extractOutput(accumulator);
    } catch (e) {
      throw wrapUserError(this.transformName, "combine", e);
    } finally {
      activeMetrics.container = previous;
    }
  }

  /** Any other call (merging accumulators). */
  call<R>(f: () => R): R {
    const previous = setActiveContainer(this.metrics);
    try {
      return f();
    } catch (e) {
      throw wrapUserError(this.transformName, "combine", e);
    } finally {
      setActiveContainer(previous);
    }
  }
}
