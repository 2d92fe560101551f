/**
 * A pipeline program whose DoFn fails on one element in 10,000 the first `failures` times it sees
 * it (worker threads load this module, so the count lives in a file: one marker per failure).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Create, definePipeline, DoFn, ParDo, Reshuffle, WriteToText, type ProcessContext } from "../../lib";

export const FLAKY_N = 10_000;
export const FLAKY_BAD = 7_777;

class FailsFirstTimes extends DoFn<number, string> {
  constructor(
    private readonly markers: string,
    private readonly failures: number,
  ) {
    super();
  }
  process(n: number, ctx: ProcessContext<string>): void {
    if (n === FLAKY_BAD) {
      const seen = fs.readdirSync(this.markers).length;
      fs.writeFileSync(path.join(this.markers, `attempt-${seen}`), "");
      if (seen < this.failures) throw new Error(`flaky dependency failed on ${n}`);
    }
    ctx.output(`n${n}`);
  }
}

export const flakyProgram = definePipeline({
  name: "faults-flaky",
  description: "a DoFn failing on one element in 10,000 its first N times",
  flags: {
    markers: { type: "string", describe: "directory counting the attempts on the bad element", required: true },
    failures: { type: "number", describe: "attempts on the bad element that fail", default: 1 },
    output: { type: "string", describe: "output prefix", required: true },
  },
  build(root, flags) {
    root
      .apply("Numbers", Create.from(Array.from({ length: FLAKY_N }, (_, i) => i)))
      .apply(Reshuffle.viaRandomKey())
      .apply("Flaky", ParDo.of(new FailsFirstTimes(flags.markers, flags.failures)))
      .apply("Write", WriteToText.to(flags.output));
  },
});
