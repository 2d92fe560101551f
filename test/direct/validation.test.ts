/** The DirectRunner's validation of transforms before any work: the hooks run together, errors keep graph order. */
import { strict as assert } from "node:assert";
import { Create, PCollection, PTransform, ValidationError } from "../../lib";
import type { ValidationContext } from "../../lib/model/transform";
import { runDirect } from "../helpers";

/** A pass-through step whose validation does what the test says. */
class Checked extends PTransform<PCollection<string>, PCollection<string>> {
  constructor(
    name: string,
    private readonly check: (ctx: ValidationContext) => Promise<void>,
  ) {
    super(name);
  }
  expand(input: PCollection<string>): PCollection<string> {
    return input.map("Same", (s: string) => s);
  }
  override validate(ctx: ValidationContext): Promise<void> {
    return this.check(ctx);
  }
}

describe("DirectRunner: validation before the run", () => {
  it("starts every transform's validation without waiting for the earlier ones (their waits overlap)", async () => {
    const log: string[] = [];
    const result = await runDirect((p) => {
      p.apply(Create.of("a"))
        .apply(
          new Checked("Slow", async () => {
            await new Promise<void>((resolve) => setImmediate(resolve));
            log.push("Slow done");
          }),
        )
        .apply(
          new Checked("Quick", async () => {
            log.push("Quick started");
          }),
        );
    });
    assert.equal(result.state, "DONE");
    assert.deepEqual(log, ["Quick started", "Slow done"]);
  });

  it("reports the first failure in graph order, also when a later one fails sooner or a hook throws at once", async () => {
    let processed = 0;
    const result = await runDirect((p) => {
      p.apply(Create.of("a"))
        .map("Count", (s: string) => {
          processed++;
          return s;
        })
        .apply(
          new Checked("First", async (ctx) => {
            await new Promise<void>((resolve) => setImmediate(resolve));
            throw new ValidationError(`${ctx.transformName}: first problem`);
          }),
        )
        .apply(
          new Checked("Second", (ctx) => {
            throw new ValidationError(`${ctx.transformName}: second problem`);
          }),
        );
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /^First: first problem$/);
    assert.equal(processed, 0, "no element was processed");
  });
});
