/**
 * Rows of a Beam schema as PCollection elements: `pc.setCoder(RowCoder.of(schema))` puts
 * beam:coder:row:v1 with the Schema proto payload into the pipeline proto (length-prefixed for
 * runners, as Prism expects), the worker rebuilds it from there, and rows cross the Fn API and
 * GroupByKey (as values, and as keys) with the DirectRunner's results.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { coderFromSpec, CoderSpec } from "../../lib/coders/registry";
import { RowCoder } from "../../lib/coders/row";
import { dockerEnvironment } from "../../runners/portable/environments";
import { PortableRunner } from "../../runners/portable/portable_runner";
import type { rapi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { readShards } from "../helpers";
import { MiniJobServer } from "./job_server";
import { CustomerCoupon, Purchase, ROWS_EXPECTED, rowsProgram } from "./rows_programs";

function specOf(c: rapi.Components, id: string): CoderSpec {
  const coder = c.coders[id]!;
  return { urn: coder.spec!.urn, components: coder.componentCoderIds.map((k) => specOf(c, k)), payload: coder.spec!.payload };
}

describe("rows (beam:coder:row:v1) on portable runners", function () {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-rows-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the pipeline proto carries the row coders with their Schema payloads, and they rebuild through the registry", () => {
    const { proto } = translatePipeline(rowsProgram.create({ output: tmp }), dockerEnvironment());
    const c = proto.components!;
    const rowCoders = Object.entries(c.coders).filter(([, coder]) => coder.spec!.urn === "beam:coder:row:v1");
    const payloads = new Set(rowCoders.map(([, coder]) => Buffer.from(coder.spec!.payload).toString("hex")));
    assert.deepEqual(payloads, new Set([RowCoder.of(Purchase).payload, RowCoder.of(CustomerCoupon).payload].map((p) => Buffer.from(p).toString("hex"))));
    const purchases = Object.values(c.pcollections).find((pc) => pc.uniqueName === "Purchases/Values.main")!;
    const spec = specOf(c, purchases.coderId);
    assert.equal(spec.urn, "beam:coder:length_prefix:v1", "runners skip row bytes they cannot parse");
    assert.equal(spec.components![0]!.urn, "beam:coder:row:v1");
    const rebuilt = coderFromSpec(spec.components![0]!) as RowCoder;
    assert.deepEqual(rebuilt.schema.fieldNames, ["customer", "item", "cents", "coupon", "at", "tags"]);
  });

  it("rows cross the Fn API and GroupByKey (as values and keys) with the DirectRunner's output", async () => {
    const jobServer = await MiniJobServer.start();
    try {
      const flags = (dir: string) => ({ output: path.join(tmp, dir) });
      assert.equal(await (await rowsProgram.run(flags("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      const p = rowsProgram.create(flags("portable"), { runner: "PortableRunner", jobName: "rows", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
      assert.equal(await result.waitUntilFinish(), "DONE");
      for (const [file, lines] of Object.entries(ROWS_EXPECTED)) {
        assert.deepEqual(readShards(path.join(tmp, "direct", file)), lines, `direct ${file}`);
        assert.deepEqual(readShards(path.join(tmp, "portable", file)), lines, `portable ${file}`);
      }
    } finally {
      await jobServer.stop();
    }
  });
});
