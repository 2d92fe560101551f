/**
 * The worker part of `npm run bench`: a worker process (dist/runners/worker/main.js, as the
 * container runs it) booted against the runner-side test driver streams one bundle of
 * --worker_gb (default 2) GB through a pass-through stage, the runner side sending pre-encoded
 * chunks as fast as flow control lets it. For a synchronous Map and for an async DoFn (which lets
 * the process receive data while elements wait), it reports the worker's peak RSS for the large
 * bundle against the same process after a 64 MB bundle (the ratio shows memory does not grow
 * with the bundle), and throughput. Output is checked byte for byte.
 *
 * Flags: --worker_gb N (default 2).
 */
import { strict as assert } from "node:assert";
import { FnApiServer } from "../worker/fn_server";
import { passThroughProgram } from "../worker/programs";
import { OutputTally, sendRepeated, serveStage } from "../worker/stream_input";
import { provisionFor, startWorkerProcess, TEST_PROGRAMS } from "../worker/worker_process";
import { encodeAll } from "../worker/wire";
import { inGlobalWindow } from "../../lib/model/window";

const MB = 1 << 20;

interface WorkerSample {
  readonly label: string;
  /** From spawning the process to its control stream being open. */
  readonly connectMs: number;
  /** The first bundle (one element), which loads the program and builds the stage. */
  readonly firstBundleMs: number;
  readonly smallRssMb: number;
  readonly largeRssMb: number;
  readonly seconds: number;
  readonly mbPerSecond: number;
}

async function measure(async: boolean, bytes: number): Promise<WorkerSample> {
  const server = await FnApiServer.start();
  const p = passThroughProgram.create({ async });
  provisionFor(server, p);
  const spawned = performance.now();
  const worker = startWorkerProcess(["--id=bench", `--provision_endpoint=${server.url}`, `--program=${TEST_PROGRAMS}`]);
  try {
    await server.connected();
    const connectMs = performance.now() - spawned;
    const { stage, inCoder, sink } = serveStage(server, p, "Pass");
    const firstStart = performance.now();
    const first = await server.startBundle(stage.id, [sink], () => undefined);
    await first.send(stage.sourceId, encodeAll(inCoder, [inGlobalWindow("first")]), true);
    await first.result;
    const firstBundleMs = performance.now() - firstStart;
    const run = async (n: number): Promise<{ rss: number; ms: number }> => {
      const tally = new OutputTally();
      const start = performance.now();
      const bundle = await server.startBundle(stage.id, [sink], (_, data) => tally.add(data));
      const sent = await sendRepeated(bundle, stage.sourceId, inCoder, n);
      await bundle.result;
      assert.equal(tally.bytes, sent.bytes);
      assert.equal(tally.rawDigest(), sent.digest, "the output is the input, byte for byte");
      return { rss: worker.peakRss(), ms: performance.now() - start };
    };
    const small = await run(64 * MB);
    const large = await run(bytes);
    return {
      label: async ? "async DoFn (awaits per element)" : "synchronous Map",
      connectMs,
      firstBundleMs,
      smallRssMb: small.rss / MB,
      largeRssMb: large.rss / MB,
      seconds: large.ms / 1000,
      mbPerSecond: bytes / MB / (large.ms / 1000),
    };
  } finally {
    worker.child.kill("SIGTERM");
    await worker.exited;
    await server.stop();
  }
}

export async function benchWorker(flag: (name: string, fallback: string) => string): Promise<void> {
  const gb = Number(flag("worker_gb", "2"));
  const bytes = Math.round(gb * 1024 * MB);
  process.stdout.write(`\nworker benchmark: one bundle of ${gb} GiB through a pass-through stage of a worker process\n`);
  for (const async of [false, true]) {
    const s = await measure(async, bytes);
    process.stdout.write(
      `  ${s.label.padEnd(32)} ${s.seconds.toFixed(1)} s (${s.mbPerSecond.toFixed(0)} MiB/s in and out), ` +
        `peak RSS ${s.largeRssMb.toFixed(0)} MiB vs ${s.smallRssMb.toFixed(0)} MiB after 64 MiB (${(s.largeRssMb / s.smallRssMb).toFixed(2)}x for ${(bytes / (64 * MB)).toFixed(0)}x the data); ` +
        `start-up: control stream open ${s.connectMs.toFixed(0)} ms after spawn, first bundle (program load) ${s.firstBundleMs.toFixed(0)} ms\n`,
    );
  }
}
