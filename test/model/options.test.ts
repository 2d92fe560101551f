import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "../../lib";
import { allRunnerFlags } from "../../lib/model/runner_flags";
import { rawFlagValues, userName } from "../../lib/model/options";

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

  it("names the default job after the user as Beam Python finds it (LOGNAME, USER, LNAME, USERNAME, then the account)", () => {
    assert.equal(userName({ LOGNAME: "ada", USER: "bob" }), "ada");
    assert.equal(userName({ LOGNAME: "", USER: "bob", USERNAME: "carl" }), "bob");
    assert.equal(userName({ LNAME: "dee", USERNAME: "carl" }), "dee");
    assert.equal(userName({ USERNAME: "carl" }), "carl");
    let account: string;
    try {
      account = os.userInfo().username || "user";
    } catch {
      account = "user";
    }
    assert.equal(userName({}), account);
    const saved = process.env["LOGNAME"];
    process.env["LOGNAME"] = "Jane.Doe";
    try {
      const { options } = parseArgs(["--output", "o"], flags, { scriptName: "t", description: "d" });
      assert.match(options.jobName, /^beamline-jane-doe-\d{14}$/);
    } finally {
      if (saved === undefined) delete process.env["LOGNAME"];
      else process.env["LOGNAME"] = saved;
    }
  });

  it("rejects a bad worker count", () => {
    assert.throws(() => parseArgs(["--output", "o", "--direct_num_workers", "0"], flags, { scriptName: "t", description: "d" }), /positive integer/);
  });
});

describe("Command line: what a new user types", () => {
  const flags = {
    input: { type: "string", describe: "in", default: "in.txt" },
    output: { type: "string", describe: "out", required: true },
  } as const;
  const usage = { scriptName: "t", description: "d" };
  const parse = (...argv: string[]) => parseArgs(argv, flags, usage);
  const refused = (argv: string[], pattern: RegExp) => assert.throws(() => parseArgs(argv, flags, usage), (e: Error) => (assert.match(e.message, pattern), true));

  it("refuses an unknown flag, naming it and the closest known flag (runner flags included)", () => {
    refused(["--inptu", "my.txt", "--output", "o"], /unknown flag --inptu \(did you mean --input\?\)/);
    refused(["--output", "o", "--job_endpont", "h:1"], /unknown flag --job_endpont \(did you mean --job_endpoint\?\)/);
    refused(["--output", "o", "--sdk_contaner_image", "i"], /did you mean --sdk_container_image\?/);
    refused(["--output", "o", "--worker_machin_type", "n2"], /did you mean --worker_machine_type\?/);
    refused(["--output", "o", "--no_strict_check"], /unknown flag --no_strict_check \(did you mean --no_strict_checks\?\)|did you mean --strict_checks/);
    refused(["--output", "o", "--zzzzzz", "1"], /unknown flag --zzzzzz\. Run with --help/);
  });

  it("refuses stray positional arguments", () => {
    refused(["--output", "o", "extra.txt"], /unexpected argument 'extra\.txt'/);
    refused(["my.txt", "--output", "o"], /unexpected argument 'my\.txt'/);
  });

  it("refuses a flag given twice (last-wins would hide a mistake), but repeatable runner flags collect", () => {
    refused(["--output", "o", "--job_name", "a", "--job_name", "b"], /--job_name was given 2 times \('a', 'b'\): give it once/);
    refused(["--output", "o", "--jobName", "a", "--job_name", "b"], /--job_name was given 2 times/);
    refused(["--output", "o", "--output", "p"], /--output was given 2 times/);
    const { options } = parse("--output", "o", "--runner", "DataflowRunner", "--experiment", "a", "--experiments", "b,c", "--experiment", "d");
    assert.equal(options.extra["experiment"], "a,d");
    assert.equal(options.extra["experiments"], "b,c");
    assert.deepEqual(Object.keys(options.extra), ["experiment", "experiments"], "command-line order");
  });

  it("accepts camelCase and dashed spellings of declared flags; Beam's --no_ negation of booleans", () => {
    const { options, flags: f } = parse("--output", "o", "--jobName", "j", "--temp-location", "/tmp/t", "--no_strict_checks", "--jobEndpoint", "h:1", "--runner", "PortableRunner");
    assert.equal(f.output, "o");
    assert.equal(options.jobName, "j");
    assert.equal(options.tempLocation, "/tmp/t");
    assert.equal(options.strictChecks, false);
    assert.deepEqual(options.extra, { job_endpoint: "h:1" });
  });

  it("keeps runner flags in options.extra and warns about a flag the chosen runner does not read", () => {
    const portable = parse("--output", "o", "--runner", "PortableRunner", "--job_endpoint", "h:1", "--environment_type", "LOOPBACK", "--async");
    assert.deepEqual(portable.options.extra, { job_endpoint: "h:1", environment_type: "LOOPBACK", async: true });
    assert.deepEqual(portable.warnings, []);
    const direct = parse("--output", "o", "--job_endpoint", "h:1", "--num_workers", "3");
    assert.deepEqual(direct.warnings, [
      "--job_endpoint is a PortableRunner flag; DirectRunner does not read it",
      "--num_workers is a DataflowRunner flag; DirectRunner does not read it",
    ]);
  });

  it("a program that declares passThroughFlags keeps unknown flags for the code it hands them to", () => {
    const { options } = parseArgs(["--output", "o", "--my_library_option", "7", "--other-thing", "x"], flags, { ...usage, passThroughFlags: true });
    assert.equal(options.extra["my_library_option"], 7);
    assert.equal(options.extra["other_thing"], "x");
    assert.throws(() => parseArgs(["--output", "o", "stray"], flags, { ...usage, passThroughFlags: true }), /unexpected argument 'stray'/);
  });

  it("refuses a number flag that is not a number", () => {
    refused(["--output", "o", "--direct_num_workers", "many"], /--direct_num_workers must be a number/);
  });
});

describe("Command line: the parser-free path", () => {
  const flags = {
    input: { type: "string", describe: "in", default: "in.txt" },
    output: { type: "string", describe: "out", required: true },
    limit: { type: "number", describe: "n" },
    verbose: { type: "boolean", describe: "v", alias: "chatty" },
    mode: { type: "string", describe: "m", default: "fast", alias: "m2" },
  } as const;
  const usage = { scriptName: "t", description: "d" };
  const argvs: string[][] = [
    ["--output", "o"],
    ["--output=o", "--input=i.txt", "--limit", "12"],
    ["--output", "o", "--limit=-3.5", "--verbose"],
    ["--output", "o", "--verbose=false", "--streaming"],
    ["--output", "o", "--no_strict_checks", "--direct_num_workers", "2", "--runner", "DirectRunner"],
    ["--output", "x", "--tempLocation", "gs://b/tmp", "--directNumWorkers=3"],
    ["--output", "o", "--mode", "slow", "--job_endpoint", "localhost:8099", "--experiment", "a"],
    ["--output", "o", "--temp_location", "gs://b/t", "--streaming=true", "--verbose"],
    ["--output", "o=p", "--input", "a b"],
    ["--output", "o", "--input=", "--limit=0", "--mode=--x", "--job_name=a-b"],
    ["--output=ü/ß", "--limit=-7", "--verbose=true", "--strict_checks=false"],
  ];
  // What it leaves to yargs-parser: negative-looking values, positionals, repeats, aliases, odd numbers, booleans with values.
  const declined: string[][] = [
    ["--output", "-o"],
    ["--output", "o", "stray"],
    ["--output", "o", "--experiment", "a", "--experiment", "b"],
    ["--output", "o", "--chatty"],
    ["--output", "o", "--limit", "0x10"],
    ["--output", "o", "--limit", "1e3"],
    ["--output", "o", "--verbose", "true"],
    ["--output", "o", "--verbose=yes"],
    ["--output", "o", "--", "x"],
    ["--output", "o", "--unknown_flag", "1"],
    ["--output"],
  ];

  it("gives exactly what yargs-parser gives for the command lines it takes", () => {
    for (const argv of argvs) {
      const simple = rawFlagValues(argv, flags, usage, "simple");
      assert.ok(simple !== undefined, `took ${argv.join(" ")}`);
      assert.deepEqual(simple, rawFlagValues(argv, flags, usage, "yargs-parser"), argv.join(" "));
    }
  });

  it("leaves everything else to yargs-parser, and the result is the same either way", () => {
    for (const argv of declined) {
      assert.equal(rawFlagValues(argv, flags, usage, "simple"), undefined, argv.join(" "));
      assert.deepEqual(rawFlagValues(argv, flags, usage, "quick"), rawFlagValues(argv, flags, usage, "yargs-parser"), argv.join(" "));
    }
    for (const argv of argvs) assert.deepEqual(rawFlagValues(argv, flags, usage, "quick"), rawFlagValues(argv, flags, usage, "simple"));
  });
});

describe("Command line of a pipeline program (child process)", () => {
  const wordcount = path.resolve(__dirname, "..", "..", "pipelines", "wordcount.js");
  const run = (...args: string[]) => spawnSync(process.execPath, [wordcount, ...args], { encoding: "utf8", env: { ...process.env, METADATA_SERVER_DETECTION: "none" } });

  it("a misspelled flag exits 1 before anything runs, naming the flag and the fix", () => {
    const r = run("--inptu", "my.txt", "--output", path.join(os.tmpdir(), "beamline-never-written", "counts"));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /wordcount FAILED: wordcount: unknown flag --inptu \(did you mean --input\?\)/);
    assert.equal(fs.existsSync(path.join(os.tmpdir(), "beamline-never-written")), false);
  });

  it("--help lists every flag of every runner, grouped by runner", () => {
    const r = run("--help");
    assert.equal(r.status, 0, r.stderr);
    const groups = ["Pipeline flags:", "Pipeline options:", "DirectRunner options:", "PortableRunner options:", "PortableRunner and DataflowRunner options:", "DataflowRunner options:"];
    const at = groups.map((g) => r.stdout.indexOf(`\n${g}\n`));
    assert.ok(at.every((i) => i > 0), r.stdout);
    assert.deepEqual([...at].sort((a, b) => a - b), at, "groups in this order");
    for (const [runner, table] of [...allRunnerFlags()].filter(([r]) => r === "PortableRunner" || r === "DataflowRunner")) {
      for (const name of Object.keys(table)) assert.match(r.stdout, new RegExp(`\\n  --${name}\\s`), `${runner}'s --${name} is listed`);
    }
    for (const name of ["input", "output", "runner", "job_name", "direct_num_workers", "strict_checks"]) assert.match(r.stdout, new RegExp(`\\n  --${name}\\s`));
  });
});
