/**
 * beam:coder:varint:v1 is Beam's int64, and Beamline has two coders for it: VarIntCoder over
 * numbers and BigIntVarIntCoder over bigints. The pipeline proto carries only the URN, so the Fn
 * API worker must take the JS representation from the SDK's own coder of each PCollection (which
 * it knows from the rebuilt program), or bigints beyond 2^53 fail to decode, or come out as
 * numbers the next step cannot handle. Checked on the in-suite portable runner (the same program
 * on the real runners: real_runner_bigint.test.ts).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { BigIntVarIntCoder, VarIntCoder } from "../../lib/coders/primitive";
import { coderFromSpec, coderToSpec } from "../../lib/coders/registry";
import { KVCoder, LengthPrefixCoder } from "../../lib/coders/structural";
import { JsValueCoder } from "../../lib/coders/js_value";
import { decodeFromBytes } from "../../lib/coders/index";
import { Pipeline, TestStream } from "../../lib";
import { dockerEnvironment } from "../../runners/portable/environments";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { readShards } from "../helpers";
import { BIGINT_EXPECTED, bigintProgram } from "./bigint_programs";
import { MiniJobServer } from "./job_server";
import { SDF_BIGINT_EXPECTED, sdfBigintProgram } from "./sdf_bigint_programs";

describe("bigints in BigIntVarIntCoder (beam:coder:varint:v1) on portable runners", function () {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-bigint-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("coderFromSpec takes the SDK's coder where the spec agrees with it, and the registry's where a runner changed the spec", () => {
    const int64 = BigIntVarIntCoder.INSTANCE;
    const sdk = new KVCoder(int64, new JsValueCoder());
    // The proto has varint for both of Beamline's int64 coders: without the SDK's coder, numbers.
    assert.equal(coderFromSpec(coderToSpec(int64)), VarIntCoder.INSTANCE);
    assert.equal(coderFromSpec(coderToSpec(int64), int64), int64);
    assert.equal(coderFromSpec(coderToSpec(sdk), sdk), sdk);
    // As runners send it: the JS value coder length-prefixed (coder_table.ts), the key untouched.
    const wire = coderFromSpec(coderToSpec(new KVCoder(int64, new LengthPrefixCoder(new JsValueCoder()))), sdk);
    assert.equal(wire.components[0], int64);
    assert.equal(wire.components[1]!.urn, "beam:coder:length_prefix:v1");
    // A spec that is not the SDK's coder is built as the spec says.
    assert.equal(coderFromSpec(coderToSpec(VarIntCoder.INSTANCE), new JsValueCoder()), VarIntCoder.INSTANCE);
  });

  it("a TestStream of bigints in BigIntVarIntCoder reaches the runner with its elements encoded as int64 varints", () => {
    const p = Pipeline.create();
    p.apply("Events", TestStream.create<bigint>().addElements({ value: 9007199254740993n, timestamp: 0 }, { value: -9223372036854775808n, timestamp: 1 })).setCoder(BigIntVarIntCoder.INSTANCE);
    const { proto } = translatePipeline(p, dockerEnvironment());
    const t = Object.values(proto.components!.transforms).find((x) => x.spec?.urn === URNS.testStream)!;
    const payload = runnerApi.TestStreamPayload.fromBinary(t.spec!.payload);
    const elements = payload.events.flatMap((e) => (e.event.oneofKind === "elementEvent" ? e.event.elementEvent.elements : []));
    assert.deepEqual(
      elements.map((el) => decodeFromBytes(BigIntVarIntCoder.INSTANCE, el.encodedElement, "nested")),
      [9007199254740993n, -9223372036854775808n],
    );
  });

  it("bigints beyond 2^53 cross the Fn API, GroupByKey (as keys and as values) and a lifted Combine.perKey (as keys) as bigints, as on the DirectRunner", async () => {
    const jobServer = await MiniJobServer.start();
    try {
      const flags = (dir: string) => ({ output: path.join(tmp, dir) });
      assert.equal(await (await bigintProgram.run(flags("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      const p = bigintProgram.create(flags("portable"), { runner: "PortableRunner", jobName: "bigint", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });
      const lines: string[] = [];
      const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
      assert.equal(await result.waitUntilFinish(), "DONE", lines.join("\n"));
      for (const [file, expected] of Object.entries(BIGINT_EXPECTED)) {
        assert.deepEqual(readShards(path.join(tmp, "direct", file)), expected, `direct ${file}`);
        assert.deepEqual(readShards(path.join(tmp, "portable", file)), expected, `portable ${file}`);
      }
    } finally {
      await jobServer.stop();
    }
  });

  it("a splittable DoFn over bigints, with a restriction coder of the user's own, gets bigints and its restrictions in every phase the runner expands it into", async () => {
    // The runner makes the PCollections between the phases (KV(element, restriction), KV(that,
    // size)) from the proto's coders: the SDK's coders must guide them as they guide the program's own.
    const jobServer = await MiniJobServer.start();
    try {
      const flags = (dir: string) => ({ output: path.join(tmp, "sdf", dir), checkpoint: false });
      assert.equal(await (await sdfBigintProgram.run(flags("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      const p = sdfBigintProgram.create(flags("portable"), { runner: "PortableRunner", jobName: "sdf-bigint", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });
      const lines: string[] = [];
      const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
      assert.equal(await result.waitUntilFinish(), "DONE", lines.join("\n"));
      assert.deepEqual(readShards(path.join(tmp, "sdf", "direct", "indexed")), SDF_BIGINT_EXPECTED, "direct");
      assert.deepEqual(readShards(path.join(tmp, "sdf", "portable", "indexed")), SDF_BIGINT_EXPECTED, "portable");
    } finally {
      await jobServer.stop();
    }
  });
});
