/**
 * Terminal progress of real runs: the live block of a running (gated) wordcount in both modes,
 * redrawn in place on a TTY and printed as plain blocks elsewhere, and the command line's output
 * with and without --quiet.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Capture } from "./capture";
import { promisify } from "node:util";
import "../../runners/direct";
import { watchJobs, type MonitoredJob } from "../../lib/model/monitoring";
import { DEFAULT_INPUT } from "../../pipelines/wordcount";
import { TerminalProgress } from "../../runners/monitor/terminal_progress";
import { waitFor } from "../setup/emulators/helpers";
import { gate, gatedWordcount } from "./programs";

const ESC = "\u001b[";
const WORDCOUNT = path.resolve(__dirname, "..", "..", "pipelines", "wordcount.js");

describe("terminal progress of real runs", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-terminal-"));
  const input = path.join(tmp, "input.txt");
  before(() => fs.writeFileSync(input, fs.readFileSync(DEFAULT_INPUT, "utf8").split("\n").slice(0, 2000).join("\n") + "\n"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Runs the gated wordcount with progress drawn to `out`; `step(n)` lets n more lines through and draws once they passed. */
  async function withProgress(out: Capture, body: (step: (n: number) => Promise<void>) => Promise<void>): Promise<string> {
    gate.reset();
    const jobs: MonitoredJob[] = [];
    const stop = watchJobs((j) => jobs.push(j));
    const run = gatedWordcount.run({ input, output: path.join(tmp, `out-${out.isTTY ? "tty" : "plain"}`, "counts") }, { runner: "DirectRunner" });
    try {
      await waitFor("the job", () => jobs.length > 0);
    } finally {
      stop();
    }
    const job = jobs[0]!;
    const progress = new TerminalProgress(job, { stream: out, ttyIntervalMs: 3_600_000, plainIntervalMs: 3_600_000 });
    progress.start();
    const gateOut = (): number => job.snapshot().steps["Gate"]?.elementsOut ?? 0;
    await body(async (n) => {
      const target = gate.passed + n;
      gate.open(n);
      await waitFor(`${target} lines through the gate`, () => gateOut() >= target);
      progress.refresh();
    });
    gate.open(Infinity);
    assert.equal(await (await run).waitUntilFinish(), "DONE");
    progress.finish(await job.finished.then(() => job.snapshot()));
    return out.text;
  }

  it("plain mode (not a TTY): a block per refresh, one line per step with its counts, no cursor movement, then the summary", async () => {
    const text = await withProgress(new Capture(false), async (step) => {
      await step(500);
      await step(700);
    });
    assert.doesNotMatch(text, /\u001b\[/);
    const blocks = text.split(/^(?=DirectRunner: )/m);
    assert.equal(blocks.length, 3, text);
    assert.match(blocks[0]!, /^DirectRunner: RUNNING, /);
    assert.match(blocks[0]!, /^ {2}Gate: in \d[\d,]*, out 500, /m);
    assert.match(blocks[0]!, /^ {2}Split: in 500, out [\d,]+, /m);
    assert.match(blocks[1]!, /^ {2}Gate: in \d[\d,]*, out 1,200, [\d,.]+\/s, /m);
    for (const s of ["Read", "PairWithOne", "GroupAndSum", "Format", "Write"]) assert.match(blocks[0]!, new RegExp(`^  ${s}: in `, "m"));
    assert.match(blocks[2]!, /^DirectRunner: DONE, /);
    assert.match(blocks[2]!, /^ *step +in +out +time +share/m);
    assert.match(blocks[2]!, /^ *Gate +[\d,]+ +[\d,]+ /m);
  });

  it("TTY mode: the block is redrawn in place (cursor up over the previous one, cleared) and replaced by the summary", async () => {
    const text = await withProgress(new Capture(true), async (step) => {
      await step(500);
      await step(700);
    });
    const tables = text.split(`${ESC}0J`);
    // Three draws (start's first refresh, 500, 1,200), each after erasing the one before, then the summary.
    const first = text.slice(0, text.indexOf(ESC));
    assert.match(first, /^DirectRunner: RUNNING, /);
    assert.match(first, /^ *step +in +out +rate +time/m);
    const lines = first.split("\n").length - 1;
    assert.ok(text.includes(`${ESC}${lines}A`), "moves the cursor up over the block");
    assert.ok(tables.length >= 3, text);
    assert.match(tables[tables.length - 2]!, /^ *Gate +[\d,]+ +1,200 /m);
    assert.match(tables[tables.length - 1]!, /^DirectRunner: DONE, /);
  });

  it("the command line prints the summary table on stderr, and nothing of it with --quiet", async () => {
    const exec = promisify(execFile);
    const run = (extra: string[]) => exec(process.execPath, [WORDCOUNT, "--input", input, "--output", path.join(tmp, "cli", extra.join("") || "default", "counts"), ...extra], { env: { ...process.env, METADATA_SERVER_DETECTION: "none" } });
    const normal = await run([]);
    assert.match(normal.stdout, /^wordcount: DONE in /m);
    assert.match(normal.stderr, /^DirectRunner: DONE, /m);
    for (const s of ["Read", "Split", "PairWithOne", "GroupAndSum", "Format", "Write"]) assert.match(normal.stderr, new RegExp(`^ *${s} +[\\d,]+ +[\\d,]+ `, "m"));
    assert.doesNotMatch(normal.stderr, /\u001b\[/, "no cursor movement when stderr is not a TTY");
    const quiet = await run(["--quiet"]);
    assert.match(quiet.stdout, /^wordcount: DONE in /m);
    assert.equal(quiet.stderr, "wordcount: running on DirectRunner...\n");
  });
});
