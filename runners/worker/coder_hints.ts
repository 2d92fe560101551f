/**
 * The coders the SDK gave the PCollections of a ProcessBundleDescriptor, which guide how the
 * worker builds the descriptor's coders (registry.ts coderFromSpec): a coder spec names bytes, not
 * JS values, and one URN can stand for several representations (beam:coder:varint:v1 is
 * VarIntCoder over numbers and BigIntVarIntCoder over bigints).
 *
 * A PCollection of the program keeps its SDK id as its unique name in the descriptor; its coder
 * is the one the submitted pipeline proto was translated from (element_coders.ts), worked out
 * again on the rebuilt pipeline. PCollections a runner makes between the phases of a lifted
 * combine (Prism's, Beam Python's, ours) hold KV(key, accumulator): the key coder is the combine
 * input's, the accumulator coder the JS value coder the translation gives combines. Those a runner
 * makes between the phases of a splittable DoFn (Beam's SplittableParDoComponents: pair with
 * restriction, split and size, truncate, process) hold KV(element, restriction) and
 * KV(KV(element, restriction), size), from the SDF's input coder and its restriction coder (as
 * Prism's handlepardo.go and Beam Python's expand_sdf build them). The output of a transcoding step
 * before a Flatten input (flatten_transcode.ts) holds the Flatten's output's elements.
 */
import type { Coder } from "../../lib/coders/coder";
import { BytesCoder, DoubleCoder, KVCoder } from "../../lib/coders/index";
import { splittableOfComposite } from "../../lib/model/splittable";
import type { Pipeline } from "../../lib/model/pipeline";
import { defaultCoder } from "../executor/default_coders";
import { elementCoders } from "../portable/element_coders";
import { fnapi, runnerApi } from "../portable/protos";
import { decodeReference } from "../portable/translate";
import { decodeTranscodeReference } from "../portable/flatten_transcode";
import { URNS } from "../portable/urns";

const COMBINE_PHASE_URNS: ReadonlySet<string> = new Set([URNS.precombine, URNS.mergeAccumulators, URNS.extractOutputs, URNS.combineGroupedValues, URNS.convertToAccumulators]);
const SDF_PHASE_URNS: ReadonlySet<string> = new Set([URNS.sdfPairWithRestriction, URNS.sdfSplitAndSize, URNS.sdfTruncateSized, URNS.sdfProcessSized]);

export class SdkCoderHints {
  private byPcoll: Map<string, Coder<unknown>> | undefined;

  constructor(
    private readonly descriptor: fnapi.ProcessBundleDescriptor,
    private readonly pipeline: () => Pipeline,
  ) {}

  /** The SDK's element coder of descriptor PCollection `pcollId`, if known. */
  of(pcollId: string | undefined): Coder<unknown> | undefined {
    if (pcollId === undefined) return undefined;
    this.byPcoll ??= this.compute();
    return this.byPcoll.get(pcollId);
  }

  private compute(): Map<string, Coder<unknown>> {
    const hints = new Map<string, Coder<unknown>>();
    let pipeline: Pipeline;
    let sdk: Map<string, Coder<unknown>>;
    try {
      pipeline = this.pipeline();
      sdk = elementCoders(pipeline.transforms());
    } catch {
      // No rebuilt pipeline (a descriptor of runner-side primitives only), or one whose coders
      // cannot be worked out: the descriptor's coders are built from the registry alone.
      return hints;
    }
    for (const [id, pc] of Object.entries(this.descriptor.pcollections)) {
      const coder = sdk.get(pc.uniqueName);
      if (coder !== undefined) hints.set(id, coder);
    }
    // A transcoding step's output (flatten_transcode.ts) holds the Flatten's output's elements.
    for (const t of Object.values(this.descriptor.transforms)) {
      if (t.spec?.urn !== URNS.pardo) continue;
      const doFn = runnerApi.ParDoPayload.fromBinary(t.spec.payload).doFn;
      if (doFn?.urn !== URNS.transcodeDoFn) continue;
      const flatten = pipeline.findTransform(decodeTranscodeReference(doFn.payload).flatten);
      const like = flatten === undefined ? undefined : sdk.get(flatten.mainOutput().id);
      if (like !== undefined) for (const pc of Object.values(t.outputs)) if (!hints.has(pc)) hints.set(pc, like);
    }
    for (const t of Object.values(this.descriptor.transforms)) {
      if (!COMBINE_PHASE_URNS.has(t.spec?.urn ?? "")) continue;
      const ref = decodeReference(runnerApi.CombinePayload.fromBinary(t.spec!.payload).combineFn!.payload);
      const input = pipeline.findTransform(ref.transform)?.inputs[0];
      const kv = input === undefined ? undefined : sdk.get(input.id);
      if (kv === undefined || kv.urn !== "beam:coder:kv:v1" || kv.components.length !== 2) continue;
      const like = new KVCoder(kv.components[0]!, defaultCoder()) as Coder<unknown>;
      for (const pc of [...Object.values(t.inputs), ...Object.values(t.outputs)]) if (!hints.has(pc)) hints.set(pc, like);
    }
    for (const t of Object.values(this.descriptor.transforms)) {
      const urn = t.spec?.urn ?? "";
      if (!SDF_PHASE_URNS.has(urn)) continue;
      const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
      if (payload.doFn?.urn !== URNS.dofnByName) continue;
      const node = pipeline.findTransform(decodeReference(payload.doFn.payload).transform);
      const fn = node === undefined ? undefined : splittableOfComposite(node);
      if (node === undefined || fn === undefined) continue;
      // A source's SDF (no input) reads an Impulse of its own: bytes.
      const element = node.inputs.length > 0 ? sdk.get(node.inputs[0]!.id) : (BytesCoder.INSTANCE as Coder<unknown>);
      if (element === undefined) continue;
      const paired = new KVCoder(element, fn.restrictionCoder) as Coder<unknown>;
      const sized = new KVCoder(paired, DoubleCoder.INSTANCE) as Coder<unknown>;
      const set = (pcs: readonly string[], like: Coder<unknown>): void => {
        for (const pc of pcs) if (!hints.has(pc)) hints.set(pc, like);
      };
      const main = Object.entries(t.inputs).filter(([local]) => !(local in payload.sideInputs)).map(([, pc]) => pc);
      const outputs = Object.values(t.outputs);
      if (urn === URNS.sdfPairWithRestriction) set(outputs, paired);
      if (urn === URNS.sdfSplitAndSize) {
        set(main, paired);
        set(outputs, sized);
      }
      if (urn === URNS.sdfTruncateSized) set([...main, ...outputs], sized);
      // The process phase's outputs are the SDF's own, hinted above.
      if (urn === URNS.sdfProcessSized) set(main, sized);
    }
    return hints;
  }
}
