import { strict as assert } from "node:assert";
import { Create, FixedWindows, Flatten, GlobalWindows, GroupByKey, kv, KV, PCollection, Window } from "../../lib";
import { AfterAll, AfterCount, AfterEach, AfterFirst, AfterProcessingTime, AfterWatermark, Repeatedly } from "../../lib/model/triggers";
import { Sessions } from "../../lib/model/sliding_sessions";
import { TestStream } from "../../lib/testing/test_stream";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect } from "../helpers";
import { collect, droppedClosed, groupedPanes, Observed, paneOf, UNSAFE_TRIGGERS } from "./collect";

const sorted = (g: KV<string, number[]>): KV<string, number[]> => kv(g.key, [...g.value].sort((a, b) => a - b));
const el = (key: string, t: number) => ({ value: kv(key, t), timestamp: t });

describe("Streaming DirectRunner: session windows", () => {
  it("merges overlapping sessions per key, including a late bridge between two sessions", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const grouped = p
        .apply(
          TestStream.create<KV<string, number>>()
            .addElements(el("a", 1), el("a", 5), el("b", 3))
            .addElements(el("a", 30)) // a separate session [30, 40)
            .addElements(el("a", 15)) // [15, 25): not yet merged with [1, 15)
            .addElements(el("a", 12)) // [12, 22) bridges [1, 15) and [15, 25)
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new Sessions(10)))
        .apply(GroupByKey.create())
        .map("Sort", sorted);
      collect(grouped, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    const rows = out.map((o) => `${o.value.key} ${o.window} ${o.value.value.join(",")} @${o.timestamp}`).sort();
    assert.deepEqual(rows, ["a 1:25 1,5,12,15 @24", "a 30:40 30 @39", "b 3:13 3 @12"]);
  });

  it("fires a session on time once the watermark passes its (merged) end", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    await (
      await runDirect((p) => {
        const grouped = p
          .apply(
            TestStream.create<KV<string, number>>()
              .addElements(el("a", 1), el("a", 8))
              .advanceWatermarkTo(15) // [1, 18) is still open
              .addElements(el("a", 16)) // extends it to [1, 26)
              .advanceWatermarkTo(26)
              .addElements(el("a", 40))
              .advanceWatermarkToInfinity(),
          )
          .apply(Window.into(new Sessions(10)))
          .apply(GroupByKey.create())
          .map("Sort", sorted);
        collect(grouped, out);
      })
    ).waitUntilFinish();
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value.value.join(",")} ${paneOf(o.pane)}`),
      ["1:26 1,8,16 ON_TIME#0/0 first last", "40:50 40 ON_TIME#0/0 first last"],
    );
  });
});

describe("Streaming DirectRunner: sessions and finished sessions (Beam's merge, then drop)", () => {
  it("an open session of an earlier bundle that merges into exactly a finished session goes with it: its unfired elements are dropped and counted", async () => {
    // [1, 18) fires and finishes; 1@1 then starts [1, 11) (a finished session does not merge), and
    // 8@8 merges [1, 11) and [8, 18) into [1, 18), the finished session: Beam Java's ReduceFnRunner
    // merges [1, 11)'s state into it and drops 8 (the state is never emitted); here both are counted.
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 1), el("a", 8))
      .addElements(el("a", 1))
      .addElements(el("a", 8))
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await groupedPanes(script, new Sessions(10), { trigger: AfterCount(2), allowedLatenessMillis: 100 }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["a:1,8 1:18 EARLY#0/-1 first last"]);
    assert.equal(droppedClosed(metrics), 2);
  });

  it("an element of exactly a finished session joins the open session the bundle's other elements merge it into", async () => {
    // ReduceFnRunnerTest.testMergingWithClosedDoesNotPoison, the element of [2, 12) last in its bundle this time.
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 2))
      .advanceProcessingTime(10)
      .addElements(el("a", 1), el("a", 3), el("a", 2))
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await groupedPanes(script, new Sessions(10), { trigger: AfterProcessingTime(5), allowedLatenessMillis: 50 }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["a:2 2:12 EARLY#0/-1 first last", "a:1,2,3 1:13 ON_TIME#0/0 first last"]);
    assert.equal(droppedClosed(metrics), 0);
  });
});

describe("Streaming DirectRunner: sessions with late data, randomized (ReduceFnRunnerTest.testMergingWatermarkHoldAndLateDataFuzz)", () => {
  // Beam's fuzz test: session windows, Repeatedly(AfterWatermark(late=AfterCount(1))), discarding,
  // an allowed lateness no element exceeds, random bundles and watermark advances. Nothing may be
  // dropped, and (discarding) every element comes out in exactly one pane. Fixed seeds: a failure reproduces.
  for (const seed of [1, 7, 42, 1234, 99991]) {
    it(`seed ${seed}: nothing is dropped and every element is in exactly one pane`, async () => {
      let x = seed;
      const next = (n: number): number => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return (x >>> 8) % n;
      };
      const gap = 10 + next(40);
      const maxTs = 1 + next(400);
      const times = Array.from({ length: 4 + next(100) }, () => next(maxTs));
      let script = TestStream.create<KV<string, number>>();
      let watermark = 0;
      for (let split = 0; split < times.length; ) {
        const end = Math.min(times.length, split + 1 + next(times.length));
        script = script.addElements(...times.slice(split, end).map((t) => el("a", t)));
        const w = next(maxTs + gap);
        if (next(3) === 0 && w > watermark) script = script.advanceWatermarkTo((watermark = w));
        split = end;
      }
      const { rows, metrics } = await groupedPanes(
        script.advanceWatermarkToInfinity(),
        new Sessions(gap),
        { trigger: Repeatedly(AfterWatermark({ late: AfterCount(1) })), allowedLatenessMillis: 100 * 60_000 },
      );
      assert.equal(droppedClosed(metrics), 0);
      assert.equal(metrics.counterTotal("beamline", "droppedDueToLateness", "GroupByKey"), 0);
      const emitted = rows.flatMap((r) => r.split(" ")[0]!.split(":")[1]!.split(",").filter((v) => v !== "").map(Number));
      assert.deepEqual(emitted.sort((a, b) => a - b), [...times].sort((a, b) => a - b), rows.join("\n"));
    });
  }
});

describe("DirectRunner: sessions in a bounded pipeline", () => {
  it("merges sessions in a batch pipeline too (routed to the streaming driver)", async () => {
    const result = await runDirect((p) => {
      const grouped = p
        .apply(Create.timestamped([el("a", 1), el("a", 8), el("a", 30), el("b", 2)]))
        .apply(Window.into(new Sessions(10)))
        .apply(GroupByKey.create())
        .map("Sort", sorted);
      assertThat(grouped, equalTo([kv("a", [1, 8]), kv("a", [30]), kv("b", [2])]));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
  });
});

describe("Streaming DirectRunner: triggers", () => {
  it("fires on processing time in virtual time (Repeatedly AfterProcessingTime, global window)", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    await (
      await runDirect((p) => {
        const grouped = p
          .apply(
            TestStream.create<KV<string, number>>()
              .addElements(el("k", 1), el("k", 2))
              .advanceProcessingTime(500) // not yet: the delay is 1 s from the first element
              .addElements(el("k", 3))
              .advanceProcessingTime(500) // 1 s: fires [1, 2, 3]
              .addElements(el("k", 4))
              .advanceProcessingTime(1000) // fires [4]
              .advanceWatermarkToInfinity(),
          )
          .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterProcessingTime(1000)) }))
          .apply(GroupByKey.create())
          .map("Sort", sorted);
        collect(grouped, out);
      })
    ).waitUntilFinish();
    assert.deepEqual(
      out.map((o) => `${o.value.value.join(",")} ${paneOf(o.pane)}`),
      // The end of the global window (end of time) closes it with an empty on-time pane
      // (on-time behaviour FIRE_ALWAYS, as Beam's runners-core does).
      ["1,2,3 EARLY#0/-1 first", "4 EARLY#1/-1", " ON_TIME#2/0 last"],
    );
  });

  it("composes triggers: AfterEach, AfterFirst, AfterAll; a finished trigger closes the window", async () => {
    const run = async (trigger: Parameters<typeof Window.into>[1]): Promise<string[]> => {
      const out: Observed<KV<string, number[]>>[] = [];
      const result = await runDirect((p) => {
        const grouped = p
          .apply(
            TestStream.create<KV<string, number>>()
              .addElements(el("k", 1))
              .addElements(el("k", 2))
              .addElements(el("k", 3))
              .advanceProcessingTime(100)
              .addElements(el("k", 4))
              .addElements(el("k", 5))
              .advanceWatermarkToInfinity(),
          )
          .apply(Window.into(new GlobalWindows(), trigger))
          .apply(GroupByKey.create())
          .map("Sort", sorted);
        collect(grouped, out);
      }, UNSAFE_TRIGGERS);
      await result.waitUntilFinish();
      const dropped = result.metrics.counterTotal("beamline", "droppedDueToClosedWindow", "GroupByKey");
      return [...out.map((o) => `${o.value.value.join(",")}${o.pane.isLast ? " last" : ""}`), `dropped=${dropped}`];
    };
    // AfterEach: first after 2 elements, then after 1 more; then finished (4 and 5 are dropped).
    assert.deepEqual(await run({ trigger: AfterEach(AfterCount(2), AfterCount(1)) }), ["1,2", "3 last", "dropped=2"]);
    // AfterFirst, repeated: whichever comes first of 2 elements or 100 ms of processing time.
    // (The global window's end closes it with an empty on-time pane.)
    assert.deepEqual(await run({ trigger: Repeatedly(AfterFirst(AfterCount(2), AfterProcessingTime(100))) }), ["1,2", "3", "4,5", " last", "dropped=0"]);
    // AfterAll: needs 3 elements and 100 ms; fires once.
    assert.deepEqual(await run({ trigger: AfterAll(AfterCount(3), AfterProcessingTime(100)) }), ["1,2,3 last", "dropped=2"]);
  });
});

describe("Streaming DirectRunner: bounded and unbounded together", () => {
  it("flattens a bounded Create with a TestStream; assertThat works on the unbounded result", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const bounded: PCollection<KV<string, number>> = p.apply("Bounded", Create.timestamped([el("a", 3), el("b", 14)]));
      const unbounded = p.apply(TestStream.create<KV<string, number>>().addElements(el("a", 5)).advanceWatermarkTo(12).addElements(el("b", 11)).advanceWatermarkToInfinity());
      assert.equal(unbounded.isBounded, false);
      const all = bounded.apply(Flatten.with(unbounded));
      assert.equal(all.isBounded, false);
      const grouped = all.apply(Window.into(new FixedWindows(10))).apply(GroupByKey.create()).map("Sort", sorted);
      collect(grouped, out);
      assertThat(grouped, equalTo([kv("a", [3, 5]), kv("b", [11, 14])]));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => `${o.value.key}@${o.timestamp}`).sort(), ["a@9", "b@19"]);
  });

  it("runs a bounded pipeline with --streaming through the streaming driver", async () => {
    const result = await runDirect(
      (p) => {
        const grouped = p.apply(Create.timestamped([el("a", 1), el("a", 2), el("b", 15)])).apply(Window.into(new FixedWindows(10))).apply(GroupByKey.create()).map("Sort", sorted);
        assertThat(grouped, equalTo([kv("a", [1, 2]), kv("b", [15])]));
      },
      { streaming: true },
    );
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(typeof (result as { watermarks?: unknown }).watermarks, "function", "the streaming driver ran it");
  });

  it("fails the run when an assertion on streaming output does not hold", async () => {
    const result = await runDirect((p) => {
      const s = p.apply(TestStream.create<number>().addElements({ value: 1, timestamp: 1 }).advanceWatermarkToInfinity());
      assertThat(s, equalTo([2]));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /AssertThat\/Check/);
  });
});

