/**
 * Redistribute on portable runners: its URNs and RedistributePayload (Beam Java's translation),
 * replaced by a runner that knows them (as Prism does) or run as its expansion (as Beam Python's
 * portable runner does), each giving the DirectRunner's output.
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
import { REDISTRIBUTE_EXPECTED, redistributeProgram } from "./redistribute_programs";

describe("portable translation: Redistribute", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-redistribute-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("sends Beam's URNs with RedistributePayload (allow_duplicates), each a composite around its own grouping (none nested: Prism drops a composite's direct steps only), one coder on each side", () => {
    const c = translatePipeline(redistributeProgram.create({ output: tmp }), dockerEnvironment()).proto.components!;
    const byName = (name: string) => Object.values(c.transforms).find((t) => t.uniqueName === name)!;
    const arbitrarily = byName("Arbitrarily");
    assert.equal(arbitrarily.spec!.urn, "beam:transform:redistribute_arbitrarily:v1");
    assert.deepEqual([...arbitrarily.spec!.payload], [0x08, 0x01], "allow_duplicates = true");
    assert.deepEqual(
      arbitrarily.subtransforms.map((id) => [c.transforms[id]!.uniqueName, c.transforms[id]!.spec!.urn]),
      [
        ["Arbitrarily/AssignShard", URNS.pardo],
        ["Arbitrarily/SetShuffleWindowing", URNS.pardo],
        ["Arbitrarily/ReifyMetadata", URNS.reifyMetadata],
        ["Arbitrarily/GroupByKey", URNS.gbk],
        ["Arbitrarily/RestoreMetadata", URNS.restoreMetadata],
        ["Arbitrarily/ExpandIterable", URNS.pardo],
        ["Arbitrarily/Values", URNS.pardo],
      ],
    );
    const byKey = byName("ByKey");
    assert.equal(byKey.spec!.urn, "beam:transform:redistribute_by_key:v1");
    assert.deepEqual([...byKey.spec!.payload], [], "allow_duplicates = false (the default, not written)");
    assert.deepEqual(
      byKey.subtransforms.map((id) => [c.transforms[id]!.uniqueName, c.transforms[id]!.spec!.urn]),
      [
        ["ByKey/SetShuffleWindowing", URNS.pardo],
        ["ByKey/ReifyMetadata", URNS.reifyMetadata],
        ["ByKey/GroupByKey", URNS.gbk],
        ["ByKey/RestoreMetadata", URNS.restoreMetadata],
        ["ByKey/ExpandIterable", URNS.pardo],
      ],
    );
    for (const t of [arbitrarily, byKey]) {
      assert.equal(c.pcollections[Object.values(t.inputs)[0]!]!.coderId, c.pcollections[Object.values(t.outputs)[0]!]!.coderId, `${t.uniqueName}: a runner passing elements through needs one coder`);
    }
  });

  for (const expand of [false, true]) {
    it(`keeps every element, timestamp and window on a runner that ${expand ? "runs the expansion" : "replaces the composites"}, as the DirectRunner does`, async () => {
      const direct = path.join(tmp, `direct-${expand}`);
      assert.equal(await (await redistributeProgram.run({ output: direct }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(direct, "arbitrarily")), REDISTRIBUTE_EXPECTED.arbitrarily);
      assert.deepEqual(readShards(path.join(direct, "bykey")), REDISTRIBUTE_EXPECTED.bykey);

      const flags = { output: path.join(tmp, `portable-${expand}`) };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: `w-redistribute-${expand}`, controlUrl: fn.url, loadPipeline: () => redistributeProgram.create(flags), runId: `redistribute-${expand}` }).start();
      try {
        const proto = translatePipeline(redistributeProgram.create(flags), dockerEnvironment()).proto;
        await executePipeline(proto, fn, () => undefined, () => false, { expandReshuffle: expand });
        assert.deepEqual(readShards(path.join(flags.output, "arbitrarily")), REDISTRIBUTE_EXPECTED.arbitrarily);
        assert.deepEqual(readShards(path.join(flags.output, "bykey")), REDISTRIBUTE_EXPECTED.bykey);
      } finally {
        await harness.stop();
        await fn.stop();
      }
    });
  }
});
