/**
 * BoundedTrie metrics against Beam's own tests as the oracle: Python's cells_test.py
 * (TestBoundedTrieNode's run_test over fixed and seeded random paths: sizes, merging, trimming,
 * coverage; test_bounded_trie_data_combine(_trim), test_merge_on/with_empty_node), Java's
 * MetricsTest assertBoundedTrieMetrics in batch, streaming and on two worker threads, and the
 * Fn API payload (beam:metrics:bounded_trie:v1, metrics.proto's BoundedTrie) against Beam Python 2.66's bytes.
 */
import { strict as assert } from "node:assert";
import { BoundedTrieData, BoundedTrieNode, type BoundedTriePath } from "../../lib/model/bounded_trie";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { metricKey, MetricsContainer } from "../../lib/model/metrics";
import type { MetricResults } from "../../lib/model/metric_results";
import { progressFromDataflowMetrics } from "../../runners/dataflow/job_progress";
import { metricResultsFrom } from "../../runners/portable/portable_runner";
import { MetricsPart } from "../../runners/streaming/checkpointing";
import { decodeMetric, MI, monitoringInfos } from "../../runners/worker/monitoring";
import { prng } from "../prng";
import { NS, stringSetMetricsProgram } from "./metrics_string_set_programs";

type Path = readonly string[];
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const str = (p: Path): string => JSON.stringify(p);
/** Beam Python's get_result as sorted strings: the segments, then the truncated flag. */
const asTuples = (r: readonly BoundedTriePath[]): string[] => r.map((p) => str([...p.segments, String(p.truncated)])).sort();

/** cells_test.py assert_covers: exact paths are expected ones; each other expected path has exactly one truncated prefix. */
function assertCovers(node: BoundedTrieNode, expected: readonly Path[], maxTruncated = 0): void {
  const flat = node.flattened();
  const exact = new Set(flat.filter((p) => !p.truncated).map((p) => str(p.segments)));
  const truncated = new Set(flat.filter((p) => p.truncated).map((p) => str(p.segments)));
  assert.ok(truncated.size <= maxTruncated, `at most ${maxTruncated} truncated: ${[...truncated]}`);
  const want = new Set(expected.map(str));
  for (const e of exact) assert.ok(want.has(e), `${e} was not added`);
  const seen = new Set<string>();
  for (const p of expected) {
    if (exact.has(str(p))) continue;
    const prefixes = p.map((_, i) => str(p.slice(0, i))).filter((x) => truncated.has(x));
    assert.equal(prefixes.length, 1, `exactly one prefix of ${str(p)} is truncated`);
    seen.add(prefixes[0]!);
  }
  assert.deepEqual([...seen].sort(), [...truncated].sort());
}

function nodeOf(paths: readonly Path[]): BoundedTrieNode {
  const n = new BoundedTrieNode();
  for (const p of paths) n.add(p);
  return n;
}

/** cells_test.py run_test. */
function runTest(toAdd: readonly Path[]): void {
  const everything = [...new Map(toAdd.map((p) => [str(p), p])).values()];
  const prefixes = new Set(everything.flatMap((p) => p.map((_, i) => str(p.slice(0, i)))));
  const deduped = everything.filter((p) => !prefixes.has(str(p)));
  const node = new BoundedTrieNode();
  let total = node.size;
  for (const p of everything) total += node.add(p);
  assert.equal(node.size, deduped.length);
  assert.equal(node.size, total);
  assertCovers(node, deduped);

  const node0 = nodeOf(everything.filter((_, i) => i % 2 === 0));
  const node1 = nodeOf(everything.filter((_, i) => i % 2 === 1));
  const before = node0.size;
  assert.equal(node0.size, before);
  const delta = node0.merge(node1);
  assert.equal(node0.size, before + delta);
  assert.deepEqual(node0.flattened(), node.flattened());

  let trimmed = 0;
  for (const max of [1, 2]) {
    if (node.size <= 1) break;
    const d = node.trim();
    assert.ok(d < 0);
    trimmed += d;
    assert.equal(node.size, total + trimmed);
    assertCovers(node, deduped, max);
  }
  const copy = node.copy();
  for (const p of everything) assert.equal(node.add(p), 0, "adding after trimming is a no-op");
  assert.equal(node.merge(node0), 0);
  assert.equal(node.merge(node1), 0);
  assert.deepEqual(node.flattened(), copy.flattened());
  const expectedDelta = node.truncated ? 0 : 2;
  const news: Path[] = [["new1"], ["new2", "new2.1"]];
  assert.equal(news.reduce((s, p) => s + node.add(p), 0), expectedDelta);
  assertCovers(node, [...deduped, ...news], 2);
  assert.equal(copy.merge(nodeOf(news)), expectedDelta);
  assertCovers(copy, [...deduped, ...news], 2);
}

/** cells_test.py random_segments: n paths of depths min..max, sharing prefixes with probability `overlap`. */
function randomPaths(n: number, minDepth: number, maxDepth: number, overlap: number, rand: () => number): Path[] {
  const fixed = (count: number, depth: number): string[][] => {
    if (depth === 0) return Array.from({ length: count }, () => []);
    const seen: string[] = [];
    return fixed(count, depth - 1).map((suffix) => {
      let prefix: string;
      if (seen.length === 0 || rand() > overlap) seen.push((prefix = seen.length < 26 ? String.fromCharCode(97 + seen.length) : `z${seen.length}`));
      else prefix = seen[Math.floor(rand() * seen.length)]!;
      return [prefix, ...suffix];
    });
  };
  return fixed(n, maxDepth).map((p, i) => p.slice(0, minDepth + (i % (maxDepth - minDepth + 1))));
}

describe("Beam BoundedTrie data (cells_test.py TestBoundedTrieNode)", () => {
  it("test_trivial, test_flat, test_deep", () => {
    runTest([["a", "b"], ["a", "c"]]);
    runTest([["a", "a"], ["b", "b"], ["c", "c"]]);
    runTest([Array(10).fill("a"), Array(12).fill("b")]);
  });

  it("test_small, test_medium, test_large_sparse, test_large_dense (seeded)", () => {
    const params: [number, number, number, number][] = [[5, 2, 3, 0.5], [20, 2, 4, 0.5], [120, 2, 4, 0.2], [120, 2, 4, 0.8]];
    for (const [n, min, max, overlap] of params) for (let seed = 1; seed <= 10; seed++) runTest(randomPaths(n, min, max, overlap, prng(seed)));
  });

  it("test_bounded_trie_data_combine, test_bounded_trie_data_combine_trim", () => {
    const data = (...paths: Path[]): BoundedTrieData => {
      const d = new BoundedTrieData();
      for (const p of paths) d.add(p);
      return d;
    };
    const combined = (a: BoundedTrieData, b: BoundedTrieData): string[] => {
      const c = new MetricsContainer("S");
      c.mergeBoundedTrie("k", a);
      c.mergeBoundedTrie("k", b);
      return asTuples(c.boundedTries.get("k")!.result());
    };
    const A = (): BoundedTrieData => data(["a", "a"]);
    const lots = (): BoundedTrieData => data(["c", "c"], ["d", "d"]);
    assert.deepEqual(asTuples(new BoundedTrieData().result()), []);
    assert.deepEqual(combined(new BoundedTrieData(), A()), [str(["a", "a", "false"])]);
    assert.deepEqual(combined(A(), new BoundedTrieData()), [str(["a", "a", "false"])]);
    assert.deepEqual(combined(A(), data(["b", "b"])), [str(["a", "a", "false"]), str(["b", "b", "false"])]);
    assert.deepEqual(combined(A(), lots()), [["a", "a", "false"], ["c", "c", "false"], ["d", "d", "false"]].map(str));
    assert.deepEqual(combined(lots(), A()), [["a", "a", "false"], ["c", "c", "false"], ["d", "d", "false"]].map(str));
    const right = new BoundedTrieData(undefined, nodeOf([["a", "y"], ["c", "d"]]), 3);
    assert.deepEqual(combined(new BoundedTrieData(undefined, nodeOf([["a", "x"], ["b", "d"]])), right), [["a", "true"], ["b", "d", "false"], ["c", "d", "false"]].map(str));
  });

  it("test_merge_on_empty_node, test_merge_with_empty_node", () => {
    const paths: Path[] = [["a", "b", "c"], ["a", "b", "d"], ["a", "e"]];
    const empty = new BoundedTrieNode();
    assert.equal(empty.merge(nodeOf(paths)), 2);
    assert.equal(empty.size, 3);
    assert.equal(empty.truncated, false);
    const full = nodeOf(paths);
    assert.equal(full.merge(new BoundedTrieNode()), 0);
    assert.equal(full.size, 3);
  });

  it("keeps at most 100 leaves (DEFAULT_BOUND): a 101st distinct path truncates the largest subtree", () => {
    const c = new MetricsContainer("S");
    const key = metricKey("ns", "t");
    for (let i = 0; i < 100; i++) c.addToBoundedTrie(key, ["gs://bucket", `file-${i}`]);
    c.addToBoundedTrie(key, ["bq", "table"]);
    assert.deepEqual(asTuples(c.boundedTries.get(key)!.result()), [str(["bq", "table", "false"]), str(["gs://bucket", "true"])]);
    c.addToBoundedTrie(key, ["gs://bucket", "another"]);
    assert.equal(c.boundedTries.get(key)!.result().length, 2, "a path under a truncated prefix adds nothing");
  });
});

describe("Beam BoundedTrie metrics in a pipeline (MetricsTest.java: assertBoundedTrieMetrics)", () => {
  const assertBoundedTrieMetrics = (m: MetricResults): void => {
    const trie = (name: string, step: string): string[][] => m.boundedTries({ namespace: NS, name, step }).map((r) => asTuples(r.value));
    assert.deepEqual(trie("boundedTrieSources", "MyStep1"), [[str(["ab_source", "cd_source", "false"]), str(["ef_source", "false"])]]);
    assert.deepEqual(trie("boundedTrieSinks", "MyStep2"), [[str(["ab_sink", "cd_sink", "false"]), str(["ef_sink", "false"])]]);
  };
  for (const mode of ["batch", "streaming (TestStream)", "batch on 2 worker threads"] as const) {
    it(`reports each step's paths: ${mode}`, async () => {
      const options = mode === "batch on 2 worker threads" ? { directNumWorkers: 2, directWorkerThreads: "always" as const } : { streaming: mode !== "batch" };
      const result = await stringSetMetricsProgram.run({ stream: mode.startsWith("streaming") }, options);
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
      assertBoundedTrieMetrics(result.metrics);
    });
  }
});

describe("Beam BoundedTrie payloads and elsewhere (metrics.proto BoundedTrie)", () => {
  // Beam Python 2.66: a BoundedTrieData with ("ab_source", "cd_source") added (a singleton), as user_bounded_trie's payload.
  const SINGLETON = "08641a0961625f736f757263651a0963645f736f75726365";
  // ("a", "b") then ("a", "b", "c"): a root of one chain.
  const CHAIN = "0864121512130a0161120e120c0a0162120712050a01631200";
  // test_bounded_trie_data_combine_trim's result (Python writes map entries in its own order).
  const TRIMMED = "08641225120c0a0163120712050a0164120012070a016112020801120c0a0162120712050a01641200";

  it("encodes a singleton and a trie as Beam does, under beam:metric:user:bounded_trie:v1", () => {
    const c = new MetricsContainer("Step");
    c.addToBoundedTrie(metricKey("ns", "n"), ["ab_source", "cd_source"]);
    const [mi] = monitoringInfos(new Map([["t", c]]), { pcollections: new Map(), readIndex: new Map(), executionTime: new Map() });
    assert.deepEqual([mi!.urn, mi!.type, mi!.labels], ["beam:metric:user:bounded_trie:v1", "beam:metrics:bounded_trie:v1", { PTRANSFORM: "t", NAMESPACE: "ns", NAME: "n" }]);
    assert.equal(hex(mi!.payload), SINGLETON);
    const chain = new BoundedTrieData();
    chain.add(["a", "b"]);
    chain.add(["a", "b", "c"]);
    assert.equal(hex(chain.toProto()), CHAIN);
  });

  it("decodes Beam's payloads (truncated nodes, map entries in any order) and merges what a job reports per step", () => {
    const info = (payload: string) => ({ urn: MI.userBoundedTrie, type: MI.typeBoundedTrie, labels: { PTRANSFORM: "t1", NAMESPACE: "ns", NAME: "n" }, payload: Buffer.from(payload, "hex") });
    const trimmed = decodeMetric(info(TRIMMED)).value as BoundedTrieData;
    assert.deepEqual(asTuples(trimmed.result()), [["a", "true"], ["b", "d", "false"], ["c", "d", "false"]].map(str));
    assert.equal(trimmed.root!.size, 3);
    const results = metricResultsFrom([info(SINGLETON), info(CHAIN)], new Map([["t1", "MyStep"]]));
    assert.deepEqual(results.boundedTries().map((r) => [r.step, asTuples(r.value)]), [["MyStep", [str(["a", "b", "c", "false"]), str(["ab_source", "cd_source", "false"])]]]);
  });

  it("reads a Dataflow MetricUpdate's `trie` (DataflowMetrics.getBoundedTrieValue)", () => {
    const trie = { bound: 100, root: { children: { a: { truncated: true }, b: { children: { d: {} } } } } };
    const progress = progressFromDataflowMetrics({ metrics: [{ name: { origin: "user", name: "t", context: { step: "s1", namespace: "ns" } }, trie }] }, { steps: new Map([["s1", "MyStep"]]), pcollections: new Map() });
    assert.deepEqual(progress.metrics.boundedTries().map((r) => [r.step, asTuples(r.value)]), [["MyStep", [str(["a", "true"]), str(["b", "d", "false"])]]]);
  });

  it("keeps bounded tries across a streaming checkpoint", () => {
    const saved = new MetricsContainer("S");
    saved.addToBoundedTrie(metricKey("ns", "t"), ["x", "y"]);
    saved.addToBoundedTrie(metricKey("ns", "t"), ["z"]);
    const w = new ByteWriter(64);
    new MetricsPart(new Map([["S", saved]]), () => saved).snapshot(w);
    const restored = new MetricsContainer("S");
    const r = new ByteReader(w.finish());
    new MetricsPart(new Map(), () => restored).restore(r);
    assert.equal(r.atEnd(), true);
    assert.deepEqual(asTuples(restored.boundedTries.get(metricKey("ns", "t"))!.result()), [str(["x", "y", "false"]), str(["z", "false"])]);
  });
});
