/**
 * Machine-learning inference: RunInference over a ModelHandler, and the TensorFlow.js handler;
 * Enrichment over an EnrichmentSourceHandler (BigQueryEnrichmentHandler for BigQuery lookups).
 * Kept apart from the root module so that its types (which include TensorFlow.js's) load only
 * for users who import it; `RunInference`, `Enrichment` and the handler interfaces are in `beamline` too.
 *
 * @module beamline/ml
 */
export { RunInference } from "./run_inference";
export type { RunInferenceOptions, RunInferenceOutputs, KeyedModelsOptions } from "./run_inference";
export { KeyModelMapping } from "./keyed_models";
export { WatchFilePattern } from "./watch_file_pattern";
export type { WatchFilePatternOptions } from "./watch_file_pattern";
export type { ModelKey } from "./keyed_models";
export type { ModelHandler, BatchingOptions, PredictionResult, FailedInference, ModelMetadata } from "./model_handler";
export { sharedModel, sharedModelLoadCount, clearSharedModels } from "./shared_model";
export { TFJSModelHandler, loadTfjsModel, readTfjsArtifacts, inferenceThreadsOf, AUTO_INFERENCE_THREADS } from "./tfjs_handler";
export type { TFJSModelHandlerOptions, LoadedTfjsModel, TfjsHandlerModel, TensorExample } from "./tfjs_handler";
export { tfjsRuntime, TFJS_BACKEND_CHOICES } from "./tfjs_backend";
export type { TfjsBackend, TfjsBackendChoice, TfjsRuntime } from "./tfjs_backend";
export { Enrichment, crossJoin } from "./enrichment";
export type { EnrichmentOptions, EnrichmentOutputs, EnrichmentCacheOptions, CrossJoined } from "./enrichment";
export type { EnrichmentSourceHandler, EnrichmentPair, EnrichmentBatching } from "./enrichment_handler";
export { ExponentialBackOffRepeater, NoOpsRepeater, DefaultThrottler, UserCodeExecutionError, UserCodeQuotaError, UserCodeTimeoutError, isTransientCallError, DEFAULT_ENRICHMENT_TIMEOUT_MILLIS } from "./request_response";
export type { Repeater, ExponentialBackOffOptions, DefaultThrottlerOptions } from "./request_response";
export { BigQueryEnrichmentHandler } from "../io/bigquery/enrichment_handler";
export type { BigQueryEnrichmentHandlerOptions, BigQueryEnrichmentQuery } from "../io/bigquery/enrichment_handler";
