/**
 * KvSwap, WithTimestamps, Latest and Sample against Beam's own tests as the oracle: Beam Java's
 * KvSwapTest, WithTimestampsTest, LatestTest and SampleTest, and Beam Python's combiners_test.py
 * LatestTest, test_global_sample and test_per_key_sample, with Beam's expected outputs. Random
 * samples are checked for what Beam checks (size, a sub-multiset of the input) and for being
 * random (every value is picked, about equally often).
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, KvSwap, kv, KV, Latest, PCollection, Pipeline, PipelineConstructionError, Sample, Window, WithTimestamps } from "../../lib";
import { runDirect, runOk } from "../helpers";
import { collect, Observed } from "../streaming/collect";
import { timestamped, type Mode } from "./beam_helpers";

/** Runs `build` and returns what it outputs. */
async function outputOf<T>(build: (p: Pipeline) => PCollection<T>): Promise<Observed<T>[]> {
  const out: Observed<T>[] = [];
  await runOk((p) => collect(build(p), out));
  return out;
}

const json = <T>(out: readonly Observed<T>[]): string[] => out.map((o) => JSON.stringify(o.value)).sort();

describe("Beam KvSwap (KvSwapTest.java)", () => {
  it("testKvSwap: swaps key and value, null values included", async () => {
    const out = await outputOf((p) =>
      p.apply(Create.of<KV<string, number | null>>(kv("one", 1), kv("two", 2), kv("three", 3), kv("dup", 4), kv("dup", 5), kv("null", null))).apply(KvSwap.create()),
    );
    assert.deepEqual(json(out), [kv(1, "one"), kv(2, "two"), kv(3, "three"), kv(4, "dup"), kv(5, "dup"), kv(null, "null")].map((e) => JSON.stringify(e)).sort());
  });

  it("testKvSwapEmpty", async () => {
    assert.deepEqual(await outputOf((p) => p.apply(Create.from<KV<string, number>>([])).apply(KvSwap.create())), []);
  });
});

describe("Beam WithTimestamps (WithTimestampsTest.java)", () => {
  const INPUT = ["1234", "0", String(2 ** 31 - 1), "946684800000"];
  const parse = (s: string): number => Number(s);

  it("withTimestampsShouldApplyTimestamps", async () => {
    const out = await outputOf((p) => p.apply(Create.from(INPUT)).apply(WithTimestamps.of(parse)));
    assert.deepEqual(out.map((o) => `${o.value}@${o.timestamp}`).sort(), ["0@0", "1234@1234", "2147483647@2147483647", "946684800000@946684800000"]);
  });

  it("withTimestampsBackwardsInTimeShouldThrow: the error names the step and the allowed skew", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.from(INPUT))
        .apply("WithTimestamps", WithTimestamps.of(parse))
        .apply("AddSkew", WithTimestamps.of((s: string) => parse(s) - 1000));
    });
    await assert.rejects(result.waitUntilFinish(), (e: Error) => {
      assert.match(e.message, /AddSkew/);
      assert.match(e.message, /minus the allowed skew \(0 ms\)/);
      assert.match(e.message, /withAllowedTimestampSkew/);
      return true;
    });
  });

  it("withTimestampsBackwardsInTimeAndWithAllowedTimestampSkewShouldSucceed", async () => {
    const out = await outputOf((p) =>
      p
        .apply(Create.from(INPUT))
        .apply("FirstTimestamp", WithTimestamps.of(parse))
        .apply("WithSkew", WithTimestamps.of((s: string) => parse(s) - 1000).withAllowedTimestampSkew(1100)),
    );
    assert.deepEqual(out.map((o) => `${o.value}@${o.timestamp}`).sort(), ["0@-1000", "1234@234", "2147483647@2147482647", "946684800000@946684799000"]);
  });

  it("withTimestampsWithNullTimestampShouldThrow: a function giving no timestamp fails the step, named", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.from(INPUT)).apply(
        "Stamp",
        WithTimestamps.of((): number => null as unknown as number),
      );
    });
    await assert.rejects(result.waitUntilFinish(), (e: Error) => /WithTimestamps 'Stamp\/AddTimestamps'/.test(e.message) && /returned null/.test(e.message));
  });

  it("withTimestampsWithNullFnShouldThrowOnConstruction; a negative skew is refused too", () => {
    assert.throws(() => WithTimestamps.of(null as unknown as (s: string) => number), PipelineConstructionError);
    assert.throws(() => WithTimestamps.of(parse).withAllowedTimestampSkew(-1), PipelineConstructionError);
  });

  it("keeps elements in their windows: re-window after it (Beam's outputWithTimestamp)", async () => {
    const out = await outputOf((p) =>
      p
        .apply(Create.timestamped([{ value: 5, timestamp: 5 }]))
        .apply("Window", Window.into(new FixedWindows(10)))
        .apply(WithTimestamps.of((x: number) => x + 20)),
    );
    assert.deepEqual(out.map((o) => `${o.value}@${o.timestamp} ${o.window}`), ["5@25 0:10"]);
  });
});

describe("Beam Latest (LatestTest.java, combiners_test.py LatestTest)", () => {
  it("testGloballyEventTimestamp", async () => {
    const out = await outputOf((p) =>
      p
        .apply(
          Create.timestamped([
            { value: "foo", timestamp: 100 },
            { value: "bar", timestamp: 300 },
            { value: "baz", timestamp: 200 },
          ]),
        )
        .apply(Latest.globally()),
    );
    assert.deepEqual(json(out), ['"bar"']);
  });

  it("testPerKeyEventTimestamp", async () => {
    const out = await outputOf((p) =>
      p
        .apply(
          Create.timestamped([
            { value: kv("A", "foo"), timestamp: 100 },
            { value: kv("B", "bar"), timestamp: 300 },
            { value: kv("A", "baz"), timestamp: 200 },
          ]),
        )
        .apply(Latest.perKey()),
    );
    assert.deepEqual(json(out), [JSON.stringify(kv("A", "baz")), JSON.stringify(kv("B", "bar"))]);
  });

  // Unbounded input in the global window is refused (Beam's GroupByKey rule), so streaming runs are windowed.
  for (const mode of ["batch", "streaming"] as Mode[]) {
    it(`latest by timestamp per key and per window, whatever the arrival order (${mode})`, async () => {
      const input = (p: Pipeline) =>
        timestamped(p, "Create", mode, [
          { value: kv("A", "a-late"), timestamp: 900 },
          { value: kv("A", "a-early"), timestamp: 100 },
          { value: kv("B", "b"), timestamp: 300 },
          { value: kv("A", "a-next"), timestamp: 1500 },
          { value: kv("A", "a-first"), timestamp: 1000 },
        ]).apply("Window", Window.into(new FixedWindows(1000)));
      const perKey = await outputOf((p) => input(p).apply(Latest.perKey()));
      assert.deepEqual(perKey.map((o) => `${o.window} ${o.value.key}=${o.value.value}`).sort(), ["0:1000 A=a-late", "0:1000 B=b", "1000:2000 A=a-next"]);
      const globally = await outputOf((p) => input(p).apply(Latest.globally({ withoutDefaults: true })));
      assert.deepEqual(globally.map((o) => `${o.window} ${o.value.key}=${o.value.value}`).sort(), ["0:1000 A=a-late", "1000:2000 A=a-next"]);
    });
  }

  it("testGloballyEmptyCollection: undefined (Beam's null), once", async () => {
    const out = await outputOf((p) => p.apply(Create.from<number>([])).apply(Latest.globally()));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.value, undefined);
  });

  it("testPerKeyEmptyCollection", async () => {
    assert.deepEqual(await outputOf((p) => p.apply(Create.from<KV<string, string>>([])).apply(Latest.perKey())), []);
  });

  it("test_globally: per window without defaults (FixedWindows(180 s))", async () => {
    const out = await outputOf((p) =>
      p
        .apply(
          Create.timestamped([
            { value: 3, timestamp: 100_000 },
            { value: 1, timestamp: 200_000 },
            { value: 2, timestamp: 300_000 },
          ]),
        )
        .apply("Window", Window.into(new FixedWindows(180_000)))
        .apply(Latest.globally({ withoutDefaults: true })),
    );
    assert.deepEqual(out.map((o) => `${o.value} ${o.window}`).sort(), ["2 180000:360000", "3 0:180000"]);
  });

  it("over non-global windows without withoutDefaults is refused when built, as Combine.globally is", () => {
    const p = Pipeline.create();
    const windowed = p.apply(Create.of(1)).apply("Window", Window.into(new FixedWindows(10)));
    assert.throws(
      () => windowed.apply(Latest.globally()),
      (e: unknown) => e instanceof PipelineConstructionError && /withoutDefaults/.test(e.message),
    );
  });
});

/** Whether `sample` is a sub-multiset of `from`. */
function isSubMultiset<T>(sample: readonly T[], from: readonly T[]): boolean {
  const left = [...from];
  for (const x of sample) {
    const i = left.indexOf(x);
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

describe("Beam Sample (SampleTest.java, combiners_test.py)", () => {
  const DATA = [1, 2, 3, 4, 5];
  const REPEATED = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
  const sampleOf = async (data: readonly number[], n: number): Promise<number[]> => {
    const out = await outputOf((p) => p.apply(Create.from(data)).apply(Sample.fixedSizeGlobally<number>(n)));
    assert.equal(out.length, 1, "one sample");
    return out[0]!.value;
  };

  for (const [name, data, n, size] of [
    ["testSample", DATA, 3, 3],
    ["testSampleEmpty", [], 3, 0],
    ["testSampleZero", DATA, 0, 0],
    ["testSampleInsufficientElements", DATA, 10, 5],
    ["testSampleMultiplicity", REPEATED, 6, 6],
  ] as const) {
    it(`${name}: fixedSizeGlobally(${n}) of ${data.length} elements gives ${size} of them`, async () => {
      const sample = await sampleOf(data, n);
      assert.equal(sample.length, size);
      assert.ok(isSubMultiset(sample, data), `${JSON.stringify(sample)} is not drawn from ${JSON.stringify(data)}`);
    });
  }

  it("testSampleNegative, testSampleAnyNegative: refused when made", () => {
    for (const make of [() => Sample.fixedSizeGlobally(-1), () => Sample.fixedSizePerKey(-1), () => Sample.any(-10), () => Sample.any(1.5)]) {
      assert.throws(make, (e: unknown) => e instanceof PipelineConstructionError && /0 or more/.test(e.message));
    }
  });

  it("test_global_sample: without defaults, in fixed windows", async () => {
    const out = await outputOf((p) =>
      p
        .apply(Create.timestamped([1, 1, 2, 2].map((value) => ({ value, timestamp: 0 }))))
        .apply("Window", Window.into(new FixedWindows(60_000)))
        .apply(Sample.fixedSizeGlobally<number>(3, { withoutDefaults: true })),
    );
    assert.equal(out.length, 1);
    assert.ok(["[1,1,2]", "[1,2,2]"].includes(JSON.stringify([...out[0]!.value].sort())), JSON.stringify(out[0]!.value));
  });

  it("test_per_key_sample: 3 of each key's [1, 1, 2, 2]", async () => {
    const input = Array.from({ length: 9 }, (_, i) => [kv(i, 1), kv(i, 1), kv(i, 2), kv(i, 2)]).flat();
    const out = await outputOf((p) => p.apply(Create.from(input)).apply(Sample.fixedSizePerKey<number, number>(3)));
    assert.deepEqual(out.map((o) => o.value.key).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const o of out) {
      assert.equal(o.value.value.length, 3);
      const ones = o.value.value.filter((x) => x === 1).length;
      assert.ok(ones === 1 || ones === 2, JSON.stringify(o.value));
    }
  });

  it("is random: over 2000 keys, each of 10 values is picked about equally often as a key's sample of one", async () => {
    const keys = 2000;
    const input = Array.from({ length: keys }, (_, k) => Array.from({ length: 10 }, (_, v) => kv(k, v))).flat();
    const out = await outputOf((p) => p.apply(Create.from(input)).apply(Sample.fixedSizePerKey<number, number>(1)));
    assert.equal(out.length, keys);
    const picks = new Array<number>(10).fill(0);
    for (const o of out) picks[o.value.value[0]!]!++;
    // 200 expected each (binomial, sd ≈ 13.4): outside [120, 280] is about 6 sd off.
    assert.ok(picks.every((n) => n >= 120 && n <= 280), `picks per value: ${picks.join(", ")}`);
  });

  describe("Sample.any (PickAnyTest, testSampleAny*)", () => {
    const LINES = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    for (const [lines, limit] of [
      [[], 0],
      [[], 1],
      [LINES, 1],
      [LINES, LINES.length / 2],
      [LINES, LINES.length * 2],
      [LINES, LINES.length - 1],
      [LINES, LINES.length],
      [LINES, LINES.length + 1],
    ] as const) {
      it(`testPickAny: ${limit} of ${lines.length} lines gives ${Math.min(limit, lines.length)} distinct lines of the input`, async () => {
        const out = await outputOf((p) => p.apply(Create.from<string>(lines as readonly string[])).apply(Sample.any<string>(limit)));
        const picked = out.map((o) => o.value);
        assert.equal(picked.length, Math.min(limit, lines.length));
        assert.equal(new Set(picked).size, picked.length);
        assert.ok(picked.every((l) => (lines as readonly string[]).includes(l)));
      });
    }

    const tv = (i: number) => ({ value: i, timestamp: i * 1000 });
    for (const [limit, perWindow] of [
      [2, 2],
      [0, 0],
      [10, 3],
    ] as const) {
      it(`testSampleAny${limit === 0 ? "Zero" : limit === 10 ? "InsufficientElements" : ""}: any(${limit}) per window of 3 s`, async () => {
        const out = await outputOf((p) =>
          p
            .apply(Create.timestamped([0, 1, 2, 3, 4, 5].map(tv)))
            .apply("Window", Window.into(new FixedWindows(3000)))
            .apply(Sample.any<number>(limit)),
        );
        for (const [window, from] of [
          ["0:3000", [0, 1, 2]],
          ["3000:6000", [3, 4, 5]],
        ] as const) {
          const inWindow = out.filter((o) => o.window === window).map((o) => o.value);
          assert.equal(inWindow.length, perWindow, window);
          assert.ok(isSubMultiset(inWindow, from), `${window}: ${JSON.stringify(inWindow)}`);
        }
      });
    }

    it("testSampleAnyEmpty: nothing for an empty windowed input", async () => {
      const out = await outputOf((p) => p.apply(Create.from<number>([])).apply("Window", Window.into(new FixedWindows(3000))).apply(Sample.any<number>(2)));
      assert.deepEqual(out, []);
    });
  });
});
