/**
 * The dead-letter rule, on every runner path: rejected elements are counted on the step
 * (`beamline/rejected`); if nothing reads the dead-letter output the first one fails the run
 * naming the step and its reason, unless the output is declared ignorable.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { Create, ParDo, Pipeline, type PipelineOptions } from "../../lib";
import { PipelineConstructionError } from "../../lib/model/errors";
import { TestStream } from "../../lib/testing/test_stream";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { MiniJobServer } from "../portable/job_server";
import { runDirect } from "../helpers";
import { badNumbers, parseProgram, ParseNumbers, type DeadLetterUse } from "./dead_letter_programs";

const REJECTED = (use: string): RegExp =>
  new RegExp(`Transform '${use}' rejected an element \\(\\{"input":"x","error":"'x' is not a number"\\}\\): 'x' is not a number\\. It went to the dead-letter output 'bad', which nothing in the pipeline reads`);

describe("dead-letter outputs", function () {
  this.timeout(30_000);

  it("a dead-letter tag must be one of the ParDo's tagged outputs", () => {
    const p = Pipeline.create();
    assert.throws(
      () => p.apply(Create.of("1")).apply("Parse", ParDo.of(new ParseNumbers(), { deadLetters: { bad: badNumbers() } })),
      (e: Error) => e instanceof PipelineConstructionError && /Dead-letter output 'bad' is not one of the ParDo's tagged outputs \(requested: none\); request it with .*withOutputs\("bad"\)/.test(e.message),
    );
  });

  it("types: a dead-letter spec is typed by its tag's element type, and only declared tags are accepted", () => {
    ParDo.of(new ParseNumbers(), { deadLetters: { bad: { reason: (b) => b.error } } });
    // @ts-expect-error: BadNumber has no 'message'
    ParDo.of(new ParseNumbers(), { deadLetters: { bad: { reason: (b) => b.message } } });
    // @ts-expect-error: 'failed' is not one of the DoFn's output tags
    ParDo.of(new ParseNumbers(), { deadLetters: { failed: { reason: () => "" } } });
  });

  const cases: [DeadLetterUse, string][] = [
    ["read", "DONE"],
    ["sideInput", "DONE"],
    ["ignored", "DONE"],
    ["unread", "FAILED"],
  ];
  for (const workers of [1, 2]) {
    // Worker threads: the rule and the counts cross threads (the other uses differ only in the graph).
    for (const [use, state] of workers === 1 ? cases : cases.filter(([u]) => u === "read" || u === "unread")) {
      it(`DirectRunner, ${workers} worker(s), output ${use}: ${state}, the rejected element counted on the step`, async () => {
        const result = await parseProgram.run({ inputs: "1,2,x,4,5,6", use }, { directNumWorkers: workers, directWorkerThreads: "always" });
        assert.equal(result.state, state, result.error?.message);
        assert.equal(result.metrics.counterTotal("beamline", "rejected", "Parse"), 1);
        if (state === "FAILED") {
          assert.equal(result.error!.name, "RejectedElementError");
          assert.match(result.error!.message, REJECTED("Parse"));
        }
      });
    }
  }

  it("nothing rejected: an unread dead-letter output is fine, and nothing is counted", async () => {
    const result = await parseProgram.run({ inputs: "1,2,3", use: "unread" });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(result.metrics.counters({ name: "rejected" }), []);
  });

  it("the streaming driver applies the same rule", async () => {
    const result = await runDirect((p) => {
      p.apply(TestStream.create<string>().addElements({ value: "1", timestamp: 1 }, { value: "x", timestamp: 2 }).advanceWatermarkToInfinity())
        .apply("Parse", ParDo.of(new ParseNumbers(), { deadLetters: { bad: badNumbers() } }).withOutputs("bad"));
    });
    await assert.rejects(result.waitUntilFinish(), REJECTED("Parse"));
    assert.equal(result.state, "FAILED");
  });

  describe("on the Fn API harness (PortableRunner, LOOPBACK)", () => {
    let jobServer: MiniJobServer;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-dead-letter-"));
    before(async () => {
      jobServer = await MiniJobServer.start();
    });
    after(async () => {
      await jobServer.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    });
    const portable = (): Partial<PipelineOptions> => ({ runner: "PortableRunner", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });

    it("an unread dead-letter output fails the job with the step and the reason; a read one is DONE with the count", async () => {
      const failed = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(parseProgram.create({ inputs: "1,x,3", use: "unread" }, portable()));
      await assert.rejects(failed.waitUntilFinish(), REJECTED("Parse"));
      const done = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(parseProgram.create({ inputs: "1,x,3", use: "read" }, portable()));
      assert.equal(await done.waitUntilFinish(), "DONE");
      assert.equal(done.metrics.counterTotal("beamline", "rejected", "Parse"), 1);
    });
  });
});
