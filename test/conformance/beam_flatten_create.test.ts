/**
 * Flatten and Create against Beam's own tests as the oracle: Beam Java's FlattenTest (empty
 * inputs, the same collection flattened twice, outputs with several consumers, windowing
 * propagation) and CreateTest (empty, timestamped, nulls), plus flattening a bounded collection
 * with an unbounded one, which Beam allows (the output is unbounded).
 */
import { strict as assert } from "node:assert";
import { AsIterable, Create, FixedWindows, Flatten, GlobalWindow, IntervalWindow, kv, type KV, GroupByKey, Keys, ParDo, PipelineConstructionError, Sessions, TestStream, Values, Window, WithKeys, type PCollection } from "../../lib";
import { Pipeline } from "../../lib/model/pipeline";
import { validatePipelineProto } from "../../runners/portable/describe";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { windowFnsCompatible } from "../../lib/model/windowing";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

const LINES = ["Enter Gertrude and Polonius", "The queen will have the king", "He did say she would", "The king doth wake tonight"];
const LINES2 = ["Such a dirty bloke", "Such a dirty bloke", "Long live the king"];

const outputs = (build: Parameters<typeof labelledOutputs>[0]): Promise<Record<string, string[]>> => labelledOutputs(build, (o) => String(o.value));
const sorted = (...lists: readonly (readonly unknown[])[]): string[] => lists.flat().map(String).sort();

const lines = (p: Pipeline, label: string, mode: Mode, values: readonly string[]): PCollection<string> =>
  timestamped(p, label, mode, values.map((value) => ({ value, timestamp: 0 })));

for (const mode of ["batch", "streaming"] as const) {
  describe(`Beam Flatten (FlattenTest.java), ${mode}`, () => {
    it("testFlattenPCollections, testFlattenPCollectionsThenParDo: empty inputs among others", async () => {
      const r = await outputs((p, out) => {
        const inputs = [LINES, [], LINES2, [], LINES, []].map((values, i) => lines(p, `Input${i}`, mode, values));
        const flat = inputs[0]!.apply(Flatten.with(...inputs.slice(1)));
        out("Flat", flat);
        out("ThenParDo", flat.apply("Identity", ParDo.into<string>().of((s: string, ctx) => ctx.output(s))));
      });
      assert.deepEqual(r, { Flat: sorted(LINES, LINES2, LINES), ThenParDo: sorted(LINES, LINES2, LINES) });
    });

    it("testFlattenPCollectionsSingletonList: a flatten of one collection is a new collection with its elements", async () => {
      const r = await outputs((p, out) => {
        const input = lines(p, "Lines", mode, LINES);
        const flat = input.apply(Flatten.with());
        assert.notEqual(flat, input);
        out("Flat", flat);
      });
      assert.deepEqual(r, { Flat: sorted(LINES) });
    });

    it("testFlattenInputMultipleCopies: a collection flattened with itself contributes each element twice", async () => {
      const r = await outputs((p, out) => {
        const longs = timestamped(p, "mkLines", mode, [0, 1, 2, 3, 4].map((value) => ({ value, timestamp: 0 })));
        const bigger = timestamped(p, "mkOtherLines", mode, [0, 1, 2, 3, 4].map((value) => ({ value, timestamp: 0 }))).map("Plus10", (n: number) => n + 10);
        out("Flat", longs.apply(Flatten.with(longs, bigger)));
      });
      assert.deepEqual(r, { Flat: sorted([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [10, 11, 12, 13, 14]) });
    });

    it("testFlattenMultiplePCollectionsHavingMultipleConsumers", async () => {
      const r = await outputs((p, out) => {
        const tuple = lines(p, "Input", mode, ["AA", "BBB", "CC"]).apply(
          ParDo.into<string, { odd: string }>()
            .of((s: string, ctx) => (s.length % 2 === 0 ? ctx.output(s) : ctx.outputTo("odd", s)))
            .withOutputs("odd"),
        );
        out("Merged", tuple.main.apply(Flatten.with(tuple.odd)));
        out("Even", tuple.main);
        out("Odd", tuple.odd);
      });
      assert.deepEqual(r, { Merged: ["AA", "BBB", "CC"], Even: ["AA", "CC"], Odd: ["BBB"] });
    });

    it("testFlattenWithDifferentInputAndOutputCoders{,2}: a GroupByKey before and after a Flatten", async () => {
      const r = await outputs((p, out) => {
        // Windowed: an unbounded global-window GroupByKey without a trigger is refused, as in Beam.
        const keyed = lines(p, "Lines", mode, LINES).apply(Window.into(new FixedWindows(60_000))).apply(WithKeys.of<string, string>("a"));
        const before = keyed.apply(Flatten.with()).apply(GroupByKey.create()).apply(Values.create<string[]>()).flatMap("Each", (vs: string[]) => vs);
        const after = keyed.apply("Group2", GroupByKey.create()).apply("Flatten2", Flatten.with()).apply("Values2", Values.create<string[]>()).flatMap("Each2", (vs: string[]) => vs);
        out("Before", before);
        out("After", after);
      });
      assert.deepEqual(r, { Before: sorted(LINES), After: sorted(LINES) });
    });

    it("testFlattenWithPCollection: chained Flatten.with", async () => {
      const r = await outputs((p, out) => {
        const flat = lines(p, "Lines", mode, LINES)
          .apply("FlattenWithLines1", Flatten.with(lines(p, "Create1", mode, LINES)))
          .apply("FlattenWithLines2", Flatten.with(lines(p, "Create2", mode, LINES2)));
        out("Flat", flat);
      });
      assert.deepEqual(r, { Flat: sorted(LINES, LINES2, LINES) });
    });
  });
}

for (const streaming of [false, true]) {
  describe(`Beam Flatten of a list (FlattenTest.java's PCollectionList), ${streaming ? "streaming" : "batch"}`, () => {
    const options = { streaming };

    it("testFlattenPCollectionsEmpty, testFlattenPCollectionsEmptyThenParDo: a flatten of no collections is empty", async () => {
      let flat: PCollection<string> | undefined;
      const r = await labelledOutputs((p, out) => {
        flat = p.apply(Flatten.pCollections<string>());
        out("Flat", flat);
        out("ThenParDo", flat.apply("Identity", ParDo.into<string>().of((s: string, ctx) => ctx.output(s))));
      }, undefined, options);
      assert.deepEqual(r, { Flat: [], ThenParDo: [] });
      // As Beam Java's Flatten of an empty list: bounded, in the global window.
      assert.equal(flat!.isBounded, true);
      assert.equal(flat!.windowing.windowFn.urn, "beam:window_fn:global_windows:v1");
    });

    it("testEmptyFlattenAsSideInput: an empty flatten read as an iterable side input", async () => {
      const r = await labelledOutputs((p, out) => {
        const view = AsIterable(p.apply("Empty", Flatten.pCollections<string>()));
        out(
          "Output",
          p.apply("Main", Create.of(null)).apply("ReadSide", ParDo.into<string>().of((_x: null, ctx) => { for (const side of ctx.sideInputs.view) ctx.output(side); }, { sideInputs: { view } })),
        );
      }, undefined, options);
      assert.deepEqual(r, { Output: [] });
    });

    it("testFlattenPCollections: a list of collections, empty ones among them", async () => {
      const r = await outputs((p, out) => {
        const inputs = [LINES, [], LINES2].map((values, i) => lines(p, `Input${i}`, "batch", values));
        out("Flat", p.apply(Flatten.pCollections(...inputs)));
      });
      assert.deepEqual(r, { Flat: sorted(LINES, LINES2) });
    });
  });
}

describe("Beam Flatten of a list: the portable translation", () => {
  it("a list is one runner Flatten of all its inputs; an empty list an empty source (as Beam Java's runners replace it)", () => {
    const { proto } = translatePipeline(
      Pipeline.build({}, (p) => {
        p.apply("Both", Flatten.pCollections(p.apply("A", Create.of("a")), p.apply("B", Create.of("b"))));
        p.apply("None", Flatten.pCollections<string>()).map("Use", (s: string) => s.length);
      }),
      dockerEnvironment("beamline/worker:test"),
    );
    assert.deepEqual(validatePipelineProto(proto), []);
    const transforms = proto.components!.transforms;
    const named = (name: string) => Object.values(transforms).find((t) => t.uniqueName === name)!;
    assert.equal(named("Both").spec?.urn, "beam:transform:flatten:v1");
    assert.equal(Object.keys(named("Both").inputs).length, 2);
    const none = named("None");
    assert.equal(Object.keys(none.inputs).length, 0);
    assert.deepEqual(none.subtransforms.map((id) => transforms[id]!.spec?.urn), ["beam:transform:impulse:v1", "beam:transform:pardo:v1"]);
  });
});

describe("Beam Flatten: windowing and boundedness", () => {
  it("testEqualWindowFnPropagation, testCompatibleWindowFnPropagation, testIncompatibleWindowFnPropagationFailure", async () => {
    await outputs((p) => {
      const input1 = p.apply("CreateInput1", Create.of("Input1")).apply("Window1", Window.into(new FixedWindows(60_000)));
      const input2 = p.apply("CreateInput2", Create.of("Input2")).apply("Window2", Window.into(new FixedWindows(60_000)));
      assert.ok(windowFnsCompatible(input1.apply(Flatten.with(input2)).windowing.windowFn, new FixedWindows(60_000)));
      const s1 = p.apply("CreateInput3", Create.of("Input1")).apply("Window3", Window.into(new Sessions(60_000)));
      const s2 = p.apply("CreateInput4", Create.of("Input2")).apply("Window4", Window.into(new Sessions(120_000)));
      assert.ok(windowFnsCompatible(s1.apply("FlattenSessions", Flatten.with(s2)).windowing.windowFn, new Sessions(120_000)));
      const f2 = p.apply("CreateInput5", Create.of("Input2")).apply("Window5", Window.into(new FixedWindows(120_000)));
      assert.throws(() => input1.apply("FlattenIncompatible", Flatten.with(f2)), PipelineConstructionError);
    });
  });

  it("a bounded collection flattened with an unbounded one is unbounded, and a grouping after it gets both", async () => {
    let bounded: boolean | undefined;
    const r = await outputs((p, out) => {
      const batch = p.apply("Bounded", Create.timestamped([{ value: "b1", timestamp: 1000 }, { value: "b2", timestamp: 2000 }]));
      const stream = p.apply("Unbounded", TestStream.create<string>().addElements({ value: "s1", timestamp: 1500 }).advanceWatermarkTo(5000).addElements({ value: "s2", timestamp: 7000 }).advanceWatermarkToInfinity());
      const flat = batch.apply(Flatten.with(stream));
      bounded = flat.isBounded;
      const grouped = flat.apply(Window.into(new FixedWindows(5000))).apply(WithKeys.of<string, string>("k")).apply(GroupByKey.create());
      out("Grouped", grouped.apply(Keys.create<string>()).apply("Count", ParDo.into<string>().of((k: string, ctx) => ctx.output(`${k}@${ctx.window.maxTimestamp()}`))));
      out("Values", grouped.apply(Values.create<string[]>()).flatMap("Each", (vs: string[]) => vs));
    });
    assert.equal(bounded, false);
    assert.deepEqual(r, { Grouped: ["k@4999", "k@9999"], Values: ["b1", "b2", "s1", "s2"] });
  });
});

describe("Beam Create (CreateTest.java)", () => {
  it("testCreate, testCreateEmpty, testCreateWithNullsAndValues", async () => {
    const r = await labelledOutputs((p, out) => {
      out("Lines", p.apply("Lines", Create.from(LINES)));
      out("Empty", p.apply("Empty", Create.of<string>()));
      out("Nulls", p.apply("Nulls", Create.of<string | null>(null, "test1", null, "test2", null)));
    });
    assert.deepEqual(r, { Lines: LINES.map((l) => JSON.stringify(l)).sort(), Empty: [], Nulls: ["\"test1\"", "\"test2\"", "null", "null", "null"] });
  });

  it("testCreateTimestamped, testCreateTimestampedEmpty: elements at their timestamps, in the global window", async () => {
    const r = await labelledOutputs((p, out) => {
      out("Stamped", p.apply("Stamped", Create.timestamped([{ value: "a", timestamp: 1 }, { value: "b", timestamp: 2 }, { value: "c", timestamp: 3 }])));
      out("Empty", p.apply("Empty", Create.timestamped<string>([])));
    }, (o) => `${String(o.value)}@${o.timestamp} ${o.window}`);
    assert.deepEqual(r, { Stamped: ["a@1 global", "b@2 global", "c@3 global"], Empty: [] });
  });

  it("testCreateWindowedValues, testCreateWindowedValuesEmpty: elements at their timestamps, in the global window", async () => {
    const r = await labelledOutputs((p, out) => {
      const global = [GlobalWindow.INSTANCE];
      out("Windowed", p.apply("Windowed", Create.windowedValues([{ value: "a", timestamp: 1, windows: global }, { value: "b", timestamp: 2, windows: global }, { value: "c", timestamp: 3, windows: global }])));
      out("Empty", p.apply("Empty", Create.windowedValues<string>([])));
    }, (o) => `${String(o.value)}@${o.timestamp} ${o.window}`);
    assert.deepEqual(r, { Windowed: ["a@1 global", "b@2 global", "c@3 global"], Empty: [] });
  });

  for (const mode of ["batch", "streaming"] as const) {
    it(`Create.windowedValues with a window fn (${mode}): each element in the windows given, not assigned again, and grouped by them`, async () => {
      const w = (start: number) => new IntervalWindow(start, start + 10);
      let windowFnUrn: string | undefined;
      const r = await labelledOutputs(
        (p, out) => {
          const created = p.apply(
            Create.windowedValues(
              [
                // Timestamp 5 lies in [0, 10) but is given [10, 20): it stays there, as Beam's WindowedValue.
                { value: kv("k", "a"), timestamp: 5, windows: [w(10)] },
                { value: kv("k", "b"), timestamp: 12, windows: [w(10)] },
                { value: kv("k", "c"), timestamp: 3, windows: [w(0), w(10)] },
              ],
              new FixedWindows(10),
            ),
          );
          windowFnUrn = created.windowing.windowFn.urn;
          out("Grouped", created.apply(GroupByKey.create()).map("Sort", (g: KV<string, string[]>) => [...g.value].sort().join(",")));
        },
        (o) => `${String(o.value)} ${o.window}`,
        { streaming: mode === "streaming" },
      );
      assert.equal(windowFnUrn, "beam:window_fn:fixed_windows:v1");
      assert.deepEqual(r, { Grouped: ["a,b,c 10:20", "c 0:10"] });
    });
  }

  it("Create.windowedValues translates with its window fn's windowing strategy", () => {
    const { proto } = translatePipeline(
      Pipeline.build({}, (p) => {
        p.apply("Created", Create.windowedValues([{ value: "a", timestamp: 5, windows: [new IntervalWindow(0, 10)] }], new FixedWindows(10)));
      }),
      dockerEnvironment("beamline/worker:test"),
    );
    assert.deepEqual(validatePipelineProto(proto), []);
    const c = proto.components!;
    const created = Object.values(c.transforms).find((t) => t.uniqueName === "Created")!;
    const ws = c.windowingStrategies[c.pcollections[Object.values(created.outputs)[0]!]!.windowingStrategyId]!;
    assert.equal(ws.windowFn!.urn, "beam:window_fn:fixed_windows:v1");
  });

  it("Create.windowedValues refuses windows its window fn does not make, and values without a window", () => {
    assert.throws(() => Create.windowedValues([{ value: 1, timestamp: 0, windows: [new IntervalWindow(0, 10)] }]), /Create.windowedValues: value 0 is in window \[0, 10\), which GlobalWindows does not make/);
    assert.throws(() => Create.windowedValues([{ value: 1, timestamp: 0, windows: [GlobalWindow.INSTANCE] }], new FixedWindows(10)), /which FixedWindows does not make/);
    assert.throws(() => Create.windowedValues([{ value: 1, timestamp: 0, windows: [] }]), /value 0 has no window/);
  });
});
