import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import "../../runners/direct";
import { wordcount, DEFAULT_INPUT, extractWords } from "../../pipelines/wordcount";
import { wordcount2 } from "../../pipelines/wordcount2";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures");

function readShards(prefix: string): { files: string[]; lines: string[] } {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  const files = fs
    .readdirSync(dir)
    .filter((f) => new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d{5}-of-\\d{5}$`).test(f))
    .sort()
    .map((f) => path.join(dir, f));
  const lines = files.flatMap((f) => fs.readFileSync(f, "utf8").split("\n").filter((l) => l !== ""));
  return { files, lines };
}

function expectedLines(name: string): string[] {
  return fs.readFileSync(path.join(FIXTURES, name), "utf8").split("\n").filter((l) => l !== "");
}

describe("wordcount pipelines", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "wordcount-test-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("extracts words like Python's re.findall(r\"[\\w']+\", line, re.UNICODE)", () => {
    assert.deepEqual(extractWords("KING LEAR. I'll go—now, _x_ 3rd café naïve Ωμέγα 日本語 e\u0301"), [
      "KING",
      "LEAR",
      "I'll",
      "go",
      "now",
      "_x_",
      "3rd",
      "café",
      "naïve",
      "Ωμέγα",
      "日本語",
      "e",
    ]);
  });

  it("wordcount on King Lear equals Beam Python's output exactly", async () => {
    const output = path.join(dir, "counts");
    const result = await wordcount.run({ input: DEFAULT_INPUT, output });
    await result.waitUntilFinish();
    const { files, lines } = readShards(output);
    assert.deepEqual(files, [`${output}-00000-of-00001`]);
    assert.deepEqual(result.outputs, files);
    const expected = expectedLines("kinglear.wordcount.expected.txt");
    assert.equal(lines.length, 4906);
    assert.deepEqual([...lines].sort(), [...expected].sort());
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith(".")),
      [],
      "no temporary files are left",
    );
  });

  it("wordcount2 writes both branches, matching independently computed counts", async () => {
    const output = path.join(dir, "words");
    const output2 = path.join(dir, "first");
    const result = await wordcount2.run({ input: DEFAULT_INPUT, output, output2 });
    await result.waitUntilFinish();
    assert.deepEqual(readShards(output).lines.sort(), expectedLines("kinglear.wordcount2.output.expected.txt").sort());
    assert.deepEqual(readShards(output2).lines.sort(), expectedLines("kinglear.wordcount2.output2.expected.txt").sort());
  });

  it("reads globs of several files, including gzip and CRLF", async () => {
    const zlib = await import("node:zlib");
    fs.writeFileSync(path.join(dir, "a.txt"), "one two\r\ntwo\r\n");
    fs.writeFileSync(path.join(dir, "b.txt.gz"), zlib.gzipSync("three two one\nthree"));
    const output = path.join(dir, "out", "counts");
    const result = await wordcount.run({ input: path.join(dir, "*.txt*"), output });
    await result.waitUntilFinish();
    assert.deepEqual(readShards(output).lines.sort(), ["one: 2", "three: 2", "two: 3"]);
  });

  describe("CLI", function () {
    this.timeout(60_000);
    const cli = path.join(ROOT, "dist", "pipelines", "wordcount.js");

    it("runs, prints where the output went and exits 0", async () => {
      const output = path.join(dir, "cli", "counts");
      const { stdout } = await run(process.execPath, [cli, "--output", output]);
      assert.match(stdout, /wordcount: DONE/);
      assert.ok(stdout.includes(`${output}-00000-of-00001`));
      assert.equal(readShards(output).lines.length, 4906);
    });

    it("fails before running when the input does not exist, exit code 1, no output", async () => {
      const output = path.join(dir, "missing", "counts");
      await assert.rejects(run(process.execPath, [cli, "--input", path.join(dir, "nope-*.txt"), "--output", output]), (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 1);
        assert.match(e.stderr, /wordcount FAILED: .*Read.*nope-\*\.txt/s);
        return true;
      });
      assert.equal(fs.existsSync(path.join(dir, "missing")), false);
    });

    it("fails clearly when the output location cannot be written", async () => {
      fs.writeFileSync(path.join(dir, "afile"), "x");
      await assert.rejects(run(process.execPath, [cli, "--output", path.join(dir, "afile", "counts")]), (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 1);
        assert.match(e.stderr, /cannot write output/);
        return true;
      });
    });

    it("requires --output and lists flags with --help", async () => {
      await assert.rejects(run(process.execPath, [cli]), /--output is required/);
      const { stdout } = await run(process.execPath, [cli, "--help"]);
      for (const flag of ["--input", "--output", "--runner", "--project", "--temp_location", "--streaming", "--direct_num_workers"]) {
        assert.ok(stdout.includes(flag), `--help lists ${flag}`);
      }
    });
  });
});
