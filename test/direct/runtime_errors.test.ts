/**
 * Errors of a run: each carries the transform's full name (`transformPath`), messages about
 * undeclared side inputs or tags list what was declared, and a side input is named as the user
 * declared it, not by an internal PCollection id.
 */
import { strict as assert } from "node:assert";
import { AsSingleton, Create, DoFn, InternalError, ParDo, PipelineError, TransformError, UserCodeError, ValidationError, type ProcessContext } from "../../lib";
import { runDirect } from "../helpers";
import { failingProgram } from "./programs";

/** Outputs to a tag it was not given (a DoFn written in JavaScript, or cast). */
class WrongTag extends DoFn<number, number, { a: number; b: number }> {
  process(n: number, ctx: ProcessContext<number, { a: number; b: number }>): void {
    (ctx.outputTo as (tag: string, value: number) => void)("c", n);
  }
}

describe("DirectRunner: errors of a run", function () {
  this.timeout(60_000);

  it("a read of an undeclared side input names it and lists the declared ones", async () => {
    const result = await runDirect((p) => {
      const factor = AsSingleton(p.apply("Factor", Create.of(2)));
      p.apply("Main", Create.of(1)).apply(
        "UseIt",
        ParDo.into<number>().of((n, ctx) => ctx.output(n * (ctx.sideInputs as unknown as Record<string, number>)["factr"]!), { sideInputs: { factor } }),
      );
    });
    assert.equal(result.state, "FAILED");
    const e = result.error as TransformError;
    assert.ok(e instanceof TransformError, String(e));
    assert.equal(e.transformPath, "UseIt");
    assert.equal(e.message, "Transform 'UseIt' read side input 'factr', which it did not declare (declared: 'factor'); pass it in ParDo.of(fn, { sideInputs: { factr: view } })");
  });

  it("an output to an undeclared tag lists the declared tags", async () => {
    const result = await runDirect((p) => {
      p.apply("Main", Create.of(1)).apply("Split", ParDo.of(new WrongTag()).withOutputs("a", "b"));
    });
    assert.equal(result.state, "FAILED");
    const e = result.error as TransformError;
    assert.ok(e instanceof TransformError, String(e));
    assert.equal(e.transformPath, "Split");
    assert.match(e.message, /^Transform 'Split' output to tag 'c', which it did not declare \(declared: 'a', 'b'\); declare it with ParDo\.of\(fn\)\.withOutputs\("c", \.\.\.\)$/);
  });

  it("a singleton side input with two elements is named as declared, with the transform that made it", async () => {
    const result = await runDirect((p) => {
      const limit = AsSingleton(p.apply("Limits", Create.of(1, 2)));
      p.apply("Main", Create.of(1)).apply("UseIt", ParDo.into<number>().of((n, ctx) => ctx.output(n + ctx.sideInputs.limit), { sideInputs: { limit } }));
    });
    assert.equal(result.state, "FAILED");
    const e = result.error as TransformError;
    assert.ok(e instanceof TransformError, String(e));
    assert.equal(e.transformPath, "UseIt");
    assert.match(e.message, /^The singleton side input 'limit' of transform 'UseIt' \(the output of 'Limits'\) has 2 elements in window .*; it must have exactly one \(use AsIterable for many\)$/);
    assert.doesNotMatch(e.message, /Limits\/Values/, "not the internal PCollection id");
  });

  it("an SDK error thrown from a DoFn gets the transform's path", async () => {
    const result = await runDirect((p) => {
      p.apply("Main", Create.of(1)).map("Check", (n: number) => {
        throw new ValidationError(`value ${n} is not valid`);
      });
    });
    assert.equal(result.state, "FAILED");
    const e = result.error as UserCodeError;
    assert.ok(e instanceof UserCodeError, String(e));
    assert.equal(e.transformPath, "Check");
    assert.match(e.message, /^Error in process of transform 'Check' while processing element 1: ValidationError: value 1 is not valid$/);
  });

  it("an error from a worker thread keeps the transform's path", async () => {
    const result = await failingProgram.run({}, { directNumWorkers: 2, directWorkerThreads: "always" });
    assert.equal(result.state, "FAILED");
    assert.ok(result.error instanceof PipelineError);
    assert.equal(result.error.name, "UserCodeError");
    assert.equal(result.error.transformPath, "Explode");
    assert.match(result.error.message, /Explode.*bad element/);
  });

  it("an internal error says it is a bug in Beamline, with the transform's path when there is one", () => {
    const e = new InternalError("no receiver for X.main", "Some/Step");
    assert.equal(e.name, "InternalError");
    assert.equal(e.transformPath, "Some/Step");
    assert.match(e.message, /^Internal error in Beamline \(at transform 'Some\/Step'\): no receiver for X\.main\. This is a bug in Beamline, not in your pipeline/);
  });
});
