/**
 * The coders of a pipeline proto. Beam standard coders are written as they are; any coder a
 * runner cannot parse (our JS value coders, for instance) is wrapped in
 * `beam:coder:length_prefix:v1`, so runners can skip its bytes (BEAM_PORTABILITY.md §4.17).
 */
import type { Coder } from "../../lib/coders/coder";
import type { rapi } from "./protos";

/** Coder URNs every portable runner understands (Java ModelCoders, Prism). */
export const RUNNER_KNOWN_CODERS: ReadonlySet<string> = new Set([
  "beam:coder:bytes:v1",
  "beam:coder:bool:v1",
  "beam:coder:varint:v1",
  "beam:coder:string_utf8:v1",
  "beam:coder:iterable:v1",
  "beam:coder:timer:v1",
  "beam:coder:kv:v1",
  "beam:coder:length_prefix:v1",
  "beam:coder:global_window:v1",
  "beam:coder:interval_window:v1",
  "beam:coder:windowed_value:v1",
  "beam:coder:double:v1",
  "beam:coder:param_windowed_value:v1",
]);

const LENGTH_PREFIX = "beam:coder:length_prefix:v1";

/** Coders by id, deduplicated by structure; ids are assigned in order of first use. */
export class CoderTable {
  readonly coders: Record<string, rapi.Coder> = {};
  private readonly ids = new Map<string, string>();

  constructor(private readonly prefix = "c") {}

  /** Adds a coder tree (length-prefixing what runners cannot parse) and returns its id. */
  add(coder: Coder<unknown>, underLengthPrefix = false): string {
    if (!underLengthPrefix && !RUNNER_KNOWN_CODERS.has(coder.urn)) {
      return this.addSpec(LENGTH_PREFIX, [this.add(coder, true)]);
    }
    const inner = underLengthPrefix || coder.urn === LENGTH_PREFIX;
    const components = coder.components.map((c) => this.add(c, inner));
    return this.addSpec(coder.urn, components, coder.payload);
  }

  /** Adds a coder given by URN and component ids. */
  addSpec(urn: string, componentIds: readonly string[], payload?: Uint8Array): string {
    const key = `${urn}(${componentIds.join(",")})${payload !== undefined && payload.length > 0 ? Buffer.from(payload).toString("hex") : ""}`;
    const existing = this.ids.get(key);
    if (existing !== undefined) return existing;
    const id = `${this.prefix}${this.ids.size}`;
    this.ids.set(key, id);
    this.coders[id] = { spec: { urn, payload: payload ?? new Uint8Array(0) }, componentCoderIds: [...componentIds] };
    return id;
  }
}
