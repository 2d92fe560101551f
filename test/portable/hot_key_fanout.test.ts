/**
 * Combine.perKey(fn).withHotKeyFanout on a portable runner: translated as a composite of ordinary
 * transforms (two combine_per_key composites around a Flatten), with coders that carry the
 * input's key and value coders through both stages; run by the test runner with and without
 * combiner lifting, it gives the DirectRunner's output.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { readShards } from "../helpers";
import { executePipeline } from "./mini_runner";
import { HOT_KEY_FANOUT_EXPECTED, hotKeyFanoutProgram } from "./hot_key_fanout_programs";

describe("portable translation: Combine.perKey(fn).withHotKeyFanout", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-hot-key-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("is a composite of AddNonce, a pre-combine per (key, nonce), a Flatten and a combine per key, with the input's coders in both stages", () => {
    const c = translatePipeline(hotKeyFanoutProgram.create({ output: tmp }), dockerEnvironment()).proto.components!;
    const byName = (name: string) => Object.values(c.transforms).find((t) => t.uniqueName === name)!;
    const composite = byName("CombineReified");
    assert.deepEqual(
      composite.subtransforms.map((id) => [c.transforms[id]!.uniqueName, c.transforms[id]!.spec!.urn]),
      [
        ["CombineReified/AddNonce", URNS.pardo],
        ["CombineReified/PreCombineHot", URNS.combinePerKey],
        ["CombineReified/StripNonce", URNS.pardo],
        ["CombineReified/PrepareCold", URNS.pardo],
        ["CombineReified/Flatten", URNS.flatten],
        ["CombineReified/PostCombine", URNS.combinePerKey],
      ],
    );
    const coderOf = (pc: string) => c.coders[c.pcollections[pc]!.coderId]!;
    const urns = (id: string): string => {
      const coder = c.coders[id]!;
      const inner = coder.componentCoderIds.map(urns);
      return inner.length > 0 ? `${coder.spec!.urn}(${inner.join(",")})` : coder.spec!.urn;
    };
    // The hot elements are keyed by KV(key, varint nonce) and keep the reified value's coder.
    const hot = coderOf(Object.values(byName("CombineReified/PreCombineHot").inputs)[0]!);
    assert.match(urns(c.pcollections[Object.values(byName("CombineReified/PreCombineHot").inputs)[0]!]!.coderId), /^beam:coder:kv:v1\(beam:coder:kv:v1\(.*,beam:coder:varint:v1\),beam:coder:length_prefix:v1\(beamline:coder:value_in_single_window:v1/);
    assert.equal(hot.spec!.urn, "beam:coder:kv:v1");
    // Between the stages: KV(key, input or accumulator), the input with its own coder.
    assert.match(urns(c.pcollections[Object.values(byName("CombineReified/PostCombine").inputs)[0]!]!.coderId), /^beam:coder:kv:v1\(.*,beam:coder:length_prefix:v1\(beamline:coder:input_or_accum:v1\(beamline:coder:value_in_single_window:v1/);
  });

  for (const liftCombines of [true, false]) {
    it(`gives the DirectRunner's output on a runner that ${liftCombines ? "lifts" : "does not lift"} combines`, async () => {
      const direct = path.join(tmp, `direct-${liftCombines}`);
      assert.equal(await (await hotKeyFanoutProgram.run({ output: direct }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      for (const [file, lines] of Object.entries(HOT_KEY_FANOUT_EXPECTED)) assert.deepEqual(readShards(path.join(direct, file)), lines, `direct ${file}`);

      const flags = { output: path.join(tmp, `portable-${liftCombines}`) };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: "w-hot-key", controlUrl: fn.url, loadPipeline: () => hotKeyFanoutProgram.create(flags), runId: "hot-key" }).start();
      try {
        const proto = translatePipeline(hotKeyFanoutProgram.create(flags), dockerEnvironment()).proto;
        await executePipeline(proto, fn, () => undefined, () => false, { liftCombines });
        // The test runner groups by exact window and does not merge sessions (Prism does: real_runners.test.ts).
        for (const [file, lines] of Object.entries(HOT_KEY_FANOUT_EXPECTED)) if (file !== "sessions") assert.deepEqual(readShards(path.join(flags.output, file)), lines, file);
      } finally {
        await harness.stop();
        await fn.stop();
      }
    });
  }
});
