/**
 * LogElements and Tee (Beam Python's `beam.LogElements` and `beam.Tee`, apache_beam/transforms/util.py).
 *
 *     words.apply(LogElements.of({ prefix: "word: ", withTimestamp: true, withWindow: true, level: "info" }))
 *     words.apply(Tee.of(WriteToText.of({ path }), (pc) => pc.apply(Count.globally())))   // words, unchanged
 */
import { inspect } from "node:util";
import type { Coder } from "../coders/coder";
import { DoFn, type ProcessContext } from "../model/dofn";
import { PipelineConstructionError, previewValue } from "../model/errors";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { PTransform, type POutput } from "../model/transform";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, IntervalWindow, MAX_TIMESTAMP, MIN_TIMESTAMP, type BoundedWindow, type Instant } from "../model/window";

/** Where a line goes: Beam's logging levels, each a `console` method (which the portable worker forwards with that severity). */
export type LogLevel = "debug" | "info" | "warning" | "error" | "critical";

/** LogElements' options (Beam Python's arguments, in camelCase). */
export interface LogElementsOptions {
  /** Put before each element (default ""). */
  readonly prefix?: string;
  /** Add the element's timestamp: `, timestamp='<RFC 3339>'`, as Beam Python's (`2022-10-01T00:00:00Z`, `...00.250000Z`; default false). */
  readonly withTimestamp?: boolean;
  /** Add the element's window: `, window(start=<RFC 3339>, end=<RFC 3339>)`, or `, window=GlobalWindow` (default false). */
  readonly withWindow?: boolean;
  /** Log at this level (console.debug, info, warn, error; critical is error); unset: print to stdout (console.log), as Beam's `print`. */
  readonly level?: LogLevel;
  /** Times as epoch seconds instead of RFC 3339 (Beam's `use_epoch_time`; default false). */
  readonly useEpochTime?: boolean;
}

const LEVELS: Record<LogLevel, (line: string) => void> = {
  debug: (line) => console.debug(line),
  info: (line) => console.info(line),
  warning: (line) => console.warn(line),
  error: (line) => console.error(line),
  critical: (line) => console.error(line),
};

/** An element as Python's str() would show it: strings as they are, anything else on one line. */
function show(element: unknown): string {
  return typeof element === "string" ? element : inspect(element, { breakLength: Infinity, depth: 6 });
}

/** Instants past a JavaScript Date's range (±8.64e15 ms), by the names Beamline exports for them. */
const NAMED_INSTANTS: ReadonlyMap<Instant, string> = new Map([
  [MIN_TIMESTAMP, "MIN_TIMESTAMP"],
  [MAX_TIMESTAMP, "MAX_TIMESTAMP"],
  [GLOBAL_WINDOW_MAX_TIMESTAMP, "GLOBAL_WINDOW_MAX_TIMESTAMP"],
]);

/**
 * An instant as Beam Python's `Timestamp.to_rfc3339()` writes it: `2022-10-01T00:00:00Z` for a
 * whole second, `2022-10-01T00:00:00.250000Z` (microseconds) otherwise. Instants a Date cannot
 * hold (Create's MIN_TIMESTAMP, the end of the global window) by name, or else as epoch seconds.
 */
export function rfc3339(t: Instant): string {
  const named = NAMED_INSTANTS.get(t);
  if (named !== undefined) return named;
  const date = new Date(t);
  if (Number.isNaN(date.getTime())) return String(t / 1000);
  const iso = date.toISOString();
  const millis = ((t % 1000) + 1000) % 1000;
  const seconds = iso.slice(0, iso.lastIndexOf("."));
  return millis === 0 ? `${seconds}Z` : `${seconds}.${String(Math.round(millis * 1000)).padStart(6, "0")}Z`;
}

/** The line LogElements logs for an element (exported for tests). */
export function logLine(element: unknown, timestamp: Instant, window: BoundedWindow, options: LogElementsOptions): string {
  const time = (t: Instant): string => (options.useEpochTime === true ? String(t / 1000) : rfc3339(t));
  let line = (options.prefix ?? "") + show(element);
  if (options.withTimestamp === true) line += options.useEpochTime === true ? `, timestamp=${time(timestamp)}` : `, timestamp='${time(timestamp)}'`;
  if (options.withWindow === true) {
    line += window instanceof IntervalWindow ? `, window(start=${time(window.start)}, end=${time(window.end)})` : ", window=GlobalWindow";
  }
  return line;
}

class LoggingFn<T> extends DoFn<T, T> {
  constructor(private readonly options: LogElementsOptions) {
    super();
  }

  process(element: T, ctx: ProcessContext<T>): void {
    const line = logLine(element, ctx.timestamp, ctx.window, this.options);
    const level = this.options.level;
    if (level === undefined) console.log(line);
    else LEVELS[level](line);
    ctx.output(element);
  }
}

/** Logs each element (with its timestamp and window if asked) and passes it on unchanged. */
export class LogElements<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private constructor(private readonly options: LogElementsOptions) {
    super("LogElements");
  }

  /** `LogElements.of({ prefix, withTimestamp, withWindow, level })`; every option may be left out. */
  static of<T>(options: LogElementsOptions = {}): LogElements<T> {
    if (options.level !== undefined && !Object.hasOwn(LEVELS, options.level)) {
      throw new PipelineConstructionError(`LogElements: level ${previewValue(options.level)} is not one of ${Object.keys(LEVELS).join(", ")}; leave it unset to print to stdout`);
    }
    return new LogElements<T>(options);
  }

  expand(input: PCollection<T>): PCollection<T> {
    const out = input.apply("ParDo(_LoggingFn)", ParDo.of(new LoggingFn<T>(this.options)));
    const coder: Coder<T> | undefined = input.coder;
    if (coder !== undefined) out.setCoder(coder);
    return out;
  }
}

/** A consumer of Tee: a transform applied to the input, or a function given it. */
export type TeeConsumer<T> = PTransform<PCollection<T>, POutput> | ((input: PCollection<T>) => unknown);

/** Applies each consumer to its input and returns the input itself, so a chain goes on past side branches. */
export class Tee<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private constructor(private readonly consumers: readonly TeeConsumer<T>[]) {
    super("Tee");
  }

  /** `Tee.of(consumer, ...)`: each a transform of the input, or a function of it. */
  static of<T>(...consumers: TeeConsumer<T>[]): Tee<T> {
    consumers.forEach((c, i) => {
      if (!(c instanceof PTransform) && typeof c !== "function") throw new PipelineConstructionError(`Tee: consumer ${i + 1} is ${previewValue(c)}; give a transform or a function of the input`);
    });
    return new Tee<T>(consumers);
  }

  expand(input: PCollection<T>): PCollection<T> {
    for (const c of this.consumers) {
      if (c instanceof PTransform) input.apply(c);
      else c(input);
    }
    return input;
  }
}
