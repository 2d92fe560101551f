/**
 * Removing a run's checkpoints (after a drain) must remove the oldest first. A drain writes a
 * drained checkpoint (the newest) before its last acknowledgements; a process dying part-way
 * through the removal must leave that one, not an older checkpoint whose state lacks what was
 * acknowledged since (a restart would resume from it and fire its windows again without it).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CheckpointStore } from "../../runners/streaming/checkpoint_store";

describe("Streaming checkpoints: removing them after a drain", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-ckpt-clear-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("removes the oldest checkpoint first: dying part-way leaves the newest", async () => {
    const store = new CheckpointStore(dir);
    store.prepare();
    await store.write(7, new Uint8Array([7]));
    await store.write(8, new Uint8Array([8]));
    const rm = fs.promises.rm;
    let removed = 0;
    // The process dies once the first file is removed.
    fs.promises.rm = (async (...args: Parameters<typeof rm>) => {
      if (removed++ === 1) throw new Error("the process died");
      return rm(...args);
    }) as typeof rm;
    try {
      await assert.rejects(store.clear(), /the process died/);
    } finally {
      fs.promises.rm = rm;
    }
    assert.equal(store.latest(() => undefined)?.seq, 8, "the newest checkpoint is left to restart from");
    await store.clear();
    assert.equal(store.latest(() => undefined), undefined);
  });
});
