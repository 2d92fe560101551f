/**
 * Map and multimap side inputs keyed by tuples and objects on the portable path: the SDK harness
 * decodes every key (a new object), so a DoFn's `get([country, year])` only finds it if views
 * compare keys by value, as Beam's do. Read as Beamline asks (the iterable access pattern, the
 * KVs in one fetch) and with the multimap access pattern (keys first, then each key's values,
 * found by the key's encoded bytes, as Beam's runners serve it), against the DirectRunner.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { rapi, runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { readShards } from "../helpers";
import { FnApiServer } from "../worker/fn_server";
import { executePipeline } from "./mini_runner";
import { SIDE_INPUT_KEYS_EXPECTED, sideInputKeysProgram } from "./side_input_key_programs";

/** Changes `proto` so that transform `name` reads its side inputs through the multimap access pattern; returns how many. */
function withMultimapAccess(proto: rapi.Pipeline, name: string): number {
  let changed = 0;
  for (const t of Object.values(proto.components!.transforms)) {
    if (t.spec?.urn !== URNS.pardo || t.uniqueName !== name) continue;
    const payload = runnerApi.ParDoPayload.fromBinary(t.spec.payload);
    for (const si of Object.values(payload.sideInputs)) {
      si.accessPattern = { urn: URNS.sideInputMultimap, payload: new Uint8Array(0) };
      changed++;
    }
    t.spec.payload = runnerApi.ParDoPayload.toBinary(payload);
  }
  return changed;
}

describe("portable: map and multimap side inputs keyed by tuples and objects", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-side-input-keys-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the DirectRunner finds keys by value", async () => {
    const output = path.join(tmp, "direct");
    assert.equal(await (await sideInputKeysProgram.run({ output }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    assert.deepEqual(readShards(path.join(output, "keys")), SIDE_INPUT_KEYS_EXPECTED);
  });

  for (const access of ["iterable", "multimap"] as const) {
    it(`the SDK harness finds decoded keys by value (${access} access pattern)`, async () => {
      const flags = { output: path.join(tmp, access) };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: `w-keys-${access}`, controlUrl: fn.url, loadPipeline: () => sideInputKeysProgram.create(flags), runId: "keys" }).start();
      try {
        const proto = translatePipeline(sideInputKeysProgram.create(flags), dockerEnvironment()).proto;
        if (access === "multimap") assert.equal(withMultimapAccess(proto, "Lookup"), 2);
        await executePipeline(proto, fn, () => undefined, () => false);
        assert.deepEqual(readShards(path.join(flags.output, "keys")), SIDE_INPUT_KEYS_EXPECTED);
      } finally {
        await harness.stop();
        await fn.stop();
      }
    });
  }
});
