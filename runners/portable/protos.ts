/**
 * The Beam model protos: protobuf-ts message classes and service descriptions, generated from
 * Beam's .proto files (ARCHITECTURE.md §1: never hand-written protos). The build takes them from
 * the `apache-beam` devDependency into generated/beam_model (scripts/beam_protos.js), so a
 * user's install needs only @protobuf-ts/runtime and @protobuf-ts/runtime-rpc.
 */
export type * as rapi from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/beam_runner_api";
export type * as fnapi from "../../generated/beam_model/org/apache/beam/model/fn_execution/v1/beam_fn_api";
export type * as jobapi from "../../generated/beam_model/org/apache/beam/model/job_management/v1/beam_job_api";
export type * as artapi from "../../generated/beam_model/org/apache/beam/model/job_management/v1/beam_artifact_api";
export type * as provapi from "../../generated/beam_model/org/apache/beam/model/fn_execution/v1/beam_provision_api";
export type * as metricsapi from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/metrics";
export type * as endpointsapi from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/endpoints";
export type * as windowfnsapi from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/standard_window_fns";
export type * as structapi from "../../generated/beam_model/google/protobuf/struct";

export * as runnerApi from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/beam_runner_api";
export * as fnApi from "../../generated/beam_model/org/apache/beam/model/fn_execution/v1/beam_fn_api";
export * as jobApi from "../../generated/beam_model/org/apache/beam/model/job_management/v1/beam_job_api";
export * as artifactApi from "../../generated/beam_model/org/apache/beam/model/job_management/v1/beam_artifact_api";
export * as provisionApi from "../../generated/beam_model/org/apache/beam/model/fn_execution/v1/beam_provision_api";
export * as metricsApi from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/metrics";
export * as endpointsApi from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/endpoints";
export * as windowFnsApi from "../../generated/beam_model/org/apache/beam/model/pipeline/v1/standard_window_fns";
export * as structApi from "../../generated/beam_model/google/protobuf/struct";
