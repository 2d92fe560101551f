import { strict as assert } from "node:assert";
import { Capture } from "./capture";
import { TerminalProgress } from "../../runners/monitor/terminal_progress";
import { fakeJob, outputOf } from "./fake_job";

describe("terminal progress", () => {
  it("prints plain blocks, one line per top-level step, when not on a TTY, then a summary with metrics", async () => {
    const fake = fakeJob();
    const out = new Capture(false);
    const t = new TerminalProgress(fake.job, { stream: out, plainIntervalMs: 3_600_000 });
    t.start();
    fake.elements.set(outputOf(fake, "Read"), 2);
    fake.elements.set(outputOf(fake, "Split"), 4);
    t.refresh();
    assert.match(out.text, /^DirectRunner: RUNNING, /m);
    assert.match(out.text, /^ {2}Read: in 0, out 2, /m);
    assert.match(out.text, /^ {2}Split: in 2, out 4, /m);
    assert.match(out.text, /^ {2}Format: in 0, out 0, /m);
    assert.doesNotMatch(out.text, /\u001b\[/, "no cursor movement outside a TTY");
    fake.containers.set("Split", (() => {
      const { MetricsContainer } = require("../../lib/model/metrics") as typeof import("../../lib/model/metrics");
      const c = new MetricsContainer("Split");
      c.incCounter("wordcount\u0000emptyLines", 3);
      return c;
    })());
    fake.state = "DONE";
    t.finish();
    const summary = out.text.slice(out.text.lastIndexOf("DirectRunner: DONE"));
    assert.match(summary, /Split\s+2\s+4/);
    assert.match(summary, /Metrics:\n.*\n\s*Split\s+wordcount\/emptyLines\s+3/);
  });

  it("redraws in place on a TTY and keeps the block below lines other code prints", async () => {
    const fake = fakeJob({ streaming: true });
    const out = new Capture(true);
    const t = new TerminalProgress(fake.job, { stream: out, ttyIntervalMs: 3_600_000 });
    t.start();
    fake.watermarks.set(outputOf(fake, "Format"), Date.now() - 5000);
    t.refresh();
    const firstBlock = out.text;
    assert.match(firstBlock, /step\s+in\s+out\s+rate\s+time\s+watermark\s+lag\s+rejected/);
    fake.elements.set(outputOf(fake, "Read"), 10);
    t.refresh();
    const lines = firstBlock.split("\n").length - 1;
    assert.ok(out.text.slice(firstBlock.length).startsWith(`\u001b[${lines}A`), "moves up over the previous block before redrawing");
    t.suspend(out);
    const erasedAt = out.text.length;
    out.write("a user line\n");
    assert.equal(out.text.slice(erasedAt), "a user line\n");
    t.finish();
  });
});
