/**
 * The DataflowRunner against local stand-ins: an HTTP server for the Dataflow v1b3 REST API and
 * the project's GCS emulator, driven through google-auth-library and @google-cloud/storage.
 */
import { strict as assert } from "node:assert";
import { Storage } from "@google-cloud/storage";
import type { PipelineOptions } from "../../lib/model/options";
import { wordcount } from "../../pipelines/wordcount";
import { dataflowCli } from "../../runners/dataflow/cli";
import { isStreamingResult } from "../../lib/model/result";
import { DataflowClient } from "../../runners/dataflow/client";
import { DataflowResult, DataflowRunner } from "../../runners/dataflow/dataflow_runner";
import { jobBody } from "../../runners/dataflow/job";
import { dataflowOptions } from "../../runners/dataflow/options";
import { validatePipelineProto } from "../../runners/portable/describe";
import { runnerApi } from "../../runners/portable/protos";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { auth, FakeDataflow, withDataflowStandIns } from "./fake_dataflow";

describe("DataflowRunner (Runner v2 over REST)", function () {
  let dataflow: FakeDataflow;
  let storage: Storage;
  withDataflowStandIns((s) => ({ dataflow, storage } = s));

  const options = (extra: Record<string, string> = {}, base: Partial<PipelineOptions> = {}): Partial<PipelineOptions> => ({
    runner: "DataflowRunner",
    project: "proj",
    region: "us-central1",
    tempLocation: "gs://bkt/tmp",
    stagingLocation: "gs://bkt/staging",
    jobName: "wordcount-df",
    ...base,
    extra: { dataflow_endpoint: dataflow.url, sdk_container_image: "us-docker.pkg.dev/proj/repo/beamline-worker:1", ...extra },
  });
  const runner = (log: string[]): DataflowRunner => new DataflowRunner({ log: (l) => log.push(l), authClient: auth(), storage, pollIntervalMs: 5, onInterrupt: "ignore", retry: { initialDelayMs: 1 } });

  it("stages the proto and program to GCS and creates a valid Runner v2 job; follows it to DONE", async () => {
    const log: string[] = [];
    const p = wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/out/counts" }, options({ labels: "team=data,env=test", service_account_email: "sa@proj.iam.gserviceaccount.com" }));
    const result = await runner(log).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    const create = dataflow.requests.find((r) => r.method === "POST")!;
    assert.equal(create.url, "/v1b3/projects/proj/locations/us-central1/jobs");
    assert.equal(create.auth, "Bearer test-token");
    const body = create.body as { name: string; type: string; steps: unknown[]; labels: object; environment: Record<string, unknown> };
    assert.equal(body.name, "wordcount-df");
    assert.equal(body.type, "JOB_TYPE_BATCH");
    assert.deepEqual(body.steps, []);
    assert.deepEqual(body.labels, { team: "data", env: "test" });
    const env = body.environment as { experiments: string[]; serviceAccountEmail: string; tempStoragePrefix: string; version: { job_type: string }; sdkPipelineOptions: { options: Record<string, unknown> }; workerPools: Record<string, unknown>[] };
    for (const e of ["beam_fn_api", "use_runner_v2", "use_unified_worker", "use_portable_job_submission"]) assert.ok(env.experiments.includes(e), e);
    assert.equal(env.version.job_type, "FNAPI_BATCH");
    assert.equal(env.serviceAccountEmail, "sa@proj.iam.gserviceaccount.com");
    assert.equal(env.tempStoragePrefix, "gs://bkt/tmp");
    const pool = env.workerPools[0] as { workerHarnessContainerImage: string; sdkHarnessContainerImages: { containerImage: string; environmentId: string }[]; packages: { name: string; location: string }[] };
    assert.equal(pool.workerHarnessContainerImage, "us-docker.pkg.dev/proj/repo/beamline-worker:1");
    assert.deepEqual(pool.sdkHarnessContainerImages.map((i) => [i.containerImage, i.environmentId]), [["us-docker.pkg.dev/proj/repo/beamline-worker:1", "beamline"]]);
    const opts = env.sdkPipelineOptions.options;
    assert.equal(opts["beamline_fingerprint"], p.fingerprint());
    assert.match(String(opts["beamline_program"]), /"name":"wordcount"/);
    assert.equal(opts["temp_location"], "gs://bkt/tmp");

    // The staged proto: fetched back from GCS, parsed with the Beam classes, URL artifacts in place.
    const url = String(opts["pipelineUrl"]);
    assert.match(url, /^gs:\/\/bkt\/staging\/wordcount-df-[0-9a-f]{8}\/pipeline\.pb$/);
    const [bytes] = await storage.bucket("bkt").file(url.slice("gs://bkt/".length)).download();
    const proto = runnerApi.Pipeline.fromBinary(bytes);
    assert.deepEqual(validatePipelineProto(proto), []);
    const sdkEnv = proto.components!.environments["beamline"]!;
    assert.equal(runnerApi.DockerPayload.fromBinary(sdkEnv.payload).containerImage, "us-docker.pkg.dev/proj/repo/beamline-worker:1");
    // Nothing staged besides the proto: workers run the program built into the image.
    assert.deepEqual(sdkEnv.dependencies, []);
    assert.deepEqual(pool.packages, []);
    assert.ok(log.some((l) => l.includes("https://console.cloud.google.com/dataflow/jobs/us-central1/2026-11-22_job-1?project=proj")), log.join("\n"));
    assert.ok(log.some((l) => l.includes("is DONE")));
  });

  it("exits with the job's error when it fails", async () => {
    dataflow.states = ["JOB_STATE_RUNNING", "JOB_STATE_FAILED"];
    dataflow.messages = [{ id: "m1", time: "2026-11-22T10:00:00Z", messageImportance: "JOB_MESSAGE_ERROR", messageText: "Workflow failed: boom in wordcount/Split" }];
    const log: string[] = [];
    const result = await runner(log).run(wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/o" }, options()));
    await assert.rejects(result.waitUntilFinish(), /JOB_STATE_FAILED: Workflow failed: boom in wordcount\/Split/);
    assert.equal(result.state, "FAILED");
  });

  it("returns the job's user metrics in result.metrics when it ends, named by the pipeline's steps (tentative values first, as Beam Python's DataflowMetrics)", async () => {
    const p = wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/o" }, options());
    const split = translatePipeline(p, dockerEnvironment("img")).transformIds.get("wordcount/Split")!;
    const update = (name: string, context: Record<string, string>, value: object): object => ({ name: { origin: "user", name, context }, ...value });
    dataflow.metrics = [
      update("emptyLines", { step: split, namespace: "wordcount" }, { scalar: 6 }),
      update("emptyLines", { step: split, namespace: "wordcount", tentative: "true" }, { scalar: 7 }),
      update("lengths_MAX", { step: split, namespace: "wordcount", tentative: "true" }, { scalar: 5 }),
      update("lengths", { step: split, namespace: "wordcount" }, { distribution: { count: "4", sum: "12", min: "1", max: "5", mean: 3 } }),
      { name: { origin: "dataflow/v1b3", name: "ElementCount", context: { output_user_name: `${split}-out0` } }, scalar: 1000 },
    ];
    dataflow.states = ["JOB_STATE_RUNNING", "JOB_STATE_DONE"];
    const result = await runner([]).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(result.metrics.counters().map((c) => [c.step, c.namespace, c.name, c.value]), [["wordcount/Split", "wordcount", "emptyLines", 7]]);
    assert.equal(result.metrics.counterTotal("wordcount", "emptyLines", "Split"), 7);
    assert.deepEqual(result.metrics.distributions().map((d) => [d.step, d.name, d.value]), [["wordcount/Split", "lengths", { count: 4, sum: 12, min: 1, max: 5 }]]);

    // A final read that fails is said, and the job's state stands; fetchMetrics() reads again.
    dataflow.reset();
    dataflow.metrics = [update("emptyLines", { step: split, namespace: "wordcount" }, { scalar: 9 })];
    dataflow.states = ["JOB_STATE_DONE"];
    dataflow.fail("metrics", "400");
    const log: string[] = [];
    const again = await runner(log).run(wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/o" }, options({}, { jobName: "wordcount-df2" })));
    assert.equal(await again.waitUntilFinish(), "DONE");
    assert.deepEqual(again.metrics.counters(), []);
    assert.ok(log.some((l) => /could not read the final metrics of job .*await result.fetchMetrics\(\) to try again.*Invalid job/.test(l)), log.join("\n"));
    assert.equal((await (again as DataflowResult).fetchMetrics()).counterTotal("wordcount", "emptyLines"), 9);
  });

  it("validates options before submitting (missing temp location, bad region, bad labels)", async () => {
    const p = wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/o" }, options({ labels: "Bad Label" }, { tempLocation: undefined, stagingLocation: undefined, region: "uscentral" }));
    await assert.rejects(runner([]).run(p), (e: Error) => {
      assert.match(e.message, /--temp_location is required/);
      assert.match(e.message, /--region 'uscentral' is not a Google Cloud region/);
      assert.match(e.message, /--labels entries must be key=value/);
      return true;
    });
    assert.equal(dataflow.requests.length, 0, "nothing was sent");
  });

  it("streaming jobs get JOB_TYPE_STREAMING and the Streaming Engine experiments", () => {
    const o = dataflowOptions({ ...wordcount.create({ input: "i", output: "o" }).options, ...options({}, { streaming: true }) } as PipelineOptions);
    const body = jobBody(o, { pipelineUrl: "gs://bkt/p.pb", packages: [] }, {}, [], { clientRequestId: "r-1" }) as { type: string; environment: { experiments: string[]; version: { job_type: string } } };
    assert.equal(body.type, "JOB_TYPE_STREAMING");
    assert.equal(body.environment.version.job_type, "FNAPI_STREAMING");
    assert.ok(body.environment.experiments.includes("enable_streaming_engine") && body.environment.experiments.includes("enable_windmill_service"));
  });

  it("cancel and drain from the CLI send the requested state changes", async () => {
    const out: string[] = [];
    const common = ["--project", "proj", "--region", "us-central1", "--dataflow_endpoint", dataflow.url];
    assert.equal(await dataflowCli(["cancel", "job-9", ...common], (l) => out.push(l), auth()), 0);
    assert.equal(await dataflowCli(["drain", "job-9", ...common], (l) => out.push(l), auth()), 0);
    assert.deepEqual(
      dataflow.requests.map((r) => [r.method, r.url, r.body]),
      [
        ["PUT", "/v1b3/projects/proj/locations/us-central1/jobs/job-9", { requestedState: "JOB_STATE_CANCELLED" }],
        ["PUT", "/v1b3/projects/proj/locations/us-central1/jobs/job-9", { requestedState: "JOB_STATE_DRAINING" }],
      ],
    );
    assert.equal(await dataflowCli(["cancel", "job-9"], (l) => out.push(l)), 2, "usage error without --project/--region");
  });

  it("a Dataflow result can drain but is not taken for a local streaming result (whose progress line the CLI prints)", () => {
    const result = new DataflowResult("job-1", new DataflowClient(dataflow.url, "proj", "us-central1", auth()));
    assert.equal(typeof result.drain, "function");
    assert.equal(isStreamingResult(result), false);
  });
});

