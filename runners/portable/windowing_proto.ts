/**
 * Windowing strategies as Beam protos (BEAM_PORTABILITY.md §1.3): the window fn with its
 * standard payload (standard_window_fns.proto), merge status, the Trigger tree, accumulation
 * mode, allowed lateness, output time (timestamp combiner), closing and on-time behaviour.
 *
 * The streaming DirectRunner's semantics decide the fixed fields: a window that expires with
 * unfired data emits it once more (EMIT_IF_NONEMPTY); an on-time pane is emitted even when empty
 * (FIRE_ALWAYS) unless the strategy says FIRE_IF_NON_EMPTY. A grouping's output keeps its
 * input's strategy, trigger included (as Beam Python; no continuation triggers), so a runner
 * fires a second grouping with the same trigger the DirectRunner does.
 */
import type { Trigger } from "../../lib/model/triggers";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { rapi, runnerApi, windowFnsApi } from "./protos";
import { SDK_ENV_ID, URNS } from "./urns";

function durationOf(ms: number): { seconds: bigint; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Milliseconds of a google.protobuf.Duration / Timestamp. */
export function millisOf(d: { seconds: bigint; nanos: number } | undefined): number {
  return d === undefined ? 0 : Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

/** The FunctionSpec of a window function (standard payloads for the standard ones). */
export function windowFnSpec(w: WindowingStrategy["windowFn"]): rapi.FunctionSpec {
  const c = w.config;
  let payload: Uint8Array = new Uint8Array(0);
  if (w.urn === URNS.fixedWindows) {
    payload = windowFnsApi.FixedWindowsPayload.toBinary({ size: durationOf(c["sizeMillis"] ?? 0), offset: durationOf(c["offsetMillis"] ?? 0) });
  } else if (w.urn === URNS.slidingWindows) {
    payload = windowFnsApi.SlidingWindowsPayload.toBinary({
      size: durationOf(c["sizeMillis"] ?? 0),
      offset: durationOf(c["offsetMillis"] ?? 0),
      period: durationOf(c["periodMillis"] ?? 0),
    });
  } else if (w.urn === URNS.sessionWindows) {
    payload = windowFnsApi.SessionWindowsPayload.toBinary({ gapSize: durationOf(c["gapMillis"] ?? 0) });
  } else if (w.urn !== URNS.globalWindows) {
    throw new Error(
      `Window function ${w.urn} has no standard Beam payload, so no portable runner can run it; use GlobalWindows, FixedWindows, SlidingWindows or Sessions`,
    );
  }
  return { urn: w.urn, payload };
}

/** The Trigger proto of a trigger tree (absent means Beam's default trigger). */
export function triggerProto(t: Trigger | undefined): rapi.Trigger {
  if (t === undefined) return { trigger: { oneofKind: "default", default: {} } };
  switch (t.kind) {
    case "default":
      return { trigger: { oneofKind: "default", default: {} } };
    case "afterWatermark":
      return {
        trigger: {
          oneofKind: "afterEndOfWindow",
          afterEndOfWindow: {
            ...(t.early !== undefined ? { earlyFirings: triggerProto(t.early) } : {}),
            ...(t.late !== undefined ? { lateFirings: triggerProto(t.late) } : {}),
          },
        },
      };
    case "afterProcessingTime":
      return {
        trigger: {
          oneofKind: "afterProcessingTime",
          // In order: the delay, then the alignment (Beam Java's plusDelayOf(d).alignedTo(p, o)).
          afterProcessingTime: {
            timestampTransforms: [
              { timestampTransform: { oneofKind: "delay", delay: { delayMillis: BigInt(t.delayMillis) } } },
              ...(t.alignedTo !== undefined
                ? [{ timestampTransform: { oneofKind: "alignTo" as const, alignTo: { period: BigInt(t.alignedTo.periodMillis), offset: BigInt(t.alignedTo.offsetMillis ?? 0) } } }]
                : []),
            ],
          },
        },
      };
    case "afterCount":
      return { trigger: { oneofKind: "elementCount", elementCount: { elementCount: t.count } } };
    case "repeatedly":
      return { trigger: { oneofKind: "repeat", repeat: { subtrigger: triggerProto(t.trigger) } } };
    case "afterFirst":
      return { trigger: { oneofKind: "afterAny", afterAny: { subtriggers: t.triggers.map(triggerProto) } } };
    case "afterAll":
      return { trigger: { oneofKind: "afterAll", afterAll: { subtriggers: t.triggers.map(triggerProto) } } };
    case "afterEach":
      return { trigger: { oneofKind: "afterEach", afterEach: { subtriggers: t.triggers.map(triggerProto) } } };
    case "orFinally":
      return { trigger: { oneofKind: "orFinally", orFinally: { main: triggerProto(t.main), finally: triggerProto(t.finally) } } };
    case "never":
      return { trigger: { oneofKind: "never", never: {} } };
  }
}

/** Whether every element lands in exactly one window (Beam's assigns_to_one_window). */
function assignsToOneWindow(w: WindowingStrategy["windowFn"]): boolean {
  if (w.urn === URNS.slidingWindows) return (w.config["periodMillis"] ?? 0) >= (w.config["sizeMillis"] ?? 0);
  return w.urn === URNS.globalWindows || w.urn === URNS.fixedWindows || w.urn === URNS.sessionWindows;
}

/** The WindowingStrategy proto of `w`, with `windowCoderId` already in the coder table. */
export function windowingProto(w: WindowingStrategy, windowCoderId: string): rapi.WindowingStrategy {
  const E = runnerApi;
  return runnerApi.WindowingStrategy.create({
    windowFn: windowFnSpec(w.windowFn),
    mergeStatus: w.windowFn.isMerging ? E.MergeStatus_Enum.NEEDS_MERGE : E.MergeStatus_Enum.NON_MERGING,
    windowCoderId,
    trigger: triggerProto(w.trigger),
    accumulationMode: w.accumulationMode === "ACCUMULATING" ? E.AccumulationMode_Enum.ACCUMULATING : E.AccumulationMode_Enum.DISCARDING,
    outputTime:
      w.timestampCombiner === "EARLIEST"
        ? E.OutputTime_Enum.EARLIEST_IN_PANE
        : w.timestampCombiner === "LATEST"
          ? E.OutputTime_Enum.LATEST_IN_PANE
          : E.OutputTime_Enum.END_OF_WINDOW,
    closingBehavior: w.closingBehavior === "FIRE_ALWAYS" ? E.ClosingBehavior_Enum.EMIT_ALWAYS : E.ClosingBehavior_Enum.EMIT_IF_NONEMPTY,
    allowedLateness: BigInt(w.allowedLatenessMillis),
    onTimeBehavior: w.onTimeBehavior === "FIRE_IF_NON_EMPTY" ? E.OnTimeBehavior_Enum.FIRE_IF_NONEMPTY : E.OnTimeBehavior_Enum.FIRE_ALWAYS,
    assignsToOneWindow: assignsToOneWindow(w.windowFn),
    environmentId: SDK_ENV_ID,
  });
}
