/**
 * Beam's own tests of SetState and OrderedListState as the oracle: Beam Java's ParDoTest.StateTests
 * (testSetState*, testOrderedListState*) and Beam Python's userstate_test.py set state cases,
 * with Beam's expected outputs, on the DirectRunner in batch (Create) and streaming (TestStream).
 * Java's @OnWindowExpiration is an event-time timer at the window's end here (Beamline has no
 * expiration callback); Python's seconds are milliseconds times 1000.
 */
import { strict as assert } from "node:assert";
import { Combiners, Create, FixedWindows, kv, KV, ParDo, TimestampedValue, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { runOk } from "../helpers";
import { collect, Observed } from "../streaming/collect";
import { Mode, outputsOf, timestamped } from "./beam_helpers";

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const show = (vs: readonly TimestampedValue<string>[]): string => vs.map((v) => `${v.value}@${v.timestamp}`).join(",");

/** testOrderedListState*'s input: values at timestamps, added out of order. */
const ORDERED_INPUT: TimestampedValue<KV<string, TimestampedValue<string>>>[] = [
  kv("hello", { value: "a", timestamp: 97 }),
  kv("hello", { value: "b", timestamp: 42 }),
  kv("hello", { value: "b", timestamp: 52 }),
  kv("hello", { value: "c", timestamp: 12 }),
].map((value) => ({ value, timestamp: 0 }));

/** Adds each element's value to an ordered list; at the end of the window outputs what `atEnd` reads. */
class OrderedList extends StatefulDoFn<string, TimestampedValue<string>, string> {
  readonly list = StateSpec.orderedList<string>("foo");
  readonly expiry = TimerSpec.eventTime("expiry");
  readonly clearAt42 = TimerSpec.eventTime("timer");
  constructor(
    private readonly atEnd: (read: (from?: number, to?: number) => string) => string[],
    private readonly clearRangeAt42 = false,
  ) {
    super();
  }
  process(e: KV<string, TimestampedValue<string>>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.list).add(e.value);
    ctx.timer(this.expiry).set(ctx.window.maxTimestamp());
    if (this.clearRangeAt42) ctx.timer(this.clearAt42).set(42);
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    const list = ctx.state(this.list);
    if (timer === "timer") return list.clearRange(0, ctx.timestamp + 1);
    for (const o of this.atEnd((from, to) => show(from === undefined ? list.read() : list.readRange(from, to!)))) ctx.output(o);
  }
}

describe("Beam conformance: SetState and OrderedListState (ParDoTest.StateTests, userstate_test.py)", () => {
  it("testSetState: duplicates are one element; read() does not change when the set is added to later", async () => {
    class Sets extends StatefulDoFn<string, number, number[]> {
      readonly set = StateSpec.set<number>("foo");
      readonly count = StateSpec.combining("count", Combiners.sum());
      process(e: KV<string, number>, ctx: StatefulProcessContext<number[]>): void {
        const set = ctx.state(this.set);
        set.add(e.value);
        assert.equal(set.isEmpty(), false);
        ctx.state(this.count).add(1);
        if (ctx.state(this.count).read() >= 4) {
          const ints = set.read();
          set.add(-1);
          assert.equal(ints.length, 3);
          assert.equal(set.read().length, 4);
          ctx.output(sorted(ints));
        }
      }
    }
    const out = await outputsOf(Create.of(kv("hello", 97), kv("hello", 42), kv("hello", 42), kv("hello", 12)), (input) => input.apply("Set", ParDo.of(new Sets())));
    assert.deepEqual(
      out.map((o) => o.value),
      [[12, 42, 97]],
    );
  });

  it("testSetStateNoReadOnAddIfAbsentInsertsElement: addIfAbsent inserts without a read, across bundles", async () => {
    class AddIfAbsent extends StatefulDoFn<string, number, number> {
      readonly set = StateSpec.set<number>("foo");
      readonly count = StateSpec.combining("count", Combiners.sum());
      process(e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.state(this.set).addIfAbsent(e.value);
        ctx.state(this.count).add(1);
        if (ctx.state(this.count).read() >= 4) for (const v of ctx.state(this.set).read()) ctx.output(v);
      }
    }
    const stream = TestStream.create<KV<string, number>>()
      .advanceWatermarkTo(0)
      .addElements({ value: kv("hello", 1), timestamp: 0 }, { value: kv("hello", 2), timestamp: 0 })
      .addElements({ value: kv("hello", 2), timestamp: 0 }, { value: kv("hello", 3), timestamp: 0 })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (input) => input.apply("Set", ParDo.of(new AddIfAbsent())));
    assert.deepEqual(sorted(out.map((o) => o.value)), [1, 2, 3]);
  });

  it("SetState compares elements by their encoding: equal objects built apart are one element; contains, addIfAbsent and remove agree", async () => {
    class Members extends StatefulDoFn<string, { id: number; tags: string[] }, string> {
      readonly set = StateSpec.set<{ id: number; tags: string[] }>("members");
      readonly end = TimerSpec.eventTime("end");
      process(e: KV<string, { id: number; tags: string[] }>, ctx: StatefulProcessContext<string>): void {
        const set = ctx.state(this.set);
        const before = set.contains({ id: e.value.id, tags: [...e.value.tags] });
        const added = set.addIfAbsent(e.value);
        assert.equal(added, !before);
        if (e.value.id === 3) set.remove({ id: 3, tags: ["x"] });
        ctx.timer(this.end).set(ctx.window.maxTimestamp());
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        const ids = ctx.state(this.set).read().map((m) => m.id);
        ctx.output(`${ctx.key}:${sorted(ids).join(",")}`);
      }
    }
    const m = (id: number, ...tags: string[]): { id: number; tags: string[] } => ({ id, tags });
    for (const mode of ["batch", "streaming"] as Mode[]) {
      const input = [kv("k", m(1, "a")), kv("k", m(2)), kv("k", m(1, "a")), kv("k", m(3, "x")), kv("k", m(2)), kv("j", m(1, "a"))].map((value, i) => ({ value, timestamp: i }));
      const rows: Observed<string>[] = [];
      await runOk((p) => collect(timestamped(p, "Input", mode, input).apply("Members", ParDo.of(new Members())), rows));
      assert.deepEqual(rows.map((r) => r.value).sort(), ["j:1", "k:1,2"], mode);
    }
  });

  it("test_simple_set_stateful_dofn (Python): a timer reads the set of the elements added", async () => {
    class SetThenTimer extends StatefulDoFn<string, number, number[]> {
      readonly buffer = StateSpec.set<number>("buffer");
      readonly expiry = TimerSpec.eventTime("expiry");
      process(e: KV<string, number>, ctx: StatefulProcessContext<number[]>): void {
        ctx.state(this.buffer).add(e.value);
        ctx.timer(this.expiry).set(20_000);
      }
      onTimer(_t: string, ctx: TimerContext<string, number[]>): void {
        ctx.output(sorted(ctx.state(this.buffer).read()));
      }
    }
    const stream = TestStream.create<number>()
      .advanceWatermarkTo(10_000)
      .addElements(...[1, 2, 3].map((value) => ({ value, timestamp: 10_000 })))
      .addElements({ value: 2, timestamp: 10_000 })
      .advanceWatermarkTo(24_000)
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (input) => input.map("Key", (x: number) => kv("mykey", x)).apply("Set", ParDo.of(new SetThenTimer())));
    assert.deepEqual(
      out.map((o) => o.value),
      [[1, 2, 3]],
    );
  });

  it("test_clearing_set_state (Python): a set cleared and added to by one timer holds only the new value for a later one", async () => {
    class ClearThenEmit extends StatefulDoFn<string, string, string> {
      readonly set = StateSpec.set<string>("buffer");
      readonly emit = TimerSpec.eventTime("emit_timer");
      readonly clear = TimerSpec.eventTime("clear_timer");
      process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        ctx.state(this.set).add(e.value);
        ctx.timer(this.clear).set(100_000);
        ctx.timer(this.emit).set(1_000_000);
      }
      onTimer(timer: string, ctx: TimerContext<string, string>): void {
        const set = ctx.state(this.set);
        if (timer === "clear_timer") {
          set.clear();
          set.add("different-value");
        } else for (const v of set.read()) ctx.output(v);
      }
    }
    const stream = TestStream.create<KV<string, string>>()
      .advanceWatermarkTo(0)
      .addElements({ value: kv("key1", "value1"), timestamp: 0 })
      .advanceWatermarkTo(100_000)
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (input) => input.apply("Clear", ParDo.of(new ClearThenEmit())));
    assert.deepEqual(
      out.map((o) => o.value),
      ["different-value"],
    );
  });

  it("test_stateful_set_state_portably (Python): each element outputs the sum of the set so far", async () => {
    class RunningSum extends StatefulDoFn<string, number, number> {
      readonly set = StateSpec.set<number>("buffer");
      process(e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.state(this.set).add(e.value);
        ctx.output(ctx.state(this.set).read().reduce((a, b) => a + b, 0));
      }
    }
    const out = await outputsOf(Create.of(kv("key", 1), kv("key", 2), kv("key", 3), kv("key", 4), kv("key", 3)), (input) => input.apply("Sum", ParDo.of(new RunningSum())));
    assert.deepEqual(sorted(out.map((o) => o.value)), [1, 3, 6, 10, 10]);
  });

  it("test_stateful_set_state_clean_portably (Python): a set cleared once it has 5 elements holds only what was added after", async () => {
    class ClearAtFive extends StatefulDoFn<string, number, number[]> {
      readonly set = StateSpec.set<number>("buffer");
      readonly emit = TimerSpec.eventTime("emit_timer");
      process(e: KV<string, number>, ctx: StatefulProcessContext<number[]>): void {
        const set = ctx.state(this.set);
        set.add(e.value);
        if (set.read().length === 5) {
          set.clear();
          set.add(100);
          ctx.timer(this.emit).set(1000);
        }
      }
      onTimer(_t: string, ctx: TimerContext<string, number[]>): void {
        ctx.output(sorted(ctx.state(this.set).read()));
      }
    }
    const input = Create.timestamped([1, 2, 3, 4, 5].map((v) => ({ value: kv("key", v), timestamp: 1000 })));
    const out = await outputsOf(input, (i) => i.apply(Window.into(new FixedWindows(1000))).apply("Clear", ParDo.of(new ClearAtFive())));
    assert.deepEqual(
      out.map((o) => o.value),
      [[100]],
    );
  });

  for (const mode of ["batch", "streaming"] as Mode[]) {
    const run = async (fn: OrderedList): Promise<string[]> => {
      const rows: Observed<string>[] = [];
      await runOk((p) => collect(timestamped(p, "Input", mode, ORDERED_INPUT).apply("Ordered", ParDo.of(fn)), rows));
      return rows.map((r) => r.value);
    };

    it(`testOrderedListState${mode === "batch" ? "Bounded" : "Unbounded"}: read() is sorted by timestamp, equal values kept`, async () => {
      assert.deepEqual(await run(new OrderedList((read) => [read()])), ["c@12,b@42,b@52,a@97"]);
    });

    it(`testOrderedListStateRangeFetch${mode === "batch" ? "Bounded" : "Unbounded"}: readRange(from, to) is half-open`, async () => {
      const got = await run(new OrderedList((read) => [read(0, 12), read(0, 13), read(13, 53), read(52, 98)]));
      assert.deepEqual(got.sort(), ["", "b@42,b@52", "b@52,a@97", "c@12"]);
    });

    it(`testOrderedListStateRangeDelete${mode === "batch" ? "Bounded" : "Unbounded"}: a timer's clearRange(0, ts + 1) removes up to its timestamp`, async () => {
      assert.deepEqual(await run(new OrderedList((read) => [read()], true)), ["b@52,a@97"]);
    });
  }
});
