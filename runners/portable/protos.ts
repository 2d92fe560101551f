/**
 * The Beam model protos, as generated classes shipped in the `apache-beam` npm package
 * (ARCHITECTURE.md §1: we use its protos and service definitions, never hand-written .proto).
 *
 * The package maps `apache-beam/<path>` to `dist/src/apache_beam/<path>.js` through its
 * `exports` field, which TypeScript's `node` resolution does not read; so values are loaded by
 * their public path and typed from the files the path points at.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export type * as rapi from "apache-beam/dist/src/apache_beam/proto/beam_runner_api";
export type * as fnapi from "apache-beam/dist/src/apache_beam/proto/beam_fn_api";
export type * as jobapi from "apache-beam/dist/src/apache_beam/proto/beam_job_api";
export type * as artapi from "apache-beam/dist/src/apache_beam/proto/beam_artifact_api";
export type * as provapi from "apache-beam/dist/src/apache_beam/proto/beam_provision_api";
export type * as metricsapi from "apache-beam/dist/src/apache_beam/proto/metrics";
export type * as endpointsapi from "apache-beam/dist/src/apache_beam/proto/endpoints";
export type * as windowfnsapi from "apache-beam/dist/src/apache_beam/proto/standard_window_fns";
export type * as structapi from "apache-beam/dist/src/apache_beam/proto/google/protobuf/struct";

export const runnerApi: typeof import("apache-beam/dist/src/apache_beam/proto/beam_runner_api") = require("apache-beam/proto/beam_runner_api");
export const fnApi: typeof import("apache-beam/dist/src/apache_beam/proto/beam_fn_api") = require("apache-beam/proto/beam_fn_api");
export const jobApi: typeof import("apache-beam/dist/src/apache_beam/proto/beam_job_api") = require("apache-beam/proto/beam_job_api");
export const artifactApi: typeof import("apache-beam/dist/src/apache_beam/proto/beam_artifact_api") = require("apache-beam/proto/beam_artifact_api");
export const provisionApi: typeof import("apache-beam/dist/src/apache_beam/proto/beam_provision_api") = require("apache-beam/proto/beam_provision_api");
export const metricsApi: typeof import("apache-beam/dist/src/apache_beam/proto/metrics") = require("apache-beam/proto/metrics");
export const endpointsApi: typeof import("apache-beam/dist/src/apache_beam/proto/endpoints") = require("apache-beam/proto/endpoints");
export const windowFnsApi: typeof import("apache-beam/dist/src/apache_beam/proto/standard_window_fns") = require("apache-beam/proto/standard_window_fns");
export const structApi: typeof import("apache-beam/dist/src/apache_beam/proto/google/protobuf/struct") = require("apache-beam/proto/google/protobuf/struct");
