/**
 * Beam's own tests of user state, as the oracle: the pipelines of Beam Java's ParDoTest.StateTests
 * and of Beam Python's userstate_test.py (StatefulDoFnOnDirectRunnerTest) that Beamline's API can
 * express, with Beam's expected outputs. Each test names the Beam test it mirrors.
 * (SetState and OrderedListState: beam_set_ordered_state.test.ts. Not mirrored: coder inference
 * and `@AlwaysFetched`, which Beamline's API does not have.)
 */
import { strict as assert } from "node:assert";
import { AsList, Combiners, Create, FixedWindows, kv, KV, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { runOk } from "../helpers";
import { collect, Observed } from "../streaming/collect";

/** Outputs how many elements its key has seen before, counting from `start` in steps of `step`. */
class Counter extends StatefulDoFn<string, number, number> {
  readonly count = StateSpec.value<number>("foo");
  constructor(
    private readonly start = 0,
    private readonly step = 1,
  ) {
    super();
  }
  process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    const current = ctx.state(this.count).read() ?? this.start;
    ctx.output(current);
    ctx.state(this.count).write(current + this.step);
  }
}

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

describe("Beam conformance: user state (ParDoTest.StateTests, userstate_test.py)", () => {
  it("testValueStateSimple: a key's value state counts its elements", async () => {
    const out: Observed<number>[] = [];
    await runOk((p) => collect(p.apply(Create.of(kv("hello", 42), kv("hello", 97), kv("hello", 84))).apply("Stateful", ParDo.of(new Counter())), out));
    assert.deepEqual(sorted(out.map((o) => o.value)), [0, 1, 2]);
  });

  it("testValueStateDedup: one output per key among 50 keys of 15 shuffled elements each", async () => {
    class OnePerKey extends StatefulDoFn<number, number, number> {
      readonly seen = StateSpec.value<number>("foo");
      process(e: KV<number, number>, ctx: StatefulProcessContext<number>): void {
        if ((ctx.state(this.seen).read() ?? 0) === 0) {
          ctx.state(this.seen).write(1);
          ctx.output(e.value);
        }
      }
    }
    const input: KV<number, number>[] = [];
    for (let key = 0; key < 50; key++) for (let i = 0; i < 15; i++) input.push(kv(key, 1000 + key));
    // A fixed shuffle (the order must not matter).
    for (let i = input.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [input[i], input[j]] = [input[j]!, input[i]!];
    }
    const out: Observed<number>[] = [];
    await runOk((p) => collect(p.apply(Create.from(input)).apply("Dedup", ParDo.of(new OnePerKey())), out));
    assert.deepEqual(sorted(out.map((o) => o.value)), Array.from({ length: 50 }, (_, k) => 1000 + k));
  });

  it("testValueStateFixedWindows: each window has its own state", async () => {
    const out: Observed<number>[] = [];
    await runOk((p) => {
      const input = p.apply(
        Create.timestamped([
          { value: kv("hello", 7), timestamp: 1 },
          { value: kv("hello", 14), timestamp: 2 },
          { value: kv("hello", 21), timestamp: 3 },
          { value: kv("hello", 28), timestamp: 11 },
          { value: kv("hello", 35), timestamp: 13 },
        ]),
      );
      collect(input.apply(Window.into(new FixedWindows(10))).apply("Stateful ParDo", ParDo.of(new Counter())), out);
    });
    const byWindow = (w: string): number[] => sorted(out.filter((o) => o.window === w).map((o) => o.value));
    assert.deepEqual(byWindow("0:10"), [0, 1, 2]);
    assert.deepEqual(byWindow("10:20"), [0, 1]);
    assert.equal(out.length, 5);
  });

  it("testValueStateSameId: two stateful ParDos with the same state id do not share it", async () => {
    class First extends StatefulDoFn<string, number, KV<string, number>> {
      readonly count = StateSpec.value<number>("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
        const current = ctx.state(this.count).read() ?? 0;
        ctx.output(kv("sizzle", current));
        ctx.state(this.count).write(current + 1);
      }
    }
    const intermediate: Observed<KV<string, number>>[] = [];
    const out: Observed<number>[] = [];
    await runOk((p) => {
      const first = p.apply(Create.of(kv("hello", 42), kv("hello", 97), kv("hello", 84))).apply("First stateful ParDo", ParDo.of(new First()));
      collect(first, intermediate, "CollectFirst");
      collect(first.apply("Second stateful ParDo", ParDo.of(new Counter(13, 13))), out);
    });
    assert.deepEqual(intermediate.map((o) => `${o.value.key}=${o.value.value}`).sort(), ["sizzle=0", "sizzle=1", "sizzle=2"]);
    assert.deepEqual(sorted(out.map((o) => o.value)), [13, 26, 39]);
  });

  it("testValueStateTaggedOutput: state per key, outputs to a main and a tagged output", async () => {
    class EvenOdd extends StatefulDoFn<string, number, number, { odd: number }> {
      readonly count = StateSpec.value<number>("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number, { odd: number }>): void {
        const current = ctx.state(this.count).read() ?? 0;
        if (current % 2 === 0) ctx.output(current);
        else ctx.outputTo("odd", current);
        ctx.state(this.count).write(current + 1);
      }
    }
    const evens: Observed<number>[] = [];
    const odds: Observed<number>[] = [];
    await runOk((p) => {
      const input = p.apply(Create.of(kv("hello", 42), kv("hello", 97), kv("hello", 84), kv("goodbye", 33), kv("hello", 859), kv("goodbye", 83945)));
      const outs = input.apply("EvenOdd", ParDo.of(new EvenOdd()).withOutputs("odd"));
      collect(outs.main, evens, "Evens");
      collect(outs.odd, odds, "Odds");
    });
    assert.deepEqual(sorted(evens.map((o) => o.value)), [0, 0, 2]);
    assert.deepEqual(sorted(odds.map((o) => o.value)), [1, 1, 3]);
  });

  it("testBagState: a bag's read() does not change when the bag is added to later", async () => {
    class Buffer extends StatefulDoFn<string, number, number[]> {
      readonly buffer = StateSpec.bag<number>("foo");
      process(e: KV<string, number>, ctx: StatefulProcessContext<number[]>): void {
        const bag = ctx.state(this.buffer);
        bag.add(e.value);
        assert.equal(bag.isEmpty(), false);
        const current = bag.read();
        if (current.length >= 4) {
          bag.add(-1);
          assert.equal(current.length, 4);
          assert.equal(bag.read().length, 5);
          ctx.output(sorted(current));
        }
      }
    }
    const out: Observed<number[]>[] = [];
    await runOk((p) => collect(p.apply(Create.of(kv("hello", 97), kv("hello", 42), kv("hello", 84), kv("hello", 12))).apply("Bag", ParDo.of(new Buffer())), out));
    assert.deepEqual(
      out.map((o) => o.value),
      [[12, 42, 84, 97]],
    );
  });

  it("testMapState: entries() does not change when the map is written to later", async () => {
    class Entries extends StatefulDoFn<string, KV<string, number>, KV<string, number>> {
      readonly map = StateSpec.map<string, number>("foo");
      readonly count = StateSpec.combining("count", Combiners.sum());
      process(e: KV<string, KV<string, number>>, ctx: StatefulProcessContext<KV<string, number>>): void {
        const map = ctx.state(this.map);
        map.put(e.value.key, e.value.value);
        ctx.state(this.count).add(1);
        if (ctx.state(this.count).read() >= 4) {
          const entries = map.entries();
          map.put("BadKey", -1);
          assert.equal(entries.length, 3);
          assert.equal(map.entries().length, 4);
          for (const [k, v] of entries) ctx.output(kv(k, v));
        }
      }
    }
    const out: Observed<KV<string, number>>[] = [];
    await runOk((p) =>
      collect(p.apply(Create.of(kv("hello", kv("a", 97)), kv("hello", kv("b", 42)), kv("hello", kv("b", 42)), kv("hello", kv("c", 12)))).apply("Map", ParDo.of(new Entries())), out),
    );
    assert.deepEqual(out.map((o) => `${o.value.key}=${o.value.value}`).sort(), ["a=97", "b=42", "c=12"]);
  });

  it("testCombiningState: the running mean is exactly 0.5 once", async () => {
    class Mean extends StatefulDoFn<string, number, string> {
      readonly mean = StateSpec.combining("foo", Combiners.mean());
      process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.state(this.mean).add(e.value);
        if (Math.abs(ctx.state(this.mean).read() - 0.5) < 0.0001) ctx.output("right on");
      }
    }
    const out: Observed<string>[] = [];
    await runOk((p) => collect(p.apply(Create.of(kv("hello", 0.3), kv("hello", 0.6), kv("hello", 0.6))).apply("Mean", ParDo.of(new Mean())), out));
    assert.deepEqual(
      out.map((o) => o.value),
      ["right on"],
    );
  });

  it("testBagStateSideInput: a stateful DoFn reads a list side input", async () => {
    class WithSide extends StatefulDoFn<string, number, number[], {}, { list: readonly number[] }> {
      readonly buffer = StateSpec.bag<number>("foo");
      process(e: KV<string, number>, ctx: StatefulProcessContext<number[], {}, { list: readonly number[] }>): void {
        ctx.state(this.buffer).add(e.value);
        const current = ctx.state(this.buffer).read();
        if (current.length >= 4) {
          ctx.output(sorted(current));
          ctx.output(sorted(ctx.sideInputs.list));
        }
      }
    }
    const out: Observed<number[]>[] = [];
    await runOk((p) => {
      const list = AsList(p.apply("Create list for side input", Create.of(2, 1, 0)));
      const main = p.apply("Create main input", Create.of(kv("hello", 97), kv("hello", 42), kv("hello", 84), kv("hello", 12)));
      collect(main.apply("WithSide", ParDo.of(new WithSide(), { sideInputs: { list } })), out);
    });
    assert.deepEqual(out.map((o) => o.value.join(",")).sort(), ["0,1,2", "12,42,84,97"]);
  });

  it("test_index_assignment (Python): combining state numbers a key's elements across bundles and watermarks", async () => {
    class Index extends StatefulDoFn<string, string, KV<string, number>> {
      readonly index = StateSpec.combining("index", Combiners.sum());
      process(e: KV<string, string>, ctx: StatefulProcessContext<KV<string, number>>): void {
        ctx.output(kv(e.value, ctx.state(this.index).read()));
        ctx.state(this.index).add(1);
      }
    }
    const out: Observed<KV<string, number>>[] = [];
    await runOk((p) => {
      const stream = TestStream.create<string>()
        .advanceWatermarkTo(10)
        .addElements({ value: "A", timestamp: 10 }, { value: "B", timestamp: 10 })
        .addElements({ value: "C", timestamp: 10 })
        .advanceWatermarkTo(25)
        .addElements({ value: "D", timestamp: 25 })
        .advanceWatermarkToInfinity();
      const keyed = p.apply(stream).map("Key", (x: string) => kv("mykey", x));
      collect(keyed.apply("Index", ParDo.of(new Index())), out);
    });
    assert.deepEqual(
      out.map((o) => `${o.value.key}${o.value.value}`),
      ["A0", "B1", "C2", "D3"],
    );
  });

  it("test_clearing_bag_state (Python): a bag cleared by one timer is empty when a later timer reads it", async () => {
    class ClearThenEmit extends StatefulDoFn<string, string, string> {
      readonly bag = StateSpec.bag<string>("bag_state");
      readonly emit = TimerSpec.eventTime("emit_timer");
      readonly clear = TimerSpec.eventTime("clear_timer");
      process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        ctx.state(this.bag).add(e.value);
        ctx.timer(this.clear).set(100);
        ctx.timer(this.emit).set(1000);
      }
      onTimer(timer: string, ctx: TimerContext<string, string>): void {
        if (timer === "clear_timer") ctx.state(this.bag).clear();
        else {
          for (const v of ctx.state(this.bag).read()) ctx.output(v);
          ctx.output("extra");
        }
      }
    }
    const out: Observed<string>[] = [];
    await runOk((p) => {
      const stream = TestStream.create<KV<string, string>>().advanceWatermarkTo(0).addElements({ value: kv("key", "value"), timestamp: 0 }).advanceWatermarkTo(100).advanceWatermarkToInfinity();
      collect(p.apply(stream).apply("Clear", ParDo.of(new ClearThenEmit())), out);
    });
    assert.deepEqual(
      out.map((o) => o.value),
      ["extra"],
    );
  });
});
