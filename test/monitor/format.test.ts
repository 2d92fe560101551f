import { strict as assert } from "node:assert";
import { formatCount } from "../../runners/monitor/format";

describe("monitor formats", () => {
  it("formatCount groups digits exactly as toLocaleString('en-US') does", () => {
    const values = [0, -0, 0.4, -0.4, 1, 9, 10, 999, 1000, 1234.5, 99_999, 100_000, 999_999, 1_000_000, 123_456_789, -1234, -999_999.6, 2 ** 53 - 1, 2 ** 53, 1e21, NaN, Infinity, -Infinity];
    for (let x = 1; x < 1e16; x = x * 7 + 3) values.push(x, -x);
    for (const v of values) assert.equal(formatCount(v), Math.round(v).toLocaleString("en-US"), `formatCount(${v})`);
  });
});
