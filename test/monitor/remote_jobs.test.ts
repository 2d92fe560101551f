/**
 * Live progress of jobs on remote runners, against the test job service (PortableRunner,
 * LOOPBACK) and the Dataflow stand-in: per-step counts mapped back to the user's step names,
 * user metrics, job messages as log lines, and cancel / drain from the monitored job.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Storage } from "@google-cloud/storage";
import "../../runners/direct";
import { watchJobs, type JobSnapshot, type MonitoredJob } from "../../lib/model/monitoring";
import type { PipelineOptions } from "../../lib/model/options";
import { DEFAULT_INPUT, wordcount } from "../../pipelines/wordcount";
import { DataflowRunner } from "../../runners/dataflow/dataflow_runner";
import { dockerEnvironment } from "../../runners/portable/environments";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { translatePipeline } from "../../runners/portable/translate";
import { auth, FakeDataflow, withDataflowStandIns } from "../dataflow/fake_dataflow";
import { pubsubCounts } from "../dataflow/streaming_programs";
import { MiniJobServer } from "../portable/job_server";

/** Collects the jobs announced while `fn` runs. */
async function announced<T>(fn: () => Promise<T>): Promise<{ value: T; jobs: MonitoredJob[] }> {
  const jobs: MonitoredJob[] = [];
  const stop = watchJobs((j) => jobs.push(j));
  try {
    return { value: await fn(), jobs };
  } finally {
    stop();
  }
}

const COMPARED = ["wordcount/Split", "wordcount/PairWithOne", "wordcount/GroupAndSum", "wordcount/Format"];
const counts = (s: JobSnapshot): Record<string, [number, number]> => Object.fromEntries(COMPARED.map((n) => [n, [s.steps[n]!.elementsIn, s.steps[n]!.elementsOut]]));

describe("live progress of remote jobs", function () {
  this.timeout(60_000);

  describe("PortableRunner (Job API)", () => {
    let jobServer: MiniJobServer;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-monitor-portable-"));
    const input = path.join(tmp, "kinglear-head.txt");
    fs.writeFileSync(input, fs.readFileSync(DEFAULT_INPUT, "utf8").split("\n").slice(0, 300).join("\n"));
    before(async () => (jobServer = await MiniJobServer.start()));
    after(async () => {
      await jobServer.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    });
    const portable: Partial<PipelineOptions> = { runner: "PortableRunner", jobName: "wc-monitored", extra: { job_endpoint: "", environment_type: "LOOPBACK" } };
    const options = (): Partial<PipelineOptions> => ({ ...portable, extra: { ...portable.extra, job_endpoint: jobServer.url } });

    it("reports the job's element counts per step (as the DirectRunner counts them), its metrics and its messages", async () => {
      const direct = await announced(async () => {
        const r = await wordcount.run({ input, output: path.join(tmp, "direct", "counts") }, { runner: "DirectRunner" });
        await r.waitUntilFinish();
      });
      const expected = counts(direct.jobs[0]!.snapshot());
      assert.ok(expected["wordcount/Split"]![1] > 1000, JSON.stringify(expected));

      const { value: result, jobs } = await announced(() => new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(wordcount.create({ input, output: path.join(tmp, "portable", "counts") }, options())));
      assert.equal(jobs.length, 1);
      const job = jobs[0]!;
      assert.equal(job.runner, "PortableRunner");
      assert.equal(job.drain, undefined, "the Job API cannot drain");
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.equal(await job.finished, "DONE");
      const final = job.snapshot();
      assert.equal(final.state, "DONE");
      assert.deepEqual(counts(final), expected);
      assert.ok((final.steps["wordcount/Split"]!.msSpent ?? -1) >= 0, "execution time comes from the harness's pardo_execution_time");
      const messages = job.logs().entries.map((e) => e.message);
      assert.ok(messages.some((m) => /^running /.test(m)), messages.join("\n"));
      assert.ok(messages.some((m) => /^ran \d+ bundles$/.test(m)));
    });

    it("cancels the running job through the Job API", async () => {
      jobServer.holdJobs = true;
      try {
        const { value: result, jobs } = await announced(() => new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(wordcount.create({ input, output: path.join(tmp, "cancelled", "counts") }, options())));
        await jobs[0]!.cancel();
        await assert.rejects(result.waitUntilFinish(), /ended CANCELLED/);
        assert.equal(await jobs[0]!.finished, "CANCELLED");
        assert.equal([...jobServer.jobs.values()].at(-1)!.cancelled, true);
      } finally {
        jobServer.holdJobs = false;
      }
    });
  });

  describe("DataflowRunner (jobs/{id}/metrics)", () => {
    let dataflow: FakeDataflow;
    let storage: Storage;
    withDataflowStandIns((s) => ({ dataflow, storage } = s));
    const options = (jobName: string): Partial<PipelineOptions> => ({
      runner: "DataflowRunner",
      project: "proj",
      region: "europe-west1",
      tempLocation: "gs://bkt/tmp",
      jobName,
      extra: { dataflow_endpoint: dataflow.url, sdk_container_image: "europe-docker.pkg.dev/proj/repo/beamline-worker:2" },
    });
    const runner = (): DataflowRunner => new DataflowRunner({ log: () => undefined, authClient: auth(), storage, pollIntervalMs: 5, onInterrupt: "ignore", retry: { initialDelayMs: 1 } });

    it("maps ElementCount, ExecutionTime and user metrics back to the step names (tentative values first), and job messages to logs", async () => {
      const pipeline = wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/out/counts" }, options("wc-metrics"));
      const ids = translatePipeline(pipeline, dockerEnvironment("img")).transformIds;
      const split = ids.get("wordcount/Split")!;
      const update = (origin: string, name: string, context: Record<string, string>, scalar: number): object => ({ name: { origin, name, context }, scalar });
      dataflow.metrics = [
        update("dataflow/v1b3", "ElementCount", { original_name: `${split}-out0-ElementCount`, output_user_name: `${split}-out0` }, 900),
        update("dataflow/v1b3", "ElementCount", { original_name: `${split}-out0-ElementCount`, output_user_name: `${split}-out0`, tentative: "true" }, 1000),
        update("dataflow/v1b3", "ElementCount", { output_user_name: "wordcount/Format-out0", tentative: "true" }, 40),
        update("dataflow/v1b3", "ExecutionTime_ProcessElement", { step: split, tentative: "true" }, 1500),
        update("dataflow/v1b3", "ExecutionTime_FinishBundle", { step: split, tentative: "true" }, 20),
        update("user", "emptyLines", { step: split, namespace: "wordcount", tentative: "true" }, 7),
        update("user", "lengths_MEAN", { step: split, namespace: "wordcount", tentative: "true" }, 3),
        { name: { origin: "user", name: "lengths", context: { step: "wordcount/Split", namespace: "wordcount", tentative: "true" } }, distribution: { count: 4, sum: 12, min: 1, max: 5, mean: 3 } },
      ];
      dataflow.messages = [{ id: "m1", time: "2026-11-22T10:00:00Z", messageImportance: "JOB_MESSAGE_WARNING", messageText: "Autoscaling: raised the number of workers to 2" }];
      dataflow.states = ["JOB_STATE_RUNNING", "JOB_STATE_RUNNING", "JOB_STATE_DONE"];
      const { value: result, jobs } = await announced(() => runner().run(pipeline));
      assert.equal(await result.waitUntilFinish(), "DONE");
      const job = jobs[0]!;
      assert.equal(job.runner, "DataflowRunner");
      assert.equal(job.drain, undefined, "a batch job cannot be drained");
      const s = job.snapshot();
      assert.equal(s.state, "DONE");
      assert.equal(s.steps["wordcount/Split"]!.elementsOut, 1000);
      assert.equal(s.steps["wordcount/PairWithOne"]!.elementsIn, 1000);
      assert.equal(s.steps["wordcount/Format"]!.elementsOut, 40);
      assert.equal(s.steps["wordcount/Split"]!.msSpent, 1520);
      assert.deepEqual(s.metrics.counters.map((c) => [c.step, c.namespace, c.name, c.value]), [["wordcount/Split", "wordcount", "emptyLines", 7]]);
      assert.deepEqual(s.metrics.distributions.map((d) => [d.step, d.name, d.value.count, d.value.sum, d.value.min, d.value.max]), [["wordcount/Split", "lengths", 4, 12, 1, 5]]);
      assert.deepEqual(job.logs().entries.map((e) => [e.level, e.message]), [["WARN", "Autoscaling: raised the number of workers to 2"]]);
      assert.ok(dataflow.requests.some((r) => r.method === "GET" && r.url.endsWith("/metrics")));
    });

    it("drains a streaming job by a job update to JOB_STATE_DRAINING", async () => {
      dataflow.states = ["JOB_STATE_RUNNING"];
      dataflow.drainEnds = true;
      const { value: result, jobs } = await announced(() => runner().run(pubsubCounts.create({}, options("counts-drained"))));
      const job = jobs[0]!;
      assert.ok(job.drain !== undefined, "a streaming job can be drained");
      await job.drain();
      assert.equal(await result.waitUntilFinish(), "DRAINED");
      assert.equal(await job.finished, "DRAINED");
      assert.deepEqual(dataflow.requests.filter((r) => r.method === "PUT").map((r) => r.body), [{ requestedState: "JOB_STATE_DRAINING" }]);
    });
  });
});
