/**
 * Window fns from the runner API's FunctionSpecs: what the window primitives a runner asks the
 * SDK to execute (map_windows, merge_windows; their operators are in executor/window_operator.ts)
 * and WindowInto steps missing from the rebuilt pipeline are built from.
 */
import { FixedWindows, GlobalWindows, WindowFn } from "../../lib/model/windowing";
import { Sessions, SlidingWindows } from "../../lib/model/sliding_sessions";
import { rapi, runnerApi, windowFnsApi } from "../portable/protos";
import { URNS } from "../portable/urns";
import { millisOf } from "../portable/windowing_proto";

/** A standard window fn from its FunctionSpec; `where` names the transform for the error. */
export function windowFnFromSpec(fn: rapi.FunctionSpec | undefined, where: string): WindowFn {
  switch (fn?.urn) {
    case URNS.globalWindows:
      return new GlobalWindows();
    case URNS.fixedWindows: {
      const p = windowFnsApi.FixedWindowsPayload.fromBinary(fn.payload);
      return new FixedWindows(millisOf(p.size), millisOf(p.offset));
    }
    case URNS.slidingWindows: {
      const p = windowFnsApi.SlidingWindowsPayload.fromBinary(fn.payload);
      return new SlidingWindows(millisOf(p.size), millisOf(p.period), millisOf(p.offset));
    }
    case URNS.sessionWindows:
      return new Sessions(millisOf(windowFnsApi.SessionWindowsPayload.fromBinary(fn.payload).gapSize));
    default:
      throw new Error(`${where}: window fn '${fn?.urn ?? "(none)"}' is not one the Beamline harness can build (global, fixed, sliding or session windows)`);
  }
}

/**
 * The window fn of a side input's window mapping fn: Beamline's mapping fn carries the side
 * input's own window fn spec, whose `sideInputWindow` does the mapping (as on the DirectRunner).
 */
export function windowMappingFnFromSpec(spec: rapi.FunctionSpec | undefined, where: string): WindowFn {
  if (spec?.urn !== URNS.windowMappingFn) throw new Error(`${where}: window mapping fn '${spec?.urn ?? "(none)"}' is not Beamline's (${URNS.windowMappingFn})`);
  if (spec.payload.length === 0) {
    throw new Error(`${where}: the window mapping fn has no window fn; the pipeline was translated by an older Beamline — submit it again`);
  }
  return windowFnFromSpec(runnerApi.FunctionSpec.fromBinary(spec.payload), where);
}
