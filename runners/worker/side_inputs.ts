/**
 * Side inputs over the State API: before an element reaches a ParDo, the windows of the side
 * inputs it may read are fetched and added to the executor's SideInputReader. Beamline's
 * translation asks for every view, maps included, with the iterable access pattern (all values
 * in one paged fetch); a descriptor asking for the multimap pattern is still served (keys, then
 * each key's values). A bounded side input is immutable for
 * the job, so what was fetched stays cached for later bundles of the same descriptor; an
 * unbounded one only while the runner sends the same side-input cache token (it may change
 * otherwise, e.g. a triggered global window), else it is fetched again in every bundle.
 */
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, encodeToBytes } from "../../lib/coders/index";
import type { SideInput } from "../../lib/model/side_inputs";
import { BoundedWindow, ElementMeta, kv, MIN_TIMESTAMP, NO_FIRING, WindowedValue } from "../../lib/model/window";
import type { MaybePromise, Receiver } from "../executor/receiver";
import { fnapi, rapi, runnerApi } from "../portable/protos";
import { URNS } from "../portable/urns";
import type { StateChannel } from "./state_channel";

/** One side input of one ParDo, as the PBD describes it. */
export interface SideInputSource {
  readonly view: SideInput<unknown>;
  readonly localName: string;
  readonly multimap: boolean;
  /** The side PCollection's element coder (KV for multimap) and window coder, from the PBD. */
  readonly elementCoder: Coder<unknown>;
  readonly windowCoder: Coder<unknown>;
  /** The array the SideInputReader reads for this view. */
  readonly contents: WindowedValue<unknown>[];
  /** Whether the side PCollection is bounded (then its contents never change). */
  readonly bounded: boolean;
}

/** The cache tokens of a bundle (ProcessBundleRequest.cache_tokens), as strings. */
export interface BundleCacheTokens {
  readonly userState: string | undefined;
  sideInput(transformId: string, sideInputId: string): string | undefined;
}

export const NO_CACHE_TOKENS: BundleCacheTokens = { userState: undefined, sideInput: () => undefined };

/** The tokens of a ProcessBundleRequest. */
export function cacheTokensOf(tokens: readonly fnapi.ProcessBundleRequest_CacheToken[]): BundleCacheTokens {
  if (tokens.length === 0) return NO_CACHE_TOKENS;
  let userState: string | undefined;
  const sides = new Map<string, string>();
  for (const t of tokens) {
    const token = Buffer.from(t.token).toString("hex");
    if (t.type.oneofKind === "userState") userState = token;
    else if (t.type.oneofKind === "sideInput") sides.set(`${t.type.sideInput.transformId}|${t.type.sideInput.sideInputId}`, token);
  }
  return { userState, sideInput: (transformId, sideInputId) => sides.get(`${transformId}|${sideInputId}`) };
}

/** How a loader learns that a bundle started, and tells its reader that fetched windows were dropped. */
export interface SideInputCaching {
  cacheTokens(): BundleCacheTokens;
  onRefetch(): void;
}

/** What building side-input sources needs from the bundle processor. */
export interface SideInputDescriptorView {
  readonly descriptor: fnapi.ProcessBundleDescriptor;
  coder(id: string): Coder<unknown>;
  elementCoder(pcollId: string): Coder<unknown>;
}

/** The side inputs of a ParDo as its descriptor entry wires them (local names side0, side1, ...). */
export function sideInputSources(
  view: SideInputDescriptorView,
  t: rapi.PTransform,
  payload: rapi.ParDoPayload,
  views: readonly SideInput<unknown>[],
): SideInputSource[] {
  const sources: SideInputSource[] = [];
  for (const [local, si] of Object.entries(payload.sideInputs)) {
    const sideView = views[Number(local.replace(/^side/, ""))];
    if (sideView === undefined) throw new Error(`ParDo '${t.uniqueName}' has no side input ${local} in the rebuilt pipeline`);
    const pc = view.descriptor.pcollections[t.inputs[local]!]!;
    const ws = view.descriptor.windowingStrategies[pc.windowingStrategyId]!;
    sources.push({
      view: sideView,
      localName: local,
      multimap: si.accessPattern?.urn === URNS.sideInputMultimap,
      elementCoder: view.elementCoder(t.inputs[local]!),
      windowCoder: view.coder(ws.windowCoderId),
      contents: [],
      bounded: pc.isBounded !== runnerApi.IsBounded_Enum.UNBOUNDED,
    });
  }
  return sources;
}

function decodeAll(coder: Coder<unknown>, bytes: Uint8Array): unknown[] {
  const r = new ByteReader(bytes);
  const out: unknown[] = [];
  while (!r.atEnd()) out.push(coder.decode(r, "nested"));
  return out;
}

/** Fetches side-input windows on demand, then passes the element on. */
export class SideInputLoader implements Receiver {
  private readonly loaded = new Set<string>();
  /** Fetches under way, by `localName|window id`. */
  private readonly fetching = new Map<string, Promise<void>>();
  private readonly tokens = new Map<string, string | undefined>();

  constructor(
    private readonly transformId: string,
    private readonly sources: readonly SideInputSource[],
    private readonly state: () => StateChannel,
    private readonly instructionId: () => string,
    private readonly next: Receiver,
    private readonly caching?: SideInputCaching,
  ) {}

  /** A bundle starts: drops what was fetched of an unbounded side input unless its cache token is unchanged. */
  beginBundle(): void {
    if (this.caching === undefined) return;
    const tokens = this.caching.cacheTokens();
    let dropped = false;
    for (const source of this.sources) {
      const token = tokens.sideInput(this.transformId, source.localName);
      const keep = source.bounded || (token !== undefined && token === this.tokens.get(source.localName));
      this.tokens.set(source.localName, token);
      if (keep) continue;
      for (const id of [...this.loaded]) if (id.startsWith(`${source.localName}|`)) this.loaded.delete(id);
      if (source.contents.length > 0) {
        source.contents.length = 0;
        dropped = true;
      }
    }
    if (dropped) this.caching.onRefetch();
  }

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const loading = this.ensureLoaded(meta.windows);
    if (loading === undefined) return this.next.receive(value, meta);
    return loading.then(() => this.next.receive(value, meta));
  }

  /** Fetches the side-input windows that main-input `windows` read, if not fetched yet (undefined: all there). */
  ensureLoaded(windows: readonly BoundedWindow[]): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const w of windows) {
      for (const source of this.sources) {
        const sideWindow = source.view.pcoll.windowing.windowFn.sideInputWindow(w);
        const id = `${source.localName}|${sideWindow.id()}`;
        if (this.loaded.has(id)) continue;
        // Elements that a fused upstream step emits in one call arrive here before the first
        // one's fetch returns: they wait for that fetch rather than each fetching (and appending)
        // the window again.
        let fetch = this.fetching.get(id);
        if (fetch === undefined) {
          fetch = this.load(source, sideWindow, id).finally(() => this.fetching.delete(id));
          this.fetching.set(id, fetch);
        }
        (waits ??= []).push(fetch);
      }
    }
    if (waits === undefined) return undefined;
    return Promise.all(waits).then(() => undefined);
  }

  private async load(source: SideInputSource, window: BoundedWindow, id: string): Promise<void> {
    const windowBytes = encodeToBytes(source.windowCoder, window, "nested");
    const base = { transformId: this.transformId, sideInputId: source.localName, window: windowBytes };
    const get = (key: fnapi.StateKey): Promise<Uint8Array> => this.state().get(this.instructionId(), key);
    const add = (value: unknown): void => {
      source.contents.push({ value, timestamp: MIN_TIMESTAMP, windows: [window], pane: NO_FIRING });
    };
    if (!source.multimap) {
      const bytes = await get({ type: { oneofKind: "iterableSideInput", iterableSideInput: base } });
      for (const v of decodeAll(source.elementCoder, bytes)) add(v);
    } else {
      const [keyCoder, valueCoder] = source.elementCoder.components as [Coder<unknown>, Coder<unknown>];
      const keyBytes = await get({ type: { oneofKind: "multimapKeysSideInput", multimapKeysSideInput: base } });
      const r = new ByteReader(keyBytes);
      while (!r.atEnd()) {
        const start = r.offset;
        const key = keyCoder.decode(r, "nested");
        const encodedKey = keyBytes.subarray(start, r.offset);
        const values = await get({ type: { oneofKind: "multimapSideInput", multimapSideInput: { ...base, key: encodedKey } } });
        for (const v of decodeAll(valueCoder, values)) add(kv(key, v));
      }
    }
    this.loaded.add(id);
  }
}
