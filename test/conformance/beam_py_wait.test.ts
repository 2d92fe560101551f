/**
 * Beam Python's util_test.py WaitOnTest: chained waits run their steps in order, so a counter
 * shared by the steps numbers x's elements first, then y's, then z's, then the result's. Runs with
 * one worker and with --direct_num_workers 2 (the steps of one process share the counter).
 */
import { strict as assert } from "node:assert";
import { Create, Wait, type PCollection } from "../../lib";
import { labelledOutputs } from "./beam_helpers";

for (const workers of [1, 2] as const) {
  describe(`Beam Python WaitOnTest (util_test.py), --direct_num_workers ${workers}`, () => {
    it("test_find: x, then y after x, z after y, and the result after y and z", async () => {
      let counter = 0;
      const r = await labelledOutputs(
        (p, out) => {
          const record = (tag: string) => (pc: PCollection<null>) => pc.map(`Record(${tag})`, (e: null) => [e, tag, counter++] as const);
          const start = p.apply(Create.of(null, null));
          const x = record("x")(start);
          const y = record("y")(start.apply("WaitForX", Wait.on<null>(x)));
          const z = record("z")(start.apply("WaitForY", Wait.on<null>(y)));
          const result = record("result")(x.map("First", (e) => e[0]).apply("WaitForYZ", Wait.on<null>(y, z)));
          out("x", x);
          out("y", y);
          out("z", z);
          out("result", result);
        },
        undefined,
        { directNumWorkers: workers },
      );
      assert.deepEqual(r, {
        x: ['[null,"x",0]', '[null,"x",1]'],
        y: ['[null,"y",2]', '[null,"y",3]'],
        z: ['[null,"z",4]', '[null,"z",5]'],
        result: ['[null,"result",6]', '[null,"result",7]'],
      });
    });
  });
}
