/**
 * Builds the state and timer backends of a stateful ParDo from its ProcessBundleDescriptor
 * entry: the PBD is authoritative for the key coder (the KV input's key component), the window
 * coder, the state coders (StateSpec) and the timer coders (TimerFamilySpec); the DoFn and the
 * kinds of its cells come from the rebuilt pipeline.
 */
import type { Coder } from "../../lib/coders/coder";
import { TimerCoder, type Timer } from "../../lib/coders/index";
import type { BoundedWindow } from "../../lib/model/window";
import type { StatefulDoFn } from "../../lib/model/state";
import type { OutputTags } from "../../lib/model/dofn";
import { fnapi, rapi, runnerApi } from "../portable/protos";
import { declaredStateAndTimers } from "../portable/stateful_specs";
import type { BundleServices } from "./bundle_processor";
import { FnStateBackend, FnTimerBackend } from "./fn_state";
import type { BundleCacheTokens } from "./side_inputs";
import { TimerFamily, TimerOutputs } from "./timers";
import type { CellSpec } from "./user_state_cells";
import { UserStateStore } from "./user_state";

/** What building the backends needs from the BundleProcessor. */
export interface DescriptorView {
  readonly descriptor: fnapi.ProcessBundleDescriptor;
  /** The descriptor's coder `id`, with the JS values of `like` (the SDK's coder for it) where the two agree. */
  coder(id: string, like?: Coder<unknown>): Coder<unknown>;
  elementCoder(pcollId: string): Coder<unknown>;
  /** The cache tokens the runner sent with the running bundle. */
  cacheTokens(): BundleCacheTokens;
}

/** The backends of a stateful ParDo, and where the runner sends its timers. */
export interface FnStatefulBackends {
  readonly state: FnStateBackend;
  readonly timers: FnTimerBackend;
  readonly families: readonly TimerFamily[];
  /** The data-plane endpoint of the timer streams. */
  readonly timerUrl: string;
}

export function statefulBackends(
  view: DescriptorView,
  services: BundleServices,
  transformId: string,
  t: rapi.PTransform,
  payload: rapi.ParDoPayload,
  name: string,
  doFn: StatefulDoFn<unknown, unknown, unknown, OutputTags>,
  instructionId: () => string,
): FnStatefulBackends {
  const fail = (what: string): Error => new Error(`Stateful ParDo '${name}' (transform ${transformId}): ${what}`);
  // The keyed main input is the one input that is not a side input: a descriptor's inputs are a
  // proto map, which runners such as Prism send in no particular order.
  const mainInput = Object.entries(t.inputs).find(([local]) => !(local in payload.sideInputs))?.[1];
  if (mainInput === undefined) throw fail("the transform has no main input in the descriptor");
  const kvCoder = view.elementCoder(mainInput);
  if (kvCoder.urn !== "beam:coder:kv:v1" || kvCoder.components.length !== 2) {
    throw fail(`its input ${mainInput} has coder ${kvCoder.urn}, not beam:coder:kv:v1; stateful DoFns read KV elements`);
  }
  const keyCoder = kvCoder.components[0]!;
  const pc = view.descriptor.pcollections[mainInput]!;
  const ws = view.descriptor.windowingStrategies[pc.windowingStrategyId];
  if (ws === undefined) throw fail(`the descriptor has no windowing strategy ${pc.windowingStrategyId}`);
  const windowCoder = view.coder(ws.windowCoderId);

  const declared = declaredStateAndTimers(doFn, name);
  const cells: CellSpec[] = declared.states.map((s) => {
    const ps = payload.stateSpecs[s.name];
    if (ps === undefined) throw fail(`state '${s.name}' is declared by the DoFn but not in the descriptor's ParDoPayload; the worker runs a different program`);
    const sp = ps.spec;
    switch (sp.oneofKind) {
      case "readModifyWriteSpec":
        return { spec: s, coder: view.coder(sp.readModifyWriteSpec.coderId) };
      case "bagSpec":
        return { spec: s, coder: view.coder(sp.bagSpec.elementCoderId) };
      case "combiningSpec":
        return { spec: s, coder: view.coder(sp.combiningSpec.accumulatorCoderId) };
      case "mapSpec":
        return { spec: s, coder: view.coder(sp.mapSpec.valueCoderId), mapKeyCoder: view.coder(sp.mapSpec.keyCoderId) };
      case "setSpec":
        return { spec: s, coder: view.coder(sp.setSpec.elementCoderId) };
      case "orderedListSpec":
        return { spec: s, coder: view.coder(sp.orderedListSpec.elementCoderId) };
      default:
        throw fail(`state '${s.name}' has spec ${String(sp.oneofKind)}, which the Beamline SDK harness does not implement`);
    }
  });
  const families = new Map<string, TimerFamily>();
  for (const [id, fs] of Object.entries(payload.timerFamilySpecs)) {
    // Timers carry the input's key: decoded as the input's key coder decodes it (a bigint key stays a bigint).
    const coder = view.coder(fs.timerFamilyCoderId, new TimerCoder(keyCoder, windowCoder as Coder<BoundedWindow>));
    if (coder.urn !== "beam:coder:timer:v1") throw fail(`timer family '${id}' has coder ${coder.urn}, not beam:coder:timer:v1`);
    families.set(id, { id, domain: fs.timeDomain === runnerApi.TimeDomain_Enum.PROCESSING_TIME ? "PROCESSING_TIME" : "EVENT_TIME", coder: coder as Coder<Timer<unknown>> });
  }
  for (const timer of declared.timers) if (!families.has(timer.name)) throw fail(`timer '${timer.name}' is declared by the DoFn but not in the descriptor's ParDoPayload`);

  const stateUrl = view.descriptor.stateApiServiceDescriptor?.url ?? "";
  if (cells.length > 0 && stateUrl === "") throw fail("it uses user state but the descriptor has no state_api_service_descriptor");
  const timerUrl = view.descriptor.timerApiServiceDescriptor?.url ?? "";
  if (families.size > 0 && timerUrl === "") throw fail("it uses timers but the descriptor has no timer_api_service_descriptor");

  const store = new UserStateStore(transformId, name, cells, () => services.stateChannel(stateUrl), instructionId, services.userStateCache(transformId));
  const state = new FnStateBackend(keyCoder, windowCoder, store, () => view.cacheTokens().userState);
  const timers = new FnTimerBackend(name, state.windows, new TimerOutputs(transformId, families), () => services.dataChannel(timerUrl), instructionId);
  return { state, timers, families: [...families.values()], timerUrl };
}
