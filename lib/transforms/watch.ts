/**
 * Termination conditions of continuous polling: when to stop watching one input (Beam Java's
 * `Watch.Growth.TerminationCondition` and its factories `never()`, `afterTotalOf(d)`,
 * `afterTimeSinceNewOutput(d)`, `eitherOf(a, b)`, `allOf(a, b)`). Beamline adds
 * `afterIterations(n)` (not in Beam): stop after n polls.
 *
 * A condition is plain data, and so is its state: each watched input gets a fresh state when its
 * first poll runs (`forNewInput`), updated after each poll (`onSeenNewOutput` when the poll found
 * something new, then `onPollComplete`), and asked `canStopPolling` after each poll, as Beam's
 * Watch does. The state travels in the watch's restriction, so it is checkpointed and restored
 * with the memory of what was already output. Times are the processing time of the poll
 * (virtual under TestStream); durations are compared as Beam's `Duration.isLongerThan`
 * (strictly longer).
 *
 *     FileIO.matchAll().continuously({ intervalMillis: 30_000, terminationCondition: Watch.Growth.afterTimeSinceNewOutput(3_600_000) })
 */
import { ValidationError } from "../model/errors";
import type { Instant } from "../model/window";

/** When to stop polling one input; build it with `Watch.Growth`'s factories. */
export type TerminationCondition =
  | {
      /** `Watch.Growth.never()`. */
      readonly kind: "never";
    }
  | {
      /** `Watch.Growth.afterTotalOf(millis)` or `afterTimeSinceNewOutput(millis)`. */
      readonly kind: "afterTotalOf" | "afterTimeSinceNewOutput";
      /** The duration, in milliseconds. */
      readonly millis: number;
    }
  | {
      /** `Watch.Growth.afterIterations(iterations)`. */
      readonly kind: "afterIterations";
      /** The number of polls. */
      readonly iterations: number;
    }
  | {
      /** `Watch.Growth.eitherOf(first, second)` or `allOf(first, second)`. */
      readonly kind: "eitherOf" | "allOf";
      /** The first condition combined. */
      readonly first: TerminationCondition;
      /** The second condition combined. */
      readonly second: TerminationCondition;
    };

/**
 * A condition's state for one input: `never` 0; `afterTotalOf` the time of the first poll;
 * `afterTimeSinceNewOutput` the time of the last poll that found something new (null: none yet);
 * `afterIterations` the polls done; `eitherOf`/`allOf` the pair of their conditions' states.
 */
export type TerminationState = number | null | readonly [TerminationState, TerminationState];

function millisOf(what: string, millis: number): number {
  if (!(Number.isSafeInteger(millis) && millis >= 0)) throw new ValidationError(`Watch.Growth.${what}: the duration must be a whole number of milliseconds, 0 or more, got ${String(millis)}`);
  return millis;
}

function checkCondition(what: string, c: TerminationCondition): TerminationCondition {
  const kinds = ["never", "afterTotalOf", "afterTimeSinceNewOutput", "afterIterations", "eitherOf", "allOf"];
  if (c === null || typeof c !== "object" || !kinds.includes((c as { kind: string }).kind)) {
    throw new ValidationError(`Watch.Growth.${what}: ${String(c)} is not a termination condition; build one with Watch.Growth.never(), afterTotalOf(ms), afterTimeSinceNewOutput(ms), afterIterations(n), eitherOf(a, b) or allOf(a, b)`);
  }
  return c;
}

/** Beam Java's `Watch.Growth` termination conditions (and Beamline's `afterIterations`). */
export const Growth = {
  /** Never stops: polls each input until the pipeline is drained or cancelled (Beam's `never()`). */
  never: (): TerminationCondition => ({ kind: "never" }),
  /** Stops once more than `millis` have passed since the input's first poll (Beam's `afterTotalOf(duration)`). */
  afterTotalOf: (millis: number): TerminationCondition => ({ kind: "afterTotalOf", millis: millisOf("afterTotalOf", millis) }),
  /**
   * Stops once more than `millis` have passed since the last poll that found a new output (Beam's
   * `afterTimeSinceNewOutput(duration)`); an input that never had an output is polled on.
   */
  afterTimeSinceNewOutput: (millis: number): TerminationCondition => ({ kind: "afterTimeSinceNewOutput", millis: millisOf("afterTimeSinceNewOutput", millis) }),
  /** Stops after `iterations` polls of the input (a Beamline addition: Beam Java has no such condition). */
  afterIterations: (iterations: number): TerminationCondition => {
    if (!(Number.isSafeInteger(iterations) && iterations > 0)) throw new ValidationError(`Watch.Growth.afterIterations: the number of polls must be a positive whole number, got ${String(iterations)}`);
    return { kind: "afterIterations", iterations };
  },
  /** Stops when either condition holds (Beam's `eitherOf(first, second)`). */
  eitherOf: (first: TerminationCondition, second: TerminationCondition): TerminationCondition => ({ kind: "eitherOf", first: checkCondition("eitherOf", first), second: checkCondition("eitherOf", second) }),
  /** Stops when both conditions hold (Beam's `allOf(first, second)`). */
  allOf: (first: TerminationCondition, second: TerminationCondition): TerminationCondition => ({ kind: "allOf", first: checkCondition("allOf", first), second: checkCondition("allOf", second) }),
} as const;

/** Beam Java's `Watch`: here its `Growth` termination conditions (the polling transforms are FileIO's `continuously`). */
export const Watch = { Growth } as const;

/** Checks that `c` is a termination condition (the error names `where`). */
export function validateTerminationCondition(where: string, c: TerminationCondition): void {
  checkCondition(where, c);
  if (c.kind === "eitherOf" || c.kind === "allOf") {
    validateTerminationCondition(where, c.first);
    validateTerminationCondition(where, c.second);
  }
}

function pair(s: TerminationState): readonly [TerminationState, TerminationState] {
  return s as readonly [TerminationState, TerminationState];
}

/** The state of a newly watched input, its first poll at `now` (Beam's `forNewInput`). */
export function forNewInput(c: TerminationCondition, now: Instant): TerminationState {
  switch (c.kind) {
    case "never":
    case "afterIterations":
      return 0;
    case "afterTotalOf":
      return now;
    case "afterTimeSinceNewOutput":
      return null;
    default:
      return [forNewInput(c.first, now), forNewInput(c.second, now)];
  }
}

/** The state after a poll at `now` found a new output (Beam's `onSeenNewOutput`). */
export function onSeenNewOutput(c: TerminationCondition, now: Instant, s: TerminationState): TerminationState {
  switch (c.kind) {
    case "afterTimeSinceNewOutput":
      return now;
    case "eitherOf":
    case "allOf":
      return [onSeenNewOutput(c.first, now, pair(s)[0]), onSeenNewOutput(c.second, now, pair(s)[1])];
    default:
      return s;
  }
}

/** The state after each poll, new outputs or not (counts polls for `afterIterations`). */
export function onPollComplete(c: TerminationCondition, s: TerminationState): TerminationState {
  switch (c.kind) {
    case "afterIterations":
      return (s as number) + 1;
    case "eitherOf":
    case "allOf":
      return [onPollComplete(c.first, pair(s)[0]), onPollComplete(c.second, pair(s)[1])];
    default:
      return s;
  }
}

/** Whether polling the input can stop at `now` (Beam's `canStopPolling`). */
export function canStopPolling(c: TerminationCondition, now: Instant, s: TerminationState): boolean {
  switch (c.kind) {
    case "never":
      return false;
    case "afterTotalOf":
      return now - (s as number) > c.millis;
    case "afterTimeSinceNewOutput":
      return s !== null && now - (s as number) > c.millis;
    case "afterIterations":
      return (s as number) >= c.iterations;
    case "eitherOf":
      return canStopPolling(c.first, now, pair(s)[0]) || canStopPolling(c.second, now, pair(s)[1]);
    case "allOf":
      return canStopPolling(c.first, now, pair(s)[0]) && canStopPolling(c.second, now, pair(s)[1]);
  }
}
