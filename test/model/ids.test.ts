import { strict as assert } from "node:assert";
import { Worker } from "node:worker_threads";
import { randomHex, randomId, stableDigest } from "../../lib/model/ids";

describe("ids: unique names without node:crypto", () => {
  it("stableDigest is 64-bit FNV-1a (the published test vectors)", () => {
    assert.equal(stableDigest(""), "cbf29ce484222325");
    assert.equal(stableDigest("a"), "af63dc4c8601ec8c");
    assert.equal(stableDigest("foobar"), "85944171f73967e8");
    // Code units above 0xff and long inputs keep both halves in range.
    assert.match(stableDigest("Ünïcödé ✓ ".repeat(1000)), /^[0-9a-f]{16}$/);
    assert.notEqual(stableDigest("wordcount/Write"), stableDigest("wordcount/Write2"));
  });

  it("randomId is a version-4 UUID, and 100,000 draws do not repeat", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const id = randomId();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 100_000);
    assert.match(randomHex(8), /^[0-9a-f]{16}$/);
  });

  it("threads draw different ids (each isolate seeds its own generator)", async () => {
    const code = `const { parentPort } = require("node:worker_threads"); const { randomId } = require(${JSON.stringify(require.resolve("../../lib/model/ids"))}); parentPort.postMessage(randomId());`;
    const fromWorker = async (): Promise<string> => {
      const w = new Worker(code, { eval: true });
      const [id] = (await new Promise((resolve, reject) => {
        w.once("message", (m: string) => resolve([m]));
        w.once("error", reject);
      })) as [string];
      await w.terminate();
      return id;
    };
    const ids = [randomId(), await fromWorker(), await fromWorker()];
    assert.equal(new Set(ids).size, 3);
  });
});
