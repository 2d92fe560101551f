/**
 * FileIO.matchContinuously on real Beam runners over LOOPBACK (Prism, Beam Python's job service):
 * the firings' splittable DoFn, the match and the deduplication keyed by path run in our worker;
 * a file present at the start is found by the first firing, a file the pipeline creates on seeing
 * it by a later one, each once though every firing matches both; the job ends after the last
 * firing. FileIO.matchAll().continuously likewise (Beam Java's Watch, a splittable DoFn in our
 * worker): each pattern once per file, and the job ends once every pattern's termination
 * condition holds; a slow step after the watch does not hold up its polls (Beam Java's
 * FileIO.matchAll ends in a Reshuffle, a fusion break). Checked against the DirectRunner's output of the same programs. Each runner's
 * test is skipped unless its launcher's variable is set (real_runners.test.ts).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { parallelBlocker } from "../../runners/streaming/parallel/eligibility";
import { readShards } from "../helpers";
import { MATCH_ALL_QUIET_MS, MATCH_INTERVAL_MS, matchAllContinuouslyProgram, matchContinuouslyProgram, slowConsumerProgram } from "./match_continuously_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

/** A range of firings 1 s in the past to 5 s in the future, starting on an interval boundary; a folder with first.txt. */
function setUp(tmp: string): { dir: string; output: string; start: number; stop: number } {
  const dir = fs.mkdtempSync(path.join(tmp, "watched-"));
  fs.writeFileSync(path.join(dir, "first.txt"), "first\n");
  fs.writeFileSync(path.join(dir, "other.csv"), "not matched\n");
  const start = Math.floor((Date.now() - 1000) / MATCH_INTERVAL_MS) * MATCH_INTERVAL_MS;
  return { dir, output: path.join(dir + "-out", "found"), start, stop: start + 6000 };
}

/** first.txt at the first firing; extra.txt once, at a later firing (in its fixed window). */
function check(lines: readonly string[]): void {
  assert.equal(lines.length, 2, `each file once: ${JSON.stringify(lines)}`);
  assert.equal(lines[1], "first.txt 6 bytes, firing +0 in [0,500)");
  const m = /^extra\.txt 6 bytes, firing \+(\d+) in \[(\d+),(\d+)\)$/.exec(lines[0]!);
  assert.ok(m !== null, lines[0]);
  const t = Number(m[1]);
  assert.ok(t > 0 && t % MATCH_INTERVAL_MS === 0 && Number(m[2]) === t && Number(m[3]) === t + MATCH_INTERVAL_MS, lines[0]);
}

/** A folder with first.txt and other.csv, for the matchAll program. */
function setUpAll(tmp: string): { dir: string; output: string } {
  const dir = fs.mkdtempSync(path.join(tmp, "watched-all-"));
  fs.writeFileSync(path.join(dir, "first.txt"), "first\n");
  fs.writeFileSync(path.join(dir, "other.csv"), "other\n");
  return { dir, output: path.join(dir + "-out", "found") };
}

/** Each file once per pattern matching it: first.txt by `*.txt` and `first*`, extra.txt (added while running) by `*.txt`. */
function checkAll(lines: readonly string[]): void {
  assert.deepEqual(lines, ["extra.txt 6 bytes", "first.txt 6 bytes", "first.txt 6 bytes", "other.csv 6 bytes"]);
}

describe("matchAll().continuously program on the DirectRunner (the real runners' reference)", function () {
  this.timeout(60_000);
  for (const workers of [1, 2]) {
    it(`watches each pattern on its own, each file once per pattern, and ends once every pattern was quiet for the condition's time (--direct_num_workers ${workers})`, async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-match-all-"));
      try {
        const { dir, output } = setUpAll(tmp);
        const started = Date.now();
        const result = await matchAllContinuouslyProgram.run({ dir, output }, { runner: "DirectRunner", directNumWorkers: workers });
        assert.equal(await result.waitUntilFinish(), "DONE");
        checkAll(readShards(output));
        assert.ok(Date.now() - started > MATCH_ALL_QUIET_MS, "polled until quiet for the condition's time");
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});

describe("matchContinuously program on the DirectRunner (the real runners' reference)", function () {
  this.timeout(60_000);
  for (const workers of [1, 2]) {
    it(`finds the file present at the start at the first firing and the file the pipeline adds at a later one, each once (--direct_num_workers ${workers})`, async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-match-cont-"));
      try {
        const { dir, output, start, stop } = setUp(tmp);
        if (workers > 1) {
          // Worker threads would each fire every firing: the streaming driver keeps the watch on one thread.
          assert.match(parallelBlocker(matchContinuouslyProgram.create({ dir, output, start, stop }, { directNumWorkers: workers }))!, /Impulse.*cannot be split among worker threads/);
        }
        const result = await matchContinuouslyProgram.run({ dir, output, start, stop }, { runner: "DirectRunner", directNumWorkers: workers });
        assert.equal(await result.waitUntilFinish(), "DONE");
        check(readShards(output));
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});

for (const runner of REAL_RUNNERS) describe(`On a real Beam runner: ${runner.name} (LOOPBACK), FileIO.matchContinuously`, function () {
  this.timeout(180_000);
  const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-match-cont-real-");

  it("finds each file once (present at the start: the first firing; added while running: a later one), then ends after the last firing", async () => {
    const { dir, output, start, stop } = setUp(tmp);
    await runRemote(matchContinuouslyProgram.create({ dir, output, start, stop }, options("match-continuously")));
    check(readShards(output));
    assert.ok(Date.now() >= stop - MATCH_INTERVAL_MS, "the job ended only after the last firing's time");
  });

  it("FileIO.matchAll().continuously: each pattern watched on its own, each file once per pattern; the job ends once every pattern's condition holds", async () => {
    const { dir, output } = setUpAll(tmp);
    const started = Date.now();
    await runRemote(matchAllContinuouslyProgram.create({ dir, output }, options("match-all-continuously")));
    if (runner.envVar === "BEAMLINE_BEAM_PYTHON_JOB_SERVER") {
      // Its FnApiRunner runs one stage at a time, and the step that adds extra.txt comes after the
      // Reshuffle that ends the watch (as Beam Java's): it runs once every pattern's watch has ended.
      assert.deepEqual(readShards(output), ["first.txt 6 bytes", "first.txt 6 bytes", "other.csv 6 bytes"]);
    } else {
      checkAll(readShards(output));
    }
    assert.ok(Date.now() - started > MATCH_ALL_QUIET_MS);
  });

  it("FileIO.matchAll().continuously: a slow step after it does not hold up the polling (Beam Java's Reshuffle after the watch)", async function () {
    if (runner.envVar === "BEAMLINE_BEAM_PYTHON_JOB_SERVER") {
      // Its FnApiRunner runs one stage at a time: the step after the Reshuffle starts only once the watch has ended.
      console.log(`      (${runner.name}: runs one stage at a time)`);
      this.skip();
    }
    const { dir, output } = setUpAll(tmp);
    await runRemote(slowConsumerProgram.create({ dir, output }, options("match-all-slow-consumer")));
    assert.deepEqual(readShards(output), ["extra.txt", "first.txt: a later poll's extra.txt was finished meanwhile"]);
  });
});
