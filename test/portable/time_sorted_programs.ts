/**
 * Programs for the portable tests of requiresTimeSortedInput and requiresStableInput: the first
 * is ParDoTest's timeSortedDoFn over a descending input (sorted, every output is 1); the second a
 * DoFn that requires stable input, which a runner that cannot honour it must refuse.
 */
import { Create, definePipeline, DoFn, kv, KV, ParDo, StatefulDoFn, StatefulProcessContext, StateSpec, type ProcessContext } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

/** Outputs value - previous value of the key (1 for the first): all ones when sorted. */
class TimeSorted extends StatefulDoFn<string, number, string> {
  readonly requiresTimeSortedInput = true;
  readonly last = StateSpec.value<number>("last");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const last = ctx.state(this.last).read() ?? e.value - 1;
    ctx.state(this.last).write(e.value);
    ctx.output(String(e.value - last));
  }
}

export const TIME_SORTED_COUNT = 200;

export const timeSortedProgram = definePipeline({
  name: "portable-test-time-sorted",
  description: "ParDoTest's time-sorted DoFn over a descending input",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    const descending = Array.from({ length: TIME_SORTED_COUNT }, (_, i) => TIME_SORTED_COUNT - i);
    root
      .apply("Inputs", Create.timestamped(descending.map((v) => ({ value: kv("", v), timestamp: v }))))
      .apply("Sorted", ParDo.of(new TimeSorted()))
      .apply("Write", WriteToText.to(`${flags.output}/diffs`));
  },
});

class StableWrite extends DoFn<number, string> {
  readonly requiresStableInput = true;
  process(n: number, ctx: ProcessContext<string>): void {
    ctx.output(String(n));
  }
}

export const stableInputProgram = definePipeline({
  name: "portable-test-stable-input",
  description: "a DoFn that requires stable input",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    root
      .apply("Inputs", Create.of(1, 2, 3))
      .apply("Stable", ParDo.of(new StableWrite()))
      .apply("Write", WriteToText.to(`${flags.output}/stable`));
  },
});
