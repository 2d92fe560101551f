/**
 * What a plain batch run loads: a local wordcount must not pay for code it does not use (the
 * Google clients, gRPC, protobuf, TensorFlow.js, node:crypto), which is most of a short run's
 * start-up. Checked by recording every module the process requires.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const WORDCOUNT = path.resolve(__dirname, "..", "..", "pipelines", "wordcount.js");

/** Preloaded into the child: appends each module request it sees to the file in BEAMLINE_TEST_MODULES. */
const RECORDER = `
const Module = require("node:module");
const fs = require("node:fs");
const seen = new Set();
const load = Module._load;
Module._load = function (request, parent, isMain) {
  let id = request;
  try { id = Module._resolveFilename(request, parent, isMain); } catch {}
  seen.add(id);
  return load.apply(this, arguments);
};
process.on("exit", () => fs.writeFileSync(process.env.BEAMLINE_TEST_MODULES, [...seen].join("\\n")));
`;

/** Library modules a word count never uses, exported by lib/index on first use. */
const OPTIONAL_MODULES = /[\\/](lib[\\/](transforms[\\/](co_group_by_key|select|schema_fields|schema_join|schema_cogroup|schema_paths|field_filter|with_timestamps|latest|sample|group_into_batches|batch_state|batch_elements|batch_size_estimator|window_batches|combine_values|top|group_by|regex|to_string|reify|deduplicate|approximate_quantiles|approximate_unique|murmur3|hot_key_fanout|wait|composed_combine|periodic_impulse|periodic_sequence|combine_with_context|redistribute|log_elements|sets|aggregates|flatten_iterables)|model[\\/](splittable|splittable_dofn|splittable_pardo|offset_range)|coders[\\/](input_or_accum|primitive|row|schema|schema_proto|state_backed_iterable|custom_window)|testing[\\/]passert|io[\\/]fileio(_write|_write_steps|_continuous)?|ml[\\/](enrichment|enrichment_dofn|enrichment_handler|request_response)|io[\\/]bigquery[\\/]enrichment_handler|io[\\/]tfrecord[\\/](index|read|write|codec|crc32c|files)|io[\\/]avro[\\/](index|read|write|container|schema)|io[\\/]parquet[\\/](index|read|write|library|schema))|runners[\\/]executor[\\/]splittable_operator)\.js$/;

describe("wordcount start-up: what a local batch run loads", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "wordcount-startup-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function modulesOf(args: readonly string[]): Promise<string[]> {
    const recorder = path.join(dir, "recorder.js");
    const list = path.join(dir, "modules.txt");
    fs.writeFileSync(recorder, RECORDER);
    await run(process.execPath, ["--require", recorder, WORDCOUNT, ...args], { env: { ...process.env, BEAMLINE_TEST_MODULES: list } });
    return fs.readFileSync(list, "utf8").split("\n");
  }

  it("a 1-line run and --help load no Google client, gRPC, protobuf, TensorFlow.js or node:crypto", async () => {
    const input = path.join(dir, "in.txt");
    fs.writeFileSync(input, "the quick brown fox\n");
    const runs = {
      "1-line run": await modulesOf(["--input", input, "--output", path.join(dir, "out", "counts")]),
      "--help": await modulesOf(["--help"]),
    };
    assert.equal(fs.readFileSync(path.join(dir, "out", "counts-00000-of-00001"), "utf8"), "the: 1\nquick: 1\nbrown: 1\nfox: 1\n");
    for (const [label, modules] of Object.entries(runs)) {
      assert.ok(modules.some((m) => m.endsWith(path.join("pipelines", "wordcount.js"))), `${label}: the recorder saw the program`);
      const unwanted = modules.filter((m) => /[\\/]node_modules[\\/](@google-cloud|@grpc|google-auth-library|google-gax|protobufjs|@protobuf-ts|@protobuf-ts|@tensorflow|undici|avsc|hyparquet|hyparquet-writer|hyparquet-compressors|hysnappy|fzstd)[\\/]/.test(m) || m === "crypto" || m === "node:crypto" || OPTIONAL_MODULES.test(m));
      assert.deepEqual(unwanted, [], `${label} loaded ${unwanted.join(", ")}`);
    }
  });
});
