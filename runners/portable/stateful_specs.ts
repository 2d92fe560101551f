/**
 * The state cells and timers a stateful DoFn declares (see lib/model/state.ts, where ParDo
 * validates them at construction): translation writes them into the ParDoPayload; the SDK
 * harness uses the same list to know which cells to load for a key.
 */
export { declaredStateAndTimers } from "../../lib/model/state";
export type { DeclaredStateAndTimers } from "../../lib/model/state";
