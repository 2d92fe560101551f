/**
 * The SDK environment of a translated pipeline: how a runner starts Beamline workers.
 *
 * - DOCKER: `beam:env:docker:v1` with the worker image (setup/Dockerfile).
 * - EXTERNAL: `beam:env:external:v1` pointing at a running worker pool (`--environment_config host:port`).
 * - LOOPBACK: not a URN; the submitting process serves a worker pool itself and the
 *   environment becomes EXTERNAL pointing at it (BEAM_PORTABILITY.md §2.9).
 */
import { registeredCoderUrns } from "../../lib/coders/index";
import { rapi, runnerApi } from "./protos";
import { DEFAULT_CONTAINER_IMAGE, SDK_PROTOCOLS, URNS } from "./urns";

export type EnvironmentType = "DOCKER" | "EXTERNAL" | "LOOPBACK";

/** Everything the SDK environment advertises: the coders and protocols the harness implements. */
export function sdkCapabilities(): string[] {
  return [
    ...registeredCoderUrns(),
    ...SDK_PROTOCOLS,
    URNS.precombine,
    URNS.mergeAccumulators,
    URNS.extractOutputs,
    URNS.combineGroupedValues,
    URNS.convertToAccumulators,
    URNS.reifyMetadata,
    URNS.restoreMetadata,
  ];
}

export function dockerEnvironment(image: string = DEFAULT_CONTAINER_IMAGE, dependencies: rapi.ArtifactInformation[] = []): rapi.Environment {
  return runnerApi.Environment.create({
    urn: URNS.envDocker,
    payload: runnerApi.DockerPayload.toBinary({ containerImage: image }),
    capabilities: sdkCapabilities(),
    dependencies,
  });
}

export function externalEnvironment(url: string, dependencies: rapi.ArtifactInformation[] = []): rapi.Environment {
  return runnerApi.Environment.create({
    urn: URNS.envExternal,
    payload: runnerApi.ExternalPayload.toBinary({ endpoint: { url, authentication: undefined }, params: {} }),
    capabilities: sdkCapabilities(),
    dependencies,
  });
}

/** Parses `--environment_type` (case-insensitive; Beam's spelling). */
export function parseEnvironmentType(value: string | undefined): EnvironmentType {
  const v = (value ?? "DOCKER").toUpperCase();
  if (v === "DOCKER" || v === "EXTERNAL" || v === "LOOPBACK") return v;
  throw new Error(`--environment_type must be DOCKER, EXTERNAL or LOOPBACK, got '${value}'`);
}
