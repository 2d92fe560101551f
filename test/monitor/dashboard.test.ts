import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { Dashboard, staticReport } from "../../runners/monitor/dashboard_server";
import { fakeJob, outputOf } from "./fake_job";
import { openBrowser, BrowserSession } from "./browser";
import { MetricResults } from "../../lib/model/metric_results";
import { wordcount } from "../../pipelines/wordcount";
import { LiveJob } from "../../runners/monitor/live_job";

function request(url: string, init: { method?: string; host?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: u.port, path: u.pathname + u.search, method: init.method ?? "GET", headers: { host: init.host ?? u.host, ...init.headers } }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("job dashboard", () => {
  it("refuses requests without the run's token or to another host name", async () => {
    const fake = fakeJob({ streaming: true });
    const d = await Dashboard.start(fake.job);
    try {
      const bare = d.url.replace(/\?token=.*$/, "");
      assert.equal((await request(bare)).status, 401);
      assert.equal((await request(`${bare}?token=wrong`)).status, 401);
      assert.equal((await request(`${bare}api/drain`, { method: "POST" })).status, 401);
      assert.equal((await request(d.url, { host: "evil.example:80" })).status, 403);
      assert.equal(fake.drained, 0);
      const ok = await request(d.url);
      assert.equal(ok.status, 200);
      assert.match(ok.body, /<title>Beamline job<\/title>/);
      assert.doesNotMatch(ok.body, /(src|href)=["']?(https?:)?\/\//i, "the page loads nothing from another host");
      assert.equal((await request(`${bare}api/drain`, { method: "POST", headers: { "x-beamline-token": new URL(d.url).searchParams.get("token")! } })).status, 202);
      assert.equal(fake.drained, 1);
    } finally {
      await d.close();
    }
  });

  it("writes a static report that shows the finished job without a server", async () => {
    const fake = fakeJob();
    fake.elements.set(outputOf(fake, "Read"), 2);
    fake.state = "DONE";
    await fake.job.finish();
    const html = staticReport(fake.job);
    assert.match(html, /"state":"DONE"/);
    assert.doesNotMatch(html, /src="\//, "no script loaded from a server");
  });

  describe("in headless Chromium", function () {
    let browser: BrowserSession | undefined;
    before(async function () {
      browser = await openBrowser();
      if (browser === undefined) {
        process.stderr.write("    (skipped: Chromium not found; install Debian's chromium package or set BEAMLINE_CHROMIUM)\n");
        this.skip();
      }
    });
    after(async () => browser?.close());

    it("opens a pipeline that is one composite (a program's transform, such as wordcount) into its steps", async () => {
      const pipeline = wordcount.create({ input: "in.txt", output: "out/counts" });
      const job = new LiveJob(
        pipeline,
        { jobName: "wordcount", runner: "DirectRunner", streaming: false, state: () => "DONE", error: () => undefined, metrics: () => new MetricResults(new Map()), elements: () => new Map(), cancel: async () => undefined },
        undefined,
      );
      await job.finish();
      const page = await browser!.newPage();
      await page.setContent(staticReport(job));
      for (const step of ["Read", "Split", "PairWithOne", "GroupAndSum", "Format", "Write"]) await page.locator(`#graph g.node[data-step="wordcount/${step}"]`).waitFor();
      assert.equal(await page.locator('#graph g.node[data-step="wordcount"]').count(), 0, "the wrapper is drawn as an open box, not a node");
    });

    it("shows every step, updates counts live, and drains the job from its button", async () => {
      const fake = fakeJob({ streaming: true });
      const d = await Dashboard.start(fake.job, { updateIntervalMs: 100 });
      try {
        const page = await browser!.newPage();
        await page.goto(d.url);
        for (const step of ["Read", "Split", "PairWithOne", "GroupAndSum", "Format"]) {
          await page.locator(`#graph g.node[data-step="${step}"]`).waitFor();
        }
        const readNode = page.locator('#graph g.node[data-step="Read"]');
        assert.match(await readNode.textContent() ?? "", /out 0/);
        fake.elements.set(outputOf(fake, "Read"), 1234);
        await page.locator('#graph g.node[data-step="Read"]', { hasText: "out 1,234" }).waitFor();
        // A composite opens into its steps.
        await page.locator('#graph g.node[data-step="GroupAndSum"]').click();
        await page.locator('#graph g.node[data-step="GroupAndSum/GroupByKey"], #graph g.node[data-step^="GroupAndSum/"]').first().waitFor();
        fs.mkdirSync(path.resolve("out/test-artifacts"), { recursive: true });
        await page.screenshot({ path: path.resolve("out/test-artifacts/dashboard-fake.png"), fullPage: true });
        await page.locator("#drain").click();
        await page.locator('body[data-state="DRAINED"]').waitFor({ state: "attached" });
        assert.equal(fake.drained, 1);
        await fake.job.finish();
        await page.locator('body[data-ended="true"]').waitFor({ state: "attached" });
        assert.equal(await page.locator("#drain").isDisabled(), true);
      } finally {
        await d.close();
      }
    });
  });
});
