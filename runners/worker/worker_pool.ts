/**
 * BeamFnExternalWorkerPool (BEAM_PORTABILITY.md §2.8-2.9): a runner with an EXTERNAL
 * environment calls StartWorker here, and the pool starts an SDK harness in this process
 * against the endpoints it was given. LOOPBACK is this pool served by the submitting process.
 *
 * The protocol has no authentication: whoever reaches the pool can make it connect to endpoints
 * of their choosing. So it listens on 127.0.0.1 unless told otherwise (a container, reached from
 * its pod or host, binds all interfaces explicitly), and the code a worker runs is fixed when the
 * pool starts (the PipelineSource), never taken from a request.
 */
import * as grpc from "@grpc/grpc-js";
import type { Pipeline } from "../../lib/model/pipeline";
import { startServer, stopServer } from "../portable/grpc";
import { fnApi, fnapi } from "../portable/protos";
import { FnHarness } from "./harness";

/** How the pool's harnesses get the pipeline and run id for a worker. */
export type PipelineSource = (request: fnapi.StartWorkerRequest) => Promise<{ readonly loadPipeline: () => Pipeline | Promise<Pipeline>; readonly runId: string }>;

export class WorkerPoolServer {
  private readonly workers = new Map<string, FnHarness>();
  /** Harnesses stopping (their runner ended the control stream, or asked): stop() waits for them. */
  private readonly stopping = new Set<Promise<void>>();

  private constructor(
    private readonly server: grpc.Server,
    readonly url: string,
  ) {}

  static async start(source: PipelineSource, address = "127.0.0.1:0"): Promise<WorkerPoolServer> {
    let self: WorkerPoolServer | undefined;
    const started = await startServer(
      [
        {
          service: fnApi.BeamFnExternalWorkerPool,
          impl: {
            StartWorker: (call: grpc.ServerUnaryCall<fnapi.StartWorkerRequest, fnapi.StartWorkerResponse>, cb: grpc.sendUnaryData<fnapi.StartWorkerResponse>) => {
              self!.startWorker(call.request, source).then(
                () => cb(null, { error: "" }),
                (e: unknown) => cb(null, { error: e instanceof Error ? e.message : String(e) }),
              );
            },
            StopWorker: (call: grpc.ServerUnaryCall<fnapi.StopWorkerRequest, fnapi.StopWorkerResponse>, cb: grpc.sendUnaryData<fnapi.StopWorkerResponse>) => {
              const h = self!.workers.get(call.request.workerId);
              self!.workers.delete(call.request.workerId);
              void (h !== undefined ? self!.stopHarness(h) : Promise.resolve()).then(() => cb(null, { error: "" }));
            },
          },
        },
      ],
      address,
    );
    self = new WorkerPoolServer(started.server, started.url);
    return self;
  }

  private async startWorker(req: fnapi.StartWorkerRequest, source: PipelineSource): Promise<void> {
    const controlUrl = req.controlEndpoint?.url;
    if (controlUrl === undefined || controlUrl === "") throw new Error("StartWorker needs a control endpoint");
    const { loadPipeline, runId } = await source(req);
    const harness = new FnHarness({ workerId: req.workerId, controlUrl, loggingUrl: req.loggingEndpoint?.url, loadPipeline, runId }).start();
    this.workers.set(req.workerId, harness);
    const finished = (): void => {
      if (this.workers.get(req.workerId) === harness) {
        this.workers.delete(req.workerId);
        void this.stopHarness(harness);
      }
    };
    harness.done().then(finished, (e: unknown) => {
      process.stderr.write(`beamline worker pool: worker ${req.workerId} stopped: ${e instanceof Error ? e.message : String(e)}\n`);
      finished();
    });
  }

  /** Stops a harness (after its running bundles), tracked until it has stopped. */
  private stopHarness(h: FnHarness): Promise<void> {
    const p = h.stop().finally(() => this.stopping.delete(p));
    this.stopping.add(p);
    return p;
  }

  async stop(): Promise<void> {
    for (const h of this.workers.values()) await h.stop();
    this.workers.clear();
    await Promise.allSettled([...this.stopping]);
    await stopServer(this.server);
  }
}
