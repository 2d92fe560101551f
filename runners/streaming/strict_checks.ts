/**
 * The DirectRunner's strict model checks in streaming runs, as in batch (runners/executor/checks.ts):
 * every PCollection's elements survive a round trip through its coder, grouping keys of
 * GroupByKey, Combine.perKey and stateful ParDos encode deterministically, and DoFns do not
 * mutate their inputs. On unless the pipeline options say `strictChecks: false`
 * (`--no_strict_checks`); sampled (the first CHECK_ALL_FIRST elements of each step, then one in
 * CHECK_EVERY_NTH), or every element with the DirectRunner's `checkEveryElement`.
 *
 * Unlike batch, samplers count over the whole run rather than restarting with every bundle:
 * streaming bundles are small (latency first), so a per-bundle "first N" would check nearly every
 * element and cost more than the pipeline itself.
 */
import { CheckSampler } from "../executor/checks";

/** A sampler that keeps counting across bundles (operators reset their samplers per bundle). */
class RunSampler extends CheckSampler {
  resetForBundle(): void {
    // Counts the whole run (see the file comment).
  }
}

/** The checks' settings and samplers of a streaming graph (the graph builder applies them to its steps). */
export class StreamingChecks {
  constructor(
    /** Whether the checks run at all. */
    readonly enabled: boolean,
    /** Check every element rather than a sample. */
    private readonly everyElement: boolean,
  ) {}

  /** A sampler counting over the run. */
  sampler(): CheckSampler {
    return new RunSampler(this.everyElement);
  }

  /** The key determinism checks of a grouping step (undefined when off). */
  keyChecks(): CheckSampler | undefined {
    return this.enabled ? this.sampler() : undefined;
  }
}
