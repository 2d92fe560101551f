/**
 * Construction-time checks of groupings and Flatten, as Beam makes them:
 * - GroupByKey (and what is built on it: Combine.perKey, Count, Distinct) refuses an unbounded
 *   input in the global window with the default trigger (Beam Java's GroupByKey.applicableTo,
 *   Beam Python's GroupByKey.expand): that window never ends, so nothing would ever be emitted.
 * - Reshuffle is valid there: like Beam's, it groups under its own trigger (one pane per element)
 *   and gives its output the input's windowing back.
 * - Flatten refuses inputs whose triggers are not compatible (Beam Java's Trigger.isCompatible).
 * - GroupByKey refuses a trigger that may finish, so losing the data after it (Beam Python's
 *   TriggerFn.may_lose_data), unless --allow_unsafe_triggers is set.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, Create, FixedWindows, Flatten, GlobalWindows, GroupByKey, kv, KV, Pipeline, PipelineConstructionError, Reshuffle, Window } from "../../lib";
import { AfterAll, AfterCount, AfterEach, AfterFirst, AfterProcessingTime, AfterWatermark, DefaultTrigger, OrFinally, Repeatedly } from "../../lib/model/triggers";
import type { WindowIntoOptions } from "../../lib/model/primitives";
import { TestStream } from "../../lib/testing/test_stream";
import { parseArgs } from "../../lib";
import { flatOptions, jobApiOptions, workerProgramFrom } from "../../runners/portable/pipeline_options";
import { runDirect } from "../helpers";
import { collect, Observed } from "../streaming/collect";

const stream = (): TestStream<KV<string, number>> =>
  TestStream.create<KV<string, number>>()
    .addElements({ value: kv("a", 1), timestamp: 1 }, { value: kv("b", 2), timestamp: 12 })
    .advanceWatermarkToInfinity();

/** Asserts `fn` throws a PipelineConstructionError at `path` whose message matches `pattern`. */
function throwsAt(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof PipelineConstructionError, String(e));
    assert.equal(e.transformPath, path);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("GroupByKey: unbounded input in the global window needs a trigger (as in Beam)", () => {
  it("refuses it, naming the grouping's full name and the fix", () => {
    const p = Pipeline.create();
    const events = p.apply("Events", stream());
    throwsAt(() => events.apply("Group", GroupByKey.create()), "Group", /unbounded PCollection \(the output of 'Events'\) in the global window with the default trigger.*Window\.into/);
  });

  it("refuses it inside Combine.perKey, naming the inner grouping", () => {
    const p = Pipeline.create();
    const events = p.apply("Events", stream());
    throwsAt(() => events.apply("Sum", Combine.perKey(Combiners.sum())), "Sum/GroupByKey", /global window with the default trigger/);
  });

  it("refuses an explicit DefaultTrigger in the global window too", () => {
    const p = Pipeline.create();
    const events = p.apply("Events", stream()).apply("Global", Window.into(new GlobalWindows(), { trigger: DefaultTrigger() }));
    throwsAt(() => events.apply("Group", GroupByKey.create()), "Group", /default trigger/);
  });

  it("accepts it windowed, triggered, or bounded", () => {
    const p = Pipeline.create();
    const events = p.apply("Events", stream());
    events.apply("Fixed", Window.into(new FixedWindows(10))).apply("GroupFixed", GroupByKey.create());
    events.apply("Triggered", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)) })).apply("GroupTriggered", GroupByKey.create());
    p.apply("Bounded", Create.of(kv("a", 1))).apply("GroupBounded", GroupByKey.create());
  });
});

describe("Reshuffle on unbounded input in the global window", () => {
  it("runs, passing every element through with its timestamp", async () => {
    const out: Observed<KV<string, number>>[] = [];
    const result = await runDirect((p) => collect(p.apply("Events", stream()).apply("Reshuffle", Reshuffle.viaRandomKey()), out));
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => `${o.value.key}=${o.value.value}@${o.timestamp} ${o.window}`).sort(), ["a=1@1 global", "b=2@12 global"]);
  });

  it("gives its output the input's windowing back (so a later grouping is still checked)", () => {
    const p = Pipeline.create();
    const events = p.apply("Events", stream());
    const reshuffled = events.apply("Reshuffle", Reshuffle.viaRandomKey());
    assert.deepEqual(reshuffled.windowing, events.windowing);
    throwsAt(() => reshuffled.apply("Group", GroupByKey.create()), "Group", /default trigger/);
  });
});

describe("Flatten: trigger compatibility (Beam Java's Trigger.isCompatible)", () => {
  const twoInputs = (a: Parameters<typeof Window.into>[1], b: Parameters<typeof Window.into>[1]) => {
    const p = Pipeline.create();
    const x = p.apply("A", Create.of(1)).apply("IntoA", Window.into<number>(new FixedWindows(10), a));
    const y = p.apply("B", Create.of(2)).apply("IntoB", Window.into<number>(new FixedWindows(10), b));
    return () => x.apply("Both", Flatten.with(y));
  };

  it("refuses different triggers, naming the Flatten and both triggers", () => {
    throwsAt(twoInputs({ trigger: Repeatedly(AfterCount(2)) }, { trigger: Repeatedly(AfterCount(3)) }), "Both", /incompatible triggers: Repeatedly\(AfterCount\(3\)\) on the output of 'IntoB', Repeatedly\(AfterCount\(2\)\) on the output of 'IntoA'/);
    throwsAt(twoInputs({}, { trigger: Repeatedly(AfterCount(1)) }), "Both", /incompatible triggers/);
    throwsAt(twoInputs({ trigger: AfterWatermark({ early: AfterProcessingTime(10) }) }, { trigger: AfterWatermark() }), "Both", /incompatible triggers/);
    throwsAt(twoInputs({ trigger: AfterWatermark({ early: AfterProcessingTime(10) }) }, { trigger: AfterWatermark({ late: AfterProcessingTime(10) }) }), "Both", /incompatible triggers/);
    // OrFinally: its own kind (not an AfterFirst of the same two), compared trigger by trigger.
    const orFinally = OrFinally(Repeatedly(AfterCount(1)), AfterWatermark());
    throwsAt(twoInputs({ trigger: orFinally }, { trigger: AfterFirst(Repeatedly(AfterCount(1)), AfterWatermark()) }), "Both", /incompatible triggers: AfterFirst\(.*OrFinally\(Repeatedly\(AfterCount\(1\)\),AfterWatermark\(\)\)/);
    throwsAt(twoInputs({ trigger: orFinally }, { trigger: OrFinally(Repeatedly(AfterCount(2)), AfterWatermark()) }), "Both", /incompatible triggers/);
    throwsAt(twoInputs({ trigger: orFinally }, { trigger: OrFinally(Repeatedly(AfterCount(1)), AfterCount(1)) }), "Both", /incompatible triggers/);
    // AfterProcessingTime: the same delay and alignment (Java's AfterProcessingTime.isCompatible is equals).
    const aligned = (periodMillis: number, offsetMillis?: number) => Repeatedly(AfterProcessingTime(10, { alignedTo: { periodMillis, ...(offsetMillis !== undefined ? { offsetMillis } : {}) } }));
    throwsAt(twoInputs({ trigger: Repeatedly(AfterProcessingTime(10)) }, { trigger: aligned(100) }), "Both", /incompatible triggers: Repeatedly\(AfterProcessingTime\(10,alignedTo=100\+0\)\)/);
    throwsAt(twoInputs({ trigger: aligned(100) }, { trigger: aligned(100, 5) }), "Both", /incompatible triggers/);
  });

  it("accepts the same trigger, and the default trigger given or not", () => {
    twoInputs({ trigger: AfterWatermark({ early: AfterProcessingTime(10) }) }, { trigger: AfterWatermark({ early: AfterProcessingTime(10) }) })();
    twoInputs({}, { trigger: DefaultTrigger() })();
    twoInputs({ trigger: Repeatedly(AfterProcessingTime(10, { alignedTo: { periodMillis: 100 } })) }, { trigger: Repeatedly(AfterProcessingTime(10, { alignedTo: { periodMillis: 100, offsetMillis: 0 } })) })();
    twoInputs({ trigger: OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()) }, { trigger: OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()) })();
    // Beam compares triggers only: accumulation and lateness may differ.
    twoInputs({ trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }, { trigger: Repeatedly(AfterCount(1)), allowedLatenessMillis: 5 })();
  });
});

describe("GroupByKey: triggers that may finish lose data (Beam Python's may_lose_data)", () => {
  const group = (options: WindowIntoOptions, allowUnsafeTriggers = false) => () => {
    const p = Pipeline.create({ allowUnsafeTriggers });
    p.apply("Pairs", Create.of(kv("a", 1))).apply("Into", Window.into(new FixedWindows(10), options)).apply("Group", GroupByKey.create());
  };

  it("refuses a trigger that may finish, bounded input too, naming the grouping and the fix", () => {
    throwsAt(group({ trigger: AfterCount(2) }), "Group", /Unsafe trigger AfterCount\(2\) on the output of 'Into' may lose data.*Repeatedly\(\.\.\.\).*--allow_unsafe_triggers/);
    throwsAt(group({ trigger: AfterProcessingTime(10) }), "Group", /Unsafe trigger AfterProcessingTime\(10\)/);
    // AfterWatermark() finishes at the window's end: only late data is lost, so only with lateness.
    throwsAt(group({ trigger: AfterWatermark(), allowedLatenessMillis: 100 }), "Group", /Unsafe trigger AfterWatermark\(\).*late firings/);
    throwsAt(group({ trigger: AfterFirst(AfterWatermark(), AfterCount(3)), allowedLatenessMillis: 100 }), "Group", /Unsafe trigger AfterFirst/);
    throwsAt(group({ trigger: AfterFirst(Repeatedly(AfterCount(3)), AfterCount(3)) }), "Group", /Unsafe trigger AfterFirst/);
    throwsAt(group({ trigger: AfterEach(AfterCount(2), AfterProcessingTime(5)) }), "Group", /Unsafe trigger AfterEach/);
    throwsAt(group({ trigger: AfterAll(AfterCount(2), AfterProcessingTime(5)) }), "Group", /Unsafe trigger AfterAll/);
    // OrFinally may finish when either of its triggers may (Beam Python's OrFinally is an AfterAny).
    throwsAt(group({ trigger: OrFinally(Repeatedly(AfterCount(1)), AfterCount(10)) }), "Group", /Unsafe trigger OrFinally\(Repeatedly\(AfterCount\(1\)\),AfterCount\(10\)\)/);
    throwsAt(group({ trigger: OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()), allowedLatenessMillis: 100 }), "Group", /Unsafe trigger OrFinally/);
    throwsAt(group({ trigger: OrFinally(AfterCount(2), AfterWatermark()) }), "Group", /Unsafe trigger OrFinally/);
  });

  it("accepts triggers that never finish before the window expires", () => {
    group({ trigger: Repeatedly(AfterCount(2)) })();
    group({ trigger: AfterWatermark() })();
    group({ trigger: AfterWatermark({ early: AfterCount(1) }) })();
    group({ trigger: AfterWatermark({ late: AfterCount(1) }), allowedLatenessMillis: 100 })();
    group({ trigger: AfterAll(AfterWatermark(), AfterCount(2)) })();
    group({ trigger: AfterEach(AfterCount(2), Repeatedly(AfterCount(1))) })();
    // AfterWatermark() finishes only when the window ends, which loses nothing without lateness.
    group({ trigger: OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()) })();
  });

  it("AfterProcessingTime refuses an alignment period that is not a positive integer, and an offset that is not an integer", () => {
    assert.throws(() => AfterProcessingTime(0, { alignedTo: { periodMillis: 0 } }), /alignedTo.periodMillis must be a positive integer, got 0/);
    assert.throws(() => AfterProcessingTime(0, { alignedTo: { periodMillis: 1.5 } }), /alignedTo.periodMillis must be a positive integer/);
    assert.throws(() => AfterProcessingTime(0, { alignedTo: { periodMillis: 10, offsetMillis: 0.5 } }), /alignedTo.offsetMillis must be an integer, got 0.5/);
    // An aligned AfterProcessingTime still finishes: unsafe alone, as any AfterProcessingTime.
    throwsAt(group({ trigger: AfterProcessingTime(0, { alignedTo: { periodMillis: 10 } }) }), "Group", /Unsafe trigger AfterProcessingTime\(0,alignedTo=10\+0\)/);
  });

  it("OrFinally refuses a finally trigger that never finishes (Beam Java takes a OnceTrigger there)", () => {
    for (const never of [Repeatedly(AfterCount(2)), DefaultTrigger(), AfterWatermark({ late: AfterCount(1) }), AfterFirst(Repeatedly(AfterCount(1)), DefaultTrigger())]) {
      assert.throws(() => OrFinally(Repeatedly(AfterCount(1)), never), /OrFinally's finally trigger .* never finishes.*give a trigger that finishes \(AfterCount/);
    }
    for (const finishes of [AfterCount(2), AfterProcessingTime(5), AfterWatermark(), AfterWatermark({ early: AfterCount(1) }), AfterFirst(Repeatedly(AfterCount(1)), AfterCount(3)), AfterEach(AfterCount(1), AfterCount(2))]) {
      assert.equal(OrFinally(Repeatedly(AfterCount(1)), finishes).kind, "orFinally");
    }
  });

  it("accepts any trigger with --allow_unsafe_triggers, and unbounded global input with the default trigger (as Beam Python)", () => {
    group({ trigger: AfterCount(2) }, true)();
    group({ trigger: AfterWatermark(), allowedLatenessMillis: 100 }, true)();
    Pipeline.create({ allowUnsafeTriggers: true }).apply("Events", stream()).apply("Group", GroupByKey.create());
  });
});

describe("--allow_unsafe_triggers", () => {
  it("is parsed from the command line and reaches the workers that rebuild the graph", () => {
    const flags = {} as const;
    assert.equal(parseArgs([], flags, { scriptName: "t", description: "d" }).options.allowUnsafeTriggers, false);
    const { options } = parseArgs(["--allow_unsafe_triggers"], flags, { scriptName: "t", description: "d" });
    assert.equal(options.allowUnsafeTriggers, true);
    const program = { name: "p", modulePath: "/nowhere/p.js", flags: {} };
    assert.equal(workerProgramFrom(jobApiOptions(flatOptions(options, program, "f", "r"))).options.allowUnsafeTriggers, true);
    assert.equal(workerProgramFrom(jobApiOptions(flatOptions({ ...options, allowUnsafeTriggers: false }, program, "f", "r"))).options.allowUnsafeTriggers, false);
  });
});
