/**
 * Streaming jobs on the DataflowRunner: an unbounded pipeline is submitted as a streaming job
 * without --streaming; Pub/Sub reads and writes become Dataflow's native transforms (bytes in and
 * out, serialized PubsubMessage protos); a pipeline reading the native write's output and a
 * TestStream are refused before anything is sent. `--streaming` makes a bounded pipeline a
 * streaming job too; a bounded pipeline without it is a batch job whose write stays the composite
 * our SDK runs, as it does on the PortableRunner.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Storage } from "@google-cloud/storage";
import type { PipelineOptions } from "../../lib/model/options";
import { DataflowRunner } from "../../runners/dataflow/dataflow_runner";
import { pipelineFromJson, validatePipelineProto } from "../../runners/portable/describe";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { rapi, runnerApi } from "../../runners/portable/protos";
import { wordcount } from "../../pipelines/wordcount";
import { auth, FakeDataflow, withDataflowStandIns } from "./fake_dataflow";
import { boundedRelay, consumesIds, idsAsSideInput, pubsubCounts, scripted } from "./streaming_programs";

const byName = (proto: rapi.Pipeline, name: string): rapi.PTransform => {
  const t = Object.values(proto.components!.transforms).find((x) => x.uniqueName === name);
  assert.ok(t, `no transform ${name}`);
  return t;
};

/** What Beam Python and Java add for a Runner v2 streaming job: Runner v2 plus Streaming Engine. */
const STREAMING_EXPERIMENTS = ["beam_fn_api", "use_runner_v2", "use_unified_worker", "use_portable_job_submission", "enable_streaming_engine", "enable_windmill_service"];

interface JobRequest {
  type: string;
  environment: { experiments: string[]; version: { job_type: string }; sdkPipelineOptions: { options: Record<string, unknown> } };
}

describe("DataflowRunner: streaming jobs", function () {
  let dataflow: FakeDataflow;
  let storage: Storage;
  withDataflowStandIns((s) => ({ dataflow, storage } = s));

  const options = (base: Partial<PipelineOptions> = {}): Partial<PipelineOptions> => ({
    runner: "DataflowRunner",
    project: "proj",
    region: "europe-west1",
    tempLocation: "gs://bkt/tmp",
    jobName: "counts",
    ...base,
    extra: { dataflow_endpoint: dataflow.url, sdk_container_image: "europe-docker.pkg.dev/proj/repo/beamline-worker:2" },
  });
  const jobRequest = (): JobRequest => {
    const creates = dataflow.requests.filter((r) => r.method === "POST");
    assert.equal(creates.length, 1, "one job created");
    return creates[0]!.body as unknown as JobRequest;
  };
  const stagedProto = async (job: JobRequest): Promise<rapi.Pipeline> => {
    const url = String(job.environment.sdkPipelineOptions.options["pipelineUrl"]);
    const [bytes] = await storage.bucket("bkt").file(url.slice("gs://bkt/".length)).download();
    const proto = runnerApi.Pipeline.fromBinary(bytes);
    assert.deepEqual(validatePipelineProto(proto), []);
    return proto;
  };
  const urnsOf = (proto: rapi.Pipeline): string[] => [...new Set(Object.values(proto.components!.transforms).map((t) => t.spec?.urn ?? ""))].sort();
  const runner = (log: string[]): DataflowRunner => new DataflowRunner({ log: (l) => log.push(l), authClient: auth(), storage, pollIntervalMs: 5, onInterrupt: "ignore", retry: { initialDelayMs: 1 } });

  it("submits an unbounded pipeline as a streaming job with native Pub/Sub read and write", async () => {
    const log: string[] = [];
    dataflow.states = ["JOB_STATE_RUNNING", "JOB_STATE_RUNNING", "JOB_STATE_DRAINING", "JOB_STATE_DRAINED"];
    const result = await runner(log).run(pubsubCounts.create({}, options()));
    await result.drain();
    assert.equal(await result.waitUntilFinish(), "DRAINED");
    assert.deepEqual(dataflow.requests.filter((r) => r.method === "PUT").map((r) => r.body), [{ requestedState: "JOB_STATE_DRAINING" }], "drain() asks Dataflow to drain");
    assert.deepEqual(
      log.filter((l) => l.includes("streaming")),
      ["DataflowRunner: 'Read' is unbounded, so this is a streaming job (as with --streaming)"],
      "one line says why the job streams",
    );
    const body = jobRequest();
    assert.equal(body.type, "JOB_TYPE_STREAMING");
    assert.equal(body.environment.version.job_type, "FNAPI_STREAMING");
    assert.deepEqual(body.environment.experiments, STREAMING_EXPERIMENTS);
    assert.deepEqual(body.environment.sdkPipelineOptions.options["experiments"], STREAMING_EXPERIMENTS, "also where other SDKs' harnesses read them");
    assert.equal(body.environment.sdkPipelineOptions.options["streaming"], true);

    const proto = await stagedProto(body);
    const c = proto.components!;
    const coderUrn = (pcollId: string): string => c.coders[c.pcollections[pcollId]!.coderId]!.spec!.urn;

    const read = byName(proto, "Read/Read");
    assert.equal(read.spec!.urn, "beam:transform:pubsub_read:v1");
    assert.equal(read.environmentId, "");
    assert.deepEqual(read.subtransforms, [], "the runner reads; our expansion is not sent");
    const readPayload = runnerApi.PubSubReadPayload.fromBinary(read.spec!.payload);
    assert.deepEqual(
      [readPayload.subscription, readPayload.topic, readPayload.timestampAttribute, readPayload.idAttribute, readPayload.withAttributes],
      ["projects/proj/subscriptions/words", "", "ts", "uid", true],
    );
    assert.equal(coderUrn(Object.values(read.outputs)[0]!), "beam:coder:bytes:v1");

    const write = byName(proto, "Write/Write");
    assert.equal(write.spec!.urn, "beam:transform:pubsub_write:v1");
    assert.equal(write.environmentId, "");
    assert.deepEqual(write.subtransforms, []);
    assert.deepEqual(write.outputs, {}, "the native sink outputs nothing");
    const writePayload = runnerApi.PubSubWritePayload.fromBinary(write.spec!.payload);
    assert.deepEqual([writePayload.topic, writePayload.idAttribute, writePayload.timestampAttribute], ["projects/proj/topics/counts", "rid", "ts"]);
    const writeInput = Object.values(write.inputs)[0]!;
    assert.equal(coderUrn(writeInput), "beam:coder:bytes:v1", "serialized PubsubMessage protos as plain bytes");
    const producer = Object.values(c.transforms).find((t) => Object.values(t.outputs).includes(writeInput))!;
    assert.equal(producer.uniqueName, "Write/ToProtobuf", "our SDK serializes the messages; Dataflow publishes them");
    assert.deepEqual(byName(proto, "Write").outputs, {}, "nor do the composites around it");
    assert.ok(!Object.values(c.transforms).some((t) => t.uniqueName === "Write/Write/Publish"), "our publishing step is not sent");
  });

  it("refuses a pipeline that reads the native write's message ids (as main or side input), and a TestStream, before sending anything", async () => {
    await assert.rejects(runner([]).run(consumesIds.create({}, options())), (e: Error) => {
      assert.equal(
        e.message,
        "'LogIds' reads the message ids of WriteToPubSub 'Write', but on Dataflow streaming jobs the write is Dataflow's native Pub/Sub sink, which outputs nothing. " +
          "Do not use the ids there (remove the steps reading them), or run this pipeline on the DirectRunner or a portable runner, where WriteToPubSub outputs them (at transform 'Write')",
      );
      return true;
    });
    await assert.rejects(runner([]).run(idsAsSideInput.create({}, options())), (e: Error) => {
      assert.ok(e.message.startsWith("'CountPublished' reads the message ids of WriteToPubSub 'Write', but"), e.message);
      assert.ok(e.message.endsWith("(at transform 'Write')"), e.message);
      return true;
    });
    await assert.rejects(
      runner([]).run(scripted.create({}, options())),
      (e: Error) => e.message === "'Events' is a TestStream, which Dataflow cannot run (it replays scripted events for tests). Run this pipeline on the DirectRunner, or read a real source such as ReadFromPubSub.",
    );
    assert.deepEqual(dataflow.requests, [], "nothing was sent to Dataflow");
  });

  it("--streaming on a bounded pipeline submits a streaming job without saying it was inferred", async () => {
    const log: string[] = [];
    const result = await runner(log).run(wordcount.create({ input: "gs://bkt/in.txt", output: "gs://bkt/out/counts" }, options({ streaming: true })));
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(log.filter((l) => l.includes("streaming")), []);
    const body = jobRequest();
    assert.deepEqual([body.type, body.environment.version.job_type], ["JOB_TYPE_STREAMING", "FNAPI_STREAMING"]);
    assert.deepEqual(body.environment.experiments, STREAMING_EXPERIMENTS);
    assert.ok(!urnsOf(await stagedProto(body)).some((u) => u.startsWith("beam:transform:pubsub")));
  });

  it("a bounded pipeline is a batch job whose WriteToPubSub stays our composite (its ids may be used)", async () => {
    const result = await runner([]).run(boundedRelay.create({}, options()));
    assert.equal(await result.waitUntilFinish(), "DONE");
    const body = jobRequest();
    assert.deepEqual([body.type, body.environment.version.job_type], ["JOB_TYPE_BATCH", "FNAPI_BATCH"]);
    assert.deepEqual(body.environment.experiments, STREAMING_EXPERIMENTS.slice(0, 4), "Runner v2 only, no Streaming Engine");
    const proto = await stagedProto(body);
    assert.ok(!urnsOf(proto).some((u) => u.startsWith("beam:transform:pubsub")), urnsOf(proto).join(", "));
    const write = byName(proto, "Write/Write");
    assert.equal(write.spec?.urn ?? "", "", "a plain composite");
    assert.deepEqual(write.subtransforms.map((id) => proto.components!.transforms[id]!.uniqueName), ["Write/Write/Publish"]);
    assert.equal(byName(proto, "Write/Write/Publish").spec!.urn, "beam:transform:pardo:v1");
    assert.equal(Object.keys(byName(proto, "Write").outputs).length, 1, "the ids reach the commit step");
  });

  it("the PortableRunner keeps WriteToPubSub a composite run by our SDK, ids usable, even in a streaming pipeline", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-portable-"));
    try {
      const file = path.join(dir, "pipeline.json");
      const log: string[] = [];
      const result = await new PortableRunner({ log: (l) => log.push(l), cancelOnInterrupt: false }).run(
        consumesIds.create({}, { runner: "PortableRunner", project: "proj", extra: { describe_to: file } }),
      );
      assert.equal(await result.waitUntilFinish(), "DONE");
      const proto = pipelineFromJson(fs.readFileSync(file, "utf8"));
      assert.deepEqual(validatePipelineProto(proto), []);
      const write = byName(proto, "Write/Write");
      assert.equal(write.spec?.urn ?? "", "", "a plain composite: runners run its subtransforms");
      assert.deepEqual(write.subtransforms.map((id) => proto.components!.transforms[id]!.uniqueName), ["Write/Write/Publish"]);
      const publish = byName(proto, "Write/Write/Publish");
      assert.equal(publish.spec!.urn, "beam:transform:pardo:v1");
      assert.equal(publish.environmentId, "beamline");
      const ids = Object.values(write.outputs);
      assert.deepEqual(ids, Object.values(publish.outputs), "the composite outputs what Publish outputs: the message ids");
      assert.equal(Object.values(byName(proto, "LogIds").inputs)[0], ids[0], "and LogIds reads them");
      // Only Dataflow reads Pub/Sub natively: on a portable runner our worker reads it as a splittable DoFn.
      assert.equal(byName(proto, "Read/Read/Read").spec!.urn, "beam:transform:pardo:v1", "the read is the SDK's splittable read");
      assert.ok(!Object.values(proto.components!.transforms).some((t) => t.spec?.urn === "beam:transform:pubsub_read:v1"));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
