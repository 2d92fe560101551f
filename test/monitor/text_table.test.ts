import { strict as assert } from "node:assert";
import { displayWidth, textTable } from "../../runners/monitor/text_table";

// The expected texts are what cli-table3 0.6.5 drew for the same tables with the monitor's
// options (empty borders, `compact`), which the monitor used before: logs must read as before.
describe("text tables", () => {
  it("pads each column to its widest cell, one space either side, one between columns", () => {
    assert.equal(
      textTable(["step", "in", "out"], [["Read", "0", "1"], ["GroupAndSum", "12,345", "-"]]),
      " step          in       out \n Read          0        1   \n GroupAndSum   12,345   -   ",
    );
  });

  it("draws the header alone for no rows, and empty cells for short rows", () => {
    assert.equal(textTable(["a", "bb"], []), " a   bb ");
    assert.equal(textTable(["a", "bb", "c"], [["1"]]), " a   bb   c \n 1          ");
  });

  it("makes a row taller for a cell with line breaks", () => {
    assert.equal(textTable(["a", "bb"], [["x\ny", "日本"], ["zzz", ""]]), " a     bb   \n x     日本 \n y          \n zzz        ");
  });

  it("measures wide characters, emoji, colours and control characters as a terminal shows them", () => {
    assert.equal(textTable(["a"], [["\u001b[31mred\u001b[0m"], ["a\tb"], ["é"], ["👍x"]]), " a   \n \u001b[31mred\u001b[0m \n a\tb  \n é   \n 👍x ");
    assert.equal(displayWidth("日本"), 4);
    assert.equal(displayWidth("\u001b[31mred\u001b[0m"), 3);
    assert.equal(displayWidth("plain ascii"), 11);
  });
});
