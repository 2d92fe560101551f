/**
 * WriteToCsv and values that have no CSV form: an object or an array would be written as
 * "[object Object]" or as its items joined by commas, its content lost without a word. The run
 * fails instead, naming the step and the column and saying how to fix it, and writes no file.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, WriteToCsv } from "../../lib";
import { runDirect } from "../helpers";

describe("io/csv: WriteToCsv refuses values without a CSV form", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-values-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [label, value] of [
    ["an object", { lat: 1, lon: 2 }],
    ["an array", [1, 2]],
  ] as const) {
    it(`${label} in a column fails the run naming the column; no file is written`, async () => {
      const result = await runDirect((p) => {
        p.apply(Create.of<{ id: number; where: unknown }>({ id: 1, where: "home" }, { id: 2, where: value })).apply(
          "Write",
          WriteToCsv.to(path.join(dir, "out"), { columns: ["id", "where"], suffix: ".csv" }),
        );
      });
      assert.equal(result.state, "FAILED");
      assert.match(result.error!.message, /Write.*column 'where'.*(object|array).*JSON\.stringify/s);
      assert.deepEqual(fs.readdirSync(dir), []);
    });
  }
});
