/**
 * Streaming jobs on the DataflowRunner: an unbounded pipeline is submitted as a streaming job
 * without --streaming; Pub/Sub reads and writes become Dataflow's native transforms (bytes in and
 * out, serialized PubsubMessage protos); a pipeline reading the native write's output and a
 * TestStream are refused before anything is sent. The PortableRunner translation keeps the write
 * as a composite our SDK runs.
 */
import { strict as assert } from "node:assert";
import { Storage } from "@google-cloud/storage";
import type { PipelineOptions } from "../../lib/model/options";
import { DataflowRunner } from "../../runners/dataflow/dataflow_runner";
import { validatePipelineProto } from "../../runners/portable/describe";
import { dockerEnvironment } from "../../runners/portable/environments";
import { rapi, runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { startStorageEmulator, StorageEmulator } from "../../setup/emulators";
import { auth, FakeDataflow } from "./fake_dataflow";
import { consumesIds, pubsubCounts, scripted } from "./streaming_programs";

const byName = (proto: rapi.Pipeline, name: string): rapi.PTransform => {
  const t = Object.values(proto.components!.transforms).find((x) => x.uniqueName === name);
  assert.ok(t, `no transform ${name}`);
  return t;
};

describe("DataflowRunner: streaming jobs", function () {
  let dataflow: FakeDataflow;
  let gcs: StorageEmulator;
  let storage: Storage;
  before(async () => {
    gcs = await startStorageEmulator();
    storage = new Storage({ projectId: "proj", apiEndpoint: gcs.endpoint });
    await storage.createBucket("bkt");
  });
  after(async () => gcs.stop());
  beforeEach(async () => (dataflow = await FakeDataflow.start()));
  afterEach(async () => dataflow.stop());

  const options = (): Partial<PipelineOptions> => ({
    runner: "DataflowRunner",
    project: "proj",
    region: "europe-west1",
    tempLocation: "gs://bkt/tmp",
    jobName: "counts",
    extra: { dataflow_endpoint: dataflow.url, sdk_container_image: "europe-docker.pkg.dev/proj/repo/beamline-worker:2" },
  });
  const runner = (log: string[]): DataflowRunner => new DataflowRunner({ log: (l) => log.push(l), authClient: auth(), storage, pollIntervalMs: 5, cancelOnInterrupt: false });

  it("submits an unbounded pipeline as a streaming job with native Pub/Sub read and write", async () => {
    const log: string[] = [];
    dataflow.states = ["JOB_STATE_RUNNING", "JOB_STATE_RUNNING", "JOB_STATE_DRAINING", "JOB_STATE_DRAINED"];
    const result = await runner(log).run(pubsubCounts.create({}, options()));
    await result.drain();
    assert.equal(await result.waitUntilFinish(), "DRAINED");
    assert.deepEqual(dataflow.requests.filter((r) => r.method === "PUT").map((r) => r.body), [{ requestedState: "JOB_STATE_DRAINING" }], "drain() asks Dataflow to drain");
    assert.ok(log.some((l) => /'Read.*' is unbounded, so this is a streaming job/.test(l)), log.join("\n"));
    const body = dataflow.requests.find((r) => r.method === "POST")!.body as {
      type: string;
      environment: { experiments: string[]; version: { job_type: string }; sdkPipelineOptions: { options: Record<string, unknown> } };
    };
    assert.equal(body.type, "JOB_TYPE_STREAMING");
    assert.equal(body.environment.version.job_type, "FNAPI_STREAMING");
    for (const e of ["enable_streaming_engine", "enable_windmill_service", "use_runner_v2"]) assert.ok(body.environment.experiments.includes(e), e);
    assert.equal(body.environment.sdkPipelineOptions.options["streaming"], true);

    const url = String(body.environment.sdkPipelineOptions.options["pipelineUrl"]);
    const [bytes] = await storage.bucket("bkt").file(url.slice("gs://bkt/".length)).download();
    const proto = runnerApi.Pipeline.fromBinary(bytes);
    assert.deepEqual(validatePipelineProto(proto), []);
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

  it("refuses a pipeline that reads the native write's message ids, and a TestStream, before sending anything", async () => {
    await assert.rejects(runner([]).run(consumesIds.create({}, options())), (e: Error) => {
      assert.match(e.message, /'LogIds' reads the message ids of this WriteToPubSub, but on Dataflow streaming jobs the write is Dataflow's native Pub\/Sub sink/);
      assert.match(e.message, /Write\/Write/);
      return true;
    });
    await assert.rejects(runner([]).run(scripted.create({}, options())), /'Events' is a TestStream, which Dataflow cannot run.*DirectRunner/);
    assert.equal(dataflow.requests.length, 0);
  });

  it("keeps WriteToPubSub a composite run by our SDK for portable runners (and the ids usable)", () => {
    const proto = translatePipeline(consumesIds.create({}), dockerEnvironment()).proto;
    const write = byName(proto, "Write/Write");
    assert.equal(write.spec?.urn ?? "", "", "a plain composite: runners run its subtransforms");
    assert.equal(write.subtransforms.length, 1);
    assert.equal(byName(proto, "Write/Write/Publish").spec!.urn, "beam:transform:pardo:v1");
    assert.equal(Object.keys(write.outputs).length, 1);
  });
});
