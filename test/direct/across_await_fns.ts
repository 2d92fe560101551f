/** The DoFns of the async-process-after-a-failure tests (test/direct/async_outputs_after_failure.test.ts, test/worker/failure_after_outputs.test.ts). */
import { strict as assert } from "node:assert";
import { DoFn, type ProcessContext } from "../../lib";

export const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Every call of the steps below, in order (reset by each test). */
export const log: string[] = [];

/** Outputs 0, awaits, then outputs 1 and 2 (to its tag "later" if `laterToTag`). */
export class OutputAcrossAwait extends DoFn<number, number, { later: number }> {
  constructor(private readonly laterToTag: boolean) {
    super();
  }
  async process(_: number, ctx: ProcessContext<number, { later: number }>): Promise<void> {
    ctx.output(0);
    // Long enough for the failure of 0 downstream to settle first.
    for (let i = 0; i < 5; i++) await tick();
    for (const x of [1, 2]) {
      if (this.laterToTag) ctx.outputTo("later", x);
      else ctx.output(x);
    }
  }
}

/** An async step failing on 0 after an await; records its calls under `name`. */
export class FailOnZero extends DoFn<number, number> {
  constructor(private readonly name: string) {
    super();
  }
  async process(x: number, ctx: ProcessContext<number>): Promise<void> {
    log.push(`${this.name} process ${x}`);
    await tick();
    if (x === 0) throw new Error(`${this.name} failed on 0`);
    ctx.output(x);
  }
  teardown(): void {
    log.push(`${this.name} teardown`);
  }
}

/** An async sink recording `process`, `done` (after awaits) and `teardown`. */
export class Sink extends DoFn<number, never> {
  constructor(private readonly name: string) {
    super();
  }
  async process(x: number): Promise<void> {
    log.push(`${this.name} process ${x}`);
    await tick();
    await tick();
    log.push(`${this.name} done ${x}`);
  }
  teardown(): void {
    log.push(`${this.name} teardown`);
  }
}

/** No call of step `name` after its teardown (its calls after a throw are checked by each test). */
export function assertLifecycle(name: string): void {
  const calls = log.filter((l) => l.startsWith(`${name} `));
  const last = calls.lastIndexOf(`${name} teardown`);
  assert.ok(last >= 0, `${name} was torn down: ${log.join(", ")}`);
  // With two workers each has its own instance: every call precedes the last teardown.
  assert.equal(last, calls.length - 1, `${name} was called after its teardown: ${log.join(", ")}`);
}
