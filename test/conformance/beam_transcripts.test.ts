/**
 * Beam's own trigger transcripts (apache/beam sdks/python/apache_beam/testing/data/
 * trigger_transcripts.yaml, see beam_transcripts.json beside this file) on the DirectRunner.
 *
 * A transcript is a list of actions: `input` (a bundle of elements whose values are their
 * timestamps), `watermark`, and `expect` (every pane fired since the previous `expect`, matched on
 * the attributes it names). As Beam's TestStream harness does, each transcript runs through both
 * a GroupByKey and a Combine.perKey (here a sum, so `values` is compared by its sum there), under
 * two keys; when the trigger is Default and the mode ACCUMULATING (order agnostic) the keys instead
 * get the input in one bundle, reversed, one element per bundle and two per bundle, all of which
 * must give the same panes. Drop counters count every key. Anything fired by the final advance to
 * infinity is not checked (Beam's harness ends with an empty `expect`, then advances to infinity).
 *
 * Where Beamline follows Beam's documented model and Beam Python's trigger driver does not, the
 * transcript carries a `beamline` block: why, the panes Beamline must fire instead, and an allowed
 * lateness under which the YAML's panes are matched as written (but for attributes `why` explains).
 * Skipped transcripts, with the reasons, are listed in the JSON's `skipped`.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AccumulationMode, TimestampCombiner } from "../../lib/model/windowing";
import type { ConformanceCase, Step } from "./cases";
import { type CaseRun, runCase } from "./run_case";

type Action = { readonly input: readonly number[] } | { readonly watermark: number } | { readonly expect: readonly Expected[] };

interface Expected {
  readonly window?: readonly [number, number];
  readonly values?: readonly number[];
  readonly timestamp?: number;
  readonly index?: number;
  readonly nonspeculative_index?: number;
  readonly early?: boolean;
  readonly late?: boolean;
  readonly final?: boolean;
}

interface Transcript {
  readonly name: string;
  readonly window_fn: string;
  readonly trigger_fn?: string;
  readonly timestamp_combiner?: TimestampCombiner;
  readonly accumulation_mode?: AccumulationMode;
  readonly allowed_lateness?: number;
  readonly transcript: readonly Action[];
  readonly finalDiffers?: string | undefined;
  readonly beamline?: {
    readonly why: string;
    readonly transcript: readonly Action[];
    readonly droppedLate: number;
    readonly withAllowedLateness: number;
    /** Attributes of the YAML's panes that `why` explains Beam's model gives otherwise. */
    readonly ignoreInYaml?: readonly string[];
  };
  readonly error?: string;
  /** The YAML's `state` step made observable: outputs and drop counters it implies. */
  readonly observableState?: { readonly why: string; readonly transcript: readonly Action[]; readonly droppedClosed: number; readonly droppedLate: number };
}

const DATA = path.resolve(__dirname, "..", "..", "..", "test", "conformance", "beam_transcripts.json");
const data = JSON.parse(fs.readFileSync(DATA, "utf8")) as { transcripts: Transcript[]; mustFail: Transcript[]; skipped: { name: string; why: string }[] };

/** How Beam's harness splits one `input` action into bundles, per key. */
function bundlesByKey(t: Transcript, input: readonly number[]): [string, number[]][] {
  const orderAgnostic = (t.trigger_fn ?? "Default()") === "Default()" && (t.accumulation_mode ?? "ACCUMULATING") === "ACCUMULATING";
  if (!orderAgnostic) return [["key1", [...input]], ["key2", [...input]]];
  const out: [string, number[]][] = [["original", [...input]], ["reversed", [...input].reverse()]];
  for (const v of input) out.push(["one-element-bundles", [v]]);
  for (const v of [...input].reverse()) out.push(["one-element-bundles-reversed", [v]]);
  for (let i = 0; i < input.length; i += 2) out.push(["two-element-bundles", input.slice(i, i + 2)]);
  return out;
}

interface Built {
  readonly c: ConformanceCase;
  readonly keys: string[];
  /** For each `expect` action: the case steps whose panes it covers, [from, to). */
  readonly groups: { expect: readonly Expected[]; from: number; to: number }[];
}

function build(t: Transcript, actions: readonly Action[], grouping: "GroupByKey" | "Sum", allowedLateness: number | undefined): Built {
  const script: Step[] = [];
  const groups: Built["groups"] = [];
  const keys = new Set<string>();
  let from = 0;
  for (const a of actions) {
    if ("input" in a) {
      for (const [key, vs] of bundlesByKey(t, a.input)) {
        keys.add(key);
        script.push({ add: vs.map((v) => `${key}:${v}@${v}`) });
      }
    } else if ("watermark" in a) script.push({ watermark: a.watermark });
    else {
      groups.push({ expect: a.expect, from, to: script.length });
      from = script.length;
    }
  }
  // Beam's harness: an empty expect for whatever the last actions fired, then infinity.
  groups.push({ expect: [], from, to: script.length });
  script.push({ watermark: "inf" });
  const lateness = allowedLateness ?? t.allowed_lateness;
  const c: ConformanceCase = {
    name: t.name,
    about: "Beam trigger transcript",
    grouping,
    windowing: {
      windowFn: t.window_fn,
      trigger: t.trigger_fn ?? "Default()",
      ...(t.accumulation_mode !== undefined ? { accumulationMode: t.accumulation_mode } : { accumulationMode: "ACCUMULATING" }),
      timestampCombiner: t.timestamp_combiner ?? "END_OF_WINDOW",
      ...(lateness !== undefined ? { allowedLateness: lateness } : {}),
    },
    script,
  };
  return { c, keys: [...keys], groups };
}

interface Pane {
  key: string;
  window: [number, number];
  values: number[];
  timestamp: number;
  index: number;
  nonspeculative_index: number;
  early: boolean;
  late: boolean;
  final: boolean;
}

/** Reads back a pane as cases.ts formats it: "key [s,e) v1,v2 @ts TIMING#i/j first last". */
function parsePane(s: string): Pane {
  const m = /^(\S+) (?:\[(-?\d+),(-?\d+)\)|global) (\S+) @(\S+) (\w+)#(\d+)\/(-?\d+)( first)?( last)?$/.exec(s);
  if (m === null) throw new Error(`cannot read pane '${s}'`);
  // The global window has no [start, max_timestamp] the transcripts could name.
  const end = m[3] === undefined ? NaN : Number(m[3]);
  const values = m[4] === "-" ? [] : m[4]!.split(",").map(Number);
  return {
    key: m[1]!,
    window: [Number(m[2]), end - 1],
    values,
    timestamp: m[5] === "eow" ? end - 1 : Number(m[5]),
    index: Number(m[7]),
    nonspeculative_index: Number(m[8]),
    early: m[6] === "EARLY",
    late: m[6] === "LATE",
    final: m[10] !== undefined,
  };
}

function matches(p: Pane, e: Expected, grouping: "GroupByKey" | "Sum", ignore: ReadonlySet<string>): boolean {
  for (const [k, v] of Object.entries(e)) {
    if (ignore.has(k)) continue;
    if (k === "values") {
      const want = v as number[];
      // The Sum's pane carries one number, the sum (0 for an empty pane).
      const ok = grouping === "Sum" ? p.values[0] === want.reduce((a, b) => a + b, 0) : JSON.stringify(p.values) === JSON.stringify([...want].sort((a, b) => a - b));
      if (!ok) return false;
    } else if (JSON.stringify(p[k as keyof Pane]) !== JSON.stringify(v)) return false;
  }
  return true;
}

/** The problems, as Beam's check words them: "Unexpected output" (too many) or "Unmatched output". */
function check(b: Built, run: CaseRun, grouping: "GroupByKey" | "Sum", ignore: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const panes = run.panes.map((o) => ({ ...o, p: parsePane(o.pane) }));
  for (const g of b.groups) {
    for (const key of b.keys) {
      const fired = panes.filter((o) => o.p.key === key && Math.max(o.from, 0) >= g.from && Math.max(o.from, 0) < g.to).map((o) => o.p);
      const where = `${key}, steps ${g.from}..${g.to - 1}`;
      if (fired.length > g.expect.length) problems.push(`Unexpected output (${where}): expected ${JSON.stringify(g.expect)} but got ${JSON.stringify(fired)}`);
      else if (fired.length < g.expect.length) problems.push(`Unmatched output (${where}): expected ${JSON.stringify(g.expect)} but got ${JSON.stringify(fired)}`);
      else {
        const left = [...fired];
        for (const e of g.expect) {
          const i = left.findIndex((p) => matches(p, e, grouping, ignore));
          if (i < 0) problems.push(`Unmatched output (${where}): ${JSON.stringify(e)} not found in ${JSON.stringify(left)}`);
          else left.splice(i, 1);
        }
      }
    }
  }
  return problems;
}

async function runTranscript(t: Transcript, actions: readonly Action[], grouping: "GroupByKey" | "Sum", allowedLateness?: number, ignore: readonly string[] = []): Promise<{ problems: string[]; run: CaseRun }> {
  const b = build(t, actions, grouping, allowedLateness);
  const run = await runCase(b.c);
  assert.equal(run.result.state, "DONE", run.result.error?.message);
  return { problems: check(b, run, grouping, new Set([...ignore, ...(t.finalDiffers !== undefined ? ["final"] : [])])), run };
}

describe("Beam trigger transcripts (trigger_transcripts.yaml) on the DirectRunner", () => {
  it("lists what it skips, with the reason", () => {
    assert.equal(data.transcripts.length, 9);
    for (const s of data.skipped) assert.ok(s.why.length > 20, s.name);
  });

  for (const t of data.transcripts) {
    for (const grouping of ["GroupByKey", "Sum"] as const) {
      const st = t.observableState;
      if (st !== undefined) {
        it(`${t.name} (${grouping}), its state step as outputs and drop counters`, async () => {
          const { problems, run } = await runTranscript(t, st.transcript, grouping);
          assert.deepEqual(problems, []);
          const keys = build(t, st.transcript, grouping, undefined).keys.length;
          assert.deepEqual([run.droppedClosed, run.droppedLate], [st.droppedClosed * keys, st.droppedLate * keys]);
        });
      }
      if (t.beamline === undefined) {
        it(`${t.name} (${grouping})${t.finalDiffers !== undefined ? ", 'final' not compared at allowed lateness 0" : ""}`, async () => {
          const { problems } = await runTranscript(t, t.transcript, grouping);
          assert.deepEqual(problems, []);
        });
        if (t.finalDiffers !== undefined) {
          // Where the window outlives the watermark's passing, its on-time pane is not the last one.
          it(`${t.name} (${grouping}), allowed lateness 1000: the YAML's panes as written, 'final' included`, async () => {
            const { problems } = await runTranscript({ ...t, finalDiffers: undefined }, t.transcript, grouping, 1000);
            assert.deepEqual(problems, []);
          });
        }
      } else {
        const bl = t.beamline;
        it(`${t.name} (${grouping}), allowed lateness 0: Beam's model closes the window (${bl.why.slice(0, 60)}...)`, async () => {
          const { problems, run } = await runTranscript(t, bl.transcript, grouping);
          assert.deepEqual(problems, []);
          assert.equal(run.droppedLate, bl.droppedLate * build(t, t.transcript, grouping, undefined).keys.length);
        });
        it(`${t.name} (${grouping}), allowed lateness ${bl.withAllowedLateness}: the YAML's panes as written${bl.ignoreInYaml !== undefined ? ` but for ${bl.ignoreInYaml.join(", ")}` : ""}`, async () => {
          const { problems, run } = await runTranscript(t, t.transcript, grouping, bl.withAllowedLateness, bl.ignoreInYaml);
          assert.deepEqual(problems, []);
          assert.equal(run.droppedLate, 0);
        });
      }
    }
  }

  describe("the transcripts Beam's harness must reject are rejected here too", () => {
    for (const t of data.mustFail) {
      it(`${t.name}: ${t.error}`, async () => {
        const { problems } = await runTranscript(t, t.transcript, "GroupByKey");
        assert.ok(problems.some((p) => p.startsWith(t.error!)), problems.join("\n") || "no problem reported");
      });
    }
  });
});
