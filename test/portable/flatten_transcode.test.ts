/**
 * Flattens of inputs that runners encode with different coders (flatten_transcode_programs.ts):
 * every input keeps its own coder, and the translation puts a transcoding step (an identity ParDo
 * our harness runs) before each input whose coder differs from the Flatten's output's, as Beam
 * Python's runner (fix_flatten_coders) and Prism do, so the runner sees one coder on a Flatten.
 * Translated in batch and streaming; run through the Fn API harness (batch, streaming, combines
 * lifted or not) and end to end through our Job API server (LOOPBACK), with the DirectRunner's
 * output; and a plain element that reaches a GroupByKey through a Flatten fails naming the Flatten.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { Create, Flatten, GroupByKey, kv, Reshuffle, TestStream, type KV, type PCollection } from "../../lib";
import { Pipeline } from "../../lib/model/pipeline";
import type { PipelineOptions } from "../../lib/model/options";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import { KVCoder } from "../../lib/coders/structural";
import { JsValueCoder } from "../../lib/coders/js_value";
import type { Coder } from "../../lib/coders/coder";
import { validatePipelineProto } from "../../runners/portable/describe";
import { dockerEnvironment } from "../../runners/portable/environments";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { rapi, runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { readShards } from "../helpers";
import { FnApiServer } from "../worker/fn_server";
import { startProgramHarness } from "../worker/program_harness";
import { MiniJobServer } from "./job_server";
import { executePipeline } from "./mini_runner";
import { FLATTEN_TRANSCODE_EXPECTED, flattenPlainIntoGroupingProgram, flattenTranscodeProgram } from "./flatten_transcode_programs";

function coderUrns(c: rapi.Components, id: string): string {
  const coder = c.coders[id]!;
  const parts = coder.componentCoderIds.map((cc) => coderUrns(c, cc));
  const short = coder.spec!.urn.replace(/^beam:coder:|^beamline:coder:/, "").replace(/:v1$/, "");
  return parts.length > 0 ? `${short}(${parts.join(",")})` : short;
}

const byName = (c: rapi.Components, name: string): rapi.PTransform => {
  const t = Object.values(c.transforms).find((x) => x.uniqueName === name);
  assert.ok(t, `no transform ${name}`);
  return t;
};

/** The coder (as URNs) of each PCollection a transform reads, by local name. */
const inputCoders = (c: rapi.Components, t: rapi.PTransform): Record<string, string> => Object.fromEntries(Object.entries(t.inputs).map(([local, pc]) => [local, coderUrns(c, c.pcollections[pc]!.coderId)]));

/** What every translated Flatten must satisfy: one coder on its inputs and output, as runners pass its bytes through. */
function checkFlattens(proto: rapi.Pipeline): void {
  assert.deepEqual(validatePipelineProto(proto), []);
  const c = proto.components!;
  for (const t of Object.values(c.transforms)) {
    if (t.spec?.urn !== URNS.flatten) continue;
    const ids = new Set([...Object.values(t.inputs), ...Object.values(t.outputs)].map((pc) => c.pcollections[pc]!.coderId));
    assert.equal(ids.size, 1, `${t.uniqueName}: inputs and output must share one coder, got ${JSON.stringify(inputCoders(c, t))}`);
  }
  // Every transform is reachable from the roots (runners walk the tree from there).
  const reached = new Set<string>();
  const visit = (id: string): void => {
    reached.add(id);
    c.transforms[id]!.subtransforms.forEach(visit);
  };
  proto.rootTransformIds.forEach(visit);
  assert.deepEqual(Object.keys(c.transforms).filter((id) => !reached.has(id)), []);
}

/** The transcoding steps of a Flatten: name → [input coder, output coder]. */
function transcodes(c: rapi.Components, flatten: string): Record<string, [string, string]> {
  const result: Record<string, [string, string]> = {};
  for (const t of Object.values(c.transforms)) {
    if (!t.uniqueName.startsWith(`${flatten}/Transcode`)) continue;
    assert.equal(t.spec!.urn, URNS.pardo, t.uniqueName);
    assert.equal(runnerApi.ParDoPayload.fromBinary(t.spec!.payload).doFn!.urn, URNS.transcodeDoFn, t.uniqueName);
    assert.equal(t.environmentId, "beamline", `${t.uniqueName} runs in the SDK`);
    const pc = (id: string) => coderUrns(c, c.pcollections[id]!.coderId);
    result[t.uniqueName] = [pc(Object.values(t.inputs)[0]!), pc(Object.values(t.outputs)[0]!)];
  }
  return result;
}

const KV_JS = "kv(length_prefix(jsvalue_deterministic),length_prefix(jsvalue))";
const JS = "length_prefix(jsvalue)";

describe("portable: Flattens of inputs with different coders (transcoding steps)", function () {
  this.timeout(120_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-flatten-transcode-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const streaming of [false, true]) {
    it(`${streaming ? "streaming" : "batch"} translation: inputs keep their coders; a transcoding step per input whose coder differs, named after the Flatten`, () => {
      const p = flattenTranscodeProgram.create({ output: "/out" }, { streaming });
      const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
      checkFlattens(proto);
      const c = proto.components!;
      // test_flatten_and_gbk: side1 is grouped (KV), side2 is not; the output is neither.
      assert.deepEqual(transcodes(c, "FlattenAndGbk"), { "FlattenAndGbk/Transcode0": [KV_JS, JS] });
      assert.equal(coderUrns(c, c.pcollections[byName(c, "side2").outputs["main"]!]!.coderId), JS, "the plain input keeps its own coder");
      // Without transcoding in Python (inputs of one element type), but side1 is grouped here too.
      assert.deepEqual(transcodes(c, "FlattenSame"), { "FlattenSame/Transcode0": [KV_JS, JS] });
      // The Flatten read as a map side input is KV: its plain input sideB is transcoded to it; and its
      // output flattened with a string is transcoded back to plain values.
      assert.deepEqual(transcodes(c, "FlattenSide"), { "FlattenSide/Transcode1": [JS, KV_JS] });
      assert.deepEqual(transcodes(c, "FlattenAfter"), { "FlattenAfter/Transcode0": [KV_JS, JS] });
      // Java's coder cases: each input with its own coder, the output with the one set on it.
      assert.deepEqual(transcodes(c, "FlattenMultipleCoders"), {
        "FlattenMultipleCoders/Transcode0": ["length_prefix(nullable(double))", "length_prefix(nullable(varint))"],
        "FlattenMultipleCoders/Transcode1": ["varint", "length_prefix(nullable(varint))"],
      });
      assert.deepEqual(transcodes(c, "FlattenDifferent"), { "FlattenDifferent/Transcode0": ["length_prefix(jsvalue)", "kv(string_utf8,string_utf8)"] });
      assert.deepEqual(transcodes(c, "FlattenDifferent2"), { "FlattenDifferent2/Transcode0": ["kv(string_utf8,iterable(string_utf8))", JS] });
      // Two groupings the runner encodes differently (no longer refused): the output has the first one's coder.
      assert.deepEqual(transcodes(c, "FlattenGroupings"), { "FlattenGroupings/Transcode1": ["kv(string_utf8,iterable(length_prefix(jsvalue)))", "kv(string_utf8,iterable(string_utf8))"] });
      assert.deepEqual(transcodes(c, "FlattenMixed"), { "FlattenMixed/Transcode0": [KV_JS, JS] });
      assert.deepEqual(transcodes(c, "FlattenBigints"), { "FlattenBigints/Transcode1": [JS, "varint"] });
      // Two groupings flattened into a Reshuffle, then grouped: the Reshuffle's input (the Flatten's
      // output) and output share the inputs' runner coder for a grouping, so nothing is transcoded.
      const KV_GROUPS = "kv(length_prefix(jsvalue_deterministic),iterable(length_prefix(jsvalue)))";
      assert.deepEqual(transcodes(c, "FlattenReshuffle"), {});
      const reshuffle = byName(c, "ReshuffleFlattened");
      assert.deepEqual([inputCoders(c, reshuffle)["main"], coderUrns(c, c.pcollections[reshuffle.outputs["main"]!]!.coderId)], [KV_GROUPS, KV_GROUPS]);
      // The Flatten that gathers the outputs: all plain Map outputs, nothing to transcode.
      assert.deepEqual(transcodes(c, "All"), {});
      // The steps sit beside their Flatten, before it, in its parent.
      const roots = proto.rootTransformIds.map((id) => c.transforms[id]!.uniqueName);
      assert.ok(roots.indexOf("FlattenAndGbk/Transcode0") >= 0 && roots.indexOf("FlattenAndGbk/Transcode0") < roots.indexOf("FlattenAndGbk"), roots.join(", "));
    });
  }

  it("streaming translation with a TestStream input: its context-free coder is transcoded to the Flatten's", () => {
    const p = Pipeline.create({ streaming: true });
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    const events = p.apply("Events", TestStream.create<string>().addElements({ value: "x", timestamp: 0 }).advanceWatermarkToInfinity()).setCoder(StringUtf8Coder.INSTANCE);
    // The output takes the first input's coder (none set: the default), as Beam Java's Flatten.
    p.apply("Both", Flatten.pCollections<KV<string, number> | string>(pairs as PCollection<KV<string, number> | string>, events));
    const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
    checkFlattens(proto);
    assert.deepEqual(transcodes(proto.components!, "Both"), { "Both/Transcode1": ["length_prefix(string_utf8)", JS] });
  });

  describe("Flatten → Reshuffle → GroupByKey (a Reshuffle's input and output share one coder)", () => {
    /** The translated proto's transcoding steps, all Flattens together. */
    const transcodeSteps = (proto: rapi.Pipeline): string[] =>
      Object.values(proto.components!.transforms)
        .filter((t) => t.spec?.urn === URNS.pardo && runnerApi.ParDoPayload.fromBinary(t.spec.payload).doFn?.urn === URNS.transcodeDoFn)
        .map((t) => t.uniqueName)
        .sort();
    /** Flatten of `inputs` → Reshuffle (its output's coder set to `reshuffledCoder`, if given) → GroupByKey. */
    const program = (inputs: (p: Pipeline) => PCollection<KV<string, unknown>>[], reshuffledCoder?: Coder<KV<string, unknown>>, streaming = false): Pipeline => {
      const p = Pipeline.create({ streaming });
      const reshuffled = p.apply("Both", Flatten.pCollections(...inputs(p))).apply("Reshuffle", Reshuffle.viaRandomKey());
      if (reshuffledCoder !== undefined) reshuffled.setCoder(reshuffledCoder);
      reshuffled.apply("Group", GroupByKey.create());
      return p;
    };
    const grouped = (p: Pipeline, name: string): PCollection<KV<string, unknown>> => p.apply(`${name}Create`, Create.of(kv(name, 1))).apply(`${name}Group`, GroupByKey.create<string, number>());
    for (const streaming of [false, true]) {
      it(`${streaming ? "streaming" : "batch"}: inputs that agree on a KV coder (two groupings' outputs) give it to the Reshuffle, with no transcoding step`, () => {
        const p = program((q) => [grouped(q, "A"), grouped(q, "B")], undefined, streaming);
        const { proto } = translatePipeline(p, dockerEnvironment("beamline/worker:test"));
        checkFlattens(proto);
        assert.deepEqual(transcodeSteps(proto), []);
        const c = proto.components!;
        const kvGroups = "kv(length_prefix(jsvalue_deterministic),iterable(length_prefix(jsvalue)))";
        assert.equal(inputCoders(c, byName(c, "Group"))["main"], kvGroups);
      });
    }
    it("inputs that disagree are still transcoded, to the coder the GroupByKey needs", () => {
      const { proto } = translatePipeline(program((q) => [grouped(q, "A"), q.apply("Pairs", Create.of(kv("p", 1)))]), dockerEnvironment("beamline/worker:test"));
      checkFlattens(proto);
      assert.deepEqual(transcodeSteps(proto), ["Both/Transcode0", "Both/Transcode1"]);
      assert.equal(inputCoders(proto.components!, byName(proto.components!, "Group"))["main"], KV_JS);
    });
    it("a coder set on the Reshuffle's output is the user's choice: every input is transcoded to it", () => {
      const chosen = new KVCoder(StringUtf8Coder.INSTANCE, new JsValueCoder()) as Coder<KV<string, unknown>>;
      const { proto } = translatePipeline(program((q) => [grouped(q, "A"), grouped(q, "B")], chosen), dockerEnvironment("beamline/worker:test"));
      checkFlattens(proto);
      assert.deepEqual(transcodeSteps(proto), ["Both/Transcode0", "Both/Transcode1"]);
      assert.equal(inputCoders(proto.components!, byName(proto.components!, "Group"))["main"], "kv(string_utf8,length_prefix(jsvalue))");
    });
  });

  it("a Flatten of KV and plain elements read by a GroupByKey still translates (the elements are only known when it runs)", () => {
    const { proto } = translatePipeline(flattenPlainIntoGroupingProgram.create({}), dockerEnvironment("beamline/worker:test"));
    checkFlattens(proto);
    assert.deepEqual(transcodes(proto.components!, "Mixed"), { "Mixed/Transcode0": [JS, KV_JS], "Mixed/Transcode1": [JS, KV_JS] });
  });

  it("the DirectRunner gives Beam's expected outputs", async () => {
    const output = path.join(tmp, "direct");
    assert.equal(await (await flattenTranscodeProgram.run({ output }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    assert.deepEqual(readShards(path.join(output, "out")), FLATTEN_TRANSCODE_EXPECTED);
  });

  const harnessCases: { name: string; options: Partial<PipelineOptions>; liftCombines: boolean; expandReshuffle?: boolean }[] = [
    { name: "batch, combines lifted", options: {}, liftCombines: true },
    { name: "batch, combines not lifted, Reshuffles expanded (as Beam Python's runner)", options: {}, liftCombines: false, expandReshuffle: true },
    { name: "streaming", options: { streaming: true }, liftCombines: false },
  ];
  for (const { name, options, liftCombines, expandReshuffle } of harnessCases) {
    it(`through the Fn API harness (${name}): Beam's expected outputs`, async () => {
      const flags = { output: path.join(tmp, `harness-${name.replace(/\W+/g, "-")}`) };
      const p = flattenTranscodeProgram.create(flags, options);
      const fn = await FnApiServer.start();
      const harness = startProgramHarness(p, fn.url, `flatten-transcode-${name}`, `w-flatten-${name}`);
      try {
        await executePipeline(translatePipeline(p, dockerEnvironment()).proto, fn, () => undefined, () => false, { liftCombines, ...(expandReshuffle === true ? { expandReshuffle } : {}) });
        assert.deepEqual(readShards(path.join(flags.output, "out")), FLATTEN_TRANSCODE_EXPECTED);
      } finally {
        await harness.stop();
        await fn.stop();
      }
    });
  }

  describe("through our Job API server (LOOPBACK)", () => {
    let jobServer: MiniJobServer;
    before(async () => {
      jobServer = await MiniJobServer.start();
    });
    after(async () => {
      await jobServer.stop();
    });
    const portable = (jobName: string): Partial<PipelineOptions> => ({ runner: "PortableRunner", jobName, extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });

    it("runs to DONE with Beam's expected outputs", async () => {
      const output = path.join(tmp, "loopback");
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(flattenTranscodeProgram.create({ output }, portable("flatten-transcode")));
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(output, "out")), FLATTEN_TRANSCODE_EXPECTED);
    });

    it("a plain element flattened into a GroupByKey's input fails naming the Flatten and the fix (the DirectRunner fails it too)", async () => {
      const direct = await flattenPlainIntoGroupingProgram.run({}, { runner: "DirectRunner" }).then(
        (r) => r.waitUntilFinish(),
        (e: Error) => e,
      ).then(
        () => assert.fail("the DirectRunner ran it"),
        (e: Error) => e,
      );
      assert.match(direct.message, /not a KV/);
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(flattenPlainIntoGroupingProgram.create({}, portable("flatten-plain-into-grouping")));
      const error = await result.waitUntilFinish().then(
        () => assert.fail("the job succeeded"),
        (e: Error) => e,
      );
      assert.match(error.message, /'Mixed'/, error.message);
      assert.match(error.message, /"not a pair"/, error.message);
      assert.match(error.message, /'Group'/, error.message);
      assert.match(error.message, /kv\(/, error.message);
    });
  });
});
