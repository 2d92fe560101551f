/**
 * The MNIST part of `npm run bench` (`--only mnist`): the TF.js backends, mnist_bq and
 * mnist_pubsub, each measurement in a fresh process (./mnist_child.ts) with the emulators in
 * another (as the real services would be), so peak RSS is the pipeline's own.
 *
 * 1. Backends: raw model.predict images/s on the npm-only backends (cpu, wasm).
 * 2. RunInference overhead: the Prediction step (parse + RunInference + format, DirectRunner) vs
 *    raw model.predict on the same 10,000 images in batches of 256, alternating in one process.
 * 3. mnist_bq end to end against the BigQuery emulator, and its accuracy read back from the output.
 * 4. mnist_pubsub through the Pub/Sub emulator: sustained messages/s draining a backlog of
 *    --mnist_backlog images, then publish → prediction latency at --mnist_rate msg/s.
 *
 * Flags: --mnist_backlog N (default 10000), --mnist_rate N (default 1000), --mnist_seconds N (default 10), --mnist_runs N (default 2),
 * --mnist_pubsub_rounds N (alternating rounds of each Pub/Sub measurement, default 2),
 * --mnist_parts inference,bq,pubsub (default all three).
 * To profile the pipelines, set MNIST_BENCH_CPU_PROF=DIR: each child runs under `node --cpu-prof`.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { processCpuMs } from "./mnist_cpu";
import * as os from "node:os";
import * as path from "node:path";
import { once } from "node:events";
import type { Message } from "@google-cloud/pubsub";
import { pubsubClient, resetGcpClients } from "../../lib/io/gcp/clients";
import { rpc } from "../../lib/io/pubsub/resources";
import { accuracyOfTable, percentile } from "../../setup/mnist/evaluate";
import { readCsvRows, readLabels } from "../../setup/mnist/mnist_data";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { ensureCsv, setupBigQuery } from "../../setup/mnist/setup_gcp";

const CHILD = path.join(__dirname, "mnist_child.js");
/** Node flags of the measuring children (`--cpu-prof` when MNIST_BENCH_CPU_PROF names a folder). */
const CHILD_FLAGS = process.env["MNIST_BENCH_CPU_PROF"] ? ["--cpu-prof", `--cpu-prof-dir=${process.env["MNIST_BENCH_CPU_PROF"]}`] : [];
const out = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: readonly number[]) => percentile(xs, 50);
/** CPU ms of each measurement in an inference child. */
type CpuTimes = { raw: number[]; rawWithParse: number[]; pipeline: number[]; unchecked: number[] };
/** The median over alternation rounds of base[i] / measured[i] (each pair measured back to back). */
const pairedRatio = (base: readonly number[], measured: readonly number[]) => median(base.map((b, i) => b / measured[i]!));
const perSec = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en-US");

function child(args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> {
  const stdout = execFileSync(process.execPath, [...CHILD_FLAGS, CHILD, ...args], { encoding: "utf8", env, stdio: ["ignore", "pipe", "ignore"] });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

/** The emulators in a child process; resolves with the variables pointing at them. */
async function startEmulatorProcess(): Promise<{ proc: ChildProcess; env: Record<string, string> }> {
  const main = path.resolve(__dirname, "..", "..", "setup", "emulators", "main.js");
  const proc = spawn(process.execPath, [main, "--pubsub_port", "0", "--bigquery_port", "0", "--storage_port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
  const env: Record<string, string> = {};
  let buffered = "";
  proc.stdout!.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`the emulators exited (${code})`)));
    proc.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      for (const m of buffered.matchAll(/^export (\w+)=(\S+)$/gm)) env[m[1]!] = m[2]!;
      if (Object.keys(env).length >= 3) resolve();
    });
  });
  return { proc, env };
}

/**
 * The Pub/Sub emulator alone, with the same client and message sizes: publish (RPCs of 500, four
 * in flight) and pull (500 per request) + acknowledge in one loop, as the pipeline's reader does.
 * It shows the emulator is not what limits mnist_pubsub. The first round warms up.
 */
async function benchPubSubEmulator(flag: (n: string, f: string) => string): Promise<void> {
  const n = Number(flag("mnist_backlog", "10000"));
  const pubsub = pubsubClient("bench");
  const topic = "projects/bench/topics/emulator-alone";
  const subscription = "projects/bench/subscriptions/emulator-alone";
  await rpc(pubsub, "PublisherClient", "createTopic", { name: topic });
  await rpc(pubsub, "SubscriberClient", "createSubscription", { name: subscription, topic, ackDeadlineSeconds: 60 });
  const image = Buffer.from(JSON.stringify({ ID: 1, Image: Array.from({ length: 784 }, (_, i) => (i % 5 === 0 ? "0.3294118" : "0")).join(",") }));
  const messages = Array.from({ length: 500 }, () => ({ data: image }));
  let publish = 0;
  let pull = 0;
  for (let round = 0; round < 2; round++) {
    let started = performance.now();
    let next = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      for (; next < n; next += 500) await rpc(pubsub, "PublisherClient", "publish", { topic, messages });
    }));
    publish = n / ((performance.now() - started) / 1000);
    started = performance.now();
    for (let got = 0; got < n; ) {
      const r = await rpc<{ receivedMessages?: { ackId?: string }[] }>(pubsub, "SubscriberClient", "pull", { subscription, maxMessages: 500 });
      const ackIds = (r.receivedMessages ?? []).map((m) => m.ackId!);
      got += ackIds.length;
      if (ackIds.length > 0) await rpc(pubsub, "SubscriberClient", "acknowledge", { subscription, ackIds });
    }
    pull = n / ((performance.now() - started) / 1000);
  }
  await rpc(pubsub, "SubscriberClient", "deleteSubscription", { subscription });
  await rpc(pubsub, "PublisherClient", "deleteTopic", { topic });
  out(`Pub/Sub emulator alone (${n.toLocaleString("en-US")} messages of ${(image.length / 1024).toFixed(1)} KB): publish ${Math.round(publish).toLocaleString("en-US")} msg/s, pull + acknowledge ${Math.round(pull).toLocaleString("en-US")} msg/s`);
}

/** A counter sampled every 50 ms (epoch ms, value), read back at any time by interpolation. */
class Sampled {
  private readonly samples: [number, number][] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(read: () => number | undefined) {
    const sample = () => {
      const v = read();
      if (v !== undefined) this.samples.push([Date.now(), v]);
    };
    sample();
    this.timer = setInterval(sample, 50);
  }
  stop(): this {
    clearInterval(this.timer);
    return this;
  }
  /** The counter's increase from `from` to `to` (epoch ms); NaN without samples. */
  between(from: number, to: number): number {
    return valueAt(this.samples, to) - valueAt(this.samples, from);
  }
}

/** A sampled counter at a time, interpolated between samples. */
function valueAt(xs: readonly [number, number][], t: number): number {
  if (xs.length === 0) return Number.NaN;
  const i = xs.findIndex(([at]) => at >= t);
  if (i <= 0) return i === 0 ? xs[0]![1] : xs[xs.length - 1]![1];
  const [t0, c0] = xs[i - 1]!;
  const [t1, c1] = xs[i]!;
  return c0 + ((c1 - c0) * (t - t0)) / Math.max(1, t1 - t0);
}

/** Which pipeline a Pub/Sub child runs: the JSON pass-through baseline, mnist_pubsub, or mnist_pubsub without the strict checks. */
type PubSubVariant = "identity" | "mnist" | "unchecked";

/** CPU per 1,000 messages over a measured window: the pipeline's process, the emulator's, the bench's own (publisher and subscriber). */
type CpuPerK = { pipeline: number; emulator: number; bench: number };

async function benchPubSub(env: NodeJS.ProcessEnv, csv: string, flag: (n: string, f: string) => string, emulatorPid: number): Promise<void> {
  const backlog = Number(flag("mnist_backlog", "10000"));
  const rate = Number(flag("mnist_rate", "1000"));
  const seconds = Number(flag("mnist_seconds", "10"));
  const pubsub = pubsubClient("bench");
  for (const t of ["images", "predictions"]) await pubsub.createTopic(t).catch(() => undefined);
  const images = pubsub.topic("images", { batching: { maxMessages: 500, maxMilliseconds: 5 } });
  const rows: Buffer[] = [];
  for await (const r of readCsvRows(csv)) rows.push(Buffer.from(JSON.stringify({ ID: Number(r["ID"]), Image: r["Image"] })));

  /** Runs the pipeline child around `measure`; its peak RSS, and the CPU it used from `window.from` to `window.to` (epoch ms, set by `measure`). */
  const runPipeline = async (measure: (received: Map<number, number>, window: { from: number; to: number }) => Promise<void>, variant: PubSubVariant): Promise<{ rss: number; cpuMs: number; emulatorCpuMs: number; benchCpuMs: number }> => {
    const window = { from: 0, to: 0 };
    await pubsub.topic("images").createSubscription("images-sub");
    await pubsub.topic("predictions").createSubscription("predictions-sub");
    const received = new Map<number, number>();
    const sub = pubsub.subscription("predictions-sub", { flowControl: { maxMessages: 10_000 } });
    sub.on("message", (m: Message) => {
      received.set((JSON.parse(m.data.toString()) as { ID: number }).ID, Date.now());
      m.ack();
    });
    const proc = spawn(process.execPath, [...CHILD_FLAGS, CHILD, "pubsub", variant], { env, stdio: ["ignore", "pipe", "pipe"] });
    const emulatorCpu = new Sampled(() => processCpuMs(emulatorPid));
    const benchCpu = new Sampled(() => cpuMs());
    let stdout = "";
    proc.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    await new Promise<void>((resolve) => proc.stderr!.on("data", (c: Buffer) => c.toString().includes("READY") && resolve()));
    try {
      await measure(received, window);
    } finally {
      emulatorCpu.stop();
      benchCpu.stop();
      proc.kill("SIGTERM");
      await once(proc, "exit");
      await sub.close();
      await pubsub.subscription("predictions-sub").delete();
      await pubsub.subscription("images-sub").delete();
    }
    const r = JSON.parse(stdout.trim().split("\n").pop()!) as { maxRssMb: number; cpuSamples: [number, number][] };
    return {
      rss: r.maxRssMb,
      cpuMs: valueAt(r.cpuSamples, window.to) - valueAt(r.cpuSamples, window.from),
      emulatorCpuMs: emulatorCpu.between(window.from, window.to),
      benchCpuMs: benchCpu.between(window.from, window.to),
    };
  };
  const waitFor = async (cond: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error("timed out waiting for predictions");
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const perK = (r: { cpuMs: number; emulatorCpuMs: number; benchCpuMs: number }, messages: number): CpuPerK => ({
    pipeline: (r.cpuMs / messages) * 1000,
    emulator: (r.emulatorCpuMs / messages) * 1000,
    bench: (r.benchCpuMs / messages) * 1000,
  });
  const fmtCpu = (c: CpuPerK) => `pipeline ${c.pipeline.toFixed(0)} ms, emulator ${c.emulator.toFixed(0)} ms, bench publisher + subscriber ${c.bench.toFixed(0)} ms`;
  const rounds = Number(flag("mnist_pubsub_rounds", "2"));
  const load = () => os.loadavg()[0]!.toFixed(1);

  // Throughput: a backlog published before the job starts, drained as fast as it can; the same
  // read and write around a JSON pass-through is the baseline (what the runner and IO allow).
  const throughput = async (variant: PubSubVariant): Promise<{ rate: number; rss: number; cpu: CpuPerK; load: string }> => {
    let rate = 0;
    const r = await runPipeline(async (received, window) => {
      await Promise.all(Array.from({ length: backlog }, (_, i) => images.publishMessage({ data: i < rows.length ? rows[i]! : Buffer.from(JSON.stringify({ ...(JSON.parse(rows[i % rows.length]!.toString()) as object), ID: i })) })));
      // The clock starts at the first result, so the model load and subscription start-up are not counted.
      await waitFor(() => received.size > 0, 60_000);
      await waitFor(() => received.size >= backlog, 300_000);
      const times = [...received.values()];
      window.from = Math.min(...times);
      window.to = Math.max(...times);
      rate = backlog / ((window.to - window.from) / 1000);
    }, variant);
    return { rate, rss: r.rss, cpu: perK(r, backlog), load: load() };
  };
  // Alternating rounds (the machine's load changes from one minute to the next).
  const tput: Record<PubSubVariant, Awaited<ReturnType<typeof throughput>>[]> = { identity: [], mnist: [], unchecked: [] };
  for (let round = 0; round < rounds; round++) for (const v of ["identity", "mnist", "unchecked"] as const) tput[v].push(await throughput(v));
  const rates = (v: PubSubVariant) => tput[v].map((t) => Math.round(t.rate));
  const medianCpu = (xs: { cpu: CpuPerK }[]): CpuPerK => ({ pipeline: median(xs.map((x) => x.cpu.pipeline)), emulator: median(xs.map((x) => x.cpu.emulator)), bench: median(xs.map((x) => x.cpu.bench)) });
  const mnistCpu = medianCpu(tput.mnist);
  const total = mnistCpu.pipeline + mnistCpu.emulator + mnistCpu.bench;
  out(
    `mnist_pubsub throughput: ${backlog.toLocaleString("en-US")} queued images predicted at ${Math.round(median(rates("mnist"))).toLocaleString("en-US")} msg/s sustained (median of ${rounds}: ${rates("mnist").join(", ")}; target >= 2,000/s; load average ${tput.mnist.map((t) => t.load).join(", ")}), ` +
      `peak RSS ${Math.max(...tput.mnist.map((t) => t.rss)).toFixed(0)} MB; without the strict checks ${Math.round(median(rates("unchecked"))).toLocaleString("en-US")} msg/s (${rates("unchecked").join(", ")}); ` +
      `baseline without the model (read, parse, write): ${Math.round(median(rates("identity"))).toLocaleString("en-US")} msg/s (${rates("identity").join(", ")}), peak RSS ${Math.max(...tput.identity.map((t) => t.rss)).toFixed(0)} MB`,
  );
  out(
    `mnist_pubsub CPU per 1,000 messages (medians): ${fmtCpu(mnistCpu)} = ${total.toFixed(0)} ms in all, i.e. at most ${Math.round((1_000_000 * os.cpus().length) / total).toLocaleString("en-US")} msg/s on ${os.cpus().length} free cores ` +
      `(the pipeline alone: ${Math.round(1_000_000 / mnistCpu.pipeline).toLocaleString("en-US")} msg/s per core); without the strict checks ${fmtCpu(medianCpu(tput.unchecked))}; baseline ${fmtCpu(medianCpu(tput.identity))}`,
  );

  // Latency: publish at a steady rate; latency = result received - publish call. The same
  // pass-through pipeline without the model is the baseline.
  const latency = async (variant: PubSubVariant): Promise<{ latencies: number[]; rss: number; cpu: CpuPerK; load: string }> => {
    const latencies: number[] = [];
    const r = await runPipeline(async (received, window) => {
      const sentAt = new Map<number, number>();
      const send = async (count: number, offset: number) => {
        const started = performance.now();
        const pending: Promise<unknown>[] = [];
        for (let i = 0; i < count; i++) {
          const due = started + (i * 1000) / rate;
          const wait = due - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          const id = offset + i;
          sentAt.set(id, Date.now());
          pending.push(images.publishMessage({ data: Buffer.from(JSON.stringify({ ID: id, Image: (JSON.parse(rows[i % rows.length]!.toString()) as { Image: string }).Image })) }));
        }
        await Promise.all(pending);
      };
      await send(rate, 1_000_000); // one second of warm-up
      await waitFor(() => received.size >= rate, 60_000);
      window.from = Date.now();
      await send(rate * seconds, 0);
      await waitFor(() => [...sentAt.keys()].filter((id) => id < 1_000_000).every((id) => received.has(id)), 120_000);
      window.to = Date.now();
      for (const [id, t] of sentAt) if (id < 1_000_000) latencies.push(received.get(id)! - t);
    }, variant);
    return { latencies, rss: r.rss, cpu: perK(r, rate * seconds), load: load() };
  };
  const fmt = (l: number[]) => `p50 ${percentile(l, 50)} ms, p99 ${percentile(l, 99)} ms, max ${percentile(l, 100)} ms`;
  for (let round = 0; round < rounds; round++) {
    const base = await latency("identity");
    const mnist = await latency("mnist");
    out(
      `mnist_pubsub latency at ${rate.toLocaleString("en-US")} msg/s for ${seconds} s (round ${round + 1}, load average ${mnist.load}): publish -> prediction ${fmt(mnist.latencies)} (target p99 < 250 ms), peak RSS ${mnist.rss.toFixed(0)} MB; ` +
        `baseline without the model: ${fmt(base.latencies)}, peak RSS ${base.rss.toFixed(0)} MB; CPU per 1,000 messages: ${fmtCpu(mnist.cpu)} (baseline ${fmtCpu(base.cpu)})`,
    );
  }
}

/** CPU time this process has used (all threads), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function benchMnist(flag: (name: string, fallback: string) => string): Promise<void> {
  const runs = Number(flag("mnist_runs", "2"));
  const parts = new Set(flag("mnist_parts", "inference,bq,pubsub").split(","));
  const csv = await ensureCsv();
  const baseEnv = { ...process.env, MNIST_CSV: csv, METADATA_SERVER_DETECTION: "none", GOOGLE_CLOUD_PROJECT: "bench" };
  out(`\nMNIST benchmark (model ${path.relative(process.cwd(), DEFAULT_MODEL)}; load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores)`);

  if (parts.has("inference")) {
    const cpu = child(["inference", "cpu", "1000"], baseEnv) as { rawMs: number[]; images: number };
    const wasm = [...Array(runs)].map(() => child(["inference", "wasm", "10000"], baseEnv) as { backend: string; rawMs: number[]; rawWithParseMs: number[]; pipelineMs: number[]; uncheckedMs: number[]; cpu: CpuTimes; images: number; maxRssMb: number });
    const rawMs = median(wasm.flatMap((w) => w.rawMs));
    const pipeMs = median(wasm.flatMap((w) => w.pipelineMs));
    const uncheckedMs = median(wasm.flatMap((w) => w.uncheckedMs));
    const rawParseMs = median(wasm.flatMap((w) => w.rawWithParseMs));
    out(`backends, raw model.predict (batches of 256): cpu ${perSec(cpu.images, median(cpu.rawMs))} images/s, wasm ${perSec(10_000, rawMs)} images/s`);
    const ratio = (of: (w: (typeof wasm)[number]) => number[], base: (w: (typeof wasm)[number]) => number[] = (w) => w.rawMs) => pairedRatio(wasm.flatMap(base), wasm.flatMap(of)).toFixed(2);
    out(
      `Prediction step on the DirectRunner (${wasm[0]!.backend} backend; parse + RunInference + format, 10,000 images from memory): ${perSec(10_000, pipeMs)} images/s vs raw model.predict ${perSec(10_000, rawMs)} images/s ` +
        `on the same batches = ${ratio((w) => w.pipelineMs)}x (median of ${wasm.flatMap((w) => w.rawMs).length} back-to-back pairs; target >= 0.8x); with --no_strict_checks ${perSec(10_000, uncheckedMs)} images/s = ${ratio((w) => w.uncheckedMs)}x; ` +
        `peak RSS ${Math.max(...wasm.map((w) => w.maxRssMb)).toFixed(0)} MB`,
    );
    out(`hand-written parse + model.predict (no pipeline): ${perSec(10_000, rawParseMs)} images/s; the Prediction step reaches ${ratio((w) => w.pipelineMs, (w) => w.rawWithParseMs)}x of it`);
    if (wasm[0]!.cpu !== undefined) {
      const cpuRatio = (of: (c: CpuTimes) => number[], base: (c: CpuTimes) => number[] = (c) => c.raw) => pairedRatio(wasm.flatMap((w) => base(w.cpu)), wasm.flatMap((w) => of(w.cpu))).toFixed(2);
      out(
        `CPU time (load-independent): raw model.predict ${(median(wasm.flatMap((w) => w.cpu.raw)) / 10).toFixed(0)} ms per 1,000 images, the Prediction step ${(median(wasm.flatMap((w) => w.cpu.pipeline)) / 10).toFixed(0)} ms = ${cpuRatio((c) => c.pipeline)}x; ` +
          `with --no_strict_checks ${(median(wasm.flatMap((w) => w.cpu.unchecked)) / 10).toFixed(0)} ms = ${cpuRatio((c) => c.unchecked)}x; hand-written parse + predict ${(median(wasm.flatMap((w) => w.cpu.rawWithParse)) / 10).toFixed(0)} ms = ${cpuRatio((c) => c.rawWithParse)}x`,
      );
    }
  }
  if (!parts.has("bq") && !parts.has("pubsub")) return;

  const emulators = await startEmulatorProcess();
  const env = { ...baseEnv, ...emulators.env };
  const restore = { ...process.env };
  Object.assign(process.env, emulators.env, { GOOGLE_CLOUD_PROJECT: "bench", METADATA_SERVER_DETECTION: "none" });
  await resetGcpClients();
  try {
    if (parts.has("bq")) {
      await setupBigQuery({ project: "bench", csv });
      // A table of one image: what a run costs besides its images (start-up, planning the read, the load job).
      const oneCsv = path.join(os.tmpdir(), `mnist-one-${process.pid}.csv`);
      writeFileSync(oneCsv, readFileSync(csv, "utf8").split("\n").slice(0, 2).join("\n") + "\n");
      await setupBigQuery({ project: "bench", csv: oneCsv, table: "One" });
      rmSync(oneCsv);
      // Each child alternates raw model.predict on the table's images and the whole mnist_bq job
      // with each number of inference threads.
      type Mode = { ms: number[]; cpu: number[]; emulator: number[] };
      const bq = [...Array(runs)].map(
        () =>
          child(["bq", "10000", "bench.MNIST.One"], { ...env, MNIST_EMULATOR_PID: String(emulators.proc.pid) }) as {
            backend: string;
            modes: number[];
            runs: Record<string, Mode>;
            first: Record<string, Mode>;
            firstRawMs: number[];
            rawMs: number[];
            rawCpu: number[];
            fixedMs: number[];
            fixedCpu: number[];
            images: number;
            maxRssMb: number;
          },
      );
      const rawMs = median(bq.flatMap((b) => b.rawMs));
      const rawCpu = bq.flatMap((b) => b.rawCpu);
      const acc = await accuracyOfTable("bench.MNIST.Predict", await readLabels(path.join(path.dirname(csv), "mnist_labels.csv")));
      out(
        `mnist_bq end to end (${bq[0]!.backend} backend, BigQuery emulator, 10,000 images; ratios: median of ${bq.flatMap((b) => b.rawMs).length} pairs measured back to back with raw model.predict ` +
          `in the job's process after each mode's first run there (raw is measured after a warm-up too), ${perSec(10_000, rawMs)} images/s and ${(median(rawCpu) / 10).toFixed(0)} ms of CPU per 1,000 images; target >= 0.8x); peak RSS ${Math.max(...bq.map((b) => b.maxRssMb)).toFixed(0)} MB; ` +
          `accuracy from the output table ${(acc.accuracy * 100).toFixed(2)} % (${acc.right}/${acc.rows}, target >= 98.5 %)`,
      );
      // With the scheduler's autogroups (Linux's default), the job, its emulator and this bench share
      // one session's slice of a busy machine: the wall ratio then tends to the CPU ratio of job +
      // emulator, however many threads the job uses; only free cores let the job's threads overlap.
      for (const threads of bq[0]!.modes) {
        const mode = (of: (m: Mode) => number[]) => bq.flatMap((b) => of(b.runs[threads]!));
        const ms = mode((m) => m.ms);
        const jobCpu = mode((m) => m.cpu);
        const both = bq.flatMap((b) => b.runs[threads]!.cpu.map((c, i) => c + (b.runs[threads]!.emulator[i] ?? Number.NaN)));
        out(
          `  --inference_threads ${threads}${threads === 0 ? " (model on the pipeline's thread)" : ""}: ${perSec(10_000, median(ms))} images/s = ${pairedRatio(bq.flatMap((b) => b.rawMs), ms).toFixed(2)}x raw (wall; runs ${ms.map((x) => perSec(10_000, x)).join(", ")}); ` +
            `CPU per 1,000 images: job ${(median(jobCpu) / 10).toFixed(0)} ms = ${pairedRatio(rawCpu, jobCpu).toFixed(2)}x raw, emulator ${(median(mode((m) => m.emulator)) / 10).toFixed(0)} ms, ` +
            `job + emulator ${(median(both) / 10).toFixed(0)} ms = ${pairedRatio(rawCpu, both).toFixed(2)}x raw; load average now ${os.loadavg()[0]!.toFixed(1)}`,
        );
        const firstMs = bq.flatMap((b) => b.first[threads]!.ms);
        out(
          `    its first run in a fresh process (loading the model${threads > 0 ? ` on ${threads} thread${threads > 1 ? "s" : ""}` : ""}, JIT warm-up): ${firstMs.map((x) => perSec(10_000, x)).join(", ")} images/s = ` +
            `${pairedRatio(bq.flatMap((b) => b.firstRawMs), firstMs).toFixed(2)}x raw`,
        );
      }
      const firstMs = median(bq.flatMap((b) => b.runs[b.modes[0]!]!.ms));
      const firstCpu = median(bq.flatMap((b) => b.runs[b.modes[0]!]!.cpu));
      const fixedMs = median(bq.flatMap((b) => b.fixedMs));
      const fixedCpu = median(bq.flatMap((b) => b.fixedCpu));
      out(
        `mnist_bq on a table of 1 image (the job's fixed cost: start-up, planning the read, the load job; --inference_threads ${bq[0]!.modes[0]}): ${fixedMs.toFixed(0)} ms, ${fixedCpu.toFixed(0)} ms of CPU = ${((fixedMs / firstMs) * 100).toFixed(0)} % of the 10,000-image run; ` +
          `the other 9,999 images at ${perSec(9_999, firstMs - fixedMs)} images/s = ${(rawMs / (firstMs - fixedMs)).toFixed(2)}x raw model.predict (CPU ${(((firstCpu - fixedCpu) / 9_999) * 1000).toFixed(0)} ms per 1,000 = ` +
          `${(median(rawCpu) / (firstCpu - fixedCpu)).toFixed(2)}x)`,
      );
    }
    if (parts.has("pubsub")) {
      await benchPubSubEmulator(flag);
      await benchPubSub(env, csv, flag, emulators.proc.pid!);
    }
  } finally {
    await resetGcpClients();
    emulators.proc.kill("SIGTERM");
    await once(emulators.proc, "exit");
    for (const k of Object.keys(process.env)) if (!(k in restore)) delete process.env[k];
    Object.assign(process.env, restore);
  }
}
