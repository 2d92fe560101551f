/**
 * The inference thread of a TFJSModelHandler (see ./tfjs_thread): loads TensorFlow.js and the
 * model from the artifacts the pipeline's thread read, then runs the batches it is sent, one at a
 * time, and sends each output back.
 */
import { parentPort, workerData } from "node:worker_threads";
import type * as tfjs from "@tensorflow/tfjs";
import { modelThreadRuntime, type TfjsBackendChoice } from "./tfjs_backend";
import { buildTfjsModel, predictFlat, type LoadedTfjsModel } from "./tfjs_model";
import type { TfjsThreadReply, TfjsThreadRequest } from "./tfjs_thread";

const init = workerData as { backend: TfjsBackendChoice; artifacts: tfjs.io.ModelArtifacts; jsonPath: string; uri: string };
const port = parentPort!;
const reply = (message: TfjsThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function main(): Promise<void> {
  let model: LoadedTfjsModel;
  try {
    model = await buildTfjsModel(await modelThreadRuntime(init.backend, init.artifacts.format === "graph-model"), init.artifacts, init.jsonPath, init.uri);
  } catch (e) {
    reply({ kind: "failed", message: (e as Error).message });
    return;
  }
  // Batches are run in the order they arrive; a batch is sent only after the previous one's reply.
  port.on("message", (request: TfjsThreadRequest) => {
    predictFlat(model, request.data, request.count).then(
      (values) => {
        // The output is a fresh copy: its memory can move to the other thread without a second copy.
        const owned = values.byteOffset === 0 && values.byteLength === values.buffer.byteLength ? values : values.slice();
        reply({ kind: "predicted", id: request.id, values: owned }, [owned.buffer as ArrayBuffer]);
      },
      (e: unknown) => reply({ kind: "error", id: request.id, message: e instanceof Error ? e.message : String(e) }),
    );
  });
  reply({ kind: "ready", backend: model.backend, inputShape: model.inputShape });
}

void main();
