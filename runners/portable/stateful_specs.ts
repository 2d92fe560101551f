/**
 * The state cells and timers a stateful DoFn declares, found on the DoFn instance: a stateful
 * DoFn declares them as fields (`readonly buffer = StateSpec.bag("buffer")`), so every own
 * property whose value is a StateSpec or a TimerSpec counts. Translation writes them into the
 * ParDoPayload; the SDK harness uses the same list to know which cells to load for a key.
 */
import { PipelineConstructionError } from "../../lib/model/errors";
import { isStatefulDoFn, StateSpec, TimerSpec } from "../../lib/model/state";

/** The declared state and timers of one DoFn, in declaration order. */
export interface DeclaredStateAndTimers {
  readonly states: readonly StateSpec<unknown>[];
  readonly timers: readonly TimerSpec[];
}

const STATE_KINDS: ReadonlySet<string> = new Set(["value", "bag", "combining", "map"]);

function isStateSpec(v: unknown): v is StateSpec<unknown> {
  if (typeof v !== "object" || v === null) return false;
  const s = v as { kind?: unknown; name?: unknown };
  return typeof s.kind === "string" && STATE_KINDS.has(s.kind) && typeof s.name === "string";
}

function isTimerSpec(v: unknown): v is TimerSpec {
  if (typeof v !== "object" || v === null) return false;
  const t = v as { domain?: unknown; name?: unknown };
  return typeof t.name === "string" && (t.domain === "EVENT_TIME" || t.domain === "PROCESSING_TIME");
}

/** The state and timers of `doFn` (empty lists when it is not stateful). */
export function declaredStateAndTimers(doFn: unknown, transformName: string): DeclaredStateAndTimers {
  if (!isStatefulDoFn(doFn)) return { states: [], timers: [] };
  const states: StateSpec<unknown>[] = [];
  const timers: TimerSpec[] = [];
  const names = new Map<string, string>();
  const claim = (name: string, field: string): void => {
    const other = names.get(name);
    if (other !== undefined) {
      throw new PipelineConstructionError(
        `Stateful DoFn fields '${other}' and '${field}' both declare the state or timer name '${name}'; give each StateSpec and TimerSpec its own name`,
        transformName,
      );
    }
    names.set(name, field);
  };
  for (const [field, value] of Object.entries(doFn as object)) {
    if (isStateSpec(value)) {
      claim(value.name, field);
      if (value.kind === "combining" && value.combineFn === undefined) {
        throw new PipelineConstructionError(`Combining state '${value.name}' has no CombineFn; declare it with StateSpec.combining(name, combineFn)`, transformName);
      }
      states.push(value);
    } else if (isTimerSpec(value)) {
      claim(value.name, field);
      timers.push(value);
    }
  }
  return { states, timers };
}
