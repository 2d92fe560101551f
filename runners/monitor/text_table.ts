/**
 * Aligned plain-text tables for the run monitor: a header row, then one row per entry, each cell
 * padded to its column's width with one space on either side, columns separated by one space.
 *
 * Written here rather than taken from a table library (the monitor used cli-table3 before): the
 * summary is drawn at the end of every run, and loading and drawing with cli-table3 cost ~37 M
 * instructions (~11 ms) of a 1-line wordcount's ~20 ms monitor cost, measured with cachegrind.
 * The layout is the one cli-table3 drew with empty borders and `compact`, so logs read as before.
 */

/** The table as text, one line per row (a cell with line breaks makes its row taller); no final newline. */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [head, ...rows];
  const columns = all.reduce((n, r) => Math.max(n, r.length), 0);
  const split = all.map((r) => Array.from({ length: columns }, (_, i) => (r[i] ?? "").split("\n")));
  const widths = Array.from({ length: columns }, (_, i) => split.reduce((w, r) => r[i].reduce((m, line) => Math.max(m, displayWidth(line)), w), 0));
  const lines: string[] = [];
  for (const row of split) {
    const height = row.reduce((h, cell) => Math.max(h, cell.length), 1);
    for (let l = 0; l < height; l++) {
      lines.push(row.map((cell, i) => ` ${pad(cell[l] ?? "", widths[i])} `).join(" "));
    }
  }
  return lines.join("\n");
}

function pad(text: string, width: number): string {
  return text + " ".repeat(width - displayWidth(text));
}

type StringWidth = (text: string) => number;
let stringWidth: StringWidth | undefined;

/**
 * Columns `text` takes in a terminal. Printable ASCII is one column per character; anything else
 * (wide CJK characters, emoji, ANSI colours, control characters) is measured by string-width,
 * loaded only then.
 */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  stringWidth ??= require("string-width") as StringWidth;
  return stringWidth(text);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
