/**
 * The data-driven Beam model conformance cases (test/conformance/cases/*.json) and how to read
 * them. A case is a TestStream script through Window.into and a grouping, with the panes each
 * step of the script must fire:
 *
 *     {
 *       "name": "late data within the allowed lateness fires a late pane per bundle",
 *       "about": "Beam programming guide 8.4.1 (late data); ReduceFnRunnerTest.testOnlyOneOnTimePane",
 *       "windowing": { "windowFn": "fixed(10)", "trigger": "AfterWatermark(late=AfterCount(1))",
 *                      "accumulationMode": "DISCARDING", "allowedLateness": 20 },
 *       "grouping": "GroupByKey",                      // or "Sum" (Combine.perKey of a sum)
 *       "script": [
 *         { "add": ["a:1@1", "a:2@2"] },               // key:value@timestamp, one bundle
 *         { "watermark": 10, "fires": ["a [0,10) 1,2 @eow ON_TIME#0/0 first"] },
 *         { "processingTime": 5 },                     // advance virtual processing time by 5
 *         { "watermark": "inf", "fires": [] }          // the end: every window fires and expires
 *       ],
 *       "dropped": { "late": 0, "closed": 0 },
 *       "beamPython": { "differs": "why", "fires": [...], "error": true }   // optional, see beam_python.test.ts
 *     }
 *
 * A pane is "key window values @timestamp TIMING#index/onTimeIndex[ first][ last]": the window
 * is "[start,end)" or "global"; values are sorted numbers ("-" when empty) or the sum; the
 * timestamp is a number or "eow" (the window's end, its max timestamp). `fires` lists the panes
 * fired while that step of the script is processed (its bundle, then the timers its new clocks
 * make due). Units are milliseconds (the Beam Python check reads them as seconds).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AfterAll, AfterCount, AfterEach, AfterFirst, AfterProcessingTime, AfterWatermark, DefaultTrigger, Never, OrFinally, Repeatedly, Trigger } from "../../lib/model/triggers";
import { FixedWindows, GlobalWindows, WindowFn, AccumulationMode, ClosingBehavior, OnTimeBehavior, TimestampCombiner } from "../../lib/model/windowing";
import { Sessions, SlidingWindows } from "../../lib/model/sliding_sessions";
import { BoundedWindow, Instant, IntervalWindow, PaneInfo } from "../../lib/model/window";
import { Window } from "../../lib/model/primitives";

export interface CaseWindowing {
  readonly windowFn: string;
  readonly trigger?: string;
  readonly accumulationMode?: AccumulationMode;
  readonly allowedLateness?: number;
  readonly timestampCombiner?: TimestampCombiner;
  readonly onTimeBehavior?: OnTimeBehavior;
  readonly closingBehavior?: ClosingBehavior;
}

export type Step =
  | { readonly add: readonly string[]; readonly fires?: readonly string[] }
  | { readonly watermark: number | "inf"; readonly fires?: readonly string[] }
  | { readonly processingTime: number; readonly fires?: readonly string[] };

export interface ConformanceCase {
  readonly name: string;
  readonly about: string;
  readonly windowing: CaseWindowing;
  readonly grouping?: "GroupByKey" | "Sum";
  readonly script: readonly Step[];
  readonly dropped?: { readonly late?: number; readonly closed?: number };
  /**
   * Where Beam Python's runner gives another answer: why, its panes (all steps together; absent:
   * the same as ours), whether its runner then fails or hangs (`error`), or that the case cannot
   * be written for it (`skip`).
   */
  readonly beamPython?: { readonly differs: string; readonly fires?: readonly string[]; readonly error?: boolean; readonly skip?: boolean };
  /** Set by the loader: the file the case came from. */
  file?: string;
}

export const CASES_DIR = path.resolve(__dirname, "..", "..", "..", "test", "conformance", "cases");

/** Every case of every file, in file order. */
export function loadCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const f of fs.readdirSync(CASES_DIR).filter((n) => n.endsWith(".json")).sort()) {
    for (const c of JSON.parse(fs.readFileSync(path.join(CASES_DIR, f), "utf8")) as ConformanceCase[]) cases.push({ ...c, file: f });
  }
  return cases;
}

/** "fixed(10)", "fixed(10,2)", "sliding(10,5)", "sessions(10)", "global". */
export function parseWindowFn(s: string): WindowFn {
  const m = /^(\w+)(?:\(([^)]*)\))?$/.exec(s.replace(/\s+/g, ""));
  const args = m?.[2] ? m[2].split(",").map(Number) : [];
  switch (m?.[1]) {
    case "global":
      return new GlobalWindows();
    case "fixed":
      return new FixedWindows(args[0]!, args[1] ?? 0);
    case "sliding":
      return new SlidingWindows(args[0]!, args[1]!, args[2] ?? 0);
    case "sessions":
      return new Sessions(args[0]!);
  }
  throw new Error(`unknown window fn '${s}'`);
}

/**
 * A trigger written as Beam Python writes it: Default(), AfterWatermark(early=..., late=...),
 * AfterCount(n), AfterProcessingTime(delay), Repeatedly(t), AfterFirst(...), AfterAll(...),
 * AfterEach(...), OrFinally(main, finally), Never() (Beam Java's Never.ever(); Beam Python's _Never).
 */
export function parseTrigger(text: string): Trigger {
  let i = 0;
  const src = text.replace(/\s+/g, "");
  const fail = (what: string): never => {
    throw new Error(`trigger '${text}': ${what} at ${i}`);
  };
  const expect = (c: string): void => {
    if (src[i] !== c) fail(`expected '${c}'`);
    i++;
  };
  const name = (): string => {
    const m = /^[A-Za-z]+/.exec(src.slice(i));
    if (m === null) fail("expected a name");
    i += m![0].length;
    return m![0];
  };
  const node = (): Trigger => {
    const n = name();
    expect("(");
    const positional: (Trigger | number)[] = [];
    const named: Record<string, Trigger> = {};
    while (src[i] !== ")") {
      if (/[0-9]/.test(src[i] ?? "")) {
        const m = /^[0-9]+/.exec(src.slice(i))!;
        i += m[0].length;
        positional.push(Number(m[0]));
      } else {
        const save = i;
        const word = name();
        if (src[i] === "=") {
          i++;
          named[word] = node();
        } else {
          i = save;
          positional.push(node());
        }
      }
      if (src[i] === ",") i++;
    }
    expect(")");
    const triggers = positional.filter((p): p is Trigger => typeof p !== "number");
    const num = positional.find((p): p is number => typeof p === "number");
    switch (n) {
      case "Default":
        return DefaultTrigger();
      case "Never":
        return Never();
      case "AfterWatermark":
        return AfterWatermark({ ...(named["early"] ? { early: named["early"] } : {}), ...(named["late"] ? { late: named["late"] } : {}) });
      case "AfterCount":
        return AfterCount(num ?? fail("AfterCount needs a count"));
      case "AfterProcessingTime":
        return AfterProcessingTime(num ?? fail("AfterProcessingTime needs a delay"));
      case "Repeatedly":
        return Repeatedly(triggers[0] ?? fail("Repeatedly needs a trigger"));
      case "AfterFirst":
        return AfterFirst(...triggers);
      case "AfterAll":
        return AfterAll(...triggers);
      case "AfterEach":
        return AfterEach(...triggers);
      case "OrFinally":
        return OrFinally(triggers[0] ?? fail("OrFinally needs a main trigger"), triggers[1] ?? fail("OrFinally needs a finally trigger"));
    }
    return fail(`unknown trigger ${n}`);
  };
  const t = node();
  if (i !== src.length) fail("trailing text");
  return t;
}

/** The Window.into of a case's windowing (shared by the DirectRunner's run_case.ts and the real runners' trigger_case_programs.ts). */
export function windowInto<T>(w: CaseWindowing): Window<T> {
  return Window.into<T>(parseWindowFn(w.windowFn), {
    ...(w.trigger !== undefined ? { trigger: parseTrigger(w.trigger) } : {}),
    ...(w.accumulationMode !== undefined ? { accumulationMode: w.accumulationMode } : {}),
    ...(w.allowedLateness !== undefined ? { allowedLatenessMillis: w.allowedLateness } : {}),
    ...(w.timestampCombiner !== undefined ? { timestampCombiner: w.timestampCombiner } : {}),
    ...(w.onTimeBehavior !== undefined ? { onTimeBehavior: w.onTimeBehavior } : {}),
    ...(w.closingBehavior !== undefined ? { closingBehavior: w.closingBehavior } : {}),
  });
}

/** An element "key:value@timestamp". */
export function parseElement(s: string): { key: string; value: number; timestamp: Instant } {
  const m = /^([^:]+):(-?\d+)@(-?\d+)$/.exec(s);
  if (m === null) throw new Error(`element '${s}' is not key:value@timestamp`);
  return { key: m[1]!, value: Number(m[2]), timestamp: Number(m[3]) };
}

/** A pane as the cases write it. */
export function formatPane(key: string, window: BoundedWindow, values: number[] | number, timestamp: Instant, pane: PaneInfo): string {
  const w = window instanceof IntervalWindow ? `[${window.start},${window.end})` : "global";
  const v = typeof values === "number" ? String(values) : values.length === 0 ? "-" : [...values].sort((a, b) => a - b).join(",");
  const t = timestamp === window.maxTimestamp() ? "eow" : String(timestamp);
  return `${key} ${w} ${v} @${t} ${pane.timing}#${pane.index}/${pane.onTimeIndex}${pane.isFirst ? " first" : ""}${pane.isLast ? " last" : ""}`;
}
