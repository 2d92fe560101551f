/**
 * Where a real runner's panes for the Beam model conformance cases (real_runner_triggers.test.ts)
 * differ from Beam's, and why: each difference traced to the runner's source. Beamline sends
 * these runners the same windowing strategy protos (trigger, accumulation mode, allowed lateness,
 * output time, closing and on-time behaviour, merge status) and TestStream payload; the
 * DirectRunner gives Beam's panes for every case. Beam Python 2.66's own SDK on the same Prism gives
 * the same panes as Beamline where checked ("AfterCount(2) over a bundle of 3 ..." and "fixed
 * windows: late data within the allowed lateness ..."), so these come from Prism, not from the protos.
 *
 * Prism: Beam 2.66's Go runner, source at sdks/go/pkg/beam/runners/prism/internal (PRISM below).
 */

/** How a runner differs on one case. */
export type TriggerCaseQuirk =
  /** The runner refuses the job at submission, with an error matching `refused`. */
  | { readonly refused: RegExp; readonly why: string }
  /**
   * The runner runs it but its panes differ, for these reasons. `data`: the panes without their
   * PaneInfo ("key window values @timestamp", sorted), where even they differ from Beam's; absent,
   * only the PaneInfo differs (some of it from run to run, see PANE_AT_RUN), so only the rest is compared.
   */
  | { readonly why: readonly string[]; readonly data?: readonly string[] };

const PRISM = "sdks/go/pkg/beam/runners/prism/internal";

const REFUSES_PROCESSING_TIME_TRIGGERS: TriggerCaseQuirk = {
  refused: /unsupported feature "WindowingStrategy\.Trigger" set with value .*after_processing_time/,
  why: `Prism refuses processing-time triggers (${PRISM}/jobservices/management.go:296 hasUnsupportedTriggers)`,
};
const REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS: TriggerCaseQuirk = {
  refused: /Using stateful triggers with merging windows isn't currently supported in prism/,
  why: `Prism refuses count and processing-time triggers with session windows (${PRISM}/jobservices/management.go:285 hasStatefulTriggers, apache/beam#31438)`,
};

const PANICS_ON_UNSEEN_AFTER_WATERMARK: TriggerCaseQuirk = {
  refused: /panic in stage\.Execute bundle processing goroutine: interface conversion: interface \{\} is nil, not bool/,
  why:
    `Prism panics on an AfterWatermark() inside AfterEach or OrFinally whose state has seen no element (${PRISM}/engine/strategy.go:567, TriggerDefault.shouldFire ` +
    "reads the never-set end-of-window flag as a bool; the composite passes elements only to its current subtrigger)",
};
const PER_ELEMENT =
  `Prism runs the trigger once per element and fires with the elements seen so far (${PRISM}/engine/elementmanager.go:1301, aggregateStageKind.addPending); ` +
  "Beam runs it once per bundle (AfterCount(2) over a bundle of three is one pane of three)";
const WATERMARK_FIRES =
  `Prism fires every window holding data when the watermark passes its end, and again at its expiry, whatever the trigger (${PRISM}/engine/elementmanager.go:1676, aggregateStageKind.buildEventTimeBundle): ` +
  "a finished trigger does not close the window (later data comes out on time or late instead of being dropped), and an accumulating window fires once more at expiry";
const NO_EMPTY_PANES =
  `Prism fires only windows holding data (buildEventTimeBundle walks pendingByKeys, ${PRISM}/engine/elementmanager.go:1687): ` +
  `no empty on-time pane (Beam's FIRE_ALWAYS) and no empty closing pane (EMIT_ALWAYS; ${PRISM}/jobservices/management.go:281 takes both closing behaviours as one)`;
const PANE_AT_RUN =
  `Prism reads a fired pane's PaneInfo when its bundle runs, not when it fired (${PRISM}/engine/elementmanager.go:1196, aggregateStageKind.updatePane): ` +
  "a pane fired before later script events takes a later pane's index, timing and last flag, differently from run to run";
const PANE_FLAGS =
  `Prism's PaneInfo bookkeeping: computeNextTriggeredPane (${PRISM}/engine/elementmanager.go:1373) never marks a triggered pane last and counts a new window's first late pane as on-time index 1; ` +
  "buildEventTimeBundle marks the on-time pane last only when the allowed lateness is 0 (elementmanager.go:1753)";
const OUTPUT_TIME =
  `Prism applies EARLIEST/LATEST to every element of a pane (${PRISM}/handlerunner.go:342, gbkBytes): a late pane, or one whose elements already fired or were behind the output watermark, ` +
  "takes an element's timestamp where Beam's watermark holds give the end of the window";
const SESSIONS =
  `Prism fires each session by its own unmerged end and merges only the sessions one firing hands to gbkBytes (${PRISM}/handlerunner.go:419); ` +
  "a merged window has no trigger state, so its pane is the zero PaneInfo (EARLY#0/0, neither first nor last)";
const SLIDING =
  `Prism keeps a key's elements ordered by timestamp and a watermark firing stops at the first one whose window has not ended (${PRISM}/engine/elementmanager.go:1708): ` +
  "an element's copy in an ended sliding window can sit behind its copy (same timestamp) in a window still open, and comes out late";

/** Prism's differences, by case name; a case not here gives exactly Beam's panes. */
export const PRISM_TRIGGER_QUIRKS: Readonly<Record<string, TriggerCaseQuirk>> = {
  "fixed windows: late data within the allowed lateness fires one late pane per bundle (default trigger)": { why: [PER_ELEMENT, PANE_AT_RUN], data: ["a [0,10) 1 @eow", "a [0,10) 3 @eow", "a [0,10) 4 @eow", "a [0,10) 5 @eow"] },
  "fixed windows, accumulating: a late pane holds every element of the window": { why: [PANE_AT_RUN] },
  "fixed windows: data later than the allowed lateness is dropped and counted; a new window past its end fires late at once": { why: [PANE_FLAGS] },
  "sliding windows: an element is in size/period windows, each fires on time": { why: [SLIDING], data: ["a [0,10) 7 @eow", "a [10,20) 12 @eow", "a [5,15) 12 @eow", "a [5,15) 7 @eow"] },
  "sliding windows with AfterCount(1): a bundle of three is one pane per window, nothing is lost": { why: [PER_ELEMENT, WATERMARK_FIRES], data: ["a [-5000,5000) 2 @eow", "a [-5000,5000) 2,3,4 @eow", "a [0,10000) 2 @eow", "a [0,10000) 2,3,4 @eow"] },
  "sessions: overlapping windows of a key merge, a late element bridges two sessions, each session fires once on time": { why: [SESSIONS] },
  "sessions: a session fires once the watermark passes its merged end": { why: [SESSIONS], data: ["a [1,11) 1 @eow", "a [40,50) 40 @eow", "a [8,26) 8,16 @eow"] },
  "sessions: late data merging into a fired session fires the late trigger at once, as a new window": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "sessions, accumulating: a late merged pane holds the data of every merged session": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "sessions, default trigger: late data merging into a fired session fires a late pane at once": { why: [SESSIONS, PANE_FLAGS], data: ["a [1,11) 1 @eow", "a [5,15) 5 @eow", "a [7,17) 7 @eow"] },
  "sessions with Combine.perKey: the accumulators of merging sessions merge": { why: [SESSIONS] },
  "sessions: a merged window is a new window for pane numbering (index 0 when it first fires)": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "sessions: AfterCount counts of merging sessions add up": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "sessions: AfterEach(AfterCount(2), AfterCount(3)) keeps its place across merges": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "sessions: Repeatedly(AfterEach(AfterCount(2), AfterCount(3))) keeps firing across merges": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "sessions: an element overlapping a session whose trigger has finished starts a new session": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "sessions: an element whose window is exactly a finished session is dropped": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "sessions, EARLIEST: a merged session's pane takes the earliest timestamp of all its parts": { why: [SESSIONS] },
  "sessions with a processing-time trigger: the merged session fires at the earliest delay of its parts": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "early (AfterCount(2)), on-time and late (AfterCount(1)) panes, accumulating": { why: [WATERMARK_FIRES, PANE_AT_RUN], data: ["a [0,10) 10 @eow", "a [0,10) 10 @eow", "a [0,10) 10 @eow", "a [0,10) 3 @eow", "a [0,10) 6 @eow"] },
  "early firings on processing time; the on-time pane is emitted even when empty": REFUSES_PROCESSING_TIME_TRIGGERS,
  "early firings on processing time, accumulating: the on-time pane repeats the early elements": REFUSES_PROCESSING_TIME_TRIGGERS,
  "onTimeBehavior FIRE_IF_NON_EMPTY: no empty on-time pane": REFUSES_PROCESSING_TIME_TRIGGERS,
  "AfterWatermark() alone finishes after the on-time pane: late data is dropped for the closed window": { why: [WATERMARK_FIRES, PANE_FLAGS], data: ["a [0,10) 1 @eow", "a [0,10) 2 @eow"] },
  "pane indexes: early, early, on time, then the expiring late pane (accumulating)": { why: [WATERMARK_FIRES, PANE_AT_RUN], data: ["k [0,10) 1 @eow", "k [0,10) 1,2 @eow", "k [0,10) 1,2 @eow", "k [0,10) 1,2,3 @eow", "k [0,10) 1,2,3 @eow", "k [0,10) 1,2,3 @eow"] },
  "a window that still holds the output watermark fires ON_TIME from an element after the watermark passed its end": { why: [PER_ELEMENT, WATERMARK_FIRES], data: ["k [0,10) 1 @eow", "k [0,10) 5 @eow", "k [0,10) 6 @eow"] },
  "AfterCount(2) over a bundle of 3 fires one pane of 3, then the window is closed": { why: [PER_ELEMENT, WATERMARK_FIRES], data: ["k global 1,2 @eow", "k global 3,4 @eow"] },
  "AfterCount(2) counts across bundles": { why: [PANE_FLAGS] },
  "Repeatedly(AfterCount(2)): one pane per bundle that completes a count; the rest when the window closes": { why: [PER_ELEMENT, PANE_AT_RUN], data: ["a [0,10) 1,2 @eow", "a [0,10) 3,4 @eow"] },
  "Repeatedly(AfterCount(2)) with nothing left: the window closes with an empty on-time pane": { why: [NO_EMPTY_PANES], data: ["a [0,10) 1,2 @eow"] },
  "Combine of an empty on-time pane is the combine of nothing (a sum of 0)": { why: [PER_ELEMENT, NO_EMPTY_PANES, PANE_AT_RUN], data: ["k global 1 @eow", "k global 2 @eow", "k global 3 @eow"] },
  "Repeatedly(AfterProcessingTime(1000)): the delay runs from the first element of each pane, in virtual processing time": REFUSES_PROCESSING_TIME_TRIGGERS,
  "AfterProcessingTime fires once, then the window is closed": REFUSES_PROCESSING_TIME_TRIGGERS,
  "a processing-time trigger waits for an element: the delay starts when the pane's first element arrives": REFUSES_PROCESSING_TIME_TRIGGERS,
  "AfterEach runs its triggers in turn (count, processing time, count), then closes the window": REFUSES_PROCESSING_TIME_TRIGGERS,
  "Repeatedly(AfterEach(AfterCount(1), AfterCount(2))) starts the sequence over after its last trigger": { why: [PANE_AT_RUN] },
  "early firings of AfterWatermark repeat a whole AfterEach sequence": { why: [NO_EMPTY_PANES, PANE_AT_RUN], data: ["k [0,10) 1 @eow", "k [0,10) 2,3 @eow", "k [0,10) 4 @eow"] },
  "AfterFirst(AfterWatermark(), AfterCount(3)) fires once, on whichever comes first, per window": { why: [WATERMARK_FIRES, PANE_FLAGS], data: ["k [0,10) 1,2,3 @eow", "k [0,10) 4 @eow", "k [10,20) 11 @eow"] },
  "Repeatedly(AfterFirst(AfterCount(2), AfterProcessingTime(100))): whichever comes first, again and again": REFUSES_PROCESSING_TIME_TRIGGERS,
  "AfterAll(AfterCount(3), AfterProcessingTime(100)) needs both, fires once": REFUSES_PROCESSING_TIME_TRIGGERS,
  "Repeatedly(AfterAll(AfterCount(2), AfterProcessingTime(100))) needs both conditions for every pane": REFUSES_PROCESSING_TIME_TRIGGERS,
  "a late pane is stamped with the end of its window: late data cannot hold the watermark": { why: [OUTPUT_TIME], data: ["a [0,10) 3 @3", "a [0,10) 5 @5"] },
  "an element behind the step's output watermark holds nothing: the pane takes a later element's timestamp": { why: [OUTPUT_TIME], data: ["a [0,10) 4,8 @4"] },
  "an element behind the step's output watermark alone: its pane takes the end of the window": { why: [OUTPUT_TIME], data: ["a [0,10) 4 @4"] },
  "OrFinally(Repeatedly(AfterCount(2)), AfterCount(3)): the main trigger's panes until the finally trigger's, which counts across them and closes the window": { why: [WATERMARK_FIRES, PANE_AT_RUN, PANE_FLAGS], data: ["k [0,10) 1,2 @eow", "k [0,10) 3 @eow", "k [0,10) 4 @eow"] },
  "OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()): a pane per bundle, then the on-time pane closes the window": { why: [PER_ELEMENT, PANE_AT_RUN], data: ["k [0,10) 1 @eow", "k [0,10) 1,2 @eow", "k [0,10) 1,2,3 @eow", "k [0,10) 1,2,3 @eow"] },
  "OrFinally(AfterCount(2), AfterCount(100)): the main trigger finishing finishes it": { why: [WATERMARK_FIRES, PANE_FLAGS], data: ["k [0,100) 1,2 @eow", "k [0,100) 3 @eow"] },
  "closingBehavior FIRE_ALWAYS: an empty on-time pane, then an empty last pane when the window expires": { why: [NO_EMPTY_PANES], data: ["a [0,10) 1,2 @1"] },
  "closingBehavior FIRE_IF_NON_EMPTY (the default): no last pane when nothing is new at expiry": { why: [WATERMARK_FIRES, OUTPUT_TIME], data: ["a [0,10) 1,2 @1", "a [0,10) 1,2 @1", "a [0,10) 1,2 @1"] },
  "closingBehavior FIRE_ALWAYS, accumulating: the last pane at expiry repeats the window's elements": { why: [OUTPUT_TIME], data: ["a [0,10) 1,2 @1", "a [0,10) 1,2 @1", "a [0,10) 1,2 @1"] },
  "closingBehavior FIRE_ALWAYS: a window that reaches its end and expiry in one watermark advance fires one pane": { why: [WATERMARK_FIRES], data: ["a [0,10) 1 @eow", "a [0,10) 1 @eow"] },
  "closingBehavior FIRE_ALWAYS: a session that reaches its end and expiry in one watermark advance fires one pane": { why: [WATERMARK_FIRES], data: ["a [1,11) 1 @eow", "a [1,11) 1 @eow"] },
  "closingBehavior FIRE_ALWAYS with OrFinally(..., AfterWatermark()): the on-time pane is the last": { why: [NO_EMPTY_PANES], data: ["a [0,10) 1,2 @eow"] },
  "onTimeBehavior FIRE_IF_NON_EMPTY with closingBehavior FIRE_ALWAYS: no empty on-time pane, but the last pane at expiry": REFUSES_PROCESSING_TIME_TRIGGERS,
  "closingBehavior FIRE_IF_NON_EMPTY with the default on-time behaviour: the empty on-time pane is still the last": { why: [OUTPUT_TIME], data: ["a [0,10) 1 @1", "a [0,10) 1 @1"] },
  "closingBehavior FIRE_ALWAYS: a trigger that finishes with nothing new still fires its last pane": { why: [WATERMARK_FIRES, NO_EMPTY_PANES], data: ["a [0,10) 1 @eow", "a [0,10) 2 @eow"] },
  "closingBehavior FIRE_IF_NON_EMPTY: a trigger that finishes with nothing new fires nothing": { why: [WATERMARK_FIRES], data: ["a [0,10) 1 @eow", "a [0,10) 2 @eow"] },
  // The cases from Beam Java's runners-core tests (10_reduce_fn_runner.json, 11_trigger_state_machines.json, 12_runners_core_other.json).
  "RFR: a processing-time timer does not garbage-collect the window (early pane, then the on-time pane at expiry)": REFUSES_PROCESSING_TIME_TRIGGERS,
  "RFR: buffering, discarding: a pane at the 2nd element, a finishing pane at the 3rd, the 4th is dropped for the closed window": { why: [WATERMARK_FIRES, PANE_AT_RUN], data: ["a [0,10) 1,2 @1", "a [0,10) 3 @3", "a [0,10) 4 @4"] },
  "RFR: buffering, accumulating: the finishing pane repeats the fired elements, stamped with its new element's hold": { why: [WATERMARK_FIRES, OUTPUT_TIME, PANE_AT_RUN], data: ["a [0,10) 1,2 @1", "a [0,10) 1,2,3 @1", "a [0,10) 1,2,3,4 @1", "a [0,10) 1,2,3,4 @1"] },
  "RFR: end of window and expiry in one watermark advance, closing FIRE_IF_NON_EMPTY: one on-time last pane": { why: [WATERMARK_FIRES], data: ["a [0,10) 1 @1", "a [0,10) 1 @1"] },
  "RFR: combining, discarding: sums per pane, the finishing pane, then a dropped element": { why: [WATERMARK_FIRES, PANE_AT_RUN], data: ["a [0,10) 4 @4", "a [0,10) 5 @2", "a [0,10) 6 @6"] },
  "RFR: combining, accumulating: the finishing pane sums every element so far": { why: [WATERMARK_FIRES, OUTPUT_TIME, PANE_AT_RUN], data: ["a [0,10) 10 @1", "a [0,10) 10 @1", "a [0,10) 3 @1", "a [0,10) 6 @1"] },
  "RFR: a processing-time timer after the window expired fires nothing": REFUSES_PROCESSING_TIME_TRIGGERS,
  "RFR: end of window and garbage collection together under Repeatedly(AfterWatermark()): one pane, on time and last": { why: [WATERMARK_FIRES], data: ["a [0,100) 7 @2", "a [0,100) 7 @2"] },
  "RFR: a pane per element, accumulating, in fixed windows of 2 (the pane structure of the combine-with-context test)": { why: [PANE_AT_RUN] },
  "RFR: watermark holds and late data: early panes stamped by the on-time elements' holds, an on-time pane of late data at the end of the window, the expiring late pane": PANICS_ON_UNSEEN_AFTER_WATERMARK,
  "RFR: pane info through every state: early, early, on time (the output watermark still held), late, late and last": { why: [WATERMARK_FIRES, OUTPUT_TIME, PANE_AT_RUN], data: ["a [0,10) 1 @1", "a [0,10) 2 @2", "a [0,10) 3 @3", "a [0,10) 4 @4", "a [0,10) 5 @5", "a [0,10) 6 @6"] },
  "RFR: pane info, accumulating: early, the empty on-time pane and the empty final pane repeat the window's elements": { why: [OUTPUT_TIME], data: ["a [0,10) 1,2 @1", "a [0,10) 1,2 @1", "a [0,10) 1,2 @1"] },
  "RFR: a trigger that fires and finishes at the first element: one early pane, first and last": { why: [PANE_FLAGS] },
  "RFR: a trigger that fires and finishes at a late first element: one late pane, first and last": { why: [OUTPUT_TIME, PANE_FLAGS], data: ["a [0,10) 1 @1"] },
  "RFR: sessions merge before the window fires: one merged pane at expiry": { why: [SESSIONS] },
  "RFR: a merged session whose trigger closed before garbage collection fires once": { why: [SESSIONS] },
  "RFR: an element for exactly a closed session is dropped, not merged into a new session": { why: [WATERMARK_FIRES], data: ["a [1,11) 1 @1", "a [1,11) 1 @1"] },
  "RFR: new elements that merge into exactly a closed session are dropped": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "RFR: an element of a closed session merged with open sessions does not poison the merged session": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "RFR: sliding windows, AfterWatermark(): data for windows whose trigger finished is dropped and counted per window": { why: [WATERMARK_FIRES], data: ["a [-30,70) 14 @eow", "a [-30,70) 16 @eow", "a [-30,70) 22 @eow", "a [-60,40) 10 @eow", "a [0,100) 16 @eow", "a [0,100) 36 @eow", "a [30,130) 16 @eow", "a [30,130) 26 @eow", "a [60,160) 14 @eow"] },
  "RFR: idempotent empty panes, discarding: the late pane after the on-time pane is index 1": { why: [OUTPUT_TIME, PANE_FLAGS], data: ["a [0,10) 1,2 @1", "a [0,10) 3 @3"] },
  "RFR: idempotent empty panes, accumulating: the late pane after the on-time pane is index 1": { why: [OUTPUT_TIME], data: ["a [0,10) 1,2 @1", "a [0,10) 1,2,3 @1"] },
  "RFR: AfterEach(OrFinally(Repeatedly(AfterProcessingTime(5)), AfterWatermark()), Repeatedly(AfterProcessingTime(25))): the empty on-time pane": REFUSES_PROCESSING_TIME_TRIGGERS,
  "RFR: OnTimeBehavior.FIRE_IF_NON_EMPTY with the AfterEach/OrFinally processing-time trigger: no empty on-time pane; the closing pane is LATE with on-time index 0": REFUSES_PROCESSING_TIME_TRIGGERS,
  "RFR: OnTimeBehavior.FIRE_IF_NON_EMPTY and late data: no empty on-time pane, the late pane has on-time index 0": REFUSES_PROCESSING_TIME_TRIGGERS,
  "RFR: processing-time firings after the end of the window: early, on time (non-empty), late, and the final late pane": REFUSES_PROCESSING_TIME_TRIGGERS,
  "RFR: Repeatedly(AfterCount(3)) in the global window: early panes of 3, then the rest on time at the end": { why: [PANE_AT_RUN] },
  "RFR: Repeatedly(AfterProcessingTime) in the global window: early panes of 4, then an empty on-time pane at the end": REFUSES_PROCESSING_TIME_TRIGGERS,
  "SM: AfterAll(AfterCount(1), AfterCount(2)) fires and finishes once both are ready": { why: [PANE_FLAGS] },
  "SM: AfterAll(AfterCount(2), AfterCount(1)) fires and finishes once both are ready": { why: [PANE_FLAGS] },
  "SM: AfterEach(AfterAll(AfterWatermark(), AfterCount(1)), ...) in sessions: a merge the watermark has not passed rewinds the AfterAll": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: AfterEach of two OrFinally triggers runs them in sequence; the watermark finishes the second": PANICS_ON_UNSEEN_AFTER_WATERMARK,
  "SM: AfterFirst fires and finishes when only its first subtrigger is ready": { why: [WATERMARK_FIRES, PANE_FLAGS], data: ["a [0,10) 1 @eow", "a [0,10) 2 @eow"] },
  "SM: AfterFirst fires and finishes when only its second subtrigger is ready": { why: [WATERMARK_FIRES, PANE_FLAGS], data: ["a [0,10) 1 @eow", "a [0,10) 2 @eow"] },
  "SM: AfterFirst fires and finishes when both subtriggers are ready": { why: [WATERMARK_FIRES, PANE_FLAGS], data: ["a [0,10) 1 @eow", "a [0,10) 2 @eow"] },
  "SM: AfterEach(AfterFirst(AfterCount(5), AfterWatermark()), ...) in sessions: a merge rewinds the AfterFirst, whose count then fires it": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: AfterCount(2) in fixed windows finishes only the window that reached it": { why: [PANE_FLAGS] },
  "SM: AfterCount(2) in sessions: merged counts fire; a finished session does not merge with the next": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: AfterProcessingTime(5) in fixed windows: each window's delay runs from its own first element": REFUSES_PROCESSING_TIME_TRIGGERS,
  "SM: AfterProcessingTime(5) in sessions: the merged session fires at the earlier delay": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: AfterWatermark(early=AfterCount(2)): an early pane, then the on-time pane finishes": { why: [NO_EMPTY_PANES], data: ["a [0,100) 1,2 @eow"] },
  "SM: AfterWatermark(early=AfterCount(2), late=AfterCount(2)): early, empty on-time, late": { why: [NO_EMPTY_PANES, PANE_FLAGS], data: ["a [0,100) 1,2 @eow", "a [0,100) 3,4 @eow"] },
  "SM: AfterEach(AfterWatermark(), Repeatedly(AfterCount(1))): sessions that both passed the watermark merge into a session still past it": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: AfterEach(AfterWatermark(), Repeatedly(AfterCount(1))): a merge the watermark has not passed rewinds to AfterWatermark": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: AfterWatermark(early, late) in sessions: sessions past the watermark merge into the late phase": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: AfterWatermark(early, late) in sessions: a merge the watermark has not passed rewinds to the early phase": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: the default trigger in sliding windows fires each window at its own end": { why: [SLIDING], data: ["a [-50,50) 1 @eow", "a [0,100) 1 @eow", "a [0,100) 50 @eow", "a [50,150) 50 @eow"] },
  "SM: the default trigger in sessions fires at the merged session's end": { why: [SESSIONS], data: ["a [1,101) 1 @eow", "a [50,150) 50 @eow"] },
  "SM: OrFinally(Repeatedly(AfterCount(2)), AfterCount(100)): the main trigger fires without finishing": { why: [NO_EMPTY_PANES, PANE_AT_RUN], data: ["a [0,100) 1,2 @eow", "a [0,100) 3,4 @eow"] },
  "SM: AfterEach(OrFinally(AfterCount(5), AfterWatermark()), ...) in sessions: a merge rewinds the OrFinally": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: Repeatedly(AfterCount(2)) in sessions: the merged session's counts add up": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
  "SM: Repeatedly(AfterFirst(AfterProcessingTime(15 min), AfterCount(5))) fires on the count": REFUSES_PROCESSING_TIME_TRIGGERS,
  "SM: Repeatedly(AfterFirst(AfterProcessingTime(15 min), AfterCount(5))) fires on the delay": REFUSES_PROCESSING_TIME_TRIGGERS,
  "SM: Repeatedly(AfterCount(5)) in the global window": { why: [NO_EMPTY_PANES], data: ["a global 1,2,3,4,5 @eow"] },
  "SM: Repeatedly(AfterProcessingTime(15 min)) in the global window": REFUSES_PROCESSING_TIME_TRIGGERS,
  "MAWS: sessions merge bundle by bundle: partly, into an active session, two active sessions together, an element inside, an element reusing an earlier window": REFUSES_SESSIONS_WITH_STATEFUL_TRIGGERS,
};
