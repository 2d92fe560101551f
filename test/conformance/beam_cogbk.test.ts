/**
 * CoGroupByKey against Beam's own tests as the oracle: Beam Python's util_test.py
 * CoGroupByKeyTest (dict inputs, tuple keys, one input, empty inputs) and Beam Java's
 * CoGroupByKeyTest.java (getOnly, the purchases join and its consumer, the windowed clicks and
 * purchases join with its timestamps), with Beam's expected outputs. Windowed cases run in batch
 * and in streaming (TestStreams): the streaming driver groups on its own path. The windowing
 * rules are Beam's Flatten's: incompatible window functions or triggers are refused when the
 * pipeline is built, compatible ones (sessions of different gaps) are joined.
 */
import { strict as assert } from "node:assert";
import { AfterCount, CoGroupByKey, Create, FixedWindows, GlobalWindows, kv, KV, ParDo, PCollection, Pipeline, PipelineConstructionError, Repeatedly, Sessions, TestStream, Window } from "../../lib";
import { runOk } from "../helpers";
import { collect, Observed } from "../streaming/collect";
import { timestamped, type Mode } from "./beam_helpers";

/** Each result as `key -> {tag: sorted values}` (JSON), sorted. */
function rows<K, R extends Record<string, readonly unknown[]>>(out: readonly Observed<KV<K, R>>[]): string[] {
  return out
    .map((o) => {
      const sorted = Object.fromEntries(Object.entries(o.value.value).map(([tag, vs]) => [tag, [...vs].sort()]));
      return `${JSON.stringify(o.value.key)} -> ${JSON.stringify(sorted)}`;
    })
    .sort();
}

async function joined<K, R>(build: (p: Pipeline) => PCollection<KV<K, R>>): Promise<Observed<KV<K, R>>[]> {
  const out: Observed<KV<K, R>>[] = [];
  await runOk((p) => collect(build(p), out));
  return out;
}

/** util_test.py's two inputs. */
function pythonInputs(p: Pipeline): { x: PCollection<KV<string, number>>; y: PCollection<KV<string, number>> } {
  return {
    x: p.apply("Start 1", Create.of(kv("a", 1), kv("a", 2), kv("b", 3), kv("c", 4))),
    y: p.apply("Start 2", Create.of(kv("a", 5), kv("a", 6), kv("c", 7), kv("c", 8))),
  };
}

describe("Beam CoGroupByKey (util_test.py CoGroupByKeyTest)", () => {
  it("groups a dict of inputs: a key missing from one input gets [] there (test_co_group_by_key_on_dict)", async () => {
    const out = await joined((p) => {
      const { x, y } = pythonInputs(p);
      return p.apply(CoGroupByKey.of({ X: x, Y: y }));
    });
    assert.deepEqual(rows(out), ['"a" -> {"X":[1,2],"Y":[5,6]}', '"b" -> {"X":[3],"Y":[]}', '"c" -> {"X":[4],"Y":[7,8]}']);
  });

  it("groups a list of inputs into a tuple of lists, in the inputs' order (test_co_group_by_key_on_tuple, _on_list, _on_iterable)", async () => {
    const out = await joined((p) => {
      const { x, y } = pythonInputs(p);
      return p.apply(CoGroupByKey.of([x, y]));
    });
    const sorted = out.map((o) => JSON.stringify([o.value.key, o.value.value.map((vs) => [...vs].sort())])).sort();
    assert.deepEqual(sorted, ['["a",[[1,2],[5,6]]]', '["b",[[3],[]]]', '["c",[[4],[7,8]]]']);
  });

  it("groups a list of one input (test_co_group_by_key_on_one, OneTuple and OneList)", async () => {
    const out = await joined((p) => p.apply("OneList", CoGroupByKey.of([p.apply(Create.of(kv("a", 1), kv("b", 2)))])));
    assert.deepEqual(out.map((o) => JSON.stringify([o.value.key, o.value.value])).sort(), ['["a",[[1]]]', '["b",[[2]]]']);
  });

  it("groups by structured keys (test_co_group_by_key_on_dict_with_tuple_keys)", async () => {
    const key = ["a", ["b", "c"]] as const;
    const out = await joined((p) =>
      p.apply(
        CoGroupByKey.of({
          X: p.apply("Start 1", Create.of(kv(key, 1))),
          Y: p.apply("Start 2", Create.of(kv(key, 2))),
        }),
      ),
    );
    assert.deepEqual(rows(out), ['["a",["b","c"]] -> {"X":[1],"Y":[2]}']);
  });

  it("groups one input (test_co_group_by_key_on_one)", async () => {
    const out = await joined((p) => p.apply("OneDict", CoGroupByKey.of({ tag: p.apply(Create.of(kv("a", 1), kv("b", 2))) })));
    assert.deepEqual(rows(out), ['"a" -> {"tag":[1]}', '"b" -> {"tag":[2]}']);
  });

  it("gives nothing for empty inputs, and [] for an empty input beside others (test_co_group_by_key_on_empty; CoGroupByKey's docstring)", async () => {
    const none = await joined((p) => {
      const empty = (label: string): PCollection<KV<string, number>> => p.apply(label, Create.from<KV<string, number>>([]));
      return p.apply(CoGroupByKey.of({ X: empty("E1"), Y: empty("E2") }));
    });
    assert.deepEqual(none, []);
    const some = await joined((p) =>
      p.apply(
        CoGroupByKey.of({
          tag1: p.apply("PC1", Create.of(kv("k1", "v1"))),
          tag2: p.apply("PC2", Create.from<KV<string, string>>([])),
          tag3: p.apply("PC3", Create.of(kv("k1", "v31"), kv("k1", "v32"), kv("k2", "v33"))),
        }),
      ),
    );
    assert.deepEqual(rows(some), ['"k1" -> {"tag1":["v1"],"tag2":[],"tag3":["v31","v32"]}', '"k2" -> {"tag1":[],"tag2":[],"tag3":["v33"]}']);
  });

  it("refuses a record of no inputs when the transform is made (Beam Python needs an explicit pipeline for it)", () => {
    assert.throws(() => CoGroupByKey.of({}), (e: unknown) => e instanceof PipelineConstructionError && /at least one keyed input/.test(e.message));
    assert.throws(() => CoGroupByKey.of([]), (e: unknown) => e instanceof PipelineConstructionError && /at least one keyed input/.test(e.message));
  });
});

/** CoGroupByKeyTest.java's purchases, addresses and names, by customer id. */
function purchasesJoin(p: Pipeline) {
  const purchases = p.apply(
    "CreateIdToPurchases",
    Create.of(
      kv(2, "Boat"), kv(1, "Shoes"), kv(3, "Car"), kv(1, "Book"), kv(10, "Pens"), kv(8, "House"),
      kv(4, "Suit"), kv(11, "House"), kv(14, "Shoes"), kv(2, "Suit"), kv(8, "Suit Case"), kv(3, "House"),
    ),
  );
  const addresses = p.apply("CreateIdToAddress", Create.of(kv(2, "53 S. 3rd"), kv(10, "383 Jackson Street"), kv(20, "3 W. Arizona"), kv(3, "29 School Rd"), kv(8, "6 Watling Rd")));
  const names = p.apply("CreateIdToName", Create.of(kv(1, "John Smith"), kv(2, "Sally James"), kv(8, "Jeffery Spalding"), kv(20, "Joan Lichtfield")));
  return p.apply(CoGroupByKey.of({ names, addresses, purchases }));
}

describe("Beam CoGroupByKey (CoGroupByKeyTest.java)", () => {
  it("testCoGroupByKeyGetOnly: keys of overlapping inputs", async () => {
    const out = await joined((p) =>
      p.apply(
        CoGroupByKey.of({
          tag1: p.apply("CreateList1", Create.of(kv(1, "collection1-1"), kv(2, "collection1-2"))),
          tag2: p.apply("CreateList2", Create.of(kv(2, "collection2-2"), kv(3, "collection2-3"))),
        }),
      ),
    );
    assert.deepEqual(rows(out), ['1 -> {"tag1":["collection1-1"],"tag2":[]}', '2 -> {"tag1":["collection1-2"],"tag2":["collection2-2"]}', '3 -> {"tag1":[],"tag2":["collection2-3"]}']);
  });

  it("testCoGroupByKey: three inputs", async () => {
    const out = await joined(purchasesJoin);
    assert.deepEqual(rows(out), [
      '1 -> {"names":["John Smith"],"addresses":[],"purchases":["Book","Shoes"]}',
      '10 -> {"names":[],"addresses":["383 Jackson Street"],"purchases":["Pens"]}',
      '11 -> {"names":[],"addresses":[],"purchases":["House"]}',
      '14 -> {"names":[],"addresses":[],"purchases":["Shoes"]}',
      '2 -> {"names":["Sally James"],"addresses":["53 S. 3rd"],"purchases":["Boat","Suit"]}',
      '20 -> {"names":["Joan Lichtfield"],"addresses":["3 W. Arizona"],"purchases":[]}',
      '3 -> {"names":[],"addresses":["29 School Rd"],"purchases":["Car","House"]}',
      '4 -> {"names":[],"addresses":[],"purchases":["Suit"]}',
      '8 -> {"names":["Jeffery Spalding"],"addresses":["6 Watling Rd"],"purchases":["House","Suit Case"]}',
    ]);
  });

  it("testCoGroupByKeyHandleResults: purchase counts of addresses without names", async () => {
    const out: Observed<KV<string, number>>[] = [];
    await runOk((p) =>
      collect(
        purchasesJoin(p).flatMap("CorrelatePurchaseCountForAddressesWithoutNames", (e) => (e.value.names.length > 0 ? [] : e.value.addresses.map((a) => kv(a, e.value.purchases.length)))),
        out,
      ),
    );
    assert.deepEqual(out.map((o) => `${o.value.key}=${o.value.value}`).sort(), ["29 School Rd=2", "383 Jackson Street=1"]);
  });

  for (const mode of ["batch", "streaming"] as Mode[]) {
    it(`testCoGroupByKeyWithWindowing: each fixed window joined on its own, at the earliest timestamp (${mode})`, async () => {
      const clickOfPurchase: Observed<KV<string, string>>[] = [];
      await runOk((p) => {
        const windowed = (label: string, values: [number, string, number][]): PCollection<KV<number, string>> =>
          timestamped(p, `Create${label}`, mode, values.map(([id, what, t]) => ({ value: kv(id, what), timestamp: t }))).apply(
            `Window${label}`,
            Window.into(new FixedWindows(4), { timestampCombiner: "EARLIEST" }),
          );
        const clicks = windowed("Clicks", [[1, "Click t0", 0], [2, "Click t2", 2], [1, "Click t4", 4], [1, "Click t6", 6], [2, "Click t8", 8]]);
        const purchases = windowed("Purchases", [
          [1, "Boat t1", 1], [1, "Shoesi t2", 2], [1, "Pens t3", 3], [2, "House t4", 4], [2, "Suit t5", 5],
          [1, "Car t6", 6], [1, "Book t7", 7], [2, "House t8", 8], [2, "Shoes t9", 9], [2, "House t10", 10],
        ]);
        const results = p.apply(CoGroupByKey.of({ clicks, purchases }));
        // ClickOfPurchaseFn: each click with each purchase, with the result's timestamp and its window's max timestamp.
        collect(
          results.apply(
            "ClickOfPurchase",
            ParDo.into<KV<string, string>>().of((e: KV<number, { clicks: string[]; purchases: string[] }>, ctx) => {
              for (const click of e.value.clicks) for (const purchase of e.value.purchases) ctx.output(kv(`${click}:${purchase}`, `${ctx.timestamp}:${ctx.window.maxTimestamp()}`));
            }),
          ),
          clickOfPurchase,
        );
      });
      assert.deepEqual(clickOfPurchase.map((o) => `${o.value.key}=${o.value.value}`).sort(), [
        "Click t0:Boat t1=0:3",
        "Click t0:Pens t3=0:3",
        "Click t0:Shoesi t2=0:3",
        "Click t4:Book t7=4:7",
        "Click t4:Car t6=4:7",
        "Click t6:Book t7=4:7",
        "Click t6:Car t6=4:7",
        "Click t8:House t10=8:11",
        "Click t8:House t8=8:11",
        "Click t8:Shoes t9=8:11",
      ]);
    });
  }
});

describe("CoGroupByKey's windowing rules (Beam's Flatten: compatible window functions and triggers)", () => {
  it("refuses inputs with incompatible window functions, naming the inputs and the step", () => {
    for (const other of [new GlobalWindows(), new FixedWindows(5)]) {
      const pipeline = Pipeline.create();
      const a = pipeline.apply("A", Create.of(kv("a", 1))).apply("WindowA", Window.into(new FixedWindows(4)));
      const b = pipeline.apply("B", Create.of(kv("a", 2))).apply("WindowB", Window.into(other));
      assert.throws(
        () => pipeline.apply("Join", CoGroupByKey.of({ a, b })),
        (e: unknown) =>
          e instanceof PipelineConstructionError &&
          /input 'b'/.test(e.message) &&
          /compatible windowing/.test(e.message) &&
          /Join/.test(e.message) &&
          e.message.includes(`${other.constructor.name}(${JSON.stringify(other.config)})`),
      );
    }
  });

  it("refuses inputs with incompatible triggers", () => {
    const pipeline = Pipeline.create();
    const a = pipeline.apply("A", Create.of(kv("a", 1)));
    const b = pipeline.apply("B", Create.of(kv("a", 2))).apply("Trigger", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)) }));
    assert.throws(() => pipeline.apply("Join", CoGroupByKey.of({ a, b })), (e: unknown) => e instanceof PipelineConstructionError && /compatible triggers/.test(e.message));
  });

  it("refuses unbounded inputs in the global window with the default trigger (Beam's GroupByKey rule), naming the step", () => {
    const pipeline = Pipeline.create();
    const stream = (label: string, value: number) => pipeline.apply(label, TestStream.create<KV<string, number>>().addElements({ value: kv("a", value), timestamp: 0 }).advanceWatermarkToInfinity());
    assert.throws(
      () => pipeline.apply("Join", CoGroupByKey.of({ a: stream("A", 1), b: stream("B", 2) })),
      (e: unknown) => e instanceof PipelineConstructionError && /unbounded/.test(e.message) && e.message.includes("'Join/GroupByKey'"),
    );
  });

  it("joins triggered unbounded inputs pane by pane: each value in exactly one pane (discarding), and panes before the end", async () => {
    const out = await joined((p) => {
      const triggered = (label: string, first: number[], second: number[]) =>
        p
          .apply(
            label,
            TestStream.create<KV<string, number>>()
              .addElements(...first.map((v) => ({ value: kv("k", v), timestamp: v })))
              .advanceWatermarkTo(100)
              .addElements(...second.map((v) => ({ value: kv("k", v), timestamp: v })))
              .advanceWatermarkToInfinity(),
          )
          .apply(`Trigger${label}`, Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)) }));
      return p.apply(CoGroupByKey.of({ a: triggered("A", [1, 2], [200]), b: triggered("B", [3], [300, 301]) }));
    });
    assert.ok(out.length >= 2, `${out.length} pane(s)`);
    assert.ok(out.some((o) => o.pane.timing === "EARLY"), out.map((o) => o.pane.timing).join(","));
    const all = (tag: "a" | "b") => out.flatMap((o) => o.value.value[tag]).sort((x, y) => x - y);
    assert.deepEqual(all("a"), [1, 2, 200]);
    assert.deepEqual(all("b"), [3, 300, 301]);
  });

  for (const mode of ["batch", "streaming"] as Mode[]) {
    it(`joins sessions of different gaps (compatible, as Beam's Sessions.isCompatible), merging across the inputs (${mode})`, async () => {
      const out = await joined((p) => {
        const clicks = timestamped(p, "Clicks", mode, [
          { value: kv("u", "c0"), timestamp: 0 },
          { value: kv("u", "c5"), timestamp: 5 },
          { value: kv("u", "c100"), timestamp: 100 },
        ]).apply("SessionClicks", Window.into(new Sessions(10)));
        const purchases = timestamped(p, "Purchases", mode, [
          { value: kv("u", "p12"), timestamp: 12 },
          { value: kv("v", "p50"), timestamp: 50 },
        ]).apply("SessionPurchases", Window.into(new Sessions(3)));
        return p.apply(CoGroupByKey.of({ clicks, purchases }));
      });
      assert.deepEqual(
        out.map((o) => `${o.window} ${rows([o])[0]}`).sort(),
        ['0:15 "u" -> {"clicks":["c0","c5"],"purchases":["p12"]}', '100:110 "u" -> {"clicks":["c100"],"purchases":[]}', '50:53 "v" -> {"clicks":[],"purchases":["p50"]}'],
      );
    });
  }
});
