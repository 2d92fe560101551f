/**
 * ReadFromText's format options at the level of byte ranges: a custom delimiter (Beam's
 * `delimiter` / `withDelimiter`), kept terminators (Python's `strip_trailing_newlines=False`) and
 * header lines skipped per file (`skip_header_lines` / `withSkipHeaderLines`). The property: for
 * any cut of a file into ranges and any read size, the ranges' records put together are the
 * file's records exactly once, as a whole-file model parses them.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { readLineBatches, resolveTextFormat, RecordSplitter, type TextFormat } from "../../lib/io/text_read";
import { isSelfOverlapping } from "../../lib/io/text_files";

/** The records of `text` under `format`, parsed whole (the model the ranges must agree with). */
function model(bytes: Buffer, format: TextFormat): string[] {
  let text = bytes;
  if (text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf) text = text.subarray(3);
  const records: string[] = [];
  // An odd number of escape bytes right before i escapes the terminator there.
  const escaped = (i: number): boolean => {
    if (format.escapechar === undefined) return false;
    let k = i - 1;
    while (k >= 0 && text[k] === format.escapechar) k--;
    return (i - 1 - k) % 2 === 1;
  };
  const firstNewline = (from: number): number => {
    const n = text.indexOf(0x0a, from);
    const r = text.indexOf(0x0d, from);
    return r >= 0 && (n < 0 || r < n) ? r : n;
  };
  let at = 0;
  while (at < text.length) {
    let a: number;
    let b: number;
    if (format.delimiter !== undefined) {
      a = text.indexOf(Buffer.from(format.delimiter), at);
      while (a >= 0 && escaped(a)) a = text.indexOf(Buffer.from(format.delimiter), a + format.delimiter.length);
      b = a + format.delimiter.length;
    } else {
      a = firstNewline(at);
      while (a >= 0 && escaped(a)) a = firstNewline(a + 1);
      b = a >= 0 && text[a] === 0x0d && text[a + 1] === 0x0a ? a + 2 : a + 1;
    }
    if (a < 0) {
      records.push(text.toString("utf8", at));
      break;
    }
    records.push(text.toString("utf8", at, format.keepTerminators === true ? b : a));
    at = b;
  }
  return records.slice(format.skipHeaderLines ?? 0);
}

async function readRange(file: string, start: number, end: number, format: TextFormat, chunkSize: number): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readLineBatches(file, { start, end }, "auto", { format, chunkSize, batchBytes: Math.max(1, chunkSize >> 1) })) out.push(...batch);
  return out;
}

describe("ReadFromText format options over byte ranges", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "text-format-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const texts: Record<string, string> = {
    lines: "h1,h2\nann,3\r\nbob,4\n\nlong line with é and more é\rlast",
    trailing: "h\na\nb\n",
    bom: "\ufeffhead\nx\ny\n",
    pipes: "a|b||c\n|d|é||",
    eor: "rec1<EOR>rec 2<EOR>\nrec3<EOR><EOR>tail<EO",
    onlyHeader: "name,age\n",
    empty: "",
    escapes: "li\\\nne\nx\\\\\ny\\\r\nz\\\r\\\nw\\|v|\\\\|u\\\\\\\n",
  };
  const formats: Array<{ name: string; for: string[]; format: TextFormat }> = [
    { name: "plain lines, 1 header line", for: ["lines", "trailing", "bom", "onlyHeader"], format: { skipHeaderLines: 1 } },
    { name: "3 header lines", for: ["lines", "trailing", "onlyHeader"], format: { skipHeaderLines: 3 } },
    { name: "kept newlines", for: ["lines", "trailing", "bom"], format: { keepTerminators: true } },
    { name: "kept newlines, 2 header lines", for: ["lines", "trailing"], format: { keepTerminators: true, skipHeaderLines: 2 } },
    { name: "delimiter |", for: ["pipes", "lines"], format: { delimiter: Buffer.from("|") } },
    { name: "delimiter | kept, 1 header", for: ["pipes"], format: { delimiter: Buffer.from("|"), keepTerminators: true, skipHeaderLines: 1 } },
    { name: "delimiter <EOR>", for: ["eor", "lines"], format: { delimiter: Buffer.from("<EOR>") } },
    { name: "delimiter <EOR>, kept, 2 header", for: ["eor"], format: { delimiter: Buffer.from("<EOR>"), keepTerminators: true, skipHeaderLines: 2 } },
    { name: "delimiter \\r\\n", for: ["lines"], format: { delimiter: Buffer.from("\r\n") } },
    { name: "delimiter é (2 bytes)", for: ["lines", "pipes"], format: { delimiter: Buffer.from("é") } },
    { name: "nothing", for: ["empty"], format: { skipHeaderLines: 1, delimiter: Buffer.from("ab") } },
    { name: "escapechar \\", for: ["escapes"], format: { escapechar: 0x5c } },
    { name: "escapechar \\, kept, 1 header", for: ["escapes"], format: { escapechar: 0x5c, keepTerminators: true, skipHeaderLines: 1 } },
    { name: "escapechar \\ and delimiter |", for: ["escapes", "pipes"], format: { escapechar: 0x5c, delimiter: Buffer.from("|") } },
  ];

  for (const f of formats) {
    for (const which of f.for) {
      it(`${f.name} on "${which}": every cut into ranges of 1..size bytes, any read size, gives each record once`, async () => {
        const bytes = Buffer.from(texts[which]!, "utf8");
        const file = path.join(dir, `${which}.txt`);
        fs.writeFileSync(file, bytes);
        const expected = model(bytes, f.format);
        for (let size = 1; size <= bytes.length + 1; size++) {
          for (const chunkSize of [1, 3, 1 << 20]) {
            const got: string[] = [];
            for (let start = 0; start < Math.max(bytes.length, 1); start += size) got.push(...(await readRange(file, start, Math.min(start + size, bytes.length), f.format, chunkSize)));
            assert.deepEqual(got, expected, `ranges of ${size} bytes, reads of ${chunkSize}`);
          }
        }
      });
    }
  }

  it("random texts, delimiters and cuts agree with the whole-file model", async () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const alphabet = ["a", "b", "\n", "\r", "|", "<", "E", ">", "é", "x", "\\", "\\"];
    const delimiters = [undefined, "|", "<E>", "\n", "\r\n", "ab"];
    const file = path.join(dir, "random.txt");
    for (let round = 0; round < 150; round++) {
      let text = "";
      for (let i = rand(60); i > 0; i--) text += alphabet[rand(alphabet.length)];
      const d = delimiters[rand(delimiters.length)];
      const format: TextFormat = {
        ...(d !== undefined ? { delimiter: Buffer.from(d) } : {}),
        ...(rand(2) === 1 ? { keepTerminators: true } : {}),
        ...(rand(2) === 1 ? { skipHeaderLines: rand(4) } : {}),
        ...(rand(2) === 1 ? { escapechar: 0x5c } : {}),
      };
      const bytes = Buffer.from(text);
      fs.writeFileSync(file, bytes);
      const cuts = [0];
      while (cuts[cuts.length - 1]! < bytes.length) cuts.push(Math.min(bytes.length, cuts[cuts.length - 1]! + 1 + rand(12)));
      const got: string[] = [];
      for (let i = 0; i + 1 < cuts.length; i++) got.push(...(await readRange(file, cuts[i]!, cuts[i + 1]!, format, 1 + rand(9))));
      assert.deepEqual(got, model(bytes, format), `round ${round}: ${JSON.stringify(text)} ${JSON.stringify(d)} ${JSON.stringify({ ...format, delimiter: d })} cuts ${cuts.join(",")}`);
    }
  });

  it("a range starting inside a run of escapes longer than the 4 KiB look-back block counts them all", async () => {
    const file = path.join(dir, "long-escapes.txt");
    const format: TextFormat = { escapechar: 0x5c };
    for (const run of [5_000, 5_001, 8_192, 8_193]) {
      const bytes = Buffer.from(`a${"\\".repeat(run)}\nb\nc`);
      fs.writeFileSync(file, bytes);
      const expected = model(bytes, format);
      assert.equal(expected.length, run % 2 === 0 ? 3 : 2, "the model: an even run ends the record at the newline");
      for (const cut of [1, 2, 100, run - 1, run, run + 1, run + 2]) {
        const got = [...(await readRange(file, 0, cut, format, 1 << 20)), ...(await readRange(file, cut, bytes.length, format, 1 << 20))];
        assert.deepEqual(got, expected, `run of ${run}, cut at ${cut}`);
      }
    }
  });

  it("skips the header of a gzip file (read whole) and keeps its terminators", async () => {
    const file = path.join(dir, "h.csv.gz");
    fs.writeFileSync(file, zlib.gzipSync("name,age\nann,3\r\nbob,4"));
    const got = await readRange(file, 0, 30, { skipHeaderLines: 1, keepTerminators: true }, 4);
    assert.deepEqual(got, ["ann,3\r\n", "bob,4"]);
  });

  it("the splitter stops after maxRecords and tells where the next record starts", () => {
    const s = new RecordSplitter(0, Infinity, Buffer.from("#;"), false, 2);
    assert.deepEqual(s.push(Buffer.from("\ufeffa#;bc#;d")), ["a", "bc"]);
    assert.equal(s.done, true);
    assert.equal(s.position, 3 + 7);
  });

  it("self-overlapping delimiters, as Beam Python's _is_self_overlapping", () => {
    for (const d of ["aa", "aba", "abcab", "\n\n", "||"]) assert.equal(isSelfOverlapping(Buffer.from(d)), true, d);
    for (const d of ["a", "ab", "<EOR>", "\r\n", "abc"]) assert.equal(isSelfOverlapping(Buffer.from(d)), false, d);
  });

  it("rejects an empty or self-overlapping delimiter and a negative or fractional skipHeaderLines, naming the transform", () => {
    assert.throws(() => resolveTextFormat("ReadFromText", { delimiter: "" }), /ReadFromText: delimiter must not be empty/);
    assert.throws(() => resolveTextFormat("ReadFromText", { delimiter: new Uint8Array(0) }), /ReadFromText: delimiter must not be empty/);
    assert.throws(() => resolveTextFormat("ReadAllFromText", { delimiter: "aba" }), /ReadAllFromText: delimiter "aba" overlaps itself/);
    assert.throws(() => resolveTextFormat("ReadFromText", { skipHeaderLines: -1 }), /ReadFromText: skipHeaderLines must be a non-negative integer, got -1/);
    assert.throws(() => resolveTextFormat("ReadFromText", { skipHeaderLines: 1.5 }), /got 1.5/);
    assert.equal(resolveTextFormat("ReadFromText", { skipHeaderLines: 0, stripTrailingNewlines: true }), undefined);
    assert.deepEqual(resolveTextFormat("ReadFromText", { delimiter: "§" }), { delimiter: Buffer.from("§") });
    assert.deepEqual(resolveTextFormat("ReadFromText", { escapechar: "\\" }), { escapechar: 0x5c });
    assert.deepEqual(resolveTextFormat("ReadFromText", { escapechar: new Uint8Array([0x25]) }), { escapechar: 0x25 });
    assert.throws(() => resolveTextFormat("ReadFromText", { escapechar: "ab" }), /ReadFromText: escapechar must be a single byte .*got "ab"/);
    assert.throws(() => resolveTextFormat("ReadFromText", { escapechar: "é" }), /escapechar must be a single byte/);
    assert.throws(() => resolveTextFormat("ReadFromText", { escapechar: "\n" }), /escapechar cannot be \\n or \\r/);
    assert.throws(() => resolveTextFormat("ReadAllFromText", { escapechar: "|", delimiter: "a|" }), /ReadAllFromText: escapechar "\|" is part of the delimiter/);
  });
});
