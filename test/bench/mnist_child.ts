/**
 * One measurement of the MNIST benchmark (./mnist.ts), in a fresh process; prints one JSON line.
 *
 *   inference BACKEND N   raw model.predict on batches of 256 pre-parsed images (and parsing the
 *                         Image strings + model.predict, a hand-written equivalent) vs the Prediction
 *                         step (parse + RunInference + format) on the same rows from memory, with
 *                         the DirectRunner's strict checks (the default) and without, alternating
 *   bq N [ONE]            mnist_bq end to end against the BigQuery emulator (env set by the parent),
 *                         alternating raw model.predict on the same N images and the job with
 *                         each --inference_threads of MNIST_BQ_THREADS (default 0,1,2); then on
 *                         the table ONE of a single image (the job's fixed cost, first mode)
 *   pubsub VARIANT        mnist_pubsub until SIGTERM (drains), against the Pub/Sub emulator;
 *                         "unchecked": without the DirectRunner's strict checks; "identity": the
 *                         same read and write around a JSON pass-through instead of the model
 */
import "../../runners/direct";
import { Create, isStreamingResult, ParDo } from "../../lib";
import { loadTfjsModel, type LoadedTfjsModel } from "../../lib/ml";
import type * as tfjs from "@tensorflow/tfjs";
import { mnistBq } from "../../pipelines/mnist_bq";
import { mnistPubSub } from "../../pipelines/mnist_pubsub";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";
import { DEFAULT_MODEL, parseImage, Prediction, type MnistImage } from "../../pipelines/mnist_prediction";
import { readCsvRows } from "../../setup/mnist/mnist_data";
import { runDirect } from "../helpers";
import { processCpuMs } from "./mnist_cpu";

const BATCH = 256;
/** mnist_bq's flags in the bench (the output table and the threads are set per run). */
const bqFlags = { input: "bench.MNIST.Images", output: "bench.MNIST.Predict", model: DEFAULT_MODEL, tfjs_backend: "auto", max_batch_size: BATCH, inference_threads: "0", dead_letter: undefined };
const rssMb = () => process.resourceUsage().maxRSS / 1024;
/** CPU time this process has used (all threads), in ms: unlike wall time, barely moved by other load on the machine. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs `fn`, appending its CPU time to `cpu`. */
async function onCpu<T>(cpu: number[], fn: () => Promise<T>): Promise<T> {
  const before = cpuMs();
  const r = await fn();
  cpu.push(cpuMs() - before);
  return r;
}

async function rowsOf(csv: string, n: number): Promise<MnistImage[]> {
  const rows: MnistImage[] = [];
  for await (const r of readCsvRows(csv)) {
    if (rows.length >= n) break;
    rows.push({ ID: Number(r["ID"]), Image: r["Image"]! });
  }
  return rows;
}

async function rawPredict(m: LoadedTfjsModel, images: readonly Float32Array[]): Promise<number> {
  const { tf } = m;
  const started = performance.now();
  for (let i = 0; i < images.length; i += BATCH) {
    const batch = images.slice(i, i + BATCH);
    const data = new Float32Array(batch.length * 784);
    batch.forEach((x, j) => data.set(x, j * 784));
    const out = tf.tidy(() => m.model.predict(tf.tensor(data, [batch.length, 28, 28, 1]), { batchSize: batch.length }) as tfjs.Tensor);
    await out.data();
    out.dispose();
  }
  return performance.now() - started;
}

async function pipelinePredict(rows: readonly MnistImage[], strictChecks: boolean): Promise<number> {
  let seen = 0;
  const started = performance.now();
  const result = await runDirect(
    (p) => {
      p.apply(Create.from(rows)).apply("Prediction", new Prediction({ model: DEFAULT_MODEL, maxBatchSize: BATCH })).main.apply(
        "Count",
        ParDo.of(() => {
          seen++;
        }),
      );
    },
    { strictChecks },
    { checkEveryElement: false },
  );
  await result.waitUntilFinish();
  if (seen !== rows.length) throw new Error(`the pipeline predicted ${seen} of ${rows.length} images`);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  const csv = process.env["MNIST_CSV"]!;
  if (mode === "inference") {
    const backend = a as "wasm" | "cpu";
    const rows = await rowsOf(csv, Number(b));
    const images = rows.map((r) => parseImage(r.Image) as Float32Array);
    const m = await loadTfjsModel(DEFAULT_MODEL, backend);
    await rawPredict(m, images.slice(0, BATCH)); // warm-up
    const raw: number[] = [];
    const rawWithParse: number[] = [];
    const pipeline: number[] = [];
    const unchecked: number[] = [];
    // On a shared machine the speed changes from one second to the next: many short alternations,
    // compared pairwise by the parent, say more than a few long ones.
    const rounds = backend === "cpu" ? 1 : 5;
    const cpu = { raw: [] as number[], rawWithParse: [] as number[], pipeline: [] as number[], unchecked: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      raw.push(await onCpu(cpu.raw, () => rawPredict(m, images)));
      const started = performance.now();
      await onCpu(cpu.rawWithParse, () => rawPredict(m, rows.map((r) => parseImage(r.Image) as Float32Array)));
      rawWithParse.push(performance.now() - started);
      if (backend !== "cpu") pipeline.push(await onCpu(cpu.pipeline, () => pipelinePredict(rows, true)));
      if (backend !== "cpu") unchecked.push(await onCpu(cpu.unchecked, () => pipelinePredict(rows, false)));
    }
    process.stdout.write(`${JSON.stringify({ backend: m.backend, images: images.length, rawMs: raw, rawWithParseMs: rawWithParse, pipelineMs: pipeline, uncheckedMs: unchecked, cpu, maxRssMb: rssMb() })}\n`);
  } else if (mode === "bq") {
    // mnist_bq end to end, alternating with raw model.predict on the same images (parsed beforehand).
    const images = (await rowsOf(csv, Number(a))).map((r) => parseImage(r.Image) as Float32Array);
    const m = await loadTfjsModel(DEFAULT_MODEL, "auto");
    await rawPredict(m, images.slice(0, BATCH)); // warm-up
    // Each mode: --inference_threads N (0: the model on the pipeline's thread).
    const modes = (process.env["MNIST_BQ_THREADS"] ?? "0,1,2").split(",").map(Number);
    const raw: number[] = [];
    const rawCpu: number[] = [];
    const runs: Record<string, { ms: number[]; cpu: number[]; emulator: number[] }> = Object.fromEntries(modes.map((t) => [t, { ms: [], cpu: [], emulator: [] }]));
    // Each mode's first run in this process (loading its model, JIT-compiling the job's code), with
    // the raw model.predict measured just before it; reported apart, as raw's own warm-up is.
    const first: Record<string, { ms: number[]; cpu: number[]; emulator: number[] }> = Object.fromEntries(modes.map((t) => [t, { ms: [], cpu: [], emulator: [] }]));
    const firstRaw: number[] = [];
    const emulatorPid = Number(process.env["MNIST_EMULATOR_PID"]);
    for (let i = 0; i < 4; i++) {
      (i === 0 ? firstRaw : raw).push(await onCpu(i === 0 ? [] : rawCpu, () => rawPredict(m, images)));
      for (const threads of modes) {
        const r = (i === 0 ? first : runs)[threads]!;
        const started = performance.now();
        const emulatorBefore = processCpuMs(emulatorPid);
        await onCpu(r.cpu, async () => {
          const result = await mnistBq.run({ ...bqFlags, inference_threads: String(threads), output: threads === modes[0] ? "bench.MNIST.Predict" : `bench.MNIST.Predict${threads}` }, { project: "bench" });
          await result.waitUntilFinish();
        });
        r.ms.push(performance.now() - started);
        const emulatorAfter = processCpuMs(emulatorPid);
        if (emulatorBefore !== undefined && emulatorAfter !== undefined) r.emulator.push(emulatorAfter - emulatorBefore);
      }
    }
    // The job's fixed cost (start-up, planning the read, the load job) on a table of one image.
    const fixedMs: number[] = [];
    const fixedCpu: number[] = [];
    if (b !== undefined) {
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        await onCpu(fixedCpu, async () => {
          const result = await mnistBq.run({ ...bqFlags, input: b, output: "bench.MNIST.PredictOne", inference_threads: String(modes[0]!) }, { project: "bench" });
          await result.waitUntilFinish();
        });
        fixedMs.push(performance.now() - started);
      }
    }
    process.stdout.write(`${JSON.stringify({ backend: m.backend, modes, runs, first, firstRawMs: firstRaw, rawMs: raw, rawCpu, fixedMs, fixedCpu, images: images.length, maxRssMb: rssMb() })}\n`);
  } else if (mode === "pubsub") {
    // "identity": the same read and write with a JSON pass-through instead of the model (the baseline).
    const result =
      a === "identity"
        ? await runDirect(
            (p) => {
              p.apply("Read", ReadFromPubSub.from({ subscription: "projects/bench/subscriptions/images-sub" }))
                .map("toDict", (data: Uint8Array) => JSON.parse(Buffer.from(data).toString("utf8")) as MnistImage)
                .map("Echo", (r: MnistImage) => Buffer.from(JSON.stringify({ ID: r.ID }), "utf8") as Uint8Array)
                .apply("Write", WriteToPubSub.to("projects/bench/topics/predictions"));
            },
            { project: "bench", streaming: true },
            { checkEveryElement: false },
          )
        : await mnistPubSub.run(
            { input: "projects/bench/subscriptions/images-sub", output: "projects/bench/topics/predictions", dead_letter: undefined, model: DEFAULT_MODEL, tfjs_backend: "auto", max_batch_size: BATCH, inference_threads: "0" },
            { project: "bench", streaming: true, ...(a === "unchecked" ? { strictChecks: false } : {}) },
          );
    if (!isStreamingResult(result)) throw new Error("not streaming");
    // CPU used over time (epoch ms, CPU ms), so the parent can take what the measured interval cost.
    const cpuSamples: [number, number][] = [];
    const sampler = setInterval(() => cpuSamples.push([Date.now(), cpuMs()]), 50);
    process.stderr.write("READY\n");
    await result.waitUntilFinish();
    clearInterval(sampler);
    process.stdout.write(`${JSON.stringify({ state: result.state, maxRssMb: rssMb(), cpuSamples })}\n`);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
