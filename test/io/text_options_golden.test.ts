/**
 * ReadFromText's and WriteToText's Beam options against goldens made by real Beam Python 2.66 on
 * its DirectRunner (test/fixtures/textio_options: cases.json lists the cases, make_goldens.py made
 * golden/). Each case runs on our DirectRunner with one worker and with two
 * (--direct_num_workers 2), reads also with small ranges so that files are split. With
 * BEAMLINE_BEAM_PYTHON set (a python3 with apache_beam importable, e.g.
 * /work/realrunners/beampy/python.sh), the goldens are made again first and must be unchanged.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { readOptionsProgram, writeOptionsProgram } from "./text_options_programs";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "textio_options");
const GOLDEN = path.join(FIXTURES, "golden");

interface ReadCase {
  readonly name: string;
  readonly pattern: string;
  readonly skipHeaderLines?: number;
  readonly delimiter?: string;
  readonly stripTrailingNewlines?: boolean;
  readonly escapechar?: string;
}
interface WriteCase {
  readonly name: string;
  readonly lines: string[];
  readonly [option: string]: unknown;
}
const CASES = JSON.parse(fs.readFileSync(path.join(FIXTURES, "cases.json"), "utf8")) as { inputs: Record<string, string>; read: ReadCase[]; write: WriteCase[] };

/**
 * Beam Python numbers the files of a size-capped write, and a fixed-count write's padding shards,
 * in no set order (two runs differ): those cases compare names, and contents as a multiset.
 */
const UNORDERED_SHARDS = new Set(["max_records", "max_bytes", "skip_if_empty_not_empty"]);

/** A folder's files, name → bytes (hidden files included: none may be left). */
function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) out.set(name, fs.readFileSync(path.join(dir, name)));
  return out;
}

function assertSameFiles(got: Map<string, Buffer>, want: Map<string, Buffer>, unordered: boolean, what: string): void {
  assert.deepEqual([...got.keys()], [...want.keys()], `${what}: file names`);
  const text = (m: Map<string, Buffer>): string[] => [...m.values()].map((b) => b.toString("latin1"));
  if (unordered) assert.deepEqual(text(got).sort(), text(want).sort(), `${what}: file contents`);
  else assert.deepEqual(text(got), text(want), `${what}: file contents`);
}

describe("TextIO options against Beam Python 2.66's goldens", function () {
  this.timeout(120_000);
  let dir: string;
  let golden = GOLDEN;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "text-golden-"));
    const inputs = path.join(dir, "inputs");
    fs.mkdirSync(inputs);
    for (const [name, text] of Object.entries(CASES.inputs)) fs.writeFileSync(path.join(inputs, name), name.endsWith(".gz") ? zlib.gzipSync(text) : text);
    const python = process.env["BEAMLINE_BEAM_PYTHON"];
    if (python !== undefined && python !== "") {
      // Live: Beam Python makes the goldens again; they must be the committed ones.
      golden = path.join(dir, "live");
      execFileSync(python, [path.join(FIXTURES, "make_goldens.py"), golden], { stdio: ["ignore", "ignore", "inherit"] });
      for (const c of CASES.read) assert.deepEqual(JSON.parse(fs.readFileSync(path.join(golden, "read", `${c.name}.json`), "utf8")), JSON.parse(fs.readFileSync(path.join(GOLDEN, "read", `${c.name}.json`), "utf8")), `live Beam Python, read ${c.name}`);
      for (const c of CASES.write) assertSameFiles(files(path.join(golden, "write", c.name)), files(path.join(GOLDEN, "write", c.name)), UNORDERED_SHARDS.has(c.name), `live Beam Python, write ${c.name}`);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const runs = [
    { label: "1 worker", run: {} },
    { label: "2 workers", run: { directNumWorkers: 2, directWorkerThreads: "always" as const } },
  ];

  for (const c of CASES.read) {
    const { name, pattern, ...options } = c;
    for (const { label, run } of runs) {
      for (const bundle of [undefined, 3]) {
        it(`read ${name} (${JSON.stringify(options)}), ${label}${bundle !== undefined ? `, ranges of ${bundle} bytes` : ""}`, async () => {
          const output = path.join(dir, "out", `${name}-${label.replace(/ /g, "")}-${bundle ?? 0}.jsonl`);
          const flags = { input: path.join(dir, "inputs", pattern), output, options: JSON.stringify({ ...options, ...(bundle !== undefined ? { desiredBundleSizeBytes: bundle } : {}) }) };
          const result = await readOptionsProgram.run(flags, run);
          assert.equal(await result.waitUntilFinish(), "DONE");
          const got = fs.readFileSync(output, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as string).sort();
          const want = (JSON.parse(fs.readFileSync(path.join(golden, "read", `${name}.json`), "utf8")) as string[]).sort();
          assert.deepEqual(got, want);
        });
      }
    }
  }

  for (const c of CASES.write) {
    const { name, lines, ...options } = c;
    for (const { label, run } of runs) {
      it(`write ${name} (${JSON.stringify(options)}), ${label}`, async () => {
        const out = path.join(dir, "write", `${name}-${label.replace(/ /g, "")}`);
        const result = await writeOptionsProgram.run({ output: path.join(out, "out"), lines: JSON.stringify(lines), options: JSON.stringify(options) }, run);
        assert.equal(await result.waitUntilFinish(), "DONE");
        assertSameFiles(files(out), files(path.join(golden, "write", name)), UNORDERED_SHARDS.has(name), name);
      });
    }
  }
});
