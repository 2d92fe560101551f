/**
 * End to end through the Job API: `--runner PortableRunner --environment_type LOOPBACK` against
 * an in-test job service that runs the proto by driving our harness over the Fn API.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { loadRunner } from "../../lib/model/runner_registry";
import type { PipelineOptions } from "../../lib/model/options";
import { DEFAULT_INPUT, wordcount } from "../../pipelines/wordcount";
import { wordcount2 } from "../../pipelines/wordcount2";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { pipelineFromJson, validatePipelineProto } from "../../runners/portable/describe";
import { MiniJobServer } from "./job_server";
import { CO_GROUP_BY_KEY_EXPECTED, coGroupByKeyProgram, failingProgram, FLATTEN_CONSUMERS, FLATTEN_EXPECTED, flattenProgram, reshuffleProgram } from "./programs";
import { sideInputsProgram } from "../worker/programs";
import { twoSinksProgram } from "../io/text_programs";
import { pubsubCounts } from "../dataflow/streaming_programs";
import { readShards } from "../helpers";
import { startEmulatorEnv } from "../io/gcp/emulator_env";

describe("PortableRunner over the Job API (LOOPBACK)", function () {
  let jobServer: MiniJobServer;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-portable-"));
  const input = path.join(tmp, "kinglear-head.txt");
  fs.writeFileSync(input, fs.readFileSync(DEFAULT_INPUT, "utf8").split("\n").slice(0, 400).join("\n"));

  before(async () => {
    jobServer = await MiniJobServer.start();
  });
  after(async () => {
    await jobServer.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const portable = (extra: Record<string, string>): Partial<PipelineOptions> => ({ runner: "PortableRunner", jobName: "wc-portable", extra });

  it("runs wordcount to DONE with the same output as the DirectRunner, staging the program as an artifact", async () => {
    const direct = await wordcount.run({ input, output: path.join(tmp, "direct", "counts") }, { runner: "DirectRunner" });
    assert.equal(await direct.waitUntilFinish(), "DONE");

    const lines: string[] = [];
    const p = wordcount.create({ input, output: path.join(tmp, "portable", "counts") }, portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(result.state, "DONE");

    const expected = readShards(path.join(tmp, "direct", "counts"));
    assert.ok(expected.length > 100);
    assert.deepEqual(readShards(path.join(tmp, "portable", "counts")), expected);
    assert.ok(lines.some((l) => /job .* is RUNNING/.test(l)), lines.join("\n"));
    assert.ok(lines.some((l) => /job .* is DONE/.test(l)));
    assert.ok(lines.some((l) => /running stage/.test(l)), "job messages are printed");
    const job = [...jobServer.jobs.values()].at(-1)!;
    assert.equal(job.artifacts.size, 0, "nothing is staged: workers run the program in their image (here, in this process)");
    assert.equal(job.options["beam:option:beamline_fingerprint:v1"], p.fingerprint());
    assert.equal(job.options["beam:option:job_name:v1"], "wc-portable");
    assert.equal(job.options["beam:option:streaming:v1"], false, "a bounded pipeline runs in batch mode");
  });

  it("asks for streaming execution when the pipeline is unbounded (runners such as Flink choose by this option)", async () => {
    // The worker reads Pub/Sub itself (a splittable read): from a local emulator, whose topic does
    // not exist, so the job fails without reaching any Google host.
    const env = await startEmulatorEnv(["pubsub"]);
    const p = pubsubCounts.create({}, portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    try {
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
      await result.waitUntilFinish().catch(() => undefined);
    } finally {
      await env.stop();
    }
    const job = [...jobServer.jobs.values()].at(-1)!;
    assert.equal(job.options["beam:option:streaming:v1"], true);
    assert.equal(job.options["beam:option:beamline_fingerprint:v1"], p.fingerprint());
  });

  it("runs wordcount2 (a branching graph with two lifted combines) like the DirectRunner", async () => {
    const flags = (dir: string) => ({ input, output: path.join(tmp, dir, "counts"), output2: path.join(tmp, dir, "first") });
    assert.equal(await (await wordcount2.run(flags("direct2"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    const p = wordcount2.create(flags("portable2"), portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    for (const name of ["counts", "first"]) assert.deepEqual(readShards(path.join(tmp, "portable2", name)), readShards(path.join(tmp, "direct2", name)));
  });

  for (const consumer of FLATTEN_CONSUMERS) {
    it(`Flatten → ${consumer}: the runner passes the Flatten's inputs through as bytes to a keyed consumer`, async () => {
      const flags = (dir: string) => ({ output: path.join(tmp, `flatten-${consumer}`, dir), consumer });
      const p = flattenProgram.create(flags("portable"), portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
      assert.equal(await result.waitUntilFinish(), "DONE");
      const { file, lines } = FLATTEN_EXPECTED[consumer];
      assert.deepEqual(readShards(path.join(tmp, `flatten-${consumer}`, "portable", file)), lines);
      if (consumer === "stateful") return; // on the DirectRunner a stateful DoFn runs on the streaming driver (see the report)
      assert.equal(await (await flattenProgram.run(flags("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(tmp, `flatten-${consumer}`, "direct", file)), lines);
    });
  }

  it("Reshuffle → GroupByKey: the runner reads the Reshuffle's input in its place, with the DirectRunner's output", async () => {
    const flags = (dir: string) => ({ output: path.join(tmp, "reshuffle", dir) });
    assert.equal(await (await reshuffleProgram.run(flags("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    const p = reshuffleProgram.create(flags("portable"), portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(readShards(path.join(tmp, "reshuffle", "portable", "groups")), ["x:2", "y:1"]);
    assert.deepEqual(readShards(path.join(tmp, "reshuffle", "direct", "groups")), ["x:2", "y:1"]);
  });

  it("CoGroupByKey (global and windowed), WithTimestamps, Latest, KvSwap and Sample give Beam's expected (and the DirectRunner's) output", async () => {
    const flags = (dir: string) => ({ output: path.join(tmp, "cogbk", dir) });
    assert.equal(await (await coGroupByKeyProgram.run(flags("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    const p = coGroupByKeyProgram.create(flags("portable"), portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    for (const [file, lines] of Object.entries(CO_GROUP_BY_KEY_EXPECTED)) {
      assert.deepEqual(readShards(path.join(tmp, "cogbk", "direct", file)), lines, `direct ${file}`);
      assert.deepEqual(readShards(path.join(tmp, "cogbk", "portable", file)), lines, `portable ${file}`);
    }
  });

  it("two sinks into one folder; on a remote runner each sink commits when its own branch completes, so a later failure keeps it (as in Beam)", async () => {
    const out = path.join(tmp, "two-sinks");
    const ok = twoSinksProgram.create({ output: out, lines: "a,b", fail: false }, portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    assert.equal(await (await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(ok)).waitUntilFinish(), "DONE");
    assert.deepEqual(fs.readdirSync(out).sort(), ["a-00000-of-00001", "b-00000-of-00001"]);
    const failing = twoSinksProgram.create({ output: out, lines: "c", fail: true }, portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(failing);
    await assert.rejects(result.waitUntilFinish(), /failing after the first sink finished/);
    assert.deepEqual(fs.readdirSync(out).sort(), ["a-00000-of-00001", "b-00000-of-00001"], "no temporary directory left");
    assert.equal(fs.readFileSync(path.join(out, "a-00000-of-00001"), "utf8"), "c\n", "the first sink's branch had completed and committed");
  });

  it("side inputs through the runner's State API, user counters back through GetJobMetrics", async () => {
    const p = sideInputsProgram.create({}, portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(result.metrics.counterTotal("annotate", "words", "Annotate"), 3);
  });

  it("reads user counters a runner reports as committed (as Prism does), not only attempted ones", async () => {
    jobServer.metricsAs = "committed";
    try {
      const p = sideInputsProgram.create({}, portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.equal(result.metrics.counterTotal("annotate", "words", "Annotate"), 3);
    } finally {
      jobServer.metricsAs = "attempted";
    }
  });

  it("reports a failed job: FAILED state, non-zero outcome and the worker's error", async () => {
    const lines: string[] = [];
    const p = failingProgram.create({}, portable({ job_endpoint: jobServer.url, environment_type: "LOOPBACK" }));
    const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
    await assert.rejects(result.waitUntilFinish(), /FAILED[\s\S]*boom on two/);
    assert.equal(result.state, "FAILED");
    assert.ok(lines.some((l) => l.includes("[ERROR]") && l.includes("Explode")), lines.join("\n"));
  });

  it("--describe_to writes the proto as JSON without submitting; the registry loads PortableRunner", async () => {
    const out = path.join(tmp, "describe", "wordcount.json");
    const p = wordcount.create({ input, output: path.join(tmp, "x") }, portable({ describe_to: out }));
    const result = await new PortableRunner({ log: () => undefined }).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(validatePipelineProto(pipelineFromJson(fs.readFileSync(out, "utf8"))), []);
    assert.ok(loadRunner("PortableRunner") instanceof PortableRunner);
    await assert.rejects(
      new PortableRunner({ log: () => undefined }).run(wordcount.create({ input, output: "/o" }, portable({}))),
      /--job_endpoint/,
    );
  });
});
