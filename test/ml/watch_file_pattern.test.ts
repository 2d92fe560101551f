/**
 * WatchFilePattern and RunInference's watchModelPattern (Beam Python's WatchFilePattern and
 * `watch_model_pattern`): the files of the first match leave the handler's own model in use, a
 * newer file found later swaps it in. Beam Python's utils_test WatchFilePatternTest cases (with
 * the files' firings as separate TestStream events, as the watch finds them), then a streaming
 * run on local files that swaps the model mid-run without restarting. No sleeps: the run is
 * unbounded and the test polls what it observed, then drains.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { kv, ParDo, PeriodicImpulse, TestStream, type FileMetadata, type KV } from "../../lib";
import { clearSharedModels, RunInference, WatchFilePattern, type ModelHandler, type PredictionResult } from "../../lib/ml";
import { LatestModelFn } from "../../lib/ml/watch_file_pattern";
import { isStreamingResult } from "../../runners/streaming";
import { runDirect } from "../helpers";
import { waitFor } from "../setup/emulators/helpers";
import { collect, type Observed } from "../streaming/collect";

const START = 1_700_000_000_000;
const INTERVAL = 10_000;
const file = (p: string, modifiedSecondsAfterStart: number): FileMetadata => ({ path: p, sizeBytes: 10, lastModifiedMillis: START + modifiedSecondsAfterStart * 1000 });

/** Runs LatestModelFn over files found at the given firings (0: the first), each firing one event. */
async function latestModels(found: readonly (readonly [firing: number, f: FileMetadata])[]): Promise<string[]> {
  let stream = TestStream.create<KV<string, FileMetadata>>();
  for (const [firing, f] of found) stream = stream.addElements({ value: kv("", f), timestamp: START + firing * INTERVAL });
  const out: Observed<{ metadata: { modelId: string } }>[] = [];
  const result = await runDirect((p) => collect(p.apply(stream.advanceWatermarkToInfinity()).apply(ParDo.of(new LatestModelFn())), out));
  assert.equal(await result.waitUntilFinish(), "DONE");
  return out.map((o) => o.value.metadata.modelId);
}

describe("ml/WatchFilePattern (Beam Python's WatchFilePatternTest)", () => {
  it("test_latest_file_by_timestamp_default_value: files present at the start give the handler's own model, once", async () => {
    assert.deepEqual(await latestModels([[0, file("path1.py", -20)], [0, file("path2.py", -10)]]), [""]);
  });

  it("test_latest_file_with_timestamp_after_pipeline_construction_time: a file found later with a newer time swaps in", async () => {
    assert.deepEqual(await latestModels([[0, file("path0.py", -20)], [1, file("path1.py", 10)]]), ["", "path1.py"]);
  });

  it("test_emitting_singleton_output: the own model once, then each newer file", async () => {
    const found = [[0, file("path1.py", -20)], [0, file("path2.py", -10)], [1, file("path3.py", 10)], [2, file("path4.py", 20)]] as const;
    assert.deepEqual(await latestModels(found), ["", "path3.py", "path4.py"]);
  });

  it("a file found later but modified before the model in use does not swap an older model back in", async () => {
    const found = [[0, file("a.py", -20)], [1, file("new.py", 30)], [2, file("stale.py", 5)], [3, file("newest.py", 40)]] as const;
    assert.deepEqual(await latestModels(found), ["", "new.py", "newest.py"]);
  });
});

/** A model that multiplies: its file holds the factor; the handler's own model (no file) multiplies by 1. */
class Multiplier implements ModelHandler<number, number, { factor: number }> {
  constructor(readonly modelKey = "own") {}
  async loadModel(): Promise<{ factor: number }> {
    return { factor: this.modelKey === "own" ? 1 : Number(fs.readFileSync(this.modelKey, "utf8")) };
  }
  async runInference(batch: readonly number[], model: { factor: number }): Promise<readonly number[]> {
    return batch.map((x) => x * model.factor);
  }
  withModelId(modelId: string): Multiplier {
    return new Multiplier(modelId === "" ? "own" : modelId);
  }
}

describe("ml/RunInference with watchModelPattern (streaming DirectRunner, local files)", function () {
  this.timeout(60_000);
  let dir: string;
  let staging: string;
  beforeEach(() => {
    clearSharedModels();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "watch-models-"));
    staging = fs.mkdtempSync(path.join(os.tmpdir(), "watch-models-staging-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(staging, { recursive: true, force: true });
  });
  /** Writes a model file atomically (aside, then renamed in), as a model upload should. */
  const put = (name: string, factor: number): string => {
    fs.writeFileSync(path.join(staging, name), String(factor));
    fs.renameSync(path.join(staging, name), path.join(dir, name));
    return path.join(dir, name);
  };

  it("infers with the handler's own model, swaps in a model uploaded mid-run, and never swaps back", async () => {
    put("m1.txt", 2);
    const out: Observed<PredictionResult<number, number>>[] = [];
    const result = await runDirect(
      (p) => {
        const examples = p.apply("Examples", PeriodicImpulse.create({ intervalMillis: 20 })).map("Seconds", (t: number) => Math.floor(t / 20) % 1000);
        const { main } = examples.apply("Infer", RunInference.of(new Multiplier(), { watchModelPattern: path.join(dir, "*.txt"), watchModelOptions: { intervalMillis: 50 } }));
        collect(main, out);
      },
      {},
      { checkEveryElement: false },
    );
    assert.ok(isStreamingResult(result));
    await waitFor("predictions with the handler's own model", () => out.length >= 3, 20_000);
    const m2 = put("m2.txt", 3);
    await waitFor("a prediction with the uploaded model", () => out.some((o) => o.value.modelId === m2), 20_000);
    const swappedAt = out.length;
    await waitFor("more predictions after the swap", () => out.length >= swappedAt + 3, 20_000);
    assert.equal(await result.drain(), "DRAINED");

    const first = out.findIndex((o) => o.value.modelId === m2);
    for (const [i, o] of out.entries()) {
      const { example, inference, modelId } = o.value;
      if (i < first) assert.deepEqual([modelId, inference], ["own", example], `before the swap, the own model (${i})`);
      else assert.deepEqual([modelId, inference], [m2, example * 3], `after the swap, m2, never back (${i})`);
    }
    assert.ok(first >= 3, "the file present at the start (m1) was not swapped in");
  });

  it("refuses watchModelPattern with modelMetadata, and options without a pattern, naming the step", async () => {
    await assert.rejects(
      () =>
        runDirect((p) => {
          const models = p.apply("Models", WatchFilePattern.of(path.join(dir, "*")));
          p.apply("Examples", PeriodicImpulse.create({ intervalMillis: 20 })).apply("Infer", RunInference.of(new Multiplier(), { modelMetadata: models, watchModelPattern: "x" }));
        }),
      /both modelMetadata and watchModelPattern 'x'.*at transform 'Infer'/,
    );
    await assert.rejects(
      () =>
        runDirect((p) => {
          p.apply("Examples", PeriodicImpulse.create({ intervalMillis: 20 })).apply("Infer", RunInference.of(new Multiplier(), { watchModelOptions: { intervalMillis: 10 } }));
        }),
      /watchModelOptions without watchModelPattern/,
    );
  });
});
