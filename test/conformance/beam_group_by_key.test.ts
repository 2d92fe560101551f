/**
 * GroupByKey against Beam Java's GroupByKeyTest as the oracle: empty input, keys that do not
 * encode deterministically, large keys, timestamp combiners, the windowing a grouping's output
 * carries, and keys equal only by their encoding. Pipelines run in batch and in streaming (the
 * same elements from a TestStream) where the case runs in both.
 */
import { strict as assert } from "node:assert";
import {
  AfterWatermark,
  Create,
  FixedWindows,
  GroupByKey,
  kv,
  Reshuffle,
  Sessions,
  SlidingWindows,
  Window,
  type KV,
  type PCollection,
} from "../../lib";
import { defaultOptions } from "../../lib/model/options";
import { flatOptions, workerProgramFrom } from "../../runners/portable/pipeline_options";
import { JsValueCoder } from "../../lib/coders/js_value";
import { StringUtf8Coder, VarIntCoder } from "../../lib/coders/primitive";
import { KVCoder } from "../../lib/coders/structural";
import type { Pipeline } from "../../lib/model/pipeline";
import type { Observed } from "../streaming/collect";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

/** "key:[values sorted]" of a group. */
const group = (g: KV<string, number[]>): string => `${g.key}:${JSON.stringify([...g.value].sort((a, b) => a - b))}`;
const inWindow = (o: Observed<unknown>): string => `${o.window} ${group(o.value as KV<string, number[]>)}`;

const PAIRS: readonly [string, number][] = [
  ["k1", 3],
  ["k5", 2147483647],
  ["k5", -2147483648],
  ["k2", 66],
  ["k1", 4],
  ["k2", -33],
  ["k3", 0],
];

describe("Beam GroupByKey (GroupByKeyTest.java)", () => {
  it("testGroupByKeyNonDeterministic: a KV coder whose key coder is not deterministic is refused when the grouping is applied", async () => {
    // Beam Java refuses it at apply ("must be deterministic"); Beam Python when it translates the
    // pipeline (as_deterministic_coder). Grouping is by the key's bytes, so equal keys must encode equally.
    await assert.rejects(
      () =>
        labelledOutputs((p) => {
          const pairs = p.apply(Create.of<KV<Record<string, string>, number>>()).setCoder(new KVCoder(new JsValueCoder<Record<string, string>>(), new VarIntCoder()));
          pairs.apply("Group", GroupByKey.create());
        }),
      (e: Error) => /Group/.test(e.message) && /deterministic/.test(e.message) && /beamline:coder:jsvalue:v1/.test(e.message),
    );
  });

  it("--allow_non_deterministic_key_coders (Beam Python's) accepts such a key coder, and groups by its encoding", async () => {
    const r = await labelledOutputs(
      (p, out) => {
        const pairs = p.apply(Create.of<KV<Record<string, string>, number>>(kv({ a: "x" }, 1), kv({ a: "x" }, 2))).setCoder(new KVCoder(new JsValueCoder<Record<string, string>>(), new VarIntCoder()));
        out("Groups", pairs.apply("Group", GroupByKey.create()).map("Sizes", (g: KV<Record<string, string>, number[]>) => g.value.length));
      },
      undefined,
      { allowNonDeterministicKeyCoders: true },
    );
    assert.deepEqual(r.Groups, ["2"]);
  });

  it("--allow_non_deterministic_key_coders reaches a worker that rebuilds the graph (portable pipeline options)", () => {
    const program = { name: "p", modulePath: "/x.js", exportName: "p", flags: {} } as unknown as Parameters<typeof flatOptions>[1];
    const flat = flatOptions({ ...defaultOptions(), allowNonDeterministicKeyCoders: true }, program, "fp", "run");
    assert.equal(flat["allow_non_deterministic_key_coders"], true);
    assert.equal(workerProgramFrom(flat).options.allowNonDeterministicKeyCoders, true);
    assert.equal(workerProgramFrom(flatOptions(defaultOptions(), program, "fp", "run")).options.allowNonDeterministicKeyCoders, false);
  });

  it("testGroupByKeyOutputCoder: a deterministic key coder is kept on the grouped output", async () => {
    await labelledOutputs((p) => {
      const pairs = p.apply(Create.of(kv("a", 1))).setCoder(new KVCoder(new StringUtf8Coder(), new VarIntCoder()));
      const grouped = pairs.apply("Group", GroupByKey.create());
      assert.equal(grouped.coder?.components[0]?.urn, "beam:coder:string_utf8:v1");
    });
  });

  it("a group's values may be iterated again and again (ptransform_test.py test_group_by_key_reiteration)", async () => {
    const r = await labelledOutputs((p, out) => {
      const grouped = p.apply(Create.of(kv(1, 1), kv(1, 2), kv(1, 3), kv(1, 4))).apply("Group", GroupByKey.create());
      out(
        "Sums",
        grouped.map("ReiterationSum", (g: KV<number, Iterable<number>>) => {
          let sum = 0;
          for (let i = 0; i < 17; i++) for (const v of g.value) sum += v;
          return kv(g.key, sum);
        }),
      );
    });
    assert.deepEqual(r, { Sums: [JSON.stringify(kv(1, 170))] });
  });

  for (const mode of ["batch", "streaming"] as const) {
    describe(mode, () => {
      // An unbounded input in the global window needs a trigger before a grouping (as Beam refuses
      // the default trigger there): fire when the TestStream's watermark reaches the end.
      const global = <T>(pc: PCollection<T>, label: string): PCollection<T> => (mode === "batch" ? pc : pc.apply(label, Window.configure({ trigger: AfterWatermark() })));
      const keyed = (p: Pipeline, pairs: readonly [string, number][], at: (i: number) => number = () => 0): PCollection<KV<string, number>> =>
        global(
          timestamped(
            p,
            "Start",
            mode,
            pairs.map(([k, v], i) => ({ value: kv(k, v), timestamp: at(i) })),
          ),
          "AtEnd",
        );

      it("testGroupByKey, testGroupByKeyEmpty", async () => {
        const r = await labelledOutputs((p, out) => {
          out("Groups", keyed(p, PAIRS).apply("Group", GroupByKey.create()));
          out("Empty", global(timestamped<KV<string, number>>(p, "Nothing", mode, []), "NothingAtEnd").apply("GroupEmpty", GroupByKey.create()));
        }, (o) => `${o.window} ${group(o.value as KV<string, number[]>)}`);
        assert.deepEqual(r, { Groups: ["global k1:[3,4]", "global k2:[-33,66]", "global k3:[0]", "global k5:[-2147483648,2147483647]"], Empty: [] });
      });

      it("testGroupByKeyAndWindows, testGroupByKeyMultipleWindows, testGroupByKeyMergingWindows", async () => {
        const r = await labelledOutputs((p, out) => {
          out("Fixed", keyed(p, PAIRS, (i) => i + 1).apply("Fixed5", Window.into(new FixedWindows(5))).apply("GroupFixed", GroupByKey.create()));
          const multi = timestamped(p, "Multi", mode, [
            { value: kv("foo", 1), timestamp: 1 },
            { value: kv("foo", 4), timestamp: 4 },
            { value: kv("bar", 3), timestamp: 3 },
          ]);
          out("Sliding", multi.apply("Sliding", Window.into(new SlidingWindows(5, 3))).apply("GroupSliding", GroupByKey.create()));
          const merging = timestamped(p, "Merging", mode, [
            { value: kv("foo", 1), timestamp: 1 },
            { value: kv("foo", 4), timestamp: 4 },
            { value: kv("bar", 3), timestamp: 3 },
            { value: kv("foo", 9), timestamp: 9 },
          ]);
          out("Sessions", merging.apply("Sessions", Window.into(new Sessions(4))).apply("GroupSessions", GroupByKey.create()));
        }, inWindow);
        assert.deepEqual(r, {
          Fixed: ["0:5 k1:[3]", "0:5 k2:[66]", "0:5 k5:[-2147483648,2147483647]", "5:10 k1:[4]", "5:10 k2:[-33]", "5:10 k3:[0]"],
          Sliding: ["-3:2 foo:[1]", "0:5 bar:[3]", "0:5 foo:[1,4]", "3:8 bar:[3]", "3:8 foo:[4]"],
          Sessions: ["1:8 foo:[1,4]", "3:7 bar:[3]", "9:13 foo:[9]"],
        });
      });

      it("testTimestampCombinerEarliest, testTimestampCombinerLatest, testRewindowWithTimestampCombiner", async () => {
        const stamped = (o: Observed<unknown>): string => `${group(o.value as KV<string, number[]>)} @${o.timestamp}`;
        const r = await labelledOutputs((p, out) => {
          const two = timestamped(p, "Two", mode, [
            { value: kv("k", 0), timestamp: 0 },
            { value: kv("k", 10), timestamp: 10 },
          ]);
          out("Earliest", two.apply("Earliest", Window.into(new FixedWindows(600_000), { timestampCombiner: "EARLIEST" })).apply("GroupEarliest", GroupByKey.create()));
          out("Latest", two.apply("Latest", Window.into(new FixedWindows(600_000), { timestampCombiner: "LATEST" })).apply("GroupLatest", GroupByKey.create()));
          // testRewindowWithTimestampCombiner: grouped in the global window at the latest input,
          // then windowed again by that timestamp.
          const four = timestamped(p, "Four", mode, [
            { value: kv("foo", 1), timestamp: 1 },
            { value: kv("foo", 4), timestamp: 4 },
            { value: kv("bar", 3), timestamp: 3 },
            { value: kv("foo", 9), timestamp: 9 },
          ]);
          const sums = four
            .apply("LatestGlobal", Window.configure({ timestampCombiner: "LATEST", ...(mode === "streaming" ? { trigger: AfterWatermark() } : {}) }))
            .apply("GroupGlobal", GroupByKey.create())
            .map("SumGroup", (g: KV<string, number[]>) => kv(g.key, [g.value.reduce((a, b) => a + b, 0)]))
            .apply("Fixed1", Window.into(new FixedWindows(1)));
          out("Rewindowed", sums);
        }, (o) => (o.window === "global" ? stamped(o) : `${o.window} ${stamped(o)}`));
        assert.deepEqual(r, { Earliest: ["0:600000 k:[0,10] @0"], Latest: ["0:600000 k:[0,10] @10"], Rewindowed: ["3:4 bar:[3] @3", "9:10 foo:[14] @9"] });
      });

      it("testLargeKeys10KB, testLargeKeys100KB, testLargeKeys1MB", async () => {
        const r = await labelledOutputs((p, out) => {
          for (const size of [10 << 10, 100 << 10, 1 << 20]) {
            const letters = global(timestamped(p, `Letters${size}`, mode, ["a", "a", "b"].map((value) => ({ value, timestamp: 0 }))), `AtEnd${size}`);
            const counts = letters
              .map(`Expand${size}`, (c: string) => kv(c.repeat(size), c))
              .apply(`Group${size}`, GroupByKey.create())
              .map(`Count${size}`, (g: KV<string, string[]>) => `${size} ${g.key.length === size ? g.key[0] : "wrong key"}=${g.value.length}`);
            out(`Keys${size}`, counts);
          }
        }, (o) => String(o.value));
        assert.deepEqual(r, { Keys10240: ["10240 a=2", "10240 b=1"], Keys102400: ["102400 a=2", "102400 b=1"], Keys1048576: ["1048576 a=2", "1048576 b=1"] });
      });

      it("testGroupByKeyWithBadEqualsHashCode: keys equal by value but not by identity group together", async () => {
        // Beam groups by the key's encoding, never by the language's equality: here each key is a
        // fresh object (=== never holds between two of them), shuffled apart before grouping.
        const r = await labelledOutputs((p, out) => {
          const input: { value: KV<{ id: number; tag: number[] }, number>; timestamp: number }[] = [];
          for (let i = 0; i < 10; i++) for (let key = 0; key < 5; key++) input.push({ value: kv({ id: key, tag: [key] }, 1), timestamp: 0 });
          const counted = global(timestamped(p, "Objects", mode, input), "AtEnd")
            .apply("Shuffle", Reshuffle.viaRandomKey())
            .apply("Group", GroupByKey.create())
            .map("CountGroup", (g: KV<{ id: number; tag: number[] }, number[]>) => `${g.key.id}=${g.value.length}`);
          out("Counts", counted);
        }, (o) => String(o.value));
        assert.deepEqual(r, { Counts: ["0=10", "1=10", "2=10", "3=10", "4=10"] });
      });

      it("testIdentityWindowFnPropagation: a grouping's output keeps its input's window function", async () => {
        await labelledOutputs((p) => {
          const grouped = keyed(p, []).apply("Minute", Window.into(new FixedWindows(60_000))).apply("Group", GroupByKey.create());
          assert.deepEqual([grouped.windowing.windowFn.urn, grouped.windowing.windowFn.config], ["beam:window_fn:fixed_windows:v1", { sizeMillis: 60_000, offsetMillis: 0 }]);
        });
      });
    });
  }
});
