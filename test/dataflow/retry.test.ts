/**
 * The DataflowRunner against a Dataflow stand-in that fails: transient errors (503, 429, a reset
 * connection) are retried with backoff by gaxios for job creation, polling and message listing;
 * a permanent one is not; a poll that keeps failing ends the follow as UNKNOWN, never FAILED.
 * Job identity: the clientRequestId recognises a retried create that had succeeded and refuses to
 * attach to another job of the same name; --update replaces the running job.
 */
import { strict as assert } from "node:assert";
import { Storage } from "@google-cloud/storage";
import type { PipelineOptions } from "../../lib/model/options";
import { wordcount } from "../../pipelines/wordcount";
import { DataflowRunner } from "../../runners/dataflow/dataflow_runner";
import { auth, FakeDataflow, withDataflowStandIns } from "./fake_dataflow";

describe("DataflowRunner: retries and job identity", function () {
  let dataflow: FakeDataflow;
  let storage: Storage;
  withDataflowStandIns((s) => ({ dataflow, storage } = s));

  const options = (extra: Record<string, string | boolean> = {}, base: Partial<PipelineOptions> = {}): Partial<PipelineOptions> => ({
    runner: "DataflowRunner",
    project: "proj",
    region: "us-central1",
    tempLocation: "gs://bkt/tmp",
    jobName: "counts",
    ...base,
    extra: { dataflow_endpoint: dataflow.url, sdk_container_image: "us-docker.pkg.dev/proj/repo/beamline-worker:1", ...extra },
  });
  const pipeline = (extra: Record<string, string | boolean> = {}, base: Partial<PipelineOptions> = {}): ReturnType<typeof wordcount.create> =>
    wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/out/counts" }, options(extra, base));
  const runner = (log: string[], retries = 8): DataflowRunner =>
    new DataflowRunner({ log: (l) => log.push(l), authClient: auth(), storage, pollIntervalMs: 5, onInterrupt: "ignore", retry: { retries, initialDelayMs: 1, maxDelayMs: 5 } });
  const creates = (): Record<string, unknown>[] => dataflow.requests.filter((r) => r.method === "POST").map((r) => r.body!);

  it("retries job creation that fails twice (503, then 429) and succeeds: one job", async () => {
    dataflow.fail("create", "503", "429");
    const log: string[] = [];
    const result = await runner(log).run(pipeline());
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(creates().length, 3);
    assert.equal(new Set(creates().map((b) => b["clientRequestId"])).size, 1, "the same request each time");
    assert.equal(dataflow.jobs.length, 1);
    assert.deepEqual(
      log.filter((l) => l.includes("retry")).map((l) => l.replace(/in [\d.]+ s/, "in N s")),
      ["DataflowRunner: Dataflow POST jobs failed (HTTP 503); retry 1 of 3 in N s", "DataflowRunner: Dataflow POST jobs failed (HTTP 429); retry 2 of 3 in N s"],
    );
  });

  it("a create whose response was lost is retried and recognised by its clientRequestId: no duplicate, no error", async () => {
    dataflow.fail("create", "reset-after");
    const result = await runner([]).run(pipeline());
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(creates().length, 2);
    assert.equal(dataflow.jobs.length, 1, "Dataflow answered the retry with the job the first request created");
    assert.equal(result.jobId, dataflow.jobs[0]!.id);
  });

  it("does not retry a permanent error (HTTP 400)", async () => {
    dataflow.fail("create", "400");
    await assert.rejects(runner([]).run(pipeline()), /Dataflow POST jobs failed \(HTTP 400\): Invalid job/);
    assert.equal(creates().length, 1);
  });

  it("one transient failure of a state poll or a message listing does not end a healthy job: it is followed to DONE", async () => {
    dataflow.states = ["JOB_STATE_RUNNING", "JOB_STATE_RUNNING", "JOB_STATE_DONE"];
    dataflow.fail("job", "reset", "503");
    dataflow.fail("messages", "reset");
    const log: string[] = [];
    const result = await runner(log).run(pipeline());
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(result.state, "DONE");
    assert.ok(log.some((l) => /GET jobs\/2026-11-22_job-1 failed \(ECONNRESET\); retry 1 of 8/.test(l)), log.join("\n"));
    assert.ok(log.some((l) => /GET jobs\/2026-11-22_job-1\/messages failed \(ECONNRESET\)/.test(l)), log.join("\n"));
  });

  it("a poll that still fails after every retry ends the follow as UNKNOWN, saying the job may still run", async () => {
    dataflow.states = ["JOB_STATE_RUNNING"];
    dataflow.fail("job", "503", "503", "503");
    const result = await runner([], 2).run(pipeline());
    await assert.rejects(result.waitUntilFinish(), (e: Error) => {
      assert.match(e.message, /^Lost contact with Dataflow while following job 2026-11-22_job-1 \(last state unknown\): Dataflow GET jobs\/2026-11-22_job-1 failed \(HTTP 503\)/);
      assert.match(e.message, /The job itself may still be running/);
      assert.match(e.message, /npx beamline dataflow status 2026-11-22_job-1 --project proj --region us-central1 --dataflow_endpoint http:\/\/127\.0\.0\.1:\d+/);
      return true;
    });
    assert.equal(result.state, "UNKNOWN");
  });

  it("re-running with the name of a running job does not attach to it: a clear error naming --update", async () => {
    dataflow.seedJob({ id: "2026-11-01_old", name: "counts", currentState: "JOB_STATE_RUNNING" });
    await assert.rejects(runner([]).run(pipeline()), (e: Error) => {
      assert.match(e.message, /^A job named 'counts' is already running in us-central1 \(id 2026-11-01_old, JOB_STATE_RUNNING\); Dataflow allows one active job per name, so nothing was submitted\./);
      assert.match(e.message, /add --update; to run both, choose another --job_name; or stop it first/);
      assert.match(e.message, /npx beamline dataflow drain 2026-11-01_old --project proj --region us-central1/);
      return true;
    });
    assert.equal(creates().length, 1);
    assert.match(String(creates()[0]!["clientRequestId"]), /^\d{20}-\d{4}$/);
    assert.deepEqual(dataflow.requests.filter((r) => r.method === "GET"), [], "the old job is not followed");
  });

  it("--update replaces the running job of that name (replaceJobId, transformNameMapping)", async () => {
    dataflow.seedJob({ id: "2026-11-01_old", name: "counts", currentState: "JOB_STATE_RUNNING" });
    dataflow.seedJob({ id: "2026-11-01_other", name: "other", currentState: "JOB_STATE_RUNNING" });
    const log: string[] = [];
    const result = await runner(log).run(pipeline({ update: true, transform_name_mapping: '{"wordcount/Split":"wordcount/Tokenize"}' }, { streaming: true }));
    assert.equal(await result.waitUntilFinish(), "DONE");
    const list = dataflow.requests.find((r) => r.method === "GET" && r.url.includes("/jobs?"))!;
    assert.match(list.url, /filter=ACTIVE/);
    const body = creates()[0]!;
    assert.equal(body["replaceJobId"], "2026-11-01_old");
    assert.deepEqual(body["transformNameMapping"], { "wordcount/Split": "wordcount/Tokenize" });
    assert.equal(body["name"], "counts");
    assert.equal(dataflow.jobs.find((j) => j.id === "2026-11-01_old")!.currentState, "JOB_STATE_UPDATED");
    assert.ok(log.some((l) => l.includes("created job 2026-11-22_job-3 (replacing 2026-11-01_old)")), log.join("\n"));
  });

  it("--update without a running job of that name is refused before creating anything", async () => {
    await assert.rejects(runner([]).run(pipeline({ update: true }, { streaming: true })), /--update: no active job named 'counts' in us-central1 to replace/);
    assert.deepEqual(creates(), []);
  });

  it("a program whose name is not a valid job name gets a valid default name; a user's invalid --job_name is refused, not rewritten", async () => {
    const log: string[] = [];
    const renamed = wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/o" }, options({}, { jobName: "word_count" }));
    renamed.program = { ...renamed.program!, name: "word_count" };
    const result = await runner(log).run(renamed);
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.match(String(creates()[0]!["name"]), /^word-count-\d{14}$/);
    assert.ok(log.some((l) => l.includes("the program's name 'word_count' is not a valid Dataflow job name")));
    await assert.rejects(runner([]).run(wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/o" }, options({}, { jobName: "Word_Count" }))), /--job_name 'Word_Count' is not a valid Dataflow job name/);
  });
});
