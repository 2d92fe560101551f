/**
 * PeriodicImpulse on the streaming DirectRunner: its watermark advances with the firings (windows
 * fire while an unbounded impulse runs), a drain stops it, and Beam's "slowly updating side input"
 * pattern: a main stream reads the value refreshed by the latest firing, with fixed windows of
 * the interval (event time, exact) and with the global window and a repeated trigger (real time).
 */
import { strict as assert } from "node:assert";
import { AfterCount, AsSingleton, Combine, Combiners, FixedWindows, GlobalWindows, GroupByKey, kv, Latest, ParDo, PeriodicImpulse, Repeatedly, Window, type KV } from "../../lib";
import { isStreamingResult } from "../../runners/streaming";
import { runDirect, runOk } from "../helpers";
import { waitFor } from "../setup/emulators/helpers";
import { collect, type Observed } from "./collect";

describe("Streaming DirectRunner: PeriodicImpulse", () => {
  it("without a stop, the watermark follows the firings: each firing's window fires while the impulse runs; a drain ends it", async () => {
    const interval = 40;
    const start = Math.floor(Date.now() / interval) * interval - 5 * interval;
    const fired: number[] = [];
    const panes: number[][] = [];
    const result = await runDirect(
      (p) => {
        p.apply(PeriodicImpulse.create({ start, intervalMillis: interval, applyWindowing: true }))
          .apply("Fired", ParDo.into<number>().of((t: number, ctx) => void (fired.push(t), ctx.output(t))))
          .map("Key", (t: number) => kv("k", t))
          .apply(GroupByKey.create())
          .apply("Record", ParDo.of((g: KV<string, number[]>) => void panes.push([...g.value])));
      },
      {},
      { checkEveryElement: false },
    );
    assert.ok(isStreamingResult(result));
    // Past firings catch up at once; then the panes of firings that came in real time. Were the
    // watermark not advanced by the firings, no window of an unbounded stream would ever fire.
    await waitFor("panes of firings after the start of the run", () => panes.length >= 8, 20_000);
    assert.equal(result.state, "RUNNING");
    assert.equal(await result.drain(), "DRAINED");
    const firings = [...fired].sort((a, b) => a - b);
    assert.deepEqual(firings, Array.from({ length: firings.length }, (_, i) => start + i * interval), "every interval, from the start");
    assert.deepEqual(
      panes.map((g) => g.join()).sort(),
      firings.map(String).sort(),
      "one pane per firing, each in its own window",
    );
    const afterDrain = fired.length;
    await new Promise((r) => setImmediate(r));
    assert.equal(fired.length, afterDrain, "nothing fires after the drain");
  });

  it("slowly updating side input (fixed windows of the interval): each main element reads the value of its window's firing", async () => {
    const interval = 1000;
    const start = Math.floor(Date.now() / interval) * interval - 10 * interval;
    const out: Observed<string>[] = [];
    await runOk((p) => {
      // The refreshed value: here, derived from the firing (e.g. a configuration read at that time).
      const config = p.apply("Refresh", PeriodicImpulse.create({ start, stop: start + 3 * interval, intervalMillis: interval, applyWindowing: true })).map("Read", (t: number) => `config-${(t - start) / interval}`);
      const current = AsSingleton(config);
      const events = p.apply("Events", PeriodicImpulse.create({ start: start + interval / 2, stop: start + 3 * interval, intervalMillis: interval })).apply("Window", Window.into<number>(new FixedWindows(interval)));
      collect(events.apply("Tag", ParDo.into<string>().of((t: number, ctx) => ctx.output(`+${t - start} sees ${ctx.sideInputs.current}`), { sideInputs: { current } })), out);
    });
    assert.deepEqual(
      out.map((o) => o.value).sort(),
      ["+1500 sees config-1", "+2500 sees config-2", "+500 sees config-0"],
    );
  });

  it("slowly updating side input (global window, Repeatedly(AfterCount(1)), Latest): later main elements see the refreshed value", async () => {
    const start = Date.now() + 100;
    const seen: { t: number; version: number }[] = [];
    await runOk((p) => {
      const config = p
        .apply("Refresh", PeriodicImpulse.create({ start, stop: start + 600, intervalMillis: 300 }))
        .map("Read", (t: number) => (t - start) / 300)
        // The global window ends when the (finite) refresh stream does: its on-time pane would be
        // empty, and Latest's combine of nothing (undefined) would join the last value in the view.
        .apply("Global", Window.into<number>(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), onTimeBehavior: "FIRE_IF_NON_EMPTY" }))
        .apply("Newest", Latest.globally({ withoutDefaults: true }));
      const current = AsSingleton(config);
      p.apply("Events", PeriodicImpulse.create({ start, stop: start + 1500, intervalMillis: 100 })).apply(
        "Tag",
        ParDo.of((t: number, ctx) => void seen.push({ t: t - start, version: ctx.sideInputs.current }), { sideInputs: { current } }),
      );
    });
    seen.sort((a, b) => a.t - b.t);
    assert.equal(seen.length, 15);
    assert.equal(seen[0]!.version, 0, "the first element waits for the first value");
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.version >= seen[i - 1]!.version, `versions go back: ${JSON.stringify(seen)}`);
    // The last refresh (+300 ms) is 1.1 s older than the last element (+1400 ms).
    assert.equal(seen.at(-1)!.version, 1, JSON.stringify(seen));
  });

  it("a bundle retry (--direct_bundle_retries) restarts from the last snapshot: every firing counted exactly once", async () => {
    const interval = 20;
    const start = Math.floor(Date.now() / interval) * interval - 20 * interval;
    const failAt = start + 25 * interval;
    let failed = false;
    const out: Observed<KV<string, number>>[] = [];
    const result = await runDirect(
      (p) => {
        const counted = p
          .apply(PeriodicImpulse.create({ start, stop: start + 30 * interval, intervalMillis: interval, applyWindowing: true }))
          .apply(
            "FailOnce",
            ParDo.into<number>().of((t: number, ctx) => {
              if (t === failAt && !failed) {
                failed = true;
                throw new Error("a transient failure");
              }
              ctx.output(t);
            }),
          )
          .map("Key", () => kv("k", 1))
          .apply("Count", Combine.perKey<string, number, number, number>(Combiners.sum()));
        collect(counted, out);
      },
      { directBundleRetries: 1, checkpointIntervalMs: 1 },
      { checkEveryElement: false },
    );
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.ok(failed);
    const windows = out.map((o) => `${o.window}=${o.value.value}`).sort();
    assert.deepEqual(windows, Array.from({ length: 30 }, (_, i) => `${start + i * interval}:${start + (i + 1) * interval}=1`).sort());
  });

  it("waits for a firing more than 24.8 days away (a monthly refresh) without overflowing Node's timers", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      const fired: number[] = [];
      const result = await runDirect((p) => {
        p.apply(PeriodicImpulse.create({ start: Date.now() - 1000, intervalMillis: 30 * 24 * 3_600_000 })).apply(
          "Fired",
          ParDo.of((t: number) => void fired.push(t)),
        );
      });
      assert.ok(isStreamingResult(result));
      await waitFor("the first firing", () => fired.length === 1);
      // The source now waits 30 days for the next firing (setTimeout takes at most 2^31 - 1 ms).
      await new Promise((r) => setImmediate(r));
      assert.equal(await result.drain(), "DRAINED");
      await new Promise((r) => process.nextTick(r));
      assert.deepEqual(warnings.filter((w) => w.startsWith("TimeoutOverflowWarning")), []);
      assert.equal(fired.length, 1);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
