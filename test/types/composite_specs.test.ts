/**
 * Type-level tests of CompositeSpec, the closed union of the composites runners execute
 * specially: checking `urn` narrows to the spec (no casts), specs declared by modules outside
 * lib/model (TestStream, ReadUnbounded, Pub/Sub) are part of it, and anything else is not.
 * This file fails to COMPILE when that breaks.
 */
import { strict as assert } from "node:assert";
import { Pipeline, ReadUnbounded, TestStream } from "../../lib";
import { READ_UNBOUNDED_URN } from "../../lib/io/read_unbounded";
import { PUBSUB_READ_URN } from "../../lib/io/pubsub/unbounded";
import type { CompositeSpec, CompositeSpecs } from "../../lib/model/pipeline";
import { TEST_STREAM_URN } from "../../lib/testing/test_stream";

describe("CompositeSpec: a closed union, extended by declaration merging", () => {
  it("narrows by urn to each module's spec", () => {
    const p = Pipeline.create();
    p.apply("Script", TestStream.create<number>().addElements({ value: 1, timestamp: 0 }));
    p.apply("Live", ReadUnbounded.from<number>({ read: async () => undefined }));
    const described: string[] = [];
    for (const node of p.transforms()) {
      const c = node.composite;
      if (c === undefined) continue;
      switch (c.urn) {
        case TEST_STREAM_URN:
          described.push(`${node.fullName}: ${c.events.length} event(s)`);
          break;
        case READ_UNBOUNDED_URN:
          described.push(`${node.fullName}: source ${typeof c.source.read}`);
          break;
        case PUBSUB_READ_URN:
          described.push(`${node.fullName}: ${c.subscription}`);
          break;
        case "beam:transform:combine_per_key:v1":
          described.push(`${node.fullName}: ${typeof c.combineFn.createAccumulator}`);
          break;
      }
    }
    assert.deepEqual(described, ["Script: 1 event(s)", "Live: source function"]);
  });

  it("has an entry per URN, and nothing else fits", () => {
    const urns: (keyof CompositeSpecs)[] = [TEST_STREAM_URN, READ_UNBOUNDED_URN, PUBSUB_READ_URN, "beam:transform:pubsub_write:v1", "beam:transform:reshuffle:v1"];
    assert.equal(urns.length, 5);
    const reshuffle: CompositeSpec = { urn: "beam:transform:reshuffle:v1" };
    assert.equal(reshuffle.urn, "beam:transform:reshuffle:v1");
    // @ts-expect-error an unknown URN is not a composite runners know
    const unknown: CompositeSpec = { urn: "beam:transform:something_else:v1" };
    // @ts-expect-error a known URN needs its spec's fields
    const partial: CompositeSpec = { urn: TEST_STREAM_URN };
    void unknown;
    void partial;
  });
});
