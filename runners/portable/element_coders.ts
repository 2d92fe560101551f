/**
 * The element coder of every PCollection in a translated pipeline.
 *
 * A runner moves a PCollection's elements between stages as bytes, encoded by the producing side
 * and decoded by the consuming side with the PCollection's coder. So every PCollection gets ONE
 * coder that its producer and all its consumers, SDK and runner alike, can work with:
 *
 * - Runners group and key by bytes: the input of a GroupByKey, a CombinePerKey or a stateful
 *   ParDo, and a map/multimap side input, get a KV coder (deterministic key).
 * - Runners produce some PCollections themselves: Impulse and Pub/Sub reads give bytes,
 *   GroupByKey gives KV(key, iterable(value)) with its input's key and value coders.
 * - Runners pass elements through a Reshuffle without decoding them (Prism drops it and reads its
 *   input where its output was), so a Reshuffle's input and output are one "pass-through group"
 *   sharing one coder: what the group's runner-produced member has; else, when the group starts at
 *   a Flatten's output and no member has a coder set of its own, the coder the Flatten's inputs
 *   agree on (if it is KV where a member is grouped or keyed), so no input is transcoded; else the
 *   coder of the group's last output (made KV when any member is grouped or keyed).
 * - A Flatten's inputs keep their own coders, and its output gets its own: the coder set on it,
 *   else its first input's (primitives.ts flattenInto), made KV when it is grouped or keyed; where
 *   no coder was set on the output and its inputs agree on one that serves its consumers, that one,
 *   so nothing needs transcoding. Runners concatenate a Flatten's inputs' bytes, so before each
 *   input whose coder differs from the output's the translation puts a transcoding step
 *   (flatten_transcode.ts), as Beam Python's runner (fix_flatten_coders) and Prism do.
 */
import { BytesCoder, IterableCoder, KVCoder } from "../../lib/coders/index";
import type { Coder } from "../../lib/coders/coder";
import { PipelineConstructionError } from "../../lib/model/errors";
import type { PCollection } from "../../lib/model/pcollection";
import type { TransformNode } from "../../lib/model/pipeline";
import { isStatefulDoFn } from "../../lib/model/state";
import { coderOf, defaultCoder, deterministicKeyCoder } from "../executor/default_coders";
import { URNS } from "./urns";

const KV_URN = "beam:coder:kv:v1";

function isKv(c: Coder<unknown>): boolean {
  return c.urn === KV_URN && c.components.length === 2;
}

/** The key coder of a KV coder; the deterministic JS coder for anything else. */
function keyOf(c: Coder<unknown>): Coder<unknown> {
  return isKv(c) ? c.components[0]! : deterministicKeyCoder();
}

/** The value coder of a KV coder; for anything else, the coder itself (it encodes what it is given). */
function valueOf(c: Coder<unknown>): Coder<unknown> {
  return isKv(c) ? c.components[1]! : c;
}

/** A KV coder with the key and value coders `c` implies (`c` itself when it is KV). */
function asKv(c: Coder<unknown>): Coder<unknown> {
  return isKv(c) ? c : (new KVCoder(keyOf(c), valueOf(c)) as Coder<unknown>);
}

/** Identifies a coder by structure (URN, payload, components), for comparing coders. */
function structure(c: Coder<unknown>): string {
  const payload = c.payload !== undefined && c.payload.length > 0 ? Buffer.from(c.payload).toString("hex") : "";
  return `${c.urn}${payload}(${c.components.map(structure).join(",")})`;
}

/** Union-find over PCollection ids. */
class Groups {
  private readonly parent = new Map<string, string>();
  find(id: string): string {
    const p = this.parent.get(id);
    if (p === undefined || p === id) return id;
    const root = this.find(p);
    this.parent.set(id, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

/**
 * The element coder of each PCollection of `nodes` (the transforms sent to the runner, in
 * topological order) as runners see it, by PCollection id.
 */
export function elementCoders(nodes: readonly TransformNode[]): Map<string, Coder<unknown>> {
  const pcolls = new Map<string, PCollection<unknown>>();
  const order = new Map<string, number>();
  const note = (pc: PCollection<unknown>): void => {
    if (!pcolls.has(pc.id)) {
      pcolls.set(pc.id, pc);
      order.set(pc.id, order.size);
    }
  };
  for (const node of nodes) {
    node.inputs.forEach(note);
    for (const pc of node.outputs.values()) note(pc);
  }

  // What runners require of single PCollections.
  const keyed = new Set<string>();
  const bytes = new Set<string>();
  const groupedBy = new Map<string, PCollection<unknown>>(); // GroupByKey output → its input
  const combinedBy = new Map<string, PCollection<unknown>>(); // CombinePerKey output → its input
  const groups = new Groups();
  const passThrough = new Map<string, TransformNode>(); // member id → a Reshuffle it belongs to
  const flattenOf = new Map<string, TransformNode>(); // Flatten output id → its Flatten
  for (const node of nodes) {
    const p = node.primitive;
    const urn = node.composite?.urn;
    if (p?.kind === "impulse" || urn === URNS.pubsubRead) bytes.add(node.mainOutput().id);
    // Pub/Sub writes take serialized PubsubMessage protos: plain bytes, as a native sink reads them.
    if (urn === URNS.pubsubWrite) bytes.add(node.inputs[0]!.id);
    if (p?.kind === "gbk") groupedBy.set(node.mainOutput().id, node.inputs[0]!);
    if (urn === URNS.combinePerKey) combinedBy.set(node.mainOutput().id, node.inputs[0]!);
    if (p?.kind === "gbk" || urn === URNS.combinePerKey) keyed.add(node.inputs[0]!.id);
    if (p?.kind === "pardo") {
      // A stateful ParDo's input is keyed: runners partition and address state by the key bytes.
      if (isStatefulDoFn(p.doFn)) keyed.add(node.inputs[0]!.id);
      for (const s of p.sideInputs) if (s.kind === "map" || s.kind === "multimap") keyed.add(s.pcoll.id);
    }
    if (p?.kind === "flatten") flattenOf.set(node.mainOutput().id, node);
    if (passesElementsThrough(urn)) {
      const out = node.mainOutput();
      for (const pc of [...node.inputs, out]) {
        groups.union(pc.id, out.id);
        passThrough.set(pc.id, node);
      }
    }
  }
  const members = new Map<string, string[]>();
  for (const id of passThrough.keys()) {
    const root = groups.find(id);
    members.set(root, [...(members.get(root) ?? []), id]);
  }
  for (const ids of members.values()) ids.sort((a, b) => order.get(a)! - order.get(b)!);
  const passOutputs = new Set<string>();
  const passInputs = new Set<string>();
  for (const node of nodes) {
    if (!passesElementsThrough(node.composite?.urn)) continue;
    passOutputs.add(node.mainOutput().id);
    for (const pc of node.inputs) passInputs.add(pc.id);
  }

  const coders = new Map<string, Coder<unknown>>();
  const inProgress = new Set<string>();

  /** The coder a runner gives a PCollection it produces, if it produces it. */
  const runnerProduced = (id: string): Coder<unknown> | undefined => {
    if (bytes.has(id)) return BytesCoder.INSTANCE as Coder<unknown>;
    const gbkInput = groupedBy.get(id);
    if (gbkInput === undefined) return undefined;
    const input = coderFor(gbkInput.id);
    return new KVCoder(keyOf(input), new IterableCoder(valueOf(input))) as Coder<unknown>;
  };

  /**
   * The coder a Flatten's inputs all have, when the output may take it: no coder was set on the
   * output (flattenInto gives it its first input's; one set afterwards is the user's choice) and
   * the coder is KV where `mustBeKv`. Every element of the output is an input's element, which
   * this coder encodes already, so the output can have it and nothing needs transcoding.
   */
  const agreedFlattenCoder = (node: TransformNode, mustBeKv: boolean): Coder<unknown> | undefined => {
    const out = node.mainOutput();
    const setOnOutput = out.coder !== undefined && !node.inputs.some((pc) => pc.coder === out.coder);
    if (setOnOutput) return undefined;
    const inputs = node.inputs.map((pc) => coderFor(pc.id));
    const first = inputs[0];
    if (first === undefined || inputs.some((c) => structure(c) !== structure(first))) return undefined;
    return mustBeKv && !isKv(first) ? undefined : first;
  };

  /** The coder of a Flatten's output (the module comment says how it is chosen). */
  const flattenOutput = (node: TransformNode): Coder<unknown> => {
    const out = node.mainOutput();
    const own = coderOf(out);
    return agreedFlattenCoder(node, keyed.has(out.id)) ?? (keyed.has(out.id) ? asKv(own) : own);
  };

  /** The coder of a PCollection outside any pass-through group. */
  const single = (id: string): Coder<unknown> => {
    const fixed = runnerProduced(id);
    if (fixed !== undefined) return fixed;
    const combineInput = combinedBy.get(id);
    if (combineInput !== undefined) return new KVCoder(keyOf(coderFor(combineInput.id)), defaultCoder()) as Coder<unknown>;
    const flatten = flattenOf.get(id);
    if (flatten !== undefined) return flattenOutput(flatten);
    const own = coderOf(pcolls.get(id)!);
    return keyed.has(id) ? asKv(own) : own;
  };

  /** The one coder of a pass-through group. */
  const shared = (ids: readonly string[]): Coder<unknown> => {
    const fixed = ids.flatMap((id) => {
      const c = runnerProduced(id);
      return c !== undefined ? [{ id, coder: c }] : [];
    });
    for (const f of fixed.slice(1)) {
      if (structure(f.coder) !== structure(fixed[0]!.coder)) {
        const node = passThrough.get(f.id)!;
        throw new PipelineConstructionError(
          `${fixed[0]!.id} and ${f.id} are encoded by the runner with different coders (${structure(fixed[0]!.coder)} and ${structure(f.coder)}), and runners pass a Reshuffle's input through as its output without re-encoding. Apply a Map to one of them first, so the SDK re-encodes its elements`,
          node.fullName,
        );
      }
    }
    if (fixed.length > 0) return fixed[0]!.coder;
    // A group that starts at a Flatten's output takes the coder its inputs agree on, as a Flatten
    // outside a group does, when no member has a coder of the user's own (a Reshuffle's output
    // carries its input's): otherwise every input would be transcoded to the group's coder.
    const head = ids.map((id) => flattenOf.get(id)).find((n) => n !== undefined);
    if (head !== undefined) {
      const flattened = head.mainOutput();
      const inherited = ids.every((id) => {
        const set = pcolls.get(id)!.coder;
        return set === undefined || set === flattened.coder;
      });
      const agreed = inherited ? agreedFlattenCoder(head, ids.some((id) => keyed.has(id))) : undefined;
      if (agreed !== undefined) return agreed;
    }
    // The last output of the group (not passed on within it) decides, as its consumers read it.
    const last = [...ids].reverse().find((id) => passOutputs.has(id) && !passInputs.has(id)) ?? ids[ids.length - 1]!;
    const own = coderOf(pcolls.get(last)!);
    return ids.some((id) => keyed.has(id)) ? asKv(own) : own;
  };

  const coderFor = (id: string): Coder<unknown> => {
    const done = coders.get(id);
    if (done !== undefined) return done;
    const groupIds = passThrough.has(id) ? members.get(groups.find(id))! : [id];
    const key = groupIds[0]!;
    if (inProgress.has(key)) throw new PipelineConstructionError(`the coder of ${id} depends on itself through a GroupByKey and a Reshuffle`, pcolls.get(id)!.producer.fullName);
    inProgress.add(key);
    const coder = passThrough.has(id) ? shared(groupIds) : single(id);
    inProgress.delete(key);
    for (const m of groupIds) coders.set(m, coder);
    return coder;
  };

  for (const id of pcolls.keys()) coderFor(id);
  return coders;
}

/**
 * Full names of the transforms that make runners group or key PCollection `pcId` (a GroupByKey, a
 * CombinePerKey, a stateful ParDo, a map or multimap side input), in graph order: why its coder
 * is KV, for error messages.
 */
export function keyingConsumers(nodes: readonly TransformNode[], pcId: string): string[] {
  const names: string[] = [];
  for (const node of nodes) {
    const p = node.primitive;
    const reads = node.inputs[0]?.id === pcId;
    if (reads && (p?.kind === "gbk" || node.composite?.urn === URNS.combinePerKey || (p?.kind === "pardo" && isStatefulDoFn(p.doFn)))) names.push(node.fullName);
    if (p?.kind === "pardo" && p.sideInputs.some((s) => (s.kind === "map" || s.kind === "multimap") && s.pcoll.id === pcId)) names.push(node.fullName);
  }
  return names;
}

/** Composites whose output is their input's elements (a runner may run them as a pass-through): one coder for both. */
function passesElementsThrough(urn: string | undefined): boolean {
  return urn === URNS.reshuffle || urn === URNS.redistributeByKey || urn === URNS.redistributeArbitrarily;
}
