/**
 * `npm run bench`: batch figures (batch.ts: wordcount as whole processes against a hand-written
 * loop at several sizes, with one and two workers; start-up; a shuffle that spills), streaming,
 * MNIST, Flipkart and the worker process. Every figure is a ratio to a baseline measured in the
 * same run, alternating fresh processes.
 *
 * Flags: --only batch|streaming|streaming_parallel|checkpoint|mnist|flipkart|worker|soak (wordcount = batch), and each
 * part's own (batch.ts: --sizes 5,100,2048 --runs 3 --runs_large 1 --startup_runs 7 --shuffle_mb 500
 * --shuffle_keys 10000000; soak.ts: --soak_seconds N; streaming_parallel.ts: --par_backlog N --par_rate N).
 */
import { benchBatch } from "./batch";
import { benchStreaming } from "./streaming";
import { benchStreamingParallel } from "./streaming_parallel";
import { benchMnist } from "./mnist";
import { benchFlipkart } from "./flipkart";
import { benchWorker } from "./worker";
import { benchCheckpointCost } from "./checkpoint_cost";
import { benchSoak } from "./soak";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const only = flag("only", "all");
const batch = only === "all" || only === "batch" || only === "wordcount" ? benchBatch(flag).catch((e: unknown) => ((process.exitCode = 1), console.error(e))) : Promise.resolve();
const streamingDone = batch.then(async () => {
  if (only === "all" || only === "streaming") benchStreaming(flag);
  if (only === "all" || only === "streaming" || only === "streaming_parallel") await benchStreamingParallel(flag).catch((e: unknown) => ((process.exitCode = 1), console.error(e)));
  if (only === "all" || only === "checkpoint") benchCheckpointCost(flag);
});
const mnist = only === "all" || only === "mnist" ? streamingDone.then(() => benchMnist(flag)).catch((e: Error) => {
  process.stderr.write(`MNIST benchmark FAILED: ${e.stack ?? e.message}\n`);
  process.exitCode = 1;
}) : streamingDone;
// After the MNIST benchmark: the two must not compete for the cores.
const flipkartDone = only === "all" || only === "flipkart" ? mnist.then(() => benchFlipkart(flag)).catch((e: unknown) => ((process.exitCode = 1), console.error(e))) : mnist;
// Last: a worker process streaming a 2 GB bundle (runners/worker flow control).
const workerDone = only === "all" || only === "worker" ? flipkartDone.then(() => benchWorker(flag)).catch((e: unknown) => ((process.exitCode = 1), console.error(e))) : flipkartDone;
// Last, alone on the machine: the 10-minute soak (--soak_seconds for a shorter one).
if (only === "all" || only === "soak") void workerDone.then(() => benchSoak(flag)).catch((e: unknown) => ((process.exitCode = 1), console.error(e)));
