/** Pipeline programs for the TextIO tests that run in worker threads or on the portable path. */
import { Create, definePipeline } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

/**
 * Two sinks into one folder (`<output>/a`, `<output>/b`); the second branch reads the first
 * sink's file names, so it runs after the first sink has finished, and fails there with `--fail`.
 */
export const twoSinksProgram = definePipeline({
  name: "text-test-two-sinks",
  description: "two WriteToText sinks in one folder; optionally fails after the first has finished",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    lines: { type: "string", describe: "Comma-separated lines of the first sink", default: "a,b,c" },
    fail: { type: "boolean", describe: "Fail after the first sink has finished", default: false },
  },
  build(root, flags) {
    root
      .apply("Lines", Create.from(flags.lines.split(",")))
      .apply("WriteA", WriteToText.to(`${flags.output}/a`))
      .map("AfterA", (file: string) => {
        if (flags.fail) throw new Error(`failing after the first sink finished ${file.slice(file.lastIndexOf("/") + 1)}`);
        return `wrote ${file.slice(file.lastIndexOf("/") + 1)}`;
      })
      .apply("WriteB", WriteToText.to(`${flags.output}/b`));
  },
});
