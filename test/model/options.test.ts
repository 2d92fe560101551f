import { strict as assert } from "node:assert";
import { parseArgs } from "../../lib";

describe("PipelineOptions parsing", () => {
  const flags = {
    input: { type: "string", describe: "in", default: "in.txt" },
    output: { type: "string", describe: "out", required: true },
  } as const;

  it("parses Beam Python's flag names, camelCase aliases and pipeline flags", () => {
    const { options, flags: f } = parseArgs(
      ["--output", "o", "--runner", "DirectRunner", "--project", "p1", "--tempLocation", "gs://b/tmp", "--direct_num_workers", "2", "--no_strict_checks", "--job_endpoint", "localhost:8099"],
      flags,
      { scriptName: "t", description: "d" },
    );
    assert.equal(f.output, "o");
    assert.equal(f.input, "in.txt");
    assert.equal(options.project, "p1");
    assert.equal(options.tempLocation, "gs://b/tmp");
    assert.equal(options.stagingLocation, "gs://b/tmp");
    assert.equal(options.directNumWorkers, 2);
    assert.equal(options.strictChecks, false);
    assert.equal(options.extra["job_endpoint"], "localhost:8099");
  });

  it("rejects a bad worker count", () => {
    assert.throws(() => parseArgs(["--output", "o", "--direct_num_workers", "0"], flags, { scriptName: "t", description: "d" }), /positive integer/);
  });
});
