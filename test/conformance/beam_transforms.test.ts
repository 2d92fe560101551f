/**
 * Everyday transforms against Beam's own tests as the oracle: Beam Java's DistinctTest,
 * PartitionTest and CountTest.
 */
import { strict as assert } from "node:assert";
import {
  AfterProcessingTime,
  AsSingleton,
  Count,
  Create,
  Distinct,
  FixedWindows,
  Partition,
  Repeatedly,
  TestStream,
  Window,
} from "../../lib";
import { runDirect } from "../helpers";
import { runError, labelledOutputs } from "./beam_helpers";
import { collect, Observed } from "../streaming/collect";

/** Runs `build` and returns what each labelled collection received, as strings, sorted. */
const outputs = (build: Parameters<typeof labelledOutputs>[0]): Promise<Record<string, string[]>> => labelledOutputs(build, (o) => String(o.value));


describe("Beam Distinct (DistinctTest.java)", () => {
  it("keeps one of each element (testDistinct, testDistinctEmpty)", async () => {
    const r = await outputs((p, out) => {
      out("Distinct", p.apply("Words", Create.of("k1", "k5", "k5", "k2", "k1", "k2", "k3")).apply(Distinct.create()));
      out("Empty", p.apply("None", Create.of<string>()).apply("DistinctEmpty", Distinct.create()));
    });
    assert.deepEqual(r, { Distinct: ["k1", "k2", "k3", "k5"], Empty: [] });
  });

  it("keeps one of each element per window (testWindowedDistinct)", async () => {
    const seen: Observed<string>[] = [];
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(...["k1", "k2", "k3", "k1", "k2", "k3", "k4", "k5", "k6"].map((value, i) => ({ value, timestamp: i * 10_000 })))
      .advanceWatermarkToInfinity();
    await (await runDirect((p) => collect(p.apply(stream).apply(Window.into(new FixedWindows(30_000))).apply(Distinct.create()), seen))).waitUntilFinish();
    assert.deepEqual(seen.map((o) => `${o.window} ${o.value}`).sort(), [
      "0:30000 k1",
      "0:30000 k2",
      "0:30000 k3",
      "30000:60000 k1",
      "30000:60000 k2",
      "30000:60000 k3",
      "60000:90000 k4",
      "60000:90000 k5",
      "60000:90000 k6",
    ]);
  });

  it("emits each element once per window however many panes fire (testTriggeredDistinct)", async () => {
    const seen: Observed<string>[] = [];
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements({ value: "k1", timestamp: 0 }, { value: "k2", timestamp: 10_000 }, { value: "k3", timestamp: 20_000 })
      .advanceProcessingTime(60_000)
      .addElements({ value: "k1", timestamp: 30_000 }, { value: "k2", timestamp: 40_000 }, { value: "k3", timestamp: 50_000 })
      .advanceWatermarkToInfinity();
    const windowing = Window.into<string>(new FixedWindows(60_000), { trigger: Repeatedly(AfterProcessingTime(30_000)), accumulationMode: "ACCUMULATING" });
    await (await runDirect((p) => collect(p.apply(stream).apply(windowing).apply(Distinct.create()), seen))).waitUntilFinish();
    assert.deepEqual(seen.map((o) => o.value).sort(), ["k1", "k2", "k3"]);
  });
});

describe("Beam Partition (PartitionTest.java)", () => {
  it("splits by the partition function (testEvenOddPartition, testModPartition, testDroppedPartition)", async () => {
    const r = await outputs((p, out) => {
      const evenOdd = p.apply("Nums", Create.of(591, 11789, 1257, 24578, 24799, 307)).apply("EvenOdd", Partition.of(2, (n: number) => n % 2));
      out("Even", evenOdd[0]!);
      out("Odd", evenOdd[1]!);
      const mod = p.apply("Small", Create.of(1, 2, 4, 5)).apply("Mod", Partition.of(3, (n: number, parts: number) => n % parts));
      mod.forEach((pc, i) => out(`Mod${i}`, pc));
    });
    assert.deepEqual(r, { Even: ["24578"], Odd: ["11789", "1257", "24799", "307", "591"], Mod0: [], Mod1: ["1", "4"], Mod2: ["2", "5"] });
  });

  it("fails the step when the function returns an index out of range (testOutOfBoundsPartitions)", async () => {
    const e = await runError((p) => {
      p.apply(Create.of(-1)).apply("Split", Partition.of(5, (n: number) => n));
    });
    assert.match(e.message, /'Split\/ParDo'/);
    assert.match(e.message, /returned -1; it must return an integer in \[0, 5\)/);
  });

  it("reads side inputs in the partition function (testPartitionWithSideInputs; Beam Python's Partition(fn, n, *side_inputs))", async () => {
    const r = await outputs((p, out) => {
      const grades = AsSingleton(p.apply("Grades", Create.of(50)));
      const parts = p
        .apply("Students", Create.of(5, 45, 90, 29, 55, 65))
        .apply("ByGrade", Partition.of(2, (elem: number, _n, sides) => (elem < sides.grades ? 0 : 1), { sideInputs: { grades } }));
      out("Below", parts[0]!);
      out("AtOrAbove", parts[1]!);
    });
    assert.deepEqual(r, { Below: ["29", "45", "5"], AtOrAbove: ["55", "65", "90"] });
  });

  it("refuses zero partitions (testZeroNumPartitions)", () => {
    assert.throws(() => Partition.of(0, () => 0), /positive number of partitions, got 0/);
  });
});

describe("Beam Count (CountTest.java)", () => {
  it("counts per element and globally, 0 for nothing (testCountPerElementBasic, testCountGloballyBasic, testCountGloballyEmpty)", async () => {
    const words = ["hi", "there", "hi", "hi", "sue", "bob", "hi", "sue", "", "", "ZOW", "bob", ""];
    const r = await outputs((p, out) => {
      const input = p.apply("Words", Create.from(words));
      out("PerElement", input.apply("PerElement", Count.perElement()).map("Format", (e) => `${e.key}=${e.value}`));
      out("Globally", input.apply("Globally", Count.globally()));
      const none = p.apply("None", Create.of<string>());
      out("EmptyPerElement", none.apply("EmptyPerElement", Count.perElement()));
      out("EmptyGlobally", none.apply("EmptyGlobally", Count.globally()));
    });
    assert.deepEqual(r, { PerElement: ["=3", "ZOW=1", "bob=2", "hi=4", "sue=2", "there=1"], Globally: ["13"], EmptyPerElement: [], EmptyGlobally: ["0"] });
  });
});
