/**
 * Transcoding steps before a Flatten's inputs, as Beam Python's runner inserts them
 * (`fix_flatten_coders` in fn_api_runner/translations.py) and Prism does when it runs a Flatten
 * itself (handlerunner.go handleFlatten). A runner executes a Flatten by concatenating its
 * inputs' bytes, so every input must arrive encoded with the output's coder; but each input has
 * the coder its producer and its other consumers need (element_coders.ts: KV where it is grouped,
 * the runner's own coder for a GroupByKey's output, the one set on it). Where an input's coder
 * differs from the output's, the translation reads it through an SDK step first:
 *
 *     input (its coder) → <flatten>/Transcode<i> → <flatten>/Transcode<i>.out (the output's coder) → Flatten
 *
 * The step is a ParDo of Beamline's transcode DoFn (URNS.transcodeDoFn), which the worker runs as
 * an identity: each element is decoded with the input's coder and encoded with the output's. When
 * the output's coder is KV (the Flatten's output is grouped or keyed), an element that is not a
 * { key, value } pair fails there, naming the Flatten and the fix (descriptor_steps.ts). The step
 * is placed beside its Flatten, just before it, among its parent's subtransforms.
 */
import { rapi, runnerApi } from "./protos";
import { SDK_ENV_ID, URNS } from "./urns";

/** The payload of a transcoding step's DoFn: which Flatten input it transcodes. */
export interface TranscodeReference {
  /** Full name of the Flatten. */
  readonly flatten: string;
  /** Position of the transcoded input among the Flatten's inputs. */
  readonly input: number;
  /** Fingerprint of the graph the submitter built. */
  readonly fingerprint: string;
}

/** The transcode DoFn's payload for `ref` (JSON). */
export function encodeTranscodeReference(ref: TranscodeReference): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ flatten: ref.flatten, input: ref.input, fingerprint: ref.fingerprint }));
}

/** Reads a transcode DoFn's payload. */
export function decodeTranscodeReference(payload: Uint8Array): TranscodeReference {
  const v = JSON.parse(new TextDecoder().decode(payload)) as Partial<TranscodeReference>;
  if (typeof v.flatten !== "string" || typeof v.input !== "number" || typeof v.fingerprint !== "string") throw new Error("malformed Beamline transcode payload");
  return { flatten: v.flatten, input: v.input, fingerprint: v.fingerprint };
}

/** What inserting the steps needs from the translation. */
export interface TranscodeContext {
  readonly components: rapi.Components;
  /** The pipeline's root transform ids (a top-level Flatten's steps join them). */
  readonly rootTransformIds: string[];
  /** A fresh transform id for a name. */
  transformId(name: string): string;
  /** A fresh PCollection id for a name. */
  pcollectionId(name: string): string;
}

/** `base`, or `base_2`, `base_3` ... : the first not in `used` (then added to it). */
function freshName(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
  used.add(name);
  return name;
}

/**
 * Puts a transcoding step before every input of every Flatten in `ctx.components` whose coder
 * differs from the Flatten's output's; afterwards each Flatten's inputs and output share one coder.
 */
export function transcodeFlattenInputs(ctx: TranscodeContext, fingerprint: string): void {
  const c = ctx.components;
  const parent = new Map<string, string>();
  for (const [id, t] of Object.entries(c.transforms)) for (const sub of t.subtransforms) parent.set(sub, id);
  const transformNames = new Set(Object.values(c.transforms).map((t) => t.uniqueName));
  const pcollectionNames = new Set(Object.values(c.pcollections).map((p) => p.uniqueName));
  for (const [id, flatten] of Object.entries(c.transforms)) {
    if (flatten.spec?.urn !== URNS.flatten) continue;
    const output = c.pcollections[Object.values(flatten.outputs)[0]!]!;
    const steps: string[] = [];
    Object.entries(flatten.inputs).forEach(([local, inputId], i) => {
      const input = c.pcollections[inputId]!;
      if (input.coderId === output.coderId) return;
      const name = freshName(`${flatten.uniqueName}/Transcode${i}`, transformNames);
      const outName = freshName(`${name}.out`, pcollectionNames);
      // The input's elements, boundedness and windowing, with the output's coder.
      const transcoded = ctx.pcollectionId(outName);
      c.pcollections[transcoded] = { ...input, uniqueName: outName, coderId: output.coderId, displayData: [] };
      const payload = runnerApi.ParDoPayload.create({ doFn: { urn: URNS.transcodeDoFn, payload: encodeTranscodeReference({ flatten: flatten.uniqueName, input: i, fingerprint }) } });
      const step = ctx.transformId(name);
      c.transforms[step] = runnerApi.PTransform.create({
        uniqueName: name,
        inputs: { main: inputId },
        outputs: { main: transcoded },
        spec: { urn: URNS.pardo, payload: runnerApi.ParDoPayload.toBinary(payload) },
        environmentId: flatten.environmentId !== "" ? flatten.environmentId : SDK_ENV_ID,
      });
      flatten.inputs[local] = transcoded;
      steps.push(step);
    });
    if (steps.length === 0) continue;
    const parentId = parent.get(id);
    const siblings = parentId !== undefined ? c.transforms[parentId]!.subtransforms : ctx.rootTransformIds;
    siblings.splice(siblings.indexOf(id), 0, ...steps);
  }
}
