/** Golden files of translated pipeline protos (test/fixtures/portable/); UPDATE_GOLDENS=1 rewrites them. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { pipelineToJson } from "../../runners/portable/describe";
import { rapi, runnerApi } from "../../runners/portable/protos";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "portable");

/** Compares `proto` (as JSON) with the golden file `name`; writes it when missing. */
export function golden(name: string, proto: rapi.Pipeline): void {
  const copy = runnerApi.Pipeline.fromBinary(runnerApi.Pipeline.toBinary(proto));
  // Capabilities list every coder the SDK registers; they are checked separately, not frozen here.
  for (const env of Object.values(copy.components!.environments)) env.capabilities = [];
  const text = pipelineToJson(copy);
  const file = path.join(FIXTURES, name);
  if (process.env["UPDATE_GOLDENS"] === "1" || !fs.existsSync(file)) fs.writeFileSync(file, text);
  assert.equal(text, fs.readFileSync(file, "utf8"), `${name} differs from the golden; run with UPDATE_GOLDENS=1 if the change is intended`);
}
