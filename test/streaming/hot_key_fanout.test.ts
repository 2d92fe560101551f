/**
 * Combine.perKey(fn).withHotKeyFanout(n) on the streaming DirectRunner. Each TestStream batch is
 * a bundle of its own, and each bundle picks its own intermediate key, so a hot key's values are
 * pre-combined under several intermediate keys whose accumulators (and session windows) the
 * final combine merges.
 */
import { strict as assert } from "node:assert";
import { AfterCount, Combine, Combiners, GlobalWindows, kv, KV, PCollection, Repeatedly, Sessions, FixedWindows, Window } from "../../lib";
import type { WindowFn } from "../../lib/model/windowing";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, el, Observed, paneOf } from "./collect";

/** Sums of `script` per key in `windowFn`, with and without fanout: rows "key=sum window @timestamp pane", sorted. */
async function sums(script: () => TestStream<KV<string, number>>, windowFn: WindowFn): Promise<{ plain: string[]; fanned: string[] }> {
  const plain: Observed<KV<string, number>>[] = [];
  const fanned: Observed<KV<string, number>>[] = [];
  const result = await runDirect((p) => {
    const windowed = (label: string): PCollection<KV<string, number>> => p.apply(`${label}Source`, script()).apply(`${label}Window`, Window.into(windowFn));
    collect(windowed("Plain").apply("PlainSum", Combine.perKey(Combiners.sum())), plain, "CollectPlain");
    collect(windowed("Fanned").apply("FannedSum", Combine.perKey(Combiners.sum()).withHotKeyFanout(1000)), fanned, "CollectFanned");
  });
  assert.equal(await result.waitUntilFinish(), "DONE");
  const rows = (o: Observed<KV<string, number>>[]) => o.map((x) => `${x.value.key}=${x.value.value} ${x.window} @${x.timestamp} ${paneOf(x.pane)}`).sort();
  return { plain: rows(plain), fanned: rows(fanned) };
}

describe("Streaming DirectRunner: Combine.perKey(fn).withHotKeyFanout", () => {
  it("gives Combine.perKey's panes in fixed windows, values arriving in several bundles", async () => {
    const script = () =>
      TestStream.create<KV<string, number>>()
        .addElements(el("a", 1), el("b", 2))
        .addElements(el("a", 3))
        .addElements(el("a", 5))
        .advanceWatermarkTo(10)
        .addElements(el("a", 12), el("b", 15))
        .addElements(el("a", 17))
        .advanceWatermarkToInfinity();
    const { plain, fanned } = await sums(script, new FixedWindows(10));
    assert.deepEqual(plain, ["a=29 10:20 @19 ON_TIME#0/0 first last", "a=9 0:10 @9 ON_TIME#0/0 first last", "b=15 10:20 @19 ON_TIME#0/0 first last", "b=2 0:10 @9 ON_TIME#0/0 first last"]);
    assert.deepEqual(fanned, plain);
  });

  it("merges the session windows of a key's intermediate keys into the key's sessions", async () => {
    // 1, 4 and 8 (gap 5) are one session [1, 13), though each bundle pre-combines its own part of it.
    const script = () =>
      TestStream.create<KV<string, number>>()
        .addElements(el("a", 1))
        .addElements(el("a", 8))
        .addElements(el("a", 4), el("b", 4))
        .addElements(el("a", 30))
        .advanceWatermarkToInfinity();
    const { plain, fanned } = await sums(script, new Sessions(5));
    assert.deepEqual(plain, ["a=13 1:13 @12 ON_TIME#0/0 first last", "a=30 30:35 @34 ON_TIME#0/0 first last", "b=4 4:9 @8 ON_TIME#0/0 first last"]);
    assert.deepEqual(fanned, plain);
  });

  it("does not count a hot key's values twice under an accumulating trigger", async () => {
    const out: Observed<KV<string, number>>[] = [];
    // Five bundles, so some intermediate key pre-combines more than one of them.
    const script = [1, 2, 3, 4, 5].reduce((s, n) => s.addElements({ value: kv("all", n), timestamp: n }), TestStream.create<KV<string, number>>());
    const result = await runDirect((p) => {
      const summed = p
        .apply(script.advanceWatermarkToInfinity())
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }))
        .apply("Sum", Combine.perKey(Combiners.sum()).withHotKeyFanout(2));
      collect(summed, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    // Accumulating panes: the running total, never more than the 15 of all values, 15 at the end.
    const totals = out.map((o) => o.value.value);
    assert.ok(totals.every((t) => t <= 15), `panes ${totals.join(", ")}: some values were counted twice`);
    assert.equal(Math.max(...totals), 15, `panes ${totals.join(", ")}`);
    assert.equal(out.at(-1)!.value.value, 15);
  });
});
