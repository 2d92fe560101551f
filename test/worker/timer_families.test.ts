/**
 * Timer families on the Fn API (BEAM_PORTABILITY.md §3.5): a family is a timer_family_spec of
 * the ParDoPayload like a plain timer, and its timers are told apart by the Timer's
 * dynamic_timer_tag. The harness sends each tag set or cleared in a bundle as its own timer,
 * hands a delivered timer's tag to onTimer (ctx.timerTag), and decides per tag whether a
 * delivered timer was changed earlier in the bundle (Beam Java's FnApiDoFnRunner keys its
 * in-bundle timers by family, tag, key and window).
 */
import { strict as assert } from "node:assert";
import type { Coder } from "../../lib/coders/coder";
import type { Timer } from "../../lib/coders/index";
import { Create, definePipeline, FixedWindows, KV, ParDo, StatefulDoFn, TimerSpec, Window } from "../../lib";
import type { StatefulProcessContext, TimerContext } from "../../lib/model/state";
import { IntervalWindow, kv, NO_FIRING, WindowedValue } from "../../lib/model/window";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { plan } from "../portable/fuser";
import { coder, decodeAll, encodeAll, stageAndTransform } from "./wire";
import { FnApiServer } from "./fn_server";

/** Elements "set tag time" and "clear tag" drive the family; onTimer outputs "key family/tag@timestamp fired=t". */
class PerTag extends StatefulDoFn<string, string, string> {
  readonly perTag = TimerSpec.eventTimeFamily("perTag");
  readonly plain = TimerSpec.eventTime("plain");
  process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
    const [op, tag, at] = e.value.split(" ");
    if (op === "set") ctx.timer(this.perTag, tag!).withOutputTimestamp(ctx.timestamp).set(Number(at));
    else if (op === "clear") ctx.timer(this.perTag, tag!).clear();
    else ctx.timer(this.plain).set(Number(at));
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${ctx.key} ${timer}/${ctx.timerTag}@${ctx.timestamp} fired=${ctx.fireTimestamp}`);
  }
}

const perTagProgram = definePipeline({
  name: "worker-test-timer-families",
  description: "a timer family driven by its elements",
  flags: {},
  build(root) {
    root
      .apply("Input", Create.timestamped([{ value: kv("a", "set x 5000"), timestamp: 1_000 }]))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("PerTag", ParDo.of(new PerTag()));
  },
});

describe("Fn API harness: timer families (dynamic timer tags)", function () {
  let server: FnApiServer;
  let harness: FnHarness | undefined;
  beforeEach(async () => {
    server = await FnApiServer.start();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await server.stop();
  });

  const window = new IntervalWindow(0, 10_000);
  const at = (value: string, timestamp: number): WindowedValue<unknown> => ({ value: kv("a", value), timestamp, windows: [window], pane: NO_FIRING });
  const due = (tag: string, fireTimestamp: number, holdTimestamp = fireTimestamp): Timer<unknown> => ({ userKey: "a", dynamicTimerTag: tag, windows: [window], clearBit: false, fireTimestamp, holdTimestamp, pane: NO_FIRING });

  async function setUp() {
    const translated = translatePipeline(perTagProgram.create({}), dockerEnvironment()).proto;
    const planned = plan(translated, server.url);
    harness = new FnHarness({ workerId: "w-timer-families", controlUrl: server.url, loadPipeline: () => perTagProgram.create({}), runId: "r" }).start();
    const [stage, id] = stageAndTransform(planned, "PerTag");
    server.addDescriptor(stage.descriptor!);
    const c = planned.components;
    const payload = runnerApi.ParDoPayload.fromBinary(c.transforms[id]!.spec!.payload);
    const timerCoder = coder(c, payload.timerFamilySpecs["perTag"]!.timerFamilyCoderId) as Coder<Timer<unknown>>;
    const wire = coder(c, planned.wireCoder(stage.input));
    const [outPc, sink] = [...stage.outputs][0]!;
    const streams = { perTag: `${id}|perTag`, plain: `${id}|plain` };
    const run = async (elements: readonly WindowedValue<unknown>[], delivered: readonly Timer<unknown>[] = []) => {
      const r = await server.processBundle(stage.id, new Map([[stage.sourceId, elements.length > 0 ? [encodeAll(wire, elements)] : []]]), [sink], {
        inputs: new Map([
          [streams.perTag, delivered.length > 0 ? [encodeAll(timerCoder, delivered)] : []],
          [streams.plain, []],
        ]),
        outputs: [streams.perTag, streams.plain],
      });
      return {
        out: (decodeAll(coder(c, planned.wireCoder(outPc)), r.outputs.get(sink)) as WindowedValue<string>[]).map((o) => `${o.value}#${o.timestamp}`),
        perTag: (decodeAll(timerCoder, r.timers.get(streams.perTag)) as Timer<unknown>[]).map((t) => [t.dynamicTimerTag, t.clearBit, t.fireTimestamp, t.holdTimestamp]).sort(),
        plain: (decodeAll(timerCoder, r.timers.get(streams.plain)) as Timer<unknown>[]).map((t) => [t.dynamicTimerTag, t.clearBit, t.fireTimestamp]),
      };
    };
    return { run };
  }

  it("translates a family as an event-time timer_family_spec, like a plain timer", () => {
    const planned = plan(translatePipeline(perTagProgram.create({}), dockerEnvironment()).proto, server.url);
    const [, id] = stageAndTransform(planned, "PerTag");
    const payload = runnerApi.ParDoPayload.fromBinary(planned.components.transforms[id]!.spec!.payload);
    assert.deepEqual(Object.keys(payload.timerFamilySpecs).sort(), ["perTag", "plain"]);
    assert.equal(payload.timerFamilySpecs["perTag"]!.timeDomain, runnerApi.TimeDomain_Enum.EVENT_TIME);
  });

  it("sends each tag set or cleared in a bundle as its own timer, with its tag, time and hold; a plain timer's tag is empty", async () => {
    const { run } = await setUp();
    const r = await run([at("set x 5000", 1_000), at("set y 6000", 2_000), at("set x 7000", 3_000), at("clear z", 3_000), at("plain - 9000", 3_000)]);
    assert.deepEqual(r.out, []);
    assert.deepEqual(r.perTag, [
      ["x", false, 7_000, 3_000],
      ["y", false, 6_000, 2_000],
      ["z", true, undefined, undefined],
    ]);
    assert.deepEqual(r.plain, [["", false, 9_000]]);
  });

  it("hands a delivered timer's tag to onTimer, and fires every delivered tag the bundle did not change", async () => {
    const { run } = await setUp();
    const r = await run([], [due("x", 5_000, 1_000), due("y", 6_000, 2_000)]);
    assert.deepEqual(r.out, ["a perTag/x@1000 fired=5000#1000", "a perTag/y@2000 fired=6000#2000"]);
    assert.deepEqual(r.perTag, []);
  });

  it("does not fire a delivered tag the bundle cleared or re-set, and still fires the family's other tags", async () => {
    const { run } = await setUp();
    // Elements first: x cleared, y moved to 8 000; the runner then delivers x, y and w (due at 5 000–6 000).
    const r = await run([at("clear x", 1_000), at("set y 8000", 2_000)], [due("x", 5_000), due("y", 6_000), due("w", 6_000)]);
    assert.deepEqual(r.out, ["a perTag/w@6000 fired=6000#6000"], "x and y were changed in the bundle; w was not");
    assert.deepEqual(r.perTag, [
      ["x", true, undefined, undefined],
      ["y", false, 8_000, 2_000],
    ]);
  });

  it("fires the bundle's own earlier tag before a later delivered one, and tells the runner it is cleared", async () => {
    const { run } = await setUp();
    const r = await run([at("set early 2000", 1_000)], [due("late", 9_000)]);
    assert.deepEqual(r.out, ["a perTag/early@1000 fired=2000#1000", "a perTag/late@9000 fired=9000#9000"]);
    assert.deepEqual(r.perTag, [["early", true, undefined, undefined]]);
  });
});
