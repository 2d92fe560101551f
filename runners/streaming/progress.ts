/**
 * A streaming run's progress from per-PCollection element counts and watermarks: shared by the
 * one-thread driver and the parallel coordinator (which sums its instances' counts).
 */
import type { StreamingProgress } from "../../lib/model/result";
import { type Instant, MAX_TIMESTAMP } from "../../lib/model/window";
import type { Unit } from "../executor/units";

/** Elements read by the sources, elements reaching the last PCollections (read by no step), and their lowest watermark. */
export function progressOf(units: readonly Unit[], count: (pcollId: string) => number, watermark: (pcollId: string) => Instant): StreamingProgress {
  const consumed = new Set<string>();
  const produced: string[] = [];
  let elementsRead = 0;
  for (const u of units) {
    if (u.kind === "flatten") for (const pc of u.inputs) consumed.add(pc.id);
    else if ("input" in u) consumed.add(u.input.id);
    for (const pc of u.node.outputs.values()) produced.push(pc.id);
    if (u.kind === "testStream" || u.kind === "readUnbounded") elementsRead += count(u.output.id);
  }
  for (const u of units) if (u.node.primitive?.kind === "pardo") for (const side of u.node.primitive.sideInputs) consumed.add(side.pcoll.id);
  const leaves = produced.filter((id) => !consumed.has(id));
  let elementsWritten = 0;
  let outputWatermark = MAX_TIMESTAMP;
  for (const id of leaves) {
    elementsWritten += count(id);
    outputWatermark = Math.min(outputWatermark, watermark(id));
  }
  return { elementsRead, elementsWritten, outputWatermark };
}
