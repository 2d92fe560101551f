/**
 * ReadFromText's and WriteToText's Beam options through the Fn API harness (the portable path):
 * a read split into small ranges with a header to skip, a custom delimiter and kept terminators,
 * and writes with a footer, a size cap per file and skipIfEmpty; the files equal Beam Python's
 * goldens (test/fixtures/textio_options) as on the DirectRunner.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import type { Pipeline } from "../../lib";
import { FnApiServer } from "../worker/fn_server";
import { readOptionsProgram, writeOptionsProgram } from "../io/text_options_programs";
import { executePipeline } from "./mini_runner";

const GOLDEN = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "textio_options", "golden");

/** Runs `create()`'s pipeline on the Fn API harness (Reshuffle expanded by the runner, as Beam's runners do). */
async function runOnHarness(name: string, create: () => Pipeline): Promise<void> {
  const fn = await FnApiServer.start();
  const harness = new FnHarness({ workerId: `w-${name}`, controlUrl: fn.url, loadPipeline: create, runId: name }).start();
  try {
    await executePipeline(translatePipeline(create(), dockerEnvironment()).proto, fn, () => undefined, () => false, { expandReshuffle: true });
  } finally {
    await harness.stop();
    await fn.stop();
  }
}

function listing(dir: string): Array<[string, string]> {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n), "latin1")]) : [];
}

describe("portable: TextIO options on the Fn API harness", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-text-options-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("reads split ranges with skipHeaderLines, a delimiter and stripTrailingNewlines: false as Beam Python does", async () => {
    const input = path.join(tmp, "section.txt");
    fs.writeFileSync(input, "h1§h2§x§y\n§z");
    const flags = { input, output: path.join(tmp, "read.jsonl"), options: JSON.stringify({ delimiter: "§", skipHeaderLines: 2, desiredBundleSizeBytes: 3 }) };
    await runOnHarness("read-options", () => readOptionsProgram.create(flags));
    const got = fs.readFileSync(flags.output, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as string).sort();
    assert.deepEqual(got, JSON.parse(fs.readFileSync(path.join(GOLDEN, "read", "unicode_delimiter.json"), "utf8")));

    const keep = { input: path.join(tmp, "newlines.txt"), output: path.join(tmp, "keep.jsonl"), options: JSON.stringify({ stripTrailingNewlines: false, skipHeaderLines: 1, desiredBundleSizeBytes: 2 }) };
    fs.writeFileSync(keep.input, "a\nb\r\n\nc");
    await runOnHarness("read-keep", () => readOptionsProgram.create(keep));
    const kept = fs.readFileSync(keep.output, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as string).sort();
    assert.deepEqual(kept, JSON.parse(fs.readFileSync(path.join(GOLDEN, "read", "keep_newlines_skip1.json"), "utf8")));
  });

  for (const [name, lines, options] of [
    ["max_records", ["1", "2", "3", "4", "5"], { maxRecordsPerShard: 2, header: "H", footer: "F" }],
    ["skip_if_empty_shards", [], { skipIfEmpty: true, numShards: 3 }],
    ["no_newlines", ["a", "b", "c"], { appendTrailingNewlines: false, header: "H", footer: "F", numShards: 1 }],
  ] as const) {
    it(`writes ${name} (${JSON.stringify(options)}) as Beam Python does`, async () => {
      const out = path.join(tmp, `write-${name}`);
      const flags = { output: path.join(out, "out"), lines: JSON.stringify(lines), options: JSON.stringify(options) };
      await runOnHarness(`write-${name}`, () => writeOptionsProgram.create(flags));
      const got = listing(out);
      const want = listing(path.join(GOLDEN, "write", name));
      assert.deepEqual(got.map(([n]) => n), want.map(([n]) => n));
      assert.deepEqual(got.map(([, t]) => t).sort(), want.map(([, t]) => t).sort());
    });
  }
});
