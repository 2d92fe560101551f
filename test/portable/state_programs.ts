/**
 * A program for the real-runner tests of SetState and OrderedListState over the Fn API: set
 * elements that are objects (one element per encoding, however often built), a removal, and an
 * ordered list read whole, by range and after a range is cleared.
 *
 * --read_at elements: the last element of a key reads and changes the state (runners that cannot
 *   run timers keyed by Beamline's coders; the state may then stay within one bundle).
 * --read_at timers: an event-time timer at the end of the window reads it, in a later bundle, so
 *   the state comes back from the runner; a second timer, set by the first, reads what it left.
 */
import { Combiners, Create, definePipeline, KV, kv, ParDo, StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec, TimestampedValue } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import { GLOBAL_WINDOW_MAX_TIMESTAMP } from "../../lib/model/window";

interface Member {
  readonly id: number;
  readonly tags: readonly string[];
}

type Input = { readonly member: Member } | { readonly item: TimestampedValue<string> };

const MEMBERS: readonly Member[] = [
  { id: 1, tags: ["a"] },
  { id: 2, tags: [] },
  { id: 1, tags: ["a"] },
  { id: 3, tags: ["x", "y"] },
  { id: 2, tags: [] },
];
const ITEMS: readonly TimestampedValue<string>[] = [
  { value: "a", timestamp: 97 },
  { value: "b", timestamp: 42 },
  { value: "b", timestamp: 52 },
  { value: "c", timestamp: -12 },
];

/** What the program writes (its sorted lines), either way. */
export const USER_STATE_EXPECTED = [
  "cleared:b@52,a@97",
  "members:1,2,3",
  "ordered:c@-12,b@42,b@52,a@97",
  "range:b@42,b@52",
  "removed:1,3",
];

const show = (vs: readonly TimestampedValue<string>[]): string => vs.map((v) => `${v.value}@${v.timestamp}`).join(",");

/** Reads and changes the state once its key's last element is in (no timers: see the header). */
class SetAndOrderedList extends StatefulDoFn<string, Input, string> {
  readonly members = StateSpec.set<Member>("members");
  readonly items = StateSpec.orderedList<string>("items");
  readonly count = StateSpec.combining("count", Combiners.sum());
  process(e: KV<string, Input>, ctx: StatefulProcessContext<string>): void {
    if ("member" in e.value) ctx.state(this.members).add({ id: e.value.member.id, tags: [...e.value.member.tags] });
    else ctx.state(this.items).add(e.value.item);
    ctx.state(this.count).add(1);
    this.added(ctx);
  }
  protected added(ctx: StatefulProcessContext<string>): void {
    if (ctx.state(this.count).read() !== MEMBERS.length + ITEMS.length) return;
    this.readAndChange(ctx);
    this.readWhatIsLeft(ctx);
  }
  protected readAndChange(ctx: StatefulProcessContext<string>): void {
    const members = ctx.state(this.members);
    ctx.output(`members:${members.read().map((m) => m.id).sort().join(",")}`);
    members.remove({ id: 2, tags: [] });
    const items = ctx.state(this.items);
    ctx.output(`ordered:${show(items.read())}`);
    ctx.output(`range:${show(items.readRange(13, 53))}`);
    items.clearRange(-100, 43);
  }
  protected readWhatIsLeft(ctx: StatefulProcessContext<string>): void {
    ctx.output(`removed:${ctx.state(this.members).read().map((m) => m.id).sort().join(",")}`);
    ctx.output(`cleared:${show(ctx.state(this.items).read())}`);
  }
}

/** The same, read and changed by timers, each in a later bundle than what it reads. */
class SetAndOrderedListByTimers extends SetAndOrderedList {
  readonly first = TimerSpec.eventTime("first");
  readonly second = TimerSpec.eventTime("second");
  protected override added(ctx: StatefulProcessContext<string>): void {
    ctx.timer(this.first).set(GLOBAL_WINDOW_MAX_TIMESTAMP - 1);
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    if (timer === "second") return this.readWhatIsLeft(ctx);
    this.readAndChange(ctx);
    // Set here, so it fires after this callback (a runner may run timers due together in any order).
    ctx.timer(this.second).set(GLOBAL_WINDOW_MAX_TIMESTAMP);
  }
}

export const userStateProgram = definePipeline({
  name: "portable-test-user-state",
  description: "SetState and OrderedListState on a runner",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    read_at: { type: "string", describe: "elements (the last element reads the state) or timers (timers in later bundles do)", required: true },
  },
  build(root, flags) {
    if (flags.read_at !== "elements" && flags.read_at !== "timers") throw new Error(`--read_at must be elements or timers, got ${flags.read_at}`);
    const inputs: Input[] = [...MEMBERS.map((member) => ({ member })), ...ITEMS.map((item) => ({ item }))];
    root
      .apply("Inputs", Create.from(inputs.map((i) => kv("k", i))))
      .apply("SetAndOrderedList", ParDo.of(flags.read_at === "timers" ? new SetAndOrderedListByTimers() : new SetAndOrderedList()))
      .apply("Write", WriteToText.to(`${flags.output}/state`));
  },
});
