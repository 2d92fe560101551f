import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Create } from "../../lib";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import { LocalFileSystem } from "../../lib/io/filesystems/local";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect, runOk } from "../helpers";
import { twoSinksProgram } from "./text_programs";

describe("TextIO transforms", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "textio-test-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads every line of large files split into many ranges exactly once", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) lines.push(i % 7 === 0 ? "" : `line ${i} ${"é".repeat(i % 5)}`);
    fs.writeFileSync(path.join(dir, "big.txt"), lines.map((l, i) => l + (i % 2 === 0 ? "\n" : "\r\n")).join(""));
    await runOk((p) => {
      const read = p.apply(ReadFromText.from(path.join(dir, "big.txt"), { desiredBundleSizeBytes: 10_000 }));
      assertThat(read, equalTo(lines));
    });
  });

  it("writes a fixed number of shards with a header and suffix, and reads them back", async () => {
    const prefix = path.join(dir, "out", "part");
    const result = await runOk((p) => {
      p.apply(Create.of("a", "b", "c", "d", "e")).apply(WriteToText.to(prefix, { numShards: 3, suffix: ".csv", header: "letter" }));
    });
    const names = fs.readdirSync(path.join(dir, "out")).sort();
    assert.deepEqual(names, ["part-00000-of-00003.csv", "part-00001-of-00003.csv", "part-00002-of-00003.csv"]);
    assert.deepEqual(result.outputs.map((o) => path.basename(o)).sort(), names);
    const all = names.flatMap((n) => fs.readFileSync(path.join(dir, "out", n), "utf8").split("\n").filter((l) => l !== ""));
    assert.equal(all.filter((l) => l === "letter").length, 3);
    assert.deepEqual(all.filter((l) => l !== "letter").sort(), ["a", "b", "c", "d", "e"]);
  });

  it("writes one empty shard for an empty input, and gzip by suffix", async () => {
    const prefix = path.join(dir, "empty");
    await runOk((p) => {
      p.apply(Create.of<string>()).apply(WriteToText.to(prefix, { suffix: ".gz" }));
    });
    const file = `${prefix}-00000-of-00001.gz`;
    assert.equal(zlib.gunzipSync(fs.readFileSync(file)).toString(), "");
  });

  it("replaces the shards of an earlier run with a different shard count", async () => {
    const prefix = path.join(dir, "counts");
    await runOk((p) => {
      p.apply(Create.of("1", "2", "3")).apply(WriteToText.to(prefix, { numShards: 3 }));
    });
    await runOk((p) => {
      p.apply(Create.of("x")).apply(WriteToText.to(prefix));
    });
    assert.deepEqual(fs.readdirSync(dir).sort(), ["counts-00000-of-00001"]);
  });

  it("writes a small bundle's file whole, without a stream (whose opening and closing wait for the I/O thread pool)", async () => {
    const created: string[] = [];
    const original = LocalFileSystem.prototype.create;
    LocalFileSystem.prototype.create = function (this: LocalFileSystem, ...args: Parameters<LocalFileSystem["create"]>) {
      created.push(args[0]);
      return original.apply(this, args);
    };
    const small = path.join(dir, "small");
    const large = path.join(dir, "large");
    const many = Array.from({ length: 10_000 }, (_, i) => `line ${i}`);
    try {
      await runOk((p) => {
        p.apply(Create.of("a", "b", "é")).apply(WriteToText.to(small, { header: "h" }));
      });
      assert.deepEqual(created, []);
      // Past 8,192 lines a bundle's lines are flushed as they come: through a stream.
      await runOk((p) => {
        p.apply(Create.from(many)).apply(WriteToText.to(large));
      });
      assert.equal(created.length, 1);
    } finally {
      LocalFileSystem.prototype.create = original;
    }
    const [head, ...rest] = fs.readFileSync(`${small}-00000-of-00001`, "utf8").split("\n");
    assert.equal(head, "h");
    assert.deepEqual(rest.sort(), ["", "a", "b", "é"]);
    assert.deepEqual(fs.readFileSync(`${large}-00000-of-00001`, "utf8").split("\n").sort(), ["", ...many].sort());
    assert.deepEqual(fs.readdirSync(dir).sort(), ["large-00000-of-00001", "small-00000-of-00001"]);
  });

  it("leaves no partial output when the run fails after writing started", async () => {
    const prefix = path.join(dir, "out", "counts");
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
    const result = await runDirect((p) => {
      p.apply(Create.from(lines))
        .map("FailLate", (l: string) => {
          if (l === "line 49999") throw new Error("late failure");
          return l;
        })
        .apply(WriteToText.to(prefix));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /FailLate.*late failure/);
    const left = fs.existsSync(path.join(dir, "out")) ? fs.readdirSync(path.join(dir, "out")) : [];
    assert.deepEqual(left, []);
  });
  const listing = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);

  for (const directNumWorkers of [1, 2]) {
    it(`two sinks writing into one folder each have their own temporary directory (--direct_num_workers ${directNumWorkers})`, async () => {
      const out = path.join(dir, "out");
      const result = await twoSinksProgram.run({ output: out, lines: "a,b,c", fail: false }, { directNumWorkers, directWorkerThreads: "always" });
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(listing(out), ["a-00000-of-00001", "b-00000-of-00001"], "both sinks' files and no temporary directory");
      assert.deepEqual(fs.readFileSync(path.join(out, "a-00000-of-00001"), "utf8").split("\n").filter((l) => l !== "").sort(), ["a", "b", "c"]);
      assert.deepEqual(fs.readFileSync(path.join(out, "b-00000-of-00001"), "utf8"), "wrote a-00000-of-00001\n");
    });

    it(`a failed run leaves no output, even of a sink that finished before the failure, and keeps an earlier run's files (--direct_num_workers ${directNumWorkers})`, async () => {
      const out = path.join(dir, "out");
      assert.equal(await (await twoSinksProgram.run({ output: out, lines: "old", fail: false }, { directNumWorkers, directWorkerThreads: "always" })).waitUntilFinish(), "DONE");
      const result = await twoSinksProgram.run({ output: out, lines: "new,newer", fail: true }, { directNumWorkers, directWorkerThreads: "always" });
      assert.equal(result.state, "FAILED");
      assert.match(result.error!.message, /AfterA.*failing after the first sink finished a-00000-of-00001/);
      assert.deepEqual(result.outputs, []);
      assert.deepEqual(listing(out), ["a-00000-of-00001", "b-00000-of-00001"], "the earlier run's files, no temporary directory");
      assert.equal(fs.readFileSync(path.join(out, "a-00000-of-00001"), "utf8"), "old\n", "not replaced by the failed run");
    });
  }
});
