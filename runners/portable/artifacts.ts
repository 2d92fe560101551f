/**
 * Artifact staging with the reverse-retrieval protocol (BEAM_PORTABILITY.md §2.3): the runner's
 * staging service asks, over one bidi stream, to resolve each environment's dependencies and
 * to get each artifact; we answer with the list unchanged and the file bytes in 1 MiB chunks.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { RpcClient } from "./grpc";
import { artapi, artifactApi, rapi, runnerApi } from "./protos";
import { URNS } from "./urns";

export const ARTIFACT_CHUNK_BYTES = 1 << 20;

/** A FILE artifact with a staging name. */
export function fileArtifact(filePath: string, stagedName = path.basename(filePath)): rapi.ArtifactInformation {
  const sha256 = createHash("sha256").update(fs.readFileSync(filePath)).digest("hex");
  return {
    typeUrn: URNS.artifactFile,
    typePayload: runnerApi.ArtifactFilePayload.toBinary({ path: path.resolve(filePath), sha256 }),
    roleUrn: URNS.roleStagingTo,
    rolePayload: runnerApi.ArtifactStagingToRolePayload.toBinary({ stagedName }),
  };
}

/** Serves the runner's artifact requests until it closes the stream. */
export function stageArtifacts(endpoint: string, stagingToken: string): Promise<number> {
  const client = new RpcClient(endpoint, artifactApi.ArtifactStagingService);
  const stream = client.bidi("ReverseArtifactRetrievalService", artifactApi.ArtifactResponseWrapper, artifactApi.ArtifactRequestWrapper);
  let served = 0;
  return new Promise<number>((resolve, reject) => {
    const send = (w: Partial<artapi.ArtifactResponseWrapper>): void => {
      stream.write(artifactApi.ArtifactResponseWrapper.create({ stagingToken, ...w }));
    };
    stream.on("data", (req: artapi.ArtifactRequestWrapper) => {
      try {
        const r = req.request;
        if (r.oneofKind === "resolveArtifact") {
          send({ response: { oneofKind: "resolveArtifactResponse", resolveArtifactResponse: { replacements: r.resolveArtifact.artifacts } } });
        } else if (r.oneofKind === "getArtifact") {
          const a = r.getArtifact.artifact!;
          if (a.typeUrn !== URNS.artifactFile) throw new Error(`cannot stage artifact of type ${a.typeUrn}`);
          const data = fs.readFileSync(runnerApi.ArtifactFilePayload.fromBinary(a.typePayload).path);
          for (let i = 0; i < data.length; i += ARTIFACT_CHUNK_BYTES) {
            send({ isLast: false, response: { oneofKind: "getArtifactResponse", getArtifactResponse: { data: data.subarray(i, i + ARTIFACT_CHUNK_BYTES) } } });
          }
          send({ isLast: true, response: { oneofKind: "getArtifactResponse", getArtifactResponse: { data: new Uint8Array(0) } } });
          served++;
        }
      } catch (e) {
        stream.cancel();
        reject(e);
      }
    });
    stream.on("end", () => {
      stream.end();
      client.close();
      resolve(served);
    });
    stream.on("error", (e: Error) => {
      client.close();
      reject(e);
    });
    send({});
  });
}
