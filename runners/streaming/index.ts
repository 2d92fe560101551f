/** The DirectRunner's streaming driver (unbounded sources, watermarks, triggers, state and timers). */
export { runStreaming, StreamingExecution, BUNDLE_SIZE } from "./driver";
export type { StreamingSettings } from "./execution_state";
export { needsStreaming } from "./graph";
export { isStreamingResult, StreamingResult } from "./result";
export type { StreamingPipelineResult } from "./result";
export { DROPPED_LATE, DROPPED_CLOSED } from "./grouping";
