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
import type { Coder } from "../../lib/coders/coder";
import type { PCollection } from "../../lib/model/pcollection";
import type { ElementMeta } from "../../lib/model/window";
import { CheckSampler, checkCoderRoundTrip } from "../executor/checks";
import { coderOf } from "../executor/default_coders";
import type { InputChecks } from "../executor/pardo_operator";
import type { MaybePromise, Receiver } from "../executor/receiver";

/** A sampler that keeps counting across bundles (operators reset their samplers per bundle). */
class RunSampler extends CheckSampler {
  resetForBundle(): void {
    // Counts the whole run (see the file comment).
  }
}

/** Checks that the elements of a PCollection survive its coder, then passes them on. */
class CoderCheckReceiver implements Receiver {
  constructor(
    private readonly producer: string,
    private readonly pcollId: string,
    private readonly coder: Coder<unknown>,
    private readonly sampler: CheckSampler,
    private readonly next: Receiver,
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    if (this.sampler.shouldCheck()) checkCoderRoundTrip(this.producer, this.pcollId, this.coder, value);
    return this.next.receive(value, meta);
  }
}

/** Builds the checks of a streaming graph's steps. */
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

  /** The mutation checks of a ParDo reading `input` (undefined when off). */
  inputChecks(input: PCollection<unknown>): InputChecks | undefined {
    return this.enabled ? { inputCoder: coderOf(input), sampler: this.sampler() } : undefined;
  }

  /** The key determinism checks of a grouping step (undefined when off). */
  keyChecks(): CheckSampler | undefined {
    return this.enabled ? this.sampler() : undefined;
  }

  /** Wraps the receiver of `pc`'s elements with the coder round-trip check (unchanged when off). */
  coderChecked(pc: PCollection<unknown>, next: Receiver): Receiver {
    if (!this.enabled) return next;
    return new CoderCheckReceiver(pc.producer.fullName, pc.id, coderOf(pc), this.sampler(), next);
  }
}
