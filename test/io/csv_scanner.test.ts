/**
 * The CSV record scanner: splitting a file into ranges anywhere (inside quoted newlines, between
 * \r and \n, inside a BOM-less header) gives exactly the records of reading it whole, with the
 * same line numbers; the fields agree with csv-parse reading the whole file.
 */
import { strict as assert } from "node:assert";
import { composeStarts, RangeScanner, RECORD_START, RecordSplitter, type RawRecord } from "../../lib/io/csv/scanner";
import { csvParseOptions, parseRecords } from "../../lib/io/csv/source";
import { seededRandom } from "../../setup/flipkart/generate";

const PIECES = ["a", "bc", " ", "é", "日本", ",", '"', "\n", "\r\n", "\r", "x y", "0"];

/** A random well-formed CSV document: `rows` records of `cols` fields, quoting what needs it. */
function randomCsv(seed: number, rows: number, cols: number, terminator: string): { text: string; expected: string[][]; starts: number[] } {
  const next = seededRandom(seed);
  const expected: string[][] = [];
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const fields: string[] = [];
    for (let c = 0; c < cols; c++) {
      let v = "";
      const n = Math.floor(next() * 5);
      for (let k = 0; k < n; k++) v += PIECES[Math.floor(next() * PIECES.length)]!;
      fields.push(v);
    }
    if (cols === 1 && fields[0] === "") fields[0] = "z"; // a lone empty field would be a blank line
    expected.push(fields);
    lines.push(fields.map((f) => (/[",\r\n]/.test(f) || (next() < 0.2) ? `"${f.replace(/"/g, '""')}"` : f)).join(","));
  }
  const starts: number[] = [];
  let at = 0;
  for (const l of lines) {
    starts.push(at);
    at += l.length + terminator.length;
  }
  return { text: lines.join(terminator) + (next() < 0.5 ? terminator : ""), expected, starts };
}

function chunksOf(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** Reads `buf` as ranges of `rangeSize` bytes (pass 1 then pass 2), feeding chunks of `chunkSize`. */
function readSplit(buf: Buffer, rangeSize: number, chunkSize: number, maxRecordBytes = 1 << 20): RawRecord[] {
  const bounds: [number, number][] = [];
  for (let s = 0; s < buf.length; s += rangeSize) bounds.push([s, Math.min(buf.length, s + rangeSize)]);
  const summaries = bounds.map(([s, e]) => {
    const scanner = new RangeScanner(0x2c, e - s);
    for (const c of chunksOf(buf.subarray(s, e + 1), chunkSize)) scanner.push(c);
    return scanner.finish();
  });
  const starts = composeStarts(summaries);
  const records: RawRecord[] = [];
  bounds.forEach(([s, e], i) => {
    const splitter = new RecordSplitter(0x2c, s, e, starts[i]!.state, starts[i]!.line, maxRecordBytes);
    for (const c of chunksOf(buf.subarray(s), chunkSize)) {
      records.push(...splitter.push(c));
      if (splitter.done) return;
    }
    records.push(...splitter.finish());
  });
  return records;
}

function view(records: readonly RawRecord[]): { line: number; text: string }[] {
  return records.map((r) => ({ line: r.line, text: r.bytes.toString("utf8") }));
}

describe("io/csv: record scanner and splitting", () => {
  it("any split and chunking gives the records of the whole file, with csv-parse's fields and the right line numbers", () => {
    for (let seed = 1; seed <= 12; seed++) {
      const terminator = ["\n", "\r\n", "\r"][seed % 3]!;
      const { text, expected, starts } = randomCsv(seed, 25, 1 + (seed % 4), terminator);
      const buf = Buffer.from(text, "utf8");
      const whole = readSplit(buf, buf.length, buf.length);
      assert.equal(whole.length, expected.length, `seed ${seed}`);
      const parsed = parseRecords(whole, csvParseOptions(","), 1 << 20).map((p) => ("fields" in p ? p.fields : p.error));
      assert.deepEqual(parsed, expected, `seed ${seed}: fields`);
      // The line numbers: line breaks (\r\n, \r, \n, also inside quotes) before each record's first byte.
      const lineOf = (offset: number) => 1 + (text.slice(0, offset).match(/\r\n|\r|\n/g)?.length ?? 0);
      assert.deepEqual(whole.map((r) => r.line), starts.map(lineOf), `seed ${seed}: lines`);
      for (const rangeSize of [1, 2, 3, 5, 8, 13, 64, 200]) {
        for (const chunkSize of [1, 3, 16, 4096]) {
          assert.deepEqual(view(readSplit(buf, rangeSize, chunkSize)), view(whole), `seed ${seed}, ranges of ${rangeSize}, chunks of ${chunkSize}`);
        }
      }
    }
  });

  it("counts a line per \\n, \\r\\n and lone \\r, also inside quotes and across range boundaries", () => {
    const buf = Buffer.from('a,b\r\n"x\r\ny",z\r"p\rq",r\n\nlast,1', "utf8");
    for (const size of [1, 2, 4, 100]) {
      assert.deepEqual(
        view(readSplit(buf, size, 1)),
        [
          { line: 1, text: "a,b" },
          { line: 2, text: '"x\r\ny",z' },
          { line: 4, text: '"p\rq",r' },
          { line: 7, text: "last,1" },
        ],
        `ranges of ${size}`,
      );
    }
  });

  it("malformed records keep their boundaries in every split: stray quote, text after a closing quote, unclosed quote", () => {
    const text = 'h1,h2\nok,1\n5" screen,2\n"a"b,3\nok2,4\n"never closed,5\nswallowed,6\n';
    const buf = Buffer.from(text, "utf8");
    const whole = view(readSplit(buf, buf.length, 7));
    assert.deepEqual(whole, [
      { line: 1, text: "h1,h2" },
      { line: 2, text: "ok,1" },
      { line: 3, text: '5" screen,2' },
      { line: 4, text: '"a"b,3' },
      { line: 5, text: "ok2,4" },
      { line: 6, text: '"never closed,5\nswallowed,6\n' },
    ]);
    for (const size of [1, 2, 3, 9, 17]) assert.deepEqual(view(readSplit(buf, size, 5)), whole, `ranges of ${size}`);
    const parsed = parseRecords(readSplit(buf, 4, 3), csvParseOptions(","), 1 << 20);
    assert.deepEqual(
      parsed.map((p) => ("fields" in p ? p.fields.join("|") : p.error.split(":")[0])),
      ["h1|h2", "ok|1", "Invalid Opening Quote", "Invalid Closing Quote", "ok2|4", "a quoted field opened on or after line 6 is never closed (the file ends inside it)"],
    );
  });

  it("an over-long record is cut at maxRecordBytes (memory stays bounded) and the next one is intact", () => {
    const long = "x".repeat(5000);
    const buf = Buffer.from(`a,"${long}"\nb,c\n`, "utf8");
    const records = readSplit(buf, 1000, 256, 100);
    assert.equal(records.length, 2);
    assert.equal(records[0]!.bytes.length, 100);
    assert.equal(records[0]!.truncatedBytes, long.length + 4 - 100);
    assert.equal(records[1]!.bytes.toString(), "b,c");
    const [bad] = parseRecords(records, csvParseOptions(","), 100);
    assert.match("error" in bad! ? bad.error : "", /longer than 100 bytes/);
  });

  it("a range entirely inside one quoted field owns nothing; its neighbours own the record", () => {
    const buf = Buffer.from(`x,"${"\n".repeat(50)}"\ny,1\n`, "utf8");
    const summaries = [0, 10, 20, 30, 40, 50].map((s) => {
      const e = Math.min(buf.length, s + 10);
      const scanner = new RangeScanner(0x2c, e - s);
      scanner.push(buf.subarray(s, e + 1));
      return scanner.finish();
    });
    const starts = composeStarts(summaries);
    assert.equal(starts[0]!.state, RECORD_START);
    const splitter = new RecordSplitter(0x2c, 20, 30, starts[2]!.state, starts[2]!.line, 1 << 20);
    assert.deepEqual([...splitter.push(buf.subarray(20)), ...splitter.finish()], []);
    assert.deepEqual(view(readSplit(buf, 10, 4)), [
      { line: 1, text: `x,"${"\n".repeat(50)}"` },
      { line: 52, text: "y,1" },
    ]);
  });
});
