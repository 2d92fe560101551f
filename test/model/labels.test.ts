/**
 * Labels may contain '/', as in Beam ("Read from Pub/Sub"): everything that finds an application
 * by its full name (worker threads, the Fn API harness, metrics, the portable translation) still
 * finds it.
 */
import { strict as assert } from "node:assert";
import "../../runners/direct";
import { Create, Pipeline, PipelineConstructionError, ptransform, type PCollection } from "../../lib";
import { mnistPubSub } from "../../pipelines/mnist_pubsub";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { translatePipeline } from "../../runners/portable/translate";
import { dockerEnvironment } from "../../runners/portable/environments";
import { MiniJobServer } from "../portable/job_server";
import { slashLabelsProgram } from "../direct/programs";

const COUNTER_STEP = "Outer/Stage/Count a/b";

describe("labels containing '/'", function () {
  this.timeout(60_000);

  it("are accepted at the top and nested; the full name joins the labels with '/'", () => {
    const p = Pipeline.create();
    const nums = p.apply("Read from Pub/Sub", Create.of(1, 2));
    nums.apply("Outer/Stage", ptransform("Stage", (input: PCollection<number>) => input.map("To a/b", (n) => n + 1)));
    assert.ok(p.findTransform("Read from Pub/Sub"));
    assert.ok(p.findTransform("Read from Pub/Sub/Values"));
    assert.equal(p.findTransform("Outer/Stage/To a/b")?.label, "To a/b");
    assert.throws(() => p.apply("", Create.of(1)), /label is empty/);
  });

  it("a full name given twice by different nestings is a duplicate naming both", () => {
    const p = Pipeline.create();
    p.apply("A", ptransform("A", (root: import("../../lib").PBegin) => root.apply("B", Create.of(1))));
    assert.throws(
      () => p.apply("A/B", Create.of(2)),
      (e: Error) => e instanceof PipelineConstructionError && /Duplicate transform name 'A\/B'\. It is also the name of 'B' inside 'A'\./.test(e.message),
    );
  });

  it("run on the DirectRunner, in one thread and in worker threads, with metrics found by step and by enclosing step", async () => {
    for (const directNumWorkers of [1, 2]) {
      const result = await slashLabelsProgram.run({}, { directNumWorkers });
      assert.equal(await result.waitUntilFinish(), "DONE", `${directNumWorkers} worker(s)`);
      assert.equal(result.metrics.counterTotal("test", "seen", COUNTER_STEP), 10);
      assert.equal(result.metrics.counterTotal("test", "seen", "Outer/Stage"), 10, "a step's metrics are under its enclosing steps");
      assert.deepEqual(
        result.metrics.counters({ namespace: "test" }).map((c) => c.step),
        [COUNTER_STEP],
      );
    }
  });

  it("translate to unique, valid transform ids while the unique names keep the '/'", () => {
    const p = slashLabelsProgram.create({});
    const { proto, transformIds } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    const transforms = Object.entries(proto.components!.transforms);
    for (const [id] of transforms) assert.match(id, /^[A-Za-z0-9_-]+$/);
    assert.equal(new Set(transforms.map(([id]) => id)).size, transforms.length);
    const byName = new Map(transforms.map(([id, t]) => [t.uniqueName, id]));
    for (const name of ["Read from Pub/Sub", "Spread/Out", "Outer/Stage", COUNTER_STEP, "Sum/All"]) {
      assert.ok(byName.has(name), `no transform named ${name}`);
      assert.equal(transformIds.get(name), byName.get(name));
    }
  });

  it("run through the Fn API harness (PortableRunner, LOOPBACK), which finds each DoFn by its full name", async () => {
    const jobServer = await MiniJobServer.start();
    try {
      const p = slashLabelsProgram.create({}, { runner: "PortableRunner", jobName: "slash-labels", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.equal(result.metrics.counterTotal("test", "seen", COUNTER_STEP), 10);
    } finally {
      await jobServer.stop();
    }
  });

  it("mnist_pubsub's steps have the names PIPELINES.md gives them", () => {
    const p = mnistPubSub.create({ input: "projects/p/topics/mnist_image", output: "projects/p/topics/mnist_predict", dead_letter: undefined, model: DEFAULT_MODEL, tfjs_backend: "auto", max_batch_size: 256, inference_threads: "0" });
    const top = p.root.children.flatMap((c) => c.children.map((n) => n.label));
    assert.deepEqual(
      top.filter((l) => ["Read from Pub/Sub", "toDict", "Prediction", "to byte", "To Pub/sub"].includes(l)),
      ["Read from Pub/Sub", "toDict", "Prediction", "to byte", "To Pub/sub"],
    );
  });
});
