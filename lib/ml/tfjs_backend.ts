/**
 * TensorFlow.js loading and backend choice, once per process.
 *
 * - `tensorflow`: `@tensorflow/tfjs-node` (native libtensorflow), used when the user installed it.
 *   It is not a dependency of Beamline: its install script downloads libtensorflow, which fails
 *   offline and behind strict proxies, so it is loaded only if present.
 * - `wasm`: `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD), installed from npm alone; its
 *   `.wasm` files load from node_modules, no network. The fastest of the two npm-only backends
 *   for inference here (see the README's MNIST section for figures).
 * - `cpu`: plain JavaScript, always available, slowest.
 *
 * `auto` takes the first that loads, in that order. TensorFlow.js keeps one global engine, so the
 * first choice made in a process holds for every model in it.
 */
import { isMainThread } from "node:worker_threads";
import type * as tfjs from "@tensorflow/tfjs";

/** A TensorFlow.js backend: native (`@tensorflow/tfjs-node`, if installed), WebAssembly, or plain JavaScript. */
export type TfjsBackend = "tensorflow" | "wasm" | "cpu";
/** A backend, or "auto": the first of tensorflow, wasm, cpu that loads. */
export type TfjsBackendChoice = "auto" | TfjsBackend;
/** Every choice, for flag validation (`--tfjs_backend`). */
export const TFJS_BACKEND_CHOICES: readonly TfjsBackendChoice[] = ["auto", "tensorflow", "wasm", "cpu"];

export type Tfjs = typeof tfjs;

/** TensorFlow.js with its active backend. */
export interface TfjsRuntime {
  /** The TensorFlow.js module. */
  readonly tf: Tfjs;
  /** The backend it runs on. */
  readonly backend: TfjsBackend;
}

let runtime: Promise<TfjsRuntime> | undefined;
let chosen: TfjsBackendChoice | undefined;

function isMissingModule(e: unknown, name: string): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "MODULE_NOT_FOUND" && String((e as Error).message).includes(name);
}

/** Loads `@tensorflow/tfjs-node` if installed (undefined if not); a broken install is reported, not hidden. */
function loadNodeBinding(required: boolean): Tfjs | undefined {
  try {
    // A runtime require: the package is optional and must not be resolved when the SDK is compiled.
    return require("@tensorflow/tfjs-node") as Tfjs;
  } catch (e) {
    if (isMissingModule(e, "@tensorflow/tfjs-node") && !required) return undefined;
    const why = isMissingModule(e, "@tensorflow/tfjs-node") ? "it is not installed" : `it failed to load: ${(e as Error).message}`;
    if (required) throw new Error(`The TensorFlow.js backend 'tensorflow' needs @tensorflow/tfjs-node, but ${why}. Install it (npm install @tensorflow/tfjs-node, which downloads libtensorflow) or choose the 'wasm' backend.`);
    process.stderr.write(`TensorFlow.js: @tensorflow/tfjs-node is installed but ${why}; using the npm-only backends.\n`);
    return undefined;
  }
}

/**
 * The parts of TensorFlow.js a model thread runs a model with: the core and the layers API, and
 * the converter for a graph model. `@tensorflow/tfjs` loads them and the data API, the WebGL
 * backend and its own bundle besides: 220 ms of CPU against 110 ms here, paid again by every
 * inference thread. Same versions, same single core (the backends register into it).
 */
function modelRunningParts(graphModel: boolean): Tfjs {
  const core = require("@tensorflow/tfjs-core") as Tfjs;
  const layers = require("@tensorflow/tfjs-layers") as Pick<Tfjs, "loadLayersModel">;
  const loadGraphModel: Tfjs["loadGraphModel"] = graphModel
    ? (require("@tensorflow/tfjs-converter") as Pick<Tfjs, "loadGraphModel">).loadGraphModel
    : () => Promise.reject(new Error("this thread loaded TensorFlow.js for a layers model, not a graph model"));
  return { ...core, loadLayersModel: layers.loadLayersModel, loadGraphModel } as Tfjs;
}

async function start(choice: TfjsBackendChoice, parts?: { graphModel: boolean }): Promise<TfjsRuntime> {
  const native = choice === "auto" || choice === "tensorflow" ? loadNodeBinding(choice === "tensorflow") : undefined;
  const tf = native ?? (parts !== undefined ? modelRunningParts(parts.graphModel) : (require("@tensorflow/tfjs") as Tfjs));
  // Production mode: no per-op debug checks, and no console banner suggesting tfjs-node.
  tf.enableProdMode();
  const order: TfjsBackend[] = choice === "auto" ? (native !== undefined ? ["tensorflow", "wasm", "cpu"] : ["wasm", "cpu"]) : [choice];
  const failures: string[] = [];
  for (const backend of order) {
    try {
      if (backend === "wasm") require("@tensorflow/tfjs-backend-wasm");
      // Registered by @tensorflow/tfjs itself; loaded here when only the model-running parts were.
      if (backend === "cpu" && native === undefined) require("@tensorflow/tfjs-backend-cpu");
      if (await tf.setBackend(backend)) {
        await tf.ready();
        return { tf, backend };
      }
      failures.push(`${backend}: did not initialise`);
    } catch (e) {
      failures.push(`${backend}: ${(e as Error).message}`);
    }
  }
  throw new Error(`No TensorFlow.js backend could be started (${failures.join("; ")})`);
}

/**
 * TensorFlow.js on the chosen backend (the first call in a process decides; a later call asking
 * for a different backend is an error, since the engine is global).
 */
export function tfjsRuntime(choice: TfjsBackendChoice = "auto"): Promise<TfjsRuntime> {
  return runtimeOf(choice, undefined);
}

/** TensorFlow.js for an inference thread (./tfjs_thread_worker): only what running the model needs. */
export function modelThreadRuntime(choice: TfjsBackendChoice, graphModel: boolean): Promise<TfjsRuntime> {
  return runtimeOf(choice, { graphModel });
}

function runtimeOf(choice: TfjsBackendChoice, parts: { graphModel: boolean } | undefined): Promise<TfjsRuntime> {
  if (runtime === undefined) {
    chosen = choice;
    runtime = start(choice, parts);
    runtime.then(
      (r) => process.stderr.write(`TensorFlow.js: running on the '${r.backend}' backend${r.backend === "wasm" ? " (WebAssembly, SIMD)" : ""}${isMainThread ? "" : " on its own thread"}\n`),
      () => {
        runtime = undefined;
        chosen = undefined;
      },
    );
    return runtime;
  }
  if (choice !== "auto" && chosen !== choice) {
    return runtime.then((r) => {
      if (r.backend !== choice) throw new Error(`TensorFlow.js already runs on the '${r.backend}' backend in this process; it cannot switch to '${choice}' (use one backend per process)`);
      return r;
    });
  }
  return runtime;
}
