/**
 * The dashboard of real running jobs in headless Chromium: a batch wordcount (its input passes a
 * gate the test opens, so the job runs exactly as long as the test needs) and a streaming word
 * count over the Pub/Sub emulator. The page must show every step, counts that grow as the job
 * works, and stop the job from its buttons with complete (drain) or no (cancel) output.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PubSub, type Message } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import type { Page } from "playwright-core";
import "../../runners/direct";
import { watchJobs, type MonitoredJob } from "../../lib/model/monitoring";
import type { PipelineResult } from "../../lib/model/result";
import { DEFAULT_INPUT, extractWords } from "../../pipelines/wordcount";
import { Dashboard } from "../../runners/monitor/dashboard_server";
import { readShards } from "../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";
import { waitFor } from "../setup/emulators/helpers";
import { openBrowser, type BrowserSession } from "./browser";
import { gate, gatedWordcount, streamingWordcount } from "./programs";

const ARTIFACTS = path.resolve("out/test-artifacts");

/** Starts `run` and resolves with the job it announces (before the run itself ends). */
async function startWatched<T>(run: () => Promise<T>): Promise<{ job: MonitoredJob; done: Promise<T> }> {
  const jobs: MonitoredJob[] = [];
  const stop = watchJobs((j) => jobs.push(j));
  const done = run();
  done.catch(() => undefined);
  try {
    await waitFor("the run to announce its job", () => jobs.length > 0, 10_000);
  } finally {
    stop();
  }
  return { job: jobs[0]!, done };
}

const node = (page: Page, step: string, text?: string) => page.locator(`#graph g.node[data-step="${step}"]`, text === undefined ? {} : { hasText: text });

describe("job dashboard of running jobs, in headless Chromium", function () {
  this.timeout(60_000);
  let browser: BrowserSession | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-dashboard-live-"));
  before(async function () {
    browser = await openBrowser();
    if (browser === undefined) {
      process.stderr.write("    (skipped: Chromium not found; install Debian's chromium package or set BEAMLINE_CHROMIUM)\n");
      this.skip();
    }
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("batch wordcount", () => {
    const lines = fs.readFileSync(DEFAULT_INPUT, "utf8").split("\n").slice(0, 3000);
    const input = path.join(tmp, "input.txt");
    before(() => fs.writeFileSync(input, lines.join("\n") + "\n"));
    const STEPS = ["Read", "Gate", "Split", "PairWithOne", "GroupAndSum", "Format", "Write"];

    it("shows every step, counts that grow as lines pass, and the finished job with its complete output", async () => {
      const output = path.join(tmp, "done", "counts");
      gate.reset();
      gate.open(400);
      const { job, done } = await startWatched(() => gatedWordcount.run({ input, output }, { runner: "DirectRunner" }));
      const dashboard = await Dashboard.start(job, { updateIntervalMs: 100 });
      try {
        const page = await browser!.newPage();
        await page.goto(dashboard.url);
        for (const step of STEPS) await node(page, step).waitFor();
        await page.locator('body[data-state="RUNNING"]').waitFor({ state: "attached" });
        assert.equal(await page.locator("#drain").isHidden(), true, "a batch job has no drain button");
        await node(page, "Gate", "out 400").waitFor();
        gate.open(800);
        await node(page, "Gate", "out 1,200").waitFor();
        const split = await node(page, "Split").textContent();
        assert.match(split ?? "", /in 1,200/);
        await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-wordcount-running.png"), fullPage: true });
        gate.open(Infinity);
        await page.locator('body[data-state="DONE"]').waitFor({ state: "attached", timeout: 30_000 });
        await page.locator('body[data-ended="true"]').waitFor({ state: "attached" });
        assert.equal(await (await done).waitUntilFinish(), "DONE");
        const counts = new Map<string, number>();
        for (const w of lines.flatMap(extractWords)) counts.set(w, (counts.get(w) ?? 0) + 1);
        assert.deepEqual(readShards(output), [...counts].map(([w, n]) => `${w}: ${n}`).sort());
        assert.match((await node(page, "Format").textContent()) ?? "", new RegExp(`out ${counts.size.toLocaleString("en-US")}`));
      } finally {
        await dashboard.close();
      }
    });

    it("cancels the job from its button: CANCELLED, and nothing written", async () => {
      const output = path.join(tmp, "cancelled", "counts");
      gate.reset();
      gate.open(300);
      const { job, done } = await startWatched(() => gatedWordcount.run({ input, output }, { runner: "DirectRunner" }));
      const dashboard = await Dashboard.start(job, { updateIntervalMs: 100 });
      try {
        const page = await browser!.newPage();
        page.on("dialog", (d) => void d.accept());
        await page.goto(dashboard.url);
        await node(page, "Gate", "out 300").waitFor();
        // The gate opens only once the server has taken the cancel (it answers after calling it): on a
        // loaded machine the page's request could otherwise arrive after the job had finished.
        const cancelTaken = page.waitForResponse((r) => r.url().endsWith("/api/cancel"));
        await page.locator("#cancel").click();
        assert.equal((await cancelTaken).status(), 202);
        gate.open(Infinity);
        await page.locator('body[data-state="CANCELLED"]').waitFor({ state: "attached", timeout: 30_000 });
        const result: PipelineResult = await done;
        assert.equal(await result.waitUntilFinish(), "CANCELLED");
        assert.deepEqual(readShards(output), [], "a cancelled run leaves no output");
      } finally {
        await dashboard.close();
      }
    });
  });

  describe("streaming word count over Pub/Sub", () => {
    let env: EmulatorEnv;
    let pubsub: PubSub;
    before(async () => {
      env = await startEmulatorEnv(["pubsub"]);
      pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
      await pubsub.createTopic("words");
      await pubsub.createTopic("counts");
      await pubsub.topic("words").createSubscription("words-sub", { ackDeadlineSeconds: 10 });
      await pubsub.topic("counts").createSubscription("counts-sub");
    });
    after(async () => {
      await pubsub?.close();
      await env?.stop();
    });
    const publish = (n: number): Promise<unknown> => Promise.all(Array.from({ length: n }, () => pubsub.topic("words").publishMessage({ data: Buffer.from("to be or not to be") })));

    it("shows every step, counts that grow with each published batch, and drains from its button with every word counted", async () => {
      const got: Message[] = [];
      const sub = pubsub.subscription("counts-sub");
      sub.on("message", (m: Message) => {
        got.push(m);
        m.ack();
      });
      const { job, done } = await startWatched(() => streamingWordcount.run({ subscription: `projects/${TEST_PROJECT}/subscriptions/words-sub`, topic: "counts" }, { runner: "DirectRunner" }));
      const result = await done;
      const dashboard = await Dashboard.start(job, { updateIntervalMs: 100 });
      try {
        const page = await browser!.newPage();
        await page.goto(dashboard.url);
        for (const step of ["Read", "Split", "Minutes", "Count", "Format", "Write"]) await node(page, step).waitFor();
        await page.locator('body[data-state="RUNNING"]').waitFor({ state: "attached" });
        await publish(40);
        await node(page, "Read", "out 40").waitFor({ timeout: 20_000 });
        await publish(60);
        await node(page, "Read", "out 100").waitFor({ timeout: 20_000 });
        await node(page, "Split", "out 600").waitFor({ timeout: 20_000 });
        await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-streaming-running.png"), fullPage: true });
        await page.locator("#drain").click();
        await page.locator('body[data-state="DRAINED"]').waitFor({ state: "attached", timeout: 30_000 });
        assert.equal(await result.waitUntilFinish(), "DRAINED");
        await waitFor("the drained windows' counts on counts-sub", () => sumCounts(got).size === 4 && [...sumCounts(got).values()].reduce((a, b) => a + b) === 600, 20_000);
        assert.deepEqual(Object.fromEntries(sumCounts(got)), { be: 200, not: 100, or: 100, to: 200 });
      } finally {
        await sub.close();
        if (result.state === "RUNNING") await result.cancel();
        await dashboard.close();
      }
    });
  });
});

/** `word=count` messages summed per word (a minute boundary may split a batch over two windows). */
function sumCounts(messages: readonly Message[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const m of messages) {
    const [word, n] = m.data.toString().split("=");
    sums.set(word!, (sums.get(word!) ?? 0) + Number(n));
  }
  return sums;
}
