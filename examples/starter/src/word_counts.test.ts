/**
 * Tests of the pipeline logic on the DirectRunner: `node --test` after `npm run build`.
 * assertThat runs inside the pipeline (so the same test would pass on any runner); TestStream
 * scripts an unbounded source in event time, so windowing and late data are tested in milliseconds.
 */
import { test } from "node:test";
import { strict as assert } from "node:assert";
import { assertThat, containsInAnyOrder, Create, FixedWindows, kv, Pipeline, TestStream, Window } from "beamline";
import { CountWords, format, words } from "./word_counts";

test("words are lower-cased and split on anything but letters, digits and apostrophes", () => {
  assert.deepEqual(words("The dog's bowl, the CAT."), ["the", "dog's", "bowl", "the", "cat"]);
});

test("CountWords counts each word of a bounded input", async () => {
  const p = Pipeline.create();
  const counts = p.apply(Create.of("the cat", "The dog", "")).apply(new CountWords());
  assertThat(counts.map("Format", format), containsInAnyOrder(["the: 2", "cat: 1", "dog: 1"]));
  assert.equal(await (await p.run()).waitUntilFinish(), "DONE");
});

test("CountWords counts per one-minute event-time window; data later than the watermark is dropped", async () => {
  const p = Pipeline.create();
  const lines = p.apply(
    TestStream.create<string>()
      .addElements({ value: "a b", timestamp: 10_000 }, { value: "a", timestamp: 50_000 })
      .addElements({ value: "b", timestamp: 70_000 })
      .advanceWatermarkTo(120_000) // both windows are complete
      .addElements({ value: "a", timestamp: 30_000 }) // late for [0, 60 s): dropped (no allowed lateness)
      .advanceWatermarkToInfinity(),
  );
  const counts = lines.apply(Window.into(new FixedWindows(60_000))).apply(new CountWords());
  assertThat(counts, containsInAnyOrder([kv("a", 2), kv("b", 1), kv("b", 1)]));
  assert.equal(await (await p.run()).waitUntilFinish(), "DONE");
});
