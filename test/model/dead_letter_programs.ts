/** Pipeline programs with a dead-letter output (worker threads and the Fn API harness load this module). */
import { AsIterable, Create, definePipeline, DoFn, ParDo, Reshuffle, type ProcessContext } from "../../lib";
import type { DeadLetterSpec } from "../../lib/model/dead_letter";

/** A parse failure: the input and why. */
export interface BadNumber {
  readonly input: string;
  readonly error: string;
}

/** Parses numbers; what does not parse goes to the dead-letter output "bad". */
export class ParseNumbers extends DoFn<string, number, { bad: BadNumber }> {
  process(text: string, ctx: ProcessContext<number, { bad: BadNumber }>): void {
    const n = Number(text);
    if (Number.isNaN(n)) ctx.outputTo("bad", { input: text, error: `'${text}' is not a number` });
    else ctx.output(n);
  }
}

export const badNumbers = (ignoreUnread = false): DeadLetterSpec<BadNumber> => ({ reason: (b) => b.error, ignoreUnread });

/** How the dead-letter output is used: not at all, read by a step, read as a side input only, or ignored. */
export type DeadLetterUse = "unread" | "read" | "sideInput" | "ignored";

/** Parses `inputs` spread over bundles (and worker threads); `use` decides what reads the bad ones. */
export const parseProgram = definePipeline({
  name: "dead-letter-parse",
  description: "parses numbers with a dead-letter output",
  flags: {
    inputs: { type: "string", describe: "comma-separated inputs", default: "1,2,x,4" },
    use: { type: "string", describe: "unread | read | sideInput | ignored", default: "unread" },
  },
  build(root, flags) {
    const texts = root.apply("Texts", Create.from(flags.inputs.split(","))).apply(Reshuffle.viaRandomKey());
    const out = texts.apply("Parse", ParDo.of(new ParseNumbers(), { deadLetters: { bad: badNumbers(flags.use === "ignored") } }).withOutputs("bad"));
    if (flags.use === "read") out.bad.map("Report", (b) => b.input);
    if (flags.use === "sideInput") {
      out.main.apply("Annotate", ParDo.into<string>().of((n, ctx) => ctx.output(`${n} (${ctx.sideInputs.bad.length} bad)`), { sideInputs: { bad: AsIterable(out.bad) } }));
    }
  },
});
