/** The dry-run form of a translated pipeline: the proto as Beam's canonical JSON. */
import * as fs from "node:fs";
import * as path from "node:path";
import { rapi, runnerApi } from "./protos";

/** The proto as pretty-printed protobuf JSON (stable key order: as generated). */
export function pipelineToJson(proto: rapi.Pipeline): string {
  return `${JSON.stringify(runnerApi.Pipeline.toJson(proto), null, 2)}\n`;
}

/** Parses protobuf JSON written by pipelineToJson back into a Pipeline proto. */
export function pipelineFromJson(text: string): rapi.Pipeline {
  return runnerApi.Pipeline.fromJsonString(text);
}

/** Writes the proto JSON to `target` (`-` for stdout). */
export function writeDescription(proto: rapi.Pipeline, target: string): void {
  const text = pipelineToJson(proto);
  if (target === "-") {
    process.stdout.write(text);
    return;
  }
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  fs.writeFileSync(target, text);
}

/** Coder ids a transform's payload refers to (ParDo state and timers, combine, TestStream). */
function payloadCoderIds(t: rapi.PTransform): string[] {
  const spec = t.spec;
  if (spec === undefined) return [];
  if (spec.urn === "beam:transform:pardo:v1") {
    const p = runnerApi.ParDoPayload.fromBinary(spec.payload);
    const ids: string[] = Object.values(p.timerFamilySpecs).map((f) => f.timerFamilyCoderId);
    for (const s of Object.values(p.stateSpecs)) {
      const sp = s.spec;
      if (sp.oneofKind === "readModifyWriteSpec") ids.push(sp.readModifyWriteSpec.coderId);
      else if (sp.oneofKind === "bagSpec") ids.push(sp.bagSpec.elementCoderId);
      else if (sp.oneofKind === "combiningSpec") ids.push(sp.combiningSpec.accumulatorCoderId);
      else if (sp.oneofKind === "mapSpec") ids.push(sp.mapSpec.keyCoderId, sp.mapSpec.valueCoderId);
      else if (sp.oneofKind === "setSpec") ids.push(sp.setSpec.elementCoderId);
      else if (sp.oneofKind === "orderedListSpec") ids.push(sp.orderedListSpec.elementCoderId);
    }
    return ids;
  }
  if (spec.urn === "beam:transform:combine_per_key:v1") return [runnerApi.CombinePayload.fromBinary(spec.payload).accumulatorCoderId];
  if (spec.urn === "beam:transform:teststream:v1") return [runnerApi.TestStreamPayload.fromBinary(spec.payload).coderId];
  return [];
}

/** Problems in a proto: references to ids that do not exist (payloads included), primitives without a spec. */
export function validatePipelineProto(proto: rapi.Pipeline): string[] {
  const c = proto.components;
  if (c === undefined) return ["pipeline has no components"];
  const errors: string[] = [];
  const need = (kind: string, id: string, map: Record<string, unknown>, where: string): void => {
    if (!(id in map)) errors.push(`${where} refers to missing ${kind} '${id}'`);
  };
  for (const id of proto.rootTransformIds) need("transform", id, c.transforms, "root_transform_ids");
  for (const [id, t] of Object.entries(c.transforms)) {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) errors.push(`transform id '${id}' has characters outside [A-Za-z0-9-_]`);
    for (const s of t.subtransforms) need("transform", s, c.transforms, `transform ${id}`);
    for (const p of [...Object.values(t.inputs), ...Object.values(t.outputs)]) need("pcollection", p, c.pcollections, `transform ${id}`);
    if (t.environmentId !== "") need("environment", t.environmentId, c.environments, `transform ${id}`);
    if (t.subtransforms.length === 0 && (t.spec === undefined || t.spec.urn === "")) errors.push(`primitive transform ${id} has no spec`);
    for (const coder of payloadCoderIds(t)) need("coder", coder, c.coders, `payload of transform ${id}`);
  }
  for (const [id, p] of Object.entries(c.pcollections)) {
    need("coder", p.coderId, c.coders, `pcollection ${id}`);
    need("windowing strategy", p.windowingStrategyId, c.windowingStrategies, `pcollection ${id}`);
  }
  for (const [id, w] of Object.entries(c.windowingStrategies)) need("coder", w.windowCoderId, c.coders, `windowing strategy ${id}`);
  for (const [id, coder] of Object.entries(c.coders)) for (const cc of coder.componentCoderIds) need("coder", cc, c.coders, `coder ${id}`);
  return errors;
}
