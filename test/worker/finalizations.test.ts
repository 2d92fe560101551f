import { strict as assert } from "node:assert";
import { PendingFinalizations } from "../../runners/worker/splittable";

describe("Bundle finalization callbacks (FinalizeBundleRequest)", () => {
  it("run once, on the finalization of their own bundle; unknown or repeated requests do nothing", async () => {
    const f = new PendingFinalizations();
    const ran: string[] = [];
    f.add("b1", [async () => void ran.push("b1-a"), async () => void ran.push("b1-b")]);
    f.add("b2", [async () => void ran.push("b2")]);
    f.add("b3", []);
    assert.equal(f.size, 2, "a bundle without callbacks needs no finalization");
    await f.finalize("b2");
    await f.finalize("b2");
    await f.finalize("nope");
    assert.deepEqual(ran, ["b2"]);
    await f.finalize("b1");
    assert.deepEqual(ran, ["b2", "b1-a", "b1-b"]);
    assert.equal(f.size, 0);
  });

  it("a failing callback does not stop the others; the failure is reported", async () => {
    const f = new PendingFinalizations();
    const ran: string[] = [];
    f.add("b1", [
      async () => {
        throw new Error("ack failed");
      },
      async () => void ran.push("second"),
    ]);
    await assert.rejects(f.finalize("b1"), /finalizing bundle b1 failed: ack failed/);
    assert.deepEqual(ran, ["second"]);
  });

  it("callbacks of bundles never finalized are dropped after the expiry", () => {
    const f = new PendingFinalizations(1000);
    f.add("old", [async () => undefined], 0);
    f.add("new", [async () => undefined], 999);
    assert.equal(f.size, 2);
    f.add("newer", [async () => undefined], 1000);
    assert.equal(f.size, 2, "the one added at 0 expired at 1000");
  });
});
